"""File download with Range: resumable downloads, partial content, conditional requests.
Run: uv run uvicorn download:app --app-dir examples
Try: curl -r 0-99 -o part.bin http://127.0.0.1:8000/file ; curl -C - -o all.bin http://127.0.0.1:8000/file"""

from __future__ import annotations

import asyncio
import hashlib
import html
import re
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from asgikit.asgi import Receive, Scope, Send
from asgikit.lifespan import Lifespan
from asgikit.requests import Request

SIZE = 4 * 1024 * 1024
HOST = re.compile(r"(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")


def write_report(folder: Path) -> tuple[Path, str]:
    """A deterministic 4 MiB file, so a resumed download can be checked byte for byte."""
    block = hashlib.sha256(b"asgikit").digest() * 2048  # 64 KiB
    data = block * (SIZE // len(block))
    path = folder / "report.bin"
    path.write_bytes(data)
    return path, hashlib.sha256(data).hexdigest()


@asynccontextmanager
async def report() -> AsyncIterator[dict[str, Any]]:
    """Made once at start-up, in a worker thread; removed at shutdown."""
    folder = await asyncio.to_thread(tempfile.mkdtemp, prefix="asgikit-download-")
    try:
        path, digest = await asyncio.to_thread(write_report, Path(folder))
        yield {"report": path, "report_sha256": digest}
    finally:
        await asyncio.to_thread(shutil.rmtree, folder, ignore_errors=True)


lifespan = Lifespan(report)


def absolute_url(request: Request, path: str) -> str:
    """``path`` of this app as the client reached it: scheme, Host, mount point."""
    host = request.headers.get("host", "")
    if not HOST.fullmatch(host):  # no Host (HTTP/1.0) or a strange one: our own address
        server = request.server or ("127.0.0.1", 8000)
        host = f"{server[0]}:{server[1]}"
    return f"{request.scheme}://{host}{request.root_path}{path}"


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await lifespan(scope, receive, send)
        return
    request = Request(scope, receive, send)
    if request.path == "/file":
        await request.respond_file(request.state["report"], download_name="report-ü.bin")
        return
    url = html.escape(absolute_url(request, "/file"))
    await request.respond_text(
        "<!doctype html><meta charset=utf-8><title>Download</title><h1>Download</h1>"
        f'<p><a id=link href="file">report-ü.bin</a> ({SIZE} bytes, SHA-256 '
        f"<code id=sha256>{request.state['report_sha256']}</code>)</p>"
        f"<ul><li>Ask for a part: <code id=range>curl -r 0-99 -o part.bin {url}</code>"
        f"<li>Resume a broken download: <code id=resume>curl -C - -o report.bin {url}</code>"
        f"<li>Only the headers: <code>curl -I {url}</code></ul>",
        media_type="text/html",
    )
