"""The `duelist` command line. One module per subcommand (cmd_*.py)."""
