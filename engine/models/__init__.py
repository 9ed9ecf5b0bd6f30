"""Reward-model files and how a model sees text: the encoding (the one place,
for training and scoring), loading offline, precision, the model dir and its metadata."""
