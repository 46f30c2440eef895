"""asgikit-files' smoke app: a 25 kB file sent whole, by the function and the method."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from asgikit.files import respond_file
from asgikit.requests import Request

from .harness import Info, channel, check, http_scope, main, response_of


def _write(path: str, content: bytes) -> str:
    Path(path).write_bytes(content)
    return path


async def smoke(info: Info) -> None:
    content = b"hello from asgikit-files\n" * 1000
    with tempfile.TemporaryDirectory() as folder:
        path = _write(os.path.join(folder, "hello.txt"), content)
        receive, send, sent = channel([{"type": "http.request", "body": b"", "more_body": False}])
        await respond_file(Request(http_scope("GET", "/hello.txt"), receive, send), path)
        status, headers, body = response_of(sent)
        check(status == 200, f"respond_file: status {status}")
        check(body == content, f"respond_file: {len(body)} bytes, expected {len(content)}")
        check(
            headers.get("content-length") == str(len(content)),
            f"respond_file: content-length {headers.get('content-length')!r}",
        )
        check(
            headers.get("content-type", "").startswith("text/plain"),
            f"respond_file: content-type {headers.get('content-type')!r}",
        )
        receive, send, sent = channel([{"type": "http.request", "body": b"", "more_body": False}])
        await Request(http_scope("GET", "/hello.txt"), receive, send).respond_file(path)
        status, headers, body = response_of(sent)
        check((status, body) == (200, content), "Request.respond_file() delegates to asgikit.files")


if __name__ == "__main__":
    main(smoke)
