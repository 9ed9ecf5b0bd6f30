"""A training run's life outside the training loop: the worker's event protocol,
where its events are recorded, and whether its process is still there."""
