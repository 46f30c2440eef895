"""File download with Range: resumable downloads, partial content, conditional requests.
Run: uv run uvicorn download:app --app-dir examples
Try: curl -r 0-99 -o part.bin http://127.0.0.1:8000/file ; curl -C - -o all.bin http://127.0.0.1:8000/file"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from asgikit.asgi import Receive, Scope, Send
from asgikit.requests import Request

DATA = Path(tempfile.gettempdir()) / "asgikit-example-download.bin"
SIZE = 4 * 1024 * 1024


def ensure_file() -> Path:
    """A deterministic 4 MiB file, so a resumed download can be checked byte for byte."""
    if not DATA.exists() or DATA.stat().st_size != SIZE:
        block = hashlib.sha256(b"asgikit").digest() * 2048  # 64 KiB
        DATA.write_bytes(block * (SIZE // len(block)))
    return DATA


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    request = Request(scope, receive, send)
    path = ensure_file()
    if request.path == "/file":
        await request.respond_file(path, download_name="report-ü.bin")
        return
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    await request.respond_text(
        "<!doctype html><meta charset=utf-8><title>Download</title><h1>Download</h1>"
        f'<p><a id=link href="file">report-ü.bin</a> ({SIZE} bytes, SHA-256 '
        f"<code id=sha256>{digest}</code>)</p>"
        "<p>Ranges work: <code>curl -r 0-99 URL</code>; so does resuming: "
        "<code>curl -C - -o file URL</code>.</p>",
        media_type="text/html",
    )
