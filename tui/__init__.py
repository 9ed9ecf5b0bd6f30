"""Duelist's terminal front end: the Textual app, its screens, and the CLI.

Keep this import light: no torch/transformers at module level anywhere under tui/.
"""
