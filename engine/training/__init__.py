"""Reward-model training: `RewardParams`, `train(params)`, the worker process and
how it is launched (one process or accelerate), batching, freezing, validation, the
finished model dir, and ensembles of seeds."""
