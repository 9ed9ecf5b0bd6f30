"""Simulations used only by tests and benchmarks (simulated annotators, the synthetic
active-learning check, graded-strength simulations). Not part of the shipped package."""
