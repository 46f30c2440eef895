"""asgikit-core scenarios: hello text, JSON echo, inspect a request, stream 100 x 1 KiB."""

from __future__ import annotations

import json
from typing import Any

from harness import Scenario
from starlette.requests import Request as StarletteRequest
from starlette.responses import JSONResponse, PlainTextResponse, StreamingResponse

from asgikit.headers.auth import parse_authorization
from asgikit.requests import Request

HEADERS = [
    (b"host", b"127.0.0.1:8000"),
    (b"user-agent", b"bench/1.0"),
    (b"accept", b"*/*"),
    (b"accept-encoding", b"gzip, deflate"),
    (b"accept-language", b"en-US,en;q=0.9"),
    (b"cache-control", b"no-cache"),
    (b"connection", b"keep-alive"),
    (b"x-request-id", b"8b1f9c2e"),
    (b"x-forwarded-for", b"10.0.0.1"),
    (b"cookie", b"session=abc123; theme=dark; lang=en"),
]
HEADER_NAMES = [n.decode() for n, _ in HEADERS]


def http_scope(
    method: str = "GET",
    path: str = "/",
    query: bytes = b"",
    headers: Any = None,
    spec_version: str = "2.3",
) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": spec_version},  # uvicorn's HTTP: 2.3
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": HEADERS if headers is None else headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "extensions": {},
        "state": {},
    }


EMPTY_BODY = [{"type": "http.request", "body": b"", "more_body": False}]


def status_of(sent: list[dict[str, Any]]) -> int:
    return int(sent[0]["status"])


def body_of(sent: list[dict[str, Any]]) -> bytes:
    return b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


# -- hello -----------------------------------------------------------------------------


async def hello_raw(scope: Any, receive: Any, send: Any) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", b"13"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": b"Hello, world!"})


async def hello_starlette(scope: Any, receive: Any, send: Any) -> None:
    await PlainTextResponse("Hello, world!")(scope, receive, send)


async def hello_asgikit(scope: Any, receive: Any, send: Any) -> None:
    await Request(scope, receive, send).respond_text("Hello, world!")


def check_hello(sent: list[dict[str, Any]]) -> None:
    assert status_of(sent) == 200 and body_of(sent) == b"Hello, world!"


# -- JSON echo ---------------------------------------------------------------------------

JSON_IN = json.dumps(
    {
        "id": 12345,
        "name": "widget",
        "tags": ["a", "b", "c"],
        "price": 9.99,
        "attributes": {"color": "red", "size": "L", "stock": 42},
        "description": "x" * 60,
    }
).encode()
JSON_HEADERS = [
    (b"content-type", b"application/json"),
    (b"content-length", str(len(JSON_IN)).encode()),
]


async def json_raw(scope: Any, receive: Any, send: Any) -> None:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    data = json.loads(b"".join(chunks))
    out = json.dumps({"id": data["id"], "ok": True}, separators=(",", ":")).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(out)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": out})


async def json_starlette(scope: Any, receive: Any, send: Any) -> None:
    request = StarletteRequest(scope, receive)
    data = await request.json()
    await JSONResponse({"id": data["id"], "ok": True})(scope, receive, send)


async def json_asgikit(scope: Any, receive: Any, send: Any) -> None:
    request = Request(scope, receive, send)
    data = await request.read_json()
    await request.respond_json({"id": data["id"], "ok": True})


def check_json(sent: list[dict[str, Any]]) -> None:
    assert json.loads(body_of(sent)) == {"id": 12345, "ok": True}


# -- inspect: method, path, 10 headers, 3 cookies, 3 query params --------------------------

QUERY = b"page=2&sort=name&filter=active"


async def inspect_raw(scope: Any, receive: Any, send: Any) -> None:
    from urllib.parse import parse_qsl

    headers: dict[str, str] = {}
    for name, value in scope["headers"]:
        headers.setdefault(name.decode("latin-1"), value.decode("latin-1"))
    found = [headers.get(name) for name in HEADER_NAMES]
    cookies = {}
    for chunk in headers.get("cookie", "").split(";"):
        key, _, val = chunk.partition("=")
        cookies[key.strip()] = val.strip()
    query = dict(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True))
    c, q = cookies, query
    out = (
        f"{scope['method']} {scope['path']} {len(found)} "
        f"{c['session']}{c['theme']}{c['lang']} {q['page']}{q['sort']}{q['filter']}"
    ).encode()
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


async def inspect_starlette(scope: Any, receive: Any, send: Any) -> None:
    request = StarletteRequest(scope, receive)
    found = [request.headers.get(name) for name in HEADER_NAMES]
    c = request.cookies
    q = request.query_params
    out = (
        f"{request.method} {request.url.path} {len(found)} "
        f"{c['session']}{c['theme']}{c['lang']} {q['page']}{q['sort']}{q['filter']}"
    )
    await PlainTextResponse(out)(scope, receive, send)


async def inspect_asgikit(scope: Any, receive: Any, send: Any) -> None:
    request = Request(scope, receive, send)
    headers = request.headers
    found = [headers.get(name) for name in HEADER_NAMES]
    c = request.cookies
    q = request.query
    out = (
        f"{request.method} {request.path} {len(found)} "
        f"{c['session']}{c['theme']}{c['lang']} {q['page']}{q['sort']}{q['filter']}"
    )
    await request.respond_text(out)


def check_inspect(sent: list[dict[str, Any]]) -> None:
    assert body_of(sent) == b"GET /items 10 abc123darken 2nameactive", body_of(sent)


# -- inspect+: the URL, the host, the best of three media types, the Authorization scheme ------

PLUS_HEADERS = [
    *(pair for pair in HEADERS if pair[0] != b"accept"),
    (b"accept", b"text/html;q=0.9, application/json, */*;q=0.1"),
    (b"authorization", b"Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig"),
]
OFFERS = ["text/html", "application/json", "text/plain"]


def _raw_best(accept: str) -> str | None:
    # The least a hand-written app does: q-values and */*, no specificity rules.
    weights: dict[str, float] = {}
    for item in accept.split(","):
        media, _, params = item.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            q = float(params.strip()[2:])
        weights[media.strip()] = q
    scored = [
        (weights.get(offer, weights.get("*/*", 0.0)), -i, offer) for i, offer in enumerate(OFFERS)
    ]
    best = max(scored)
    return best[2] if best[0] > 0 else None


async def inspect_plus_raw(scope: Any, receive: Any, send: Any) -> None:
    headers: dict[bytes, bytes] = {}
    for name, value in scope["headers"]:
        headers.setdefault(name, value)
    host = headers[b"host"].decode("latin-1")
    query = scope["query_string"].decode("latin-1")
    url = f"{scope['scheme']}://{host}{scope['root_path']}{scope['path']}" + (
        f"?{query}" if query else ""
    )
    best = _raw_best(headers[b"accept"].decode("latin-1"))
    scheme = headers[b"authorization"].decode("latin-1").partition(" ")[0].lower()
    out = f"{url} {host.partition(':')[0]} {best} {scheme}".encode()
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


async def inspect_plus_starlette(scope: Any, receive: Any, send: Any) -> None:
    # Starlette has the URL; negotiation is Werkzeug's MIMEAccept, as a Starlette app
    # would add it; Starlette has no Authorization parser, so the scheme is split by hand.
    from werkzeug.datastructures import MIMEAccept
    from werkzeug.http import parse_accept_header

    request = StarletteRequest(scope, receive)
    url = request.url
    best = parse_accept_header(request.headers.get("accept"), MIMEAccept).best_match(OFFERS)
    scheme = request.headers["authorization"].partition(" ")[0].lower()
    out = f"{url} {url.hostname} {best} {scheme}"
    await PlainTextResponse(out)(scope, receive, send)


async def inspect_plus_asgikit(scope: Any, receive: Any, send: Any) -> None:
    request = Request(scope, receive, send)
    credentials = parse_authorization(request.headers.get("authorization"))
    scheme = credentials.scheme if credentials is not None else None
    out = f"{request.url} {request.host} {request.best_match(OFFERS)} {scheme}"
    await request.respond_text(out)


def check_inspect_plus(sent: list[dict[str, Any]]) -> None:
    expected = (
        b"http://127.0.0.1:8000/items?page=2&sort=name&filter=active"
        b" 127.0.0.1 application/json bearer"
    )
    assert body_of(sent) == expected, body_of(sent)


# -- stream: 100 x 1 KiB ---------------------------------------------------------------------

CHUNK = b"x" * 1024
CHUNKS = 100


async def stream_raw(scope: Any, receive: Any, send: Any) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/octet-stream")],
        }
    )
    for _ in range(CHUNKS):
        await send({"type": "http.response.body", "body": CHUNK, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


async def _chunks() -> Any:
    for _ in range(CHUNKS):
        yield CHUNK


async def stream_starlette(scope: Any, receive: Any, send: Any) -> None:
    await StreamingResponse(_chunks(), media_type="application/octet-stream")(scope, receive, send)


async def stream_asgikit(scope: Any, receive: Any, send: Any) -> None:
    request = Request(scope, receive, send)
    async with request.response_writer(media_type="application/octet-stream") as write:
        for _ in range(CHUNKS):
            await write(CHUNK)


def check_stream(sent: list[dict[str, Any]]) -> None:
    assert body_of(sent) == CHUNK * CHUNKS


SCENARIOS = [
    Scenario(
        "hello",
        {"raw": hello_raw, "starlette": hello_starlette, "asgikit": hello_asgikit},
        http_scope(),
        EMPTY_BODY,
        calls=20000,
        check=check_hello,
    ),
    Scenario(
        "json echo",
        {"raw": json_raw, "starlette": json_starlette, "asgikit": json_asgikit},
        http_scope("POST", "/items", headers=HEADERS + JSON_HEADERS),
        [{"type": "http.request", "body": JSON_IN, "more_body": False}],
        calls=10000,
        check=check_json,
    ),
    Scenario(
        "inspect",
        {"raw": inspect_raw, "starlette": inspect_starlette, "asgikit": inspect_asgikit},
        http_scope("GET", "/items", QUERY),
        EMPTY_BODY,
        calls=10000,
        check=check_inspect,
    ),
    Scenario(
        "inspect+ (url, host, negotiation, auth)",
        {
            "raw": inspect_plus_raw,
            "starlette": inspect_plus_starlette,
            "asgikit": inspect_plus_asgikit,
        },
        http_scope("GET", "/items", QUERY, headers=PLUS_HEADERS),
        EMPTY_BODY,
        calls=10000,
        check=check_inspect_plus,
    ),
    Scenario(
        "stream, ASGI 2.4 server",
        {"raw": stream_raw, "starlette": stream_starlette, "asgikit": stream_asgikit},
        http_scope(spec_version="2.4"),
        EMPTY_BODY,
        calls=1000,
        unit_bytes=CHUNKS * len(CHUNK),
        check=check_stream,
    ),
    Scenario(
        "stream 100 x 1 KiB",
        {"raw": stream_raw, "starlette": stream_starlette, "asgikit": stream_asgikit},
        http_scope(),
        EMPTY_BODY,
        calls=1000,
        unit_bytes=CHUNKS * len(CHUNK),
        check=check_stream,
    ),
]
