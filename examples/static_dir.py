"""A static directory, served safely: index files, ETags, Range, no traversal.
Run: uv run uvicorn static_dir:app --app-dir examples"""

from __future__ import annotations

from pathlib import Path

from asgikit.files import StaticFiles

app = StaticFiles(Path(__file__).parent / "static", index="index.html")
