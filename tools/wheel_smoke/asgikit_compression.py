"""asgikit-compression's smoke app: installed without extras, it offers gzip only, and
a JSON response through the middleware arrives gzip-compressed and whole."""

from __future__ import annotations

import json
import zlib

from asgikit.asgi import Receive, Scope, Send
from asgikit.compression import CompressionMiddleware, available_codings
from asgikit.requests import Request

from .harness import Info, channel, check, http_scope, main, response_of

DATA = {"items": list(range(1000))}


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    await Request(scope, receive, send).respond_json(DATA)


async def smoke(info: Info) -> None:
    check(available_codings() == ("gzip",), f"no extras: gzip only ({available_codings()})")
    receive, send, sent = channel([{"type": "http.request", "body": b""}])
    scope = http_scope(headers=[("accept-encoding", "zstd, br, gzip")])
    await CompressionMiddleware(app)(scope, receive, send)
    status, headers, body = response_of(sent)
    check(status == 200 and headers.get("content-encoding") == "gzip", f"gzip: {headers}")
    check(headers.get("content-length") == str(len(body)), "Content-Length is the gzip size")
    check(json.loads(zlib.decompress(body, 31)) == DATA, "the body decodes to the JSON sent")


if __name__ == "__main__":
    main(smoke)
