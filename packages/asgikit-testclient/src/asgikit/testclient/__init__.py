"""An in-process async test client for any ASGI app.

:class:`TestClient` is an httpx ``AsyncClient`` whose transport runs the app in the
test's event loop and streams its response as it is produced, so endless responses and
Server-Sent Events can be read for a while and closed (the app sees ``http.disconnect``).
It also opens websockets (:meth:`TestClient.websocket_connect`), leaves a request
before its body ends (:meth:`TestClient.request_and_leave`), runs the lifespan
(:meth:`TestClient.lifespan`) and plays the server differences that matter (ASGI spec
version, extensions). Every wait is bounded: past ``timeout`` an
:class:`AppTimeoutError` lists what the app had sent.
"""

from __future__ import annotations

from ._client import TestClient
from ._errors import (
    AppTimeoutError,
    ClientGoneError,
    LifespanFailedError,
    ProtocolViolationError,
    TestClientError,
    WebSocketClosed,
    WebSocketDenied,
)
from ._http import Exchange, exchange_of
from ._server import (
    ALL_EXTENSIONS,
    DEFAULT_TIMEOUT,
    SEND_BUFFER_BYTES,
    SEND_BUFFER_MESSAGES,
    ServerOptions,
)
from ._sse import EventStream, EventStreamParser, ServerSentEvent
from ._websocket import WebSocketSession

__all__ = [
    "ALL_EXTENSIONS",
    "DEFAULT_TIMEOUT",
    "SEND_BUFFER_BYTES",
    "SEND_BUFFER_MESSAGES",
    "AppTimeoutError",
    "ClientGoneError",
    "EventStream",
    "EventStreamParser",
    "Exchange",
    "LifespanFailedError",
    "ProtocolViolationError",
    "ServerOptions",
    "ServerSentEvent",
    "TestClient",
    "TestClientError",
    "WebSocketClosed",
    "WebSocketDenied",
    "WebSocketSession",
    "exchange_of",
]
