"""A form with a file upload, stored under a name the server chooses.
Run: uv run uvicorn upload:app --app-dir examples
Try: curl -F title=hello -F file=@README.md http://127.0.0.1:8000/

The client's filename is only ever shown, escaped, as text. All disk work runs in worker
threads: the form reader spools big files in 1 MiB batches, ``async for`` reads them back
the same way and ``save()`` copies in a thread."""

from __future__ import annotations

import asyncio
import hashlib
import html
import re
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path, PurePosixPath
from typing import Any

from asgikit.asgi import Receive, Scope, Send
from asgikit.errors import ClientError
from asgikit.forms import UploadedFile
from asgikit.lifespan import Lifespan
from asgikit.requests import Request

SAFE_SUFFIX = re.compile(r"\.[a-z0-9]{1,10}")
STORED_PATH = re.compile(r"/files/([0-9a-f]{32}(?:\.[a-z0-9]{1,10})?)")

FORM = """<!doctype html>
<meta charset=utf-8><title>Upload</title>
<h1>Upload a file</h1>
<form method="post" enctype="multipart/form-data">
  <p><label>Title <input name="title" value="my file"></label></p>
  <p><input type="file" name="file" required></p>
  <p><button type="submit">Upload</button></p>
</form>
"""


@asynccontextmanager
async def upload_folder() -> AsyncIterator[dict[str, Any]]:
    """A private folder for this run's uploads, removed at shutdown."""
    folder = await asyncio.to_thread(tempfile.mkdtemp, prefix="asgikit-uploads-")
    try:
        yield {"upload_dir": Path(folder)}
    finally:
        await asyncio.to_thread(shutil.rmtree, folder, ignore_errors=True)


lifespan = Lifespan(upload_folder)


def stored_name(filename: str) -> str:
    """A fresh random name, keeping the client's extension only if it is plain."""
    suffix = PurePosixPath(filename).suffix.lower()
    return uuid.uuid4().hex + (suffix if SAFE_SUFFIX.fullmatch(suffix) else "")


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await lifespan(scope, receive, send)
        return
    request = Request(scope, receive, send)
    folder: Path = request.state["upload_dir"]
    if request.method != "POST":
        stored = STORED_PATH.fullmatch(request.path)
        if stored is None:
            await request.respond_text(FORM, media_type="text/html")
            return
        try:  # sent as an attachment: an uploaded page never runs in this site's origin
            await request.respond_file(folder / stored[1], download_name=stored[1])
        except ClientError as exc:  # 404 no such file, 416 bad Range
            await request.respond_text(exc.message, status=exc.status_code)
        return
    try:
        form = await request.read_form(max_file_size=100 * 1024 * 1024)
    except ClientError as exc:  # 400 malformed, 413 over a limit, 415 not a form
        await request.respond_text(exc.message, status=exc.status_code)
        return
    async with form:  # closes (and removes) the temporary files at the end
        upload = form.get_first("file")
        if not isinstance(upload, UploadedFile) or not upload.filename:
            await request.respond_text("no file in the form", status=400)
            return
        sha256 = hashlib.sha256()
        async for chunk in upload:
            sha256.update(chunk)
        name = stored_name(upload.filename)
        size = await upload.save(folder / name)
    title = form.get_first("title", "")
    await request.respond_text(
        "<!doctype html><meta charset=utf-8><title>Uploaded</title><h1>Uploaded</h1>"
        f"<p>Title: <span id=title>{html.escape(str(title))}</span></p>"
        f"<p>Your file <span id=filename>{html.escape(upload.filename)}</span>: "
        f"<span id=size>{size}</span> bytes, SHA-256 <code id=sha256>{sha256.hexdigest()}"
        f'</code></p><p>Stored as <a id=stored href="files/{name}">{name}</a></p>'
        '<p><a href="./">Upload another</a></p>',
        media_type="text/html",
    )
