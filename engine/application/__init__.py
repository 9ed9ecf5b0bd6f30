"""The application layer: the use cases both front ends (the Textual app and the CLI) call.

The annotation session and queue orders, training-run launch/follow/state, model
choice and the scoring jobs. It lives inside the engine (not in tui/) because it is
not about drawing anything: the CLI and the web front end need the same steps, and
putting them here lets import-linter keep the front ends thin. It imports neither
textual, rich nor torch at module level (tests/test_architecture.py checks that);
heavy engine code is imported inside the functions that need it, in the worker or a
background thread.
"""
