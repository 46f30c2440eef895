"""Helpers to drive ASGI apps in tests without a server: complete scopes and a channel.

``http_scope()`` and ``websocket_scope()`` build scopes with every key the ASGI spec
gives a server to fill, so code under test meets the same shape a server would hand it.
:class:`Channel` plays the server's side of ``receive`` and ``send``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from asgikit.asgi import Message, Scope

__all__ = ["Channel", "http_scope", "websocket_scope"]


def _headers(headers: Iterable[tuple[str | bytes, str | bytes]]) -> list[tuple[bytes, bytes]]:
    return [
        (
            (n.encode("latin-1") if isinstance(n, str) else n).lower(),
            v.encode("latin-1") if isinstance(v, str) else v,
        )
        for n, v in headers
    ]


def http_scope(
    method: str = "GET",
    path: str = "/",
    *,
    query_string: bytes = b"",
    headers: Iterable[tuple[str | bytes, str | bytes]] = (),
    scheme: str = "http",
    http_version: str = "1.1",
    root_path: str = "",
    client: tuple[str, int] | None = ("127.0.0.1", 50000),
    server: tuple[str, int] | None = ("127.0.0.1", 8000),
    extensions: dict[str, Any] | None = None,
    spec_version: str = "2.4",
) -> Scope:
    """A complete ASGI ``http`` scope (ASGI HTTP spec, "Connection Scope")."""
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": spec_version},
        "http_version": http_version,
        "method": method,
        "scheme": scheme,
        "path": path,
        "raw_path": path.encode("utf-8"),
        "query_string": query_string,
        "root_path": root_path,
        "headers": _headers(headers),
        "client": client,
        "server": server,
        "extensions": extensions if extensions is not None else {},
        "state": {},
    }


def websocket_scope(
    path: str = "/",
    *,
    query_string: bytes = b"",
    headers: Iterable[tuple[str | bytes, str | bytes]] = (),
    subprotocols: Iterable[str] = (),
    scheme: str = "ws",
    client: tuple[str, int] | None = ("127.0.0.1", 50000),
    server: tuple[str, int] | None = ("127.0.0.1", 8000),
    extensions: dict[str, Any] | None = None,
) -> Scope:
    """A complete ASGI ``websocket`` scope (ASGI WebSocket spec, "Connection Scope")."""
    return {
        "type": "websocket",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "scheme": scheme,
        "path": path,
        "raw_path": path.encode("utf-8"),
        "query_string": query_string,
        "root_path": "",
        "headers": _headers(headers),
        "client": client,
        "server": server,
        "subprotocols": list(subprotocols),
        "extensions": extensions if extensions is not None else {},
        "state": {},
    }


class Channel:
    """The server's end of ``receive`` and ``send``.

    ``receive()`` returns the queued messages in order; once they run out it waits, as a
    server does, until :meth:`disconnect` (or another :meth:`push`). ``sent`` holds every
    message the app sent. ``send_error`` makes ``send`` raise it (a gone client, ASGI 2.4).
    """

    def __init__(self, messages: Iterable[Message] = ()) -> None:
        self._queue: asyncio.Queue[Message] = asyncio.Queue()
        for message in messages:
            self._queue.put_nowait(message)
        self.sent: list[Message] = []
        self.send_error: BaseException | None = None
        self.receive_calls = 0
        self.concurrent_receives = 0
        self.max_concurrent_receives = 0
        self._receive_called = asyncio.Condition()

    @classmethod
    def with_body(cls, *chunks: bytes) -> Channel:
        """A channel whose request body arrives as ``chunks`` (one empty chunk if none)."""
        parts = list(chunks) or [b""]
        return cls(
            {"type": "http.request", "body": part, "more_body": i < len(parts) - 1}
            for i, part in enumerate(parts)
        )

    def push(self, message: Message) -> None:
        self._queue.put_nowait(message)

    def disconnect(self, kind: str = "http.disconnect", **fields: Any) -> None:
        self._queue.put_nowait({"type": kind, **fields})

    async def wait_for_receive_calls(self, count: int) -> None:
        """Wait until ``receive()`` has been called ``count`` times in all."""
        async with self._receive_called:
            await self._receive_called.wait_for(lambda: self.receive_calls >= count)

    async def receive(self) -> Message:
        self.receive_calls += 1
        async with self._receive_called:
            self._receive_called.notify_all()
        self.concurrent_receives += 1
        self.max_concurrent_receives = max(self.max_concurrent_receives, self.concurrent_receives)
        try:
            return await self._queue.get()
        finally:
            self.concurrent_receives -= 1

    async def send(self, message: Message) -> None:
        if self.send_error is not None:
            raise self.send_error
        self.sent.append(message)

    # What the app answered, for HTTP.
    @property
    def status(self) -> int | None:
        for message in self.sent:
            if message["type"] == "http.response.start":
                status: int = message["status"]
                return status
        return None

    @property
    def headers(self) -> list[tuple[bytes, bytes]]:
        for message in self.sent:
            if message["type"] == "http.response.start":
                headers: list[tuple[bytes, bytes]] = message["headers"]
                return headers
        return []

    def header(self, name: str) -> str | None:
        key = name.lower().encode("latin-1")
        for n, v in self.headers:
            if n == key:
                return v.decode("latin-1")
        return None

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.sent if m["type"] == "http.response.body")
