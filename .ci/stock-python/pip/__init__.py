"""Stands for a missing pip: see ../README.md."""

raise ImportError("No module named 'pip' (.ci/stock-python: a stock Debian python3)")
