"""asgikit-forms scenarios: an urlencoded form of 20 fields, and a multipart form of 3 text
fields plus a 5 MB file arriving in 64 KiB chunks (MB/s).

``raw`` is hand-written parsing against the ASGI spec (urllib.parse for urlencoded; a
split of the whole body on its boundary for multipart), ``starlette`` is
``await request.form()`` (python-multipart), ``asgikit`` is ``request.read_form()``
with its defaults — so the 5 MB file spills to an unnamed temporary file past 1 MiB,
from a worker thread, as Starlette's does.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import parse_qsl, urlencode

from bench_core import body_of, http_scope
from harness import Scenario
from starlette.datastructures import UploadFile as StarletteUploadFile
from starlette.requests import Request as StarletteRequest
from starlette.responses import PlainTextResponse

from asgikit.forms import UploadedFile
from asgikit.requests import Request

FORM_HEADERS = [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"bench/1.0")]


async def respond(send: Any, text: str) -> None:
    out = text.encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(out)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": out})


async def read_all(receive: Any) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


# -- urlencoded: 20 fields -------------------------------------------------------------------

FIELDS = [(f"field{i}", f"value {i} with some text & symbols ü") for i in range(20)]
URLENCODED = urlencode(FIELDS).encode()
URLENCODED_HEADERS = [
    (b"content-type", b"application/x-www-form-urlencoded"),
    (b"content-length", str(len(URLENCODED)).encode()),
]
URLENCODED_ANSWER = f"20 {FIELDS[19][1]}"


async def urlencoded_raw(scope: Any, receive: Any, send: Any) -> None:
    body = await read_all(receive)
    form: dict[str, str] = {}
    for name, value in parse_qsl(
        body.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="strict"
    ):
        form[name] = value
    await respond(send, f"{len(form)} {form['field19']}")


async def urlencoded_starlette(scope: Any, receive: Any, send: Any) -> None:
    request = StarletteRequest(scope, receive)
    async with request.form() as form:
        await PlainTextResponse(f"{len(form)} {form['field19']}")(scope, receive, send)


async def urlencoded_asgikit(scope: Any, receive: Any, send: Any) -> None:
    request = Request(scope, receive, send)
    form = await request.read_form()
    await request.respond_text(f"{len(form)} {form['field19']}")


def check_urlencoded(sent: list[dict[str, Any]]) -> None:
    assert body_of(sent).decode() == URLENCODED_ANSWER, body_of(sent)


# -- multipart: 3 text fields and a 5 MB file in 64 KiB chunks ---------------------------------

BOUNDARY = b"----WebKitFormBoundaryePkpFF7tjBAqx29L"
FILE = os.urandom(5_000_000)
MULTIPART = b"".join(
    [
        b"--"
        + BOUNDARY
        + b'\r\nContent-Disposition: form-data; name="title"\r\n\r\nQuarterly report\r\n',
        b"--"
        + BOUNDARY
        + b'\r\nContent-Disposition: form-data; name="author"\r\n\r\nAda Lovelace\r\n',
        b"--"
        + BOUNDARY
        + b'\r\nContent-Disposition: form-data; name="notes"\r\n\r\nFirst draft, see attached.\r\n',
        b"--"
        + BOUNDARY
        + b'\r\nContent-Disposition: form-data; name="file"; filename="report.bin"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n" + FILE + b"\r\n",
        b"--" + BOUNDARY + b"--\r\n",
    ]
)
CHUNK = 64 * 1024
MULTIPART_MESSAGES = [
    {
        "type": "http.request",
        "body": MULTIPART[i : i + CHUNK],
        "more_body": i + CHUNK < len(MULTIPART),
    }
    for i in range(0, len(MULTIPART), CHUNK)
]
MULTIPART_HEADERS = [
    (b"content-type", b"multipart/form-data; boundary=" + BOUNDARY),
    (b"content-length", str(len(MULTIPART)).encode()),
]
MULTIPART_ANSWER = f"Quarterly report/Ada Lovelace report.bin {len(FILE)}"


async def multipart_raw(scope: Any, receive: Any, send: Any) -> None:
    """Hand-written: the whole body, split on the delimiter, headers read by hand."""
    content_type = dict(scope["headers"])[b"content-type"]
    boundary = content_type.split(b"boundary=", 1)[1]
    body = await read_all(receive)
    delimiter = b"\r\n--" + boundary
    fields: dict[str, str] = {}
    files: dict[str, tuple[str, bytes]] = {}
    start = body.index(b"--" + boundary) + len(boundary) + 4
    while True:
        end = body.index(delimiter, start)
        head_end = body.index(b"\r\n\r\n", start)
        headers = body[start:head_end].decode()
        data = body[head_end + 4 : end]
        disposition = next(
            line for line in headers.split("\r\n") if line.lower().startswith("content-disposition")
        )
        name = disposition.split('name="', 1)[1].split('"', 1)[0]
        if 'filename="' in disposition:
            files[name] = (disposition.split('filename="', 1)[1].split('"', 1)[0], data)
        else:
            fields[name] = data.decode()
        start = end + len(delimiter)
        if body[start : start + 2] == b"--":
            break
        start += 2
    filename, content = files["file"]
    await respond(send, f"{fields['title']}/{fields['author']} {filename} {len(content)}")


async def multipart_starlette(scope: Any, receive: Any, send: Any) -> None:
    request = StarletteRequest(scope, receive)
    async with request.form() as form:
        upload = form["file"]
        assert isinstance(upload, StarletteUploadFile)
        await PlainTextResponse(
            f"{form['title']}/{form['author']} {upload.filename} {upload.size}"
        )(scope, receive, send)


async def multipart_asgikit(scope: Any, receive: Any, send: Any) -> None:
    request = Request(scope, receive, send)
    async with await request.read_form() as form:
        upload = form["file"]
        assert isinstance(upload, UploadedFile)
        await request.respond_text(
            f"{form['title']}/{form['author']} {upload.filename} {upload.size}"
        )


def check_multipart(sent: list[dict[str, Any]]) -> None:
    assert body_of(sent).decode() == MULTIPART_ANSWER, body_of(sent)


SCENARIOS = [
    Scenario(
        "form urlencoded 20 fields",
        {"raw": urlencoded_raw, "starlette": urlencoded_starlette, "asgikit": urlencoded_asgikit},
        http_scope("POST", "/form", headers=FORM_HEADERS + URLENCODED_HEADERS),
        [{"type": "http.request", "body": URLENCODED, "more_body": False}],
        calls=5000,
        check=check_urlencoded,
    ),
    Scenario(
        "form multipart 5 MB",
        {"raw": multipart_raw, "starlette": multipart_starlette, "asgikit": multipart_asgikit},
        http_scope("POST", "/form", headers=FORM_HEADERS + MULTIPART_HEADERS),
        MULTIPART_MESSAGES,
        calls=20,
        unit_bytes=len(MULTIPART),
        check=check_multipart,
    ),
]
