"""A static directory, served safely: index files, ETags, Range, no traversal.
Run: uv run uvicorn static_dir:app --app-dir examples"""

from __future__ import annotations

from pathlib import Path

from asgikit.asgi import Receive, Scope, Send
from asgikit.files import StaticFiles
from asgikit.lifespan import Lifespan

static = StaticFiles(Path(__file__).parent / "static", index="index.html")
lifespan = Lifespan()


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await lifespan(scope, receive, send)
        return
    await static(scope, receive, send)
