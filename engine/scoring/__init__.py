"""Scoring with a trained reward model: the fast scorer, `RewardModel`, model sets
(ensembles, aspects) and loading them, ranking, calibration and evaluation, and file
scoring. Which model scores is the application layer's decision
(engine/application/model_choice.py); training builds on this package, never the
other way round."""
