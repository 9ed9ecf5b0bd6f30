"""Reward-model files and how a model sees text: the encoding (the one place,
for training and scoring), the torch-free model-dir checks, loading offline,
precision, and the model dir's metadata and card."""
