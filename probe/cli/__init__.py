"""The `probe` command line."""
