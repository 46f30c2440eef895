"""A form with a file upload: the file is saved to disk and its size and SHA-256 shown.
Run: uv run uvicorn upload:app --app-dir examples
Try: curl -F title=hello -F file=@README.md http://127.0.0.1:8000/"""

from __future__ import annotations

import hashlib
import html
import tempfile
from pathlib import Path

from asgikit.asgi import Receive, Scope, Send
from asgikit.errors import ClientError
from asgikit.forms import UploadedFile
from asgikit.requests import Request

UPLOAD_DIR = Path(tempfile.gettempdir()) / "asgikit-example-uploads"

FORM = """<!doctype html>
<meta charset=utf-8><title>Upload</title>
<h1>Upload a file</h1>
<form method="post" enctype="multipart/form-data">
  <p><label>Title <input name="title" value="my file"></label></p>
  <p><input type="file" name="file" required></p>
  <p><button type="submit">Upload</button></p>
</form>
"""


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    request = Request(scope, receive, send)
    if request.method != "POST":
        await request.respond_text(FORM, media_type="text/html")
        return
    try:
        form = await request.read_form(max_file_size=100 * 1024 * 1024)
    except ClientError as exc:  # 400 malformed, 413 over a limit, 415 not a form
        await request.respond_text(str(exc), status=exc.status_code)
        return
    async with form:  # closes (and removes) the temporary files at the end
        upload = form.get_first("file")
        if not isinstance(upload, UploadedFile) or not upload.filename:
            await request.respond_text("no file in the form", status=400)
            return
        UPLOAD_DIR.mkdir(parents=True, exist_ok=True)
        target = UPLOAD_DIR / upload.filename  # filename is a safe base name
        size = await upload.save(target)
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    title = form.get_first("title", "")
    await request.respond_text(
        "<!doctype html><meta charset=utf-8><title>Uploaded</title><h1>Uploaded</h1>"
        f"<p>Title: <span id=title>{html.escape(str(title))}</span></p>"
        f"<p>Stored as <code id=path>{html.escape(str(target))}</code></p>"
        f"<p><span id=size>{size}</span> bytes, SHA-256 <code id=sha256>{digest}</code></p>"
        '<p><a href="./">Upload another</a></p>',
        media_type="text/html",
    )
