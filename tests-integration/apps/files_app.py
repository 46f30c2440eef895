"""asgikit-files behind real servers.

The served directory comes from the ``FILES_ROOT`` environment variable, which the test
sets when it starts the server (a test app may read its environment; the library never
does). Routes:

- ``/file/<name>``: ``request.respond_file(root / name)``
- ``/download/<name>``: the same with ``download_name=<name>``
- ``/static/...``: :class:`StaticFiles` over the root, mounted at ``/static``
- ``/stats``: how the file responses went (pathsend or body messages, disconnects, open
  descriptors), so the tests see which path each server took
- ``/wait-disconnect``: answers once a file response has seen its client go away
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from lifespan import run_lifespan

from asgikit.errors import ClientDisconnectedError, NotFoundError
from asgikit.files import StaticFiles
from asgikit.requests import Request

ROOT = Path(os.environ.get("FILES_ROOT", "."))
static = StaticFiles(ROOT, cache_control="no-cache")
stats: dict[str, Any] = {"pathsend": 0, "body_messages": 0, "disconnects": 0, "offered": []}
disconnected = asyncio.Event()


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else -1


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        await run_lifespan(receive, send)
        return
    path: str = scope["path"]
    if path.startswith("/static/") or path == "/static":
        await static({**scope, "root_path": scope.get("root_path", "") + "/static"}, receive, send)
        return

    async def recording_send(message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "http.response.pathsend":
            stats["pathsend"] += 1
        elif kind == "http.response.body" and message.get("body"):
            stats["body_messages"] += 1
        await send(message)

    if path in ("/stats", "/wait-disconnect"):
        request = Request(scope, receive, send)  # not counted
    else:
        request = Request(scope, receive, recording_send)
    if path == "/stats":
        stats["descriptors"] = open_descriptors()
        await request.respond_json(stats)
        return
    if path == "/wait-disconnect":
        await asyncio.wait_for(disconnected.wait(), timeout=20)
        await request.respond_json(
            {"disconnects": stats["disconnects"], "descriptors": open_descriptors()}
        )
        return
    stats["offered"] = sorted(scope.get("extensions") or {})
    kind, _, name = path.lstrip("/").partition("/")
    try:
        if kind == "file":
            await request.respond_file(ROOT / name)
        elif kind == "download":
            await request.respond_file(ROOT / name, download_name=name)
        else:
            await request.respond_status(404)
    except NotFoundError:
        await request.respond_text("no such file", status=404)
    except ClientDisconnectedError:
        stats["disconnects"] += 1
        disconnected.set()
