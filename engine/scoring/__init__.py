"""Scoring with a trained reward model: the fast scorer, `RewardModel`, model sets
(ensembles, aspects), ranking, calibration and evaluation, file scoring, and the
uncertainty-scoring process behind the queue."""
