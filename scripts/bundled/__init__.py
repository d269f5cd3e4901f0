"""The seed readers behind scripts/build_bundled.py: one module per seed document."""
