"""A websocket session with an ASGI app, in-process: the client's end of the socket.

The app runs as a task. The session sends ``websocket.receive`` messages and reads the
app's ``websocket.send``, each read bounded. Closing from the client delivers
``websocket.disconnect`` and then waits, bounded, for the handler to return: what it does
after the close (a "left the room" broadcast) has happened when ``close()`` returns.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from typing import Any

import httpx2

from asgikit.asgi import ASGIApp, Message

from ._errors import (
    ClientGoneError,
    ProtocolViolationError,
    WebSocketClosed,
    WebSocketDenied,
)
from ._http import request_scope
from ._server import Outbox, Server, wait_task


class WebSocketSession:
    """The client's end of an accepted websocket.

    ``subprotocol`` and ``headers`` are what the app accepted with. ``close_code`` and
    ``close_reason`` are set once either side closed. ``sent`` lists every ASGI message
    the app sent. Every wait takes ``timeout=`` (default: the client's).
    """

    def __init__(self, app: ASGIApp, scope: dict[str, Any], server: Server, timeout: float) -> None:
        self._app = app
        self._scope = scope
        self._server = server
        self.timeout = timeout
        self._inbox: asyncio.Queue[Message] = asyncio.Queue()
        self._outbox = Outbox()
        self._disconnect: Message | None = None
        self._task: asyncio.Task[None] | None = None
        self._exception: BaseException | None = None
        self.subprotocol: str | None = None
        self.headers: list[tuple[bytes, bytes]] = []
        self.close_code: int | None = None
        self.close_reason = ""
        self._accepted = False
        self._denying = False
        self._app_closed = False

    @property
    def sent(self) -> list[Message]:
        return self._outbox.sent

    # -- the app's side --------------------------------------------------------------

    async def _receive(self) -> Message:
        if self._disconnect is not None and self._inbox.empty():
            return dict(self._disconnect)
        return await self._inbox.get()

    async def _send(self, message: Message) -> None:
        kind = message["type"]
        # Flow control: wait while the test has not read what came before.
        await self._outbox.room()
        if self._disconnect is not None and self._accepted:
            if self._server.spec_version == "2.4":
                raise ClientGoneError(f"cannot send {kind}: the websocket is closed")
            return
        if self._denying:
            allowed: tuple[str, ...] = ("websocket.http.response.body",)
        elif not self._accepted:
            allowed = ("websocket.accept", "websocket.close")
            if self._server.offered("websocket.http.response"):
                allowed += ("websocket.http.response.start",)
        else:
            allowed = ("websocket.send", "websocket.close")
        if kind not in allowed:
            raise ProtocolViolationError(
                f"Expected ASGI message {' or '.join(allowed)}, but got {kind!r}"
            )
        if kind == "websocket.accept":
            self._accepted = True
        elif kind == "websocket.http.response.start":
            self._denying = True
        elif kind == "websocket.close" and self._accepted:
            self._app_closed = True
            code = int(message.get("code", 1000))
            reason = str(message.get("reason") or "")
            # The server answers the close frame; the app's next receive() says so, and
            # one it is already waiting in (a reader task's) returns at once.
            self._disconnect = {"type": "websocket.disconnect", "code": code, "reason": reason}
            self._inbox.put_nowait(dict(self._disconnect))
        self._outbox.put(message)

    async def _run(self) -> None:
        try:
            await self._app(self._scope, self._receive, self._send)
        except Exception as exc:
            self._exception = exc
        finally:
            self._outbox.finish()

    # -- the handshake ---------------------------------------------------------------

    async def _connect(self) -> None:
        self._inbox.put_nowait({"type": "websocket.connect"})
        self._task = self._server.start(self._run())
        message = await self._outbox.next("the app neither accepted nor denied", self.timeout)
        if message is None:
            await self._raise_app_error()
            raise WebSocketDenied(403, [], b"")
        kind = message["type"]
        if kind == "websocket.accept":
            self.subprotocol = message.get("subprotocol")
            self.headers = [(bytes(n), bytes(v)) for n, v in message.get("headers", [])]
            return
        if kind == "websocket.close":
            await self._finish()
            raise WebSocketDenied(403, [], b"")
        status: int = message["status"]
        headers = [(bytes(n), bytes(v)) for n, v in message.get("headers", [])]
        body = bytearray()
        while True:
            part = await self._outbox.next("the app sent no more of its denial", self.timeout)
            if part is None:
                await self._raise_app_error()
                raise ProtocolViolationError("the app returned before its denial body ended")
            body += part.get("body", b"")
            if not part.get("more_body", False):
                break
        await self._finish()
        raise WebSocketDenied(status, headers, bytes(body))

    async def _raise_app_error(self) -> None:
        exception = self._exception
        if isinstance(exception, ClientGoneError) and self._disconnect is not None:
            return
        if exception is not None and self._server.raise_app_exceptions:
            raise exception

    async def _finish(self) -> None:
        assert self._task is not None
        await wait_task(self._task, "the websocket handler did not return", self.timeout, self.sent)
        await self._raise_app_error()

    # -- the test's side -------------------------------------------------------------

    def _check_open(self) -> None:
        if self._disconnect is not None:
            raise WebSocketClosed(self.close_code or 1005, self.close_reason)

    async def send_text(self, text: str) -> None:
        self._check_open()
        self._inbox.put_nowait({"type": "websocket.receive", "text": text})

    async def send_bytes(self, data: bytes) -> None:
        self._check_open()
        self._inbox.put_nowait({"type": "websocket.receive", "bytes": data})

    async def send_json(self, value: Any) -> None:
        await self.send_text(json.dumps(value))

    async def receive(self, *, timeout: float | None = None) -> Message:
        """The app's next ``websocket.send`` message. Raises :class:`WebSocketClosed`
        once the app closed (or returned), :class:`AppTimeoutError` past ``timeout``."""
        if self._app_closed and self.close_code is not None:
            raise WebSocketClosed(self.close_code, self.close_reason)
        message = await self._outbox.next(
            "the app sent no websocket message", self.timeout if timeout is None else timeout
        )
        if message is None:
            await self._raise_app_error()
            # A handler that returns without closing: the server closes with 1000.
            self._app_closed = True
            self.close_code, self.close_reason = 1000, ""
            self._disconnect = {"type": "websocket.disconnect", "code": 1000, "reason": ""}
            raise WebSocketClosed(1000, "")
        if message["type"] == "websocket.close":
            self.close_code = int(message.get("code", 1000))
            self.close_reason = str(message.get("reason") or "")
            raise WebSocketClosed(self.close_code, self.close_reason)
        return message

    async def receive_text(self, *, timeout: float | None = None) -> str:
        message = await self.receive(timeout=timeout)
        text = message.get("text")
        if text is None:
            raise ProtocolViolationError(f"expected a text message, got {message!r}")
        return str(text)

    async def receive_bytes(self, *, timeout: float | None = None) -> bytes:
        message = await self.receive(timeout=timeout)
        data = message.get("bytes")
        if data is None:
            raise ProtocolViolationError(f"expected a bytes message, got {message!r}")
        return bytes(data)

    async def receive_json(self, *, timeout: float | None = None) -> Any:
        message = await self.receive(timeout=timeout)
        text = message.get("text")
        return json.loads(text if text is not None else message["bytes"])

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close from the client with ``code``, then wait (bounded) for the handler to
        return, so what it does after the close has happened. Re-raises what the
        handler raised, but not :class:`ClientGoneError`."""
        if self._disconnect is None:
            self.close_code, self.close_reason = code, reason
            self._disconnect = {"type": "websocket.disconnect", "code": code, "reason": reason}
            self._inbox.put_nowait(dict(self._disconnect))
        self._outbox.release()
        await self._finish()


def websocket_scope(
    request: httpx2.Request, server: Server, subprotocols: Iterable[str]
) -> dict[str, Any]:
    scope = request_scope(request, server, "websocket")
    scope["scheme"] = "wss" if request.url.scheme in ("https", "wss") else "ws"
    scope["subprotocols"] = list(subprotocols)
    return scope
