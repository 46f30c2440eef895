"""Stands for a missing ensurepip: see ../README.md."""

raise ImportError("No module named 'ensurepip' (.ci/stock-python: a stock Debian python3)")
