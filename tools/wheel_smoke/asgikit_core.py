"""asgikit-core's smoke app: respond_json, and the optional pieces' missing-dist errors."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from asgikit.asgi import Scope
from asgikit.errors import MissingDistributionError
from asgikit.requests import Request

from .harness import Info, channel, check, http_scope, main, response_of, websocket_scope


async def smoke(info: Info) -> None:
    receive, send, sent = channel([{"type": "http.request", "body": b"", "more_body": False}])
    request = Request(http_scope("GET", "/api"), receive, send)
    await request.respond_json({"hello": "world", "n": [1, 2]})
    status, headers, body = response_of(sent)
    check(status == 200, f"respond_json: status {status}")
    check(
        headers.get("content-type", "").startswith("application/json"),
        f"respond_json: content-type {headers.get('content-type')!r}",
    )
    check(json.loads(body) == {"hello": "world", "n": [1, 2]}, f"respond_json: body {body!r}")

    if info.installed != [info.dist]:
        return
    # Alone in its venv, core must name the distribution each optional method needs.
    urlencoded = [("content-type", "application/x-www-form-urlencoded")]
    calls: list[tuple[str, Scope, Callable[[Request], Awaitable[object]]]] = [
        ("asgikit-forms", http_scope("POST", "/", urlencoded), lambda r: r.read_form()),
        ("asgikit-files", http_scope(), lambda r: r.respond_file(__file__)),
        ("asgikit-websockets", websocket_scope(), lambda r: r.websocket_accept()),
    ]
    for dist, scope, call in calls:
        receive, send, sent = channel([{"type": "http.request", "body": b"a=1"}])
        try:
            await call(Request(scope, receive, send))
        except MissingDistributionError as exc:
            check(isinstance(exc, ImportError), "MissingDistributionError is an ImportError")
            check(f"pip install {dist}" in str(exc), f"the error names {dist}: {exc}")
            check(sent == [], "nothing was sent")
        else:
            check(False, f"a MissingDistributionError without {dist}")


if __name__ == "__main__":
    main(smoke)
