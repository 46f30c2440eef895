"""An httpx transport that runs an ASGI app in-process and streams its response.

The app runs as a task. The response is returned as soon as ``http.response.start``
arrives and its body is read chunk by chunk while the app produces it, so an endless
stream can be read for a while and then closed: closing it early is the client leaving,
which the app sees as ``http.disconnect``. Every wait is bounded.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

import httpx2

from asgikit.asgi import ASGIApp, Message, Receive, Scope, Send

from ._errors import AppTimeoutError, ClientGoneError, ProtocolViolationError
from ._server import Outbox, Server, wait_task

EXCHANGE_KEY = "asgikit.exchange"
LEAVE_KEY = "asgikit.leave_after_body"


class Exchange:
    """One request as the app lived it, for assertions after the fact.

    ``sent``: every ASGI message the app sent, in order (all of them are kept; the
    app's ``send()`` waits while the test has not read :data:`SEND_BUFFER_MESSAGES`
    messages or :data:`SEND_BUFFER_BYTES` bytes, so it grows as fast as the test
    reads). ``early_hints``: the ``links`` of each ``http.response.early_hint``.
    ``client_left``: the client went away before the response ended. ``finished``: the
    app task returned or raised. ``exception``:
    what the app raised, if anything (raised in the test too, unless the client had left
    or ``raise_app_exceptions`` is False).
    """

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.outbox = Outbox()
        self.early_hints: list[list[str]] = []
        self.client_left = False
        self.finished = False
        self.exception: BaseException | None = None
        self.response_complete = False
        self.gone = asyncio.Event()

    @property
    def sent(self) -> list[Message]:
        return self.outbox.sent

    def leave(self) -> None:
        if not self.response_complete:
            self.client_left = True
        self.gone.set()
        self.outbox.release()


def exchange_of(response: httpx2.Response) -> Exchange:
    """The :class:`Exchange` behind a response of the test client."""
    exchange: Exchange = response.extensions[EXCHANGE_KEY]
    return exchange


def _timeout(request: httpx2.Request, server: Server) -> float:
    timeouts = request.extensions.get("timeout") or {}
    read = timeouts.get("read")
    return float(read) if read is not None else server.timeout


def _http_version(server: Server) -> bytes:
    return f"HTTP/{server.http_version}".encode("ascii")


def _server_address(url: httpx2.URL) -> tuple[str, int]:
    port = url.port or (443 if url.scheme in ("https", "wss") else 80)
    return (url.host, port)


def request_scope(request: httpx2.Request, server: Server, kind: str) -> dict[str, Any]:
    """A complete ASGI scope of ``kind`` ("http" or "websocket") for ``request``."""
    scope: dict[str, Any] = {
        "type": kind,
        "asgi": server.asgi(),
        "http_version": server.http_version,
        "scheme": request.url.scheme,
        "path": request.url.path,
        "raw_path": request.url.raw_path.split(b"?", 1)[0],
        "query_string": request.url.query,
        "root_path": server.root_path,
        "headers": [(name.lower(), value) for name, value in request.headers.raw],
        "client": server.client,
        "server": _server_address(request.url),
        "extensions": server.scope_extensions(),
        "state": server.scope_state(),
    }
    if kind == "http":
        scope["method"] = request.method
    return scope


class _Body(httpx2.AsyncByteStream):
    def __init__(
        self,
        exchange: Exchange,
        task: asyncio.Task[None],
        server: Server,
        head: bool,
    ) -> None:
        self._exchange = exchange
        self._task = task
        self._server = server
        self._head = head

    async def __aiter__(self) -> AsyncIterator[bytes]:
        exchange = self._exchange
        while not exchange.response_complete:
            try:
                message = await exchange.outbox.next(
                    "the app sent no more of the response body", exchange.timeout
                )
            except AppTimeoutError:
                # Reported once: the app is stopped now, not waited for again on close.
                self._task.cancel()
                await asyncio.wait({self._task})
                raise
            if message is None:
                self._raise_app_error()
                raise ProtocolViolationError(
                    "the app returned before the response body was complete "
                    "(no http.response.body with more_body=False)"
                )
            # After the start the sender lets only body messages through.
            body: bytes = message.get("body", b"")
            if not message.get("more_body", False):
                exchange.response_complete = True
                exchange.gone.set()
            if body and not self._head:
                yield body

    def _raise_app_error(self) -> None:
        exception = self._exchange.exception
        if exception is not None and self._server.raise_app_exceptions:
            raise exception

    async def aclose(self) -> None:
        exchange = self._exchange
        exchange.leave()
        if self._task.cancelled():
            return
        await wait_task(
            self._task,
            "the app did not finish after the client "
            + ("left" if exchange.client_left else "read the whole response"),
            exchange.timeout,
            exchange.sent,
        )
        if not exchange.client_left:
            self._raise_app_error()


class StreamingASGITransport(httpx2.AsyncBaseTransport):
    """Runs ``app`` for each request; see the module docstring."""

    def __init__(self, app: ASGIApp, server: Server) -> None:
        self.app = app
        self.server = server

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        server = self.server
        timeout = _timeout(request, server)
        scope = request_scope(request, server, "http")
        exchange = Exchange(timeout)
        leave_after_body = bool(request.extensions.get(LEAVE_KEY))
        receive = _receiver(request.stream, exchange, leave_after_body)
        send = _sender(exchange, server)
        task = server.start(_run(self.app, scope, receive, send, exchange))
        head = request.method == "HEAD"
        while True:
            try:
                message = await exchange.outbox.next("the app sent no http.response.start", timeout)
            except AppTimeoutError:
                task.cancel()  # reported: stop the app now, not when the client closes
                await asyncio.wait({task})
                raise
            if message is None:
                return await self._no_response(exchange, task, timeout)
            if message["type"] == "http.response.start":
                break
        body = _Body(exchange, task, server, head)
        return httpx2.Response(
            message["status"],
            headers=list(message.get("headers", [])),
            stream=body,
            extensions={EXCHANGE_KEY: exchange, "http_version": _http_version(server)},
        )

    async def _no_response(
        self, exchange: Exchange, task: asyncio.Task[None], timeout: float
    ) -> httpx2.Response:
        await wait_task(task, "the app did not finish", timeout, exchange.sent)
        if exchange.client_left:
            exchange.response_complete = True
            return httpx2.Response(499, extensions={EXCHANGE_KEY: exchange})
        if exchange.exception is not None and self.server.raise_app_exceptions:
            raise exchange.exception
        if exchange.exception is None:
            raise ProtocolViolationError("the app returned without sending http.response.start")
        exchange.response_complete = True
        return httpx2.Response(500, extensions={EXCHANGE_KEY: exchange})

    async def aclose(self) -> None:
        await self.server.close()


async def _run(
    app: ASGIApp, scope: Scope, receive: Receive, send: Send, exchange: Exchange
) -> None:
    try:
        await app(scope, receive, send)
    except Exception as exc:
        exchange.exception = exc
    finally:
        exchange.finished = True
        exchange.outbox.finish()


def _receiver(stream: Any, exchange: Exchange, leave_after_body: bool) -> Receive:
    # A body known whole (bytes, text, JSON, a urlencoded form) is one message. A streamed
    # one (a generator, multipart) goes as a server delivers a chunked body: each chunk
    # at once with more_body=True, then an empty one with more_body=False. Reading ahead
    # to flag the last chunk would wait for a chunk that a duplex client sends only
    # after the app answered the one before.
    whole = isinstance(stream, httpx2.ByteStream)
    chunks: AsyncIterator[bytes] = stream.__aiter__()
    body_done = False

    async def receive() -> Message:
        nonlocal body_done
        if not body_done and not exchange.client_left:
            if whole:
                body_done = True
                body = b"".join([bytes(chunk) async for chunk in chunks])
                return {"type": "http.request", "body": body, "more_body": False}
            async for chunk in chunks:
                if chunk:
                    return {"type": "http.request", "body": bytes(chunk), "more_body": True}
            body_done = True
            if not leave_after_body:
                return {"type": "http.request", "body": b"", "more_body": False}
            exchange.leave()
        await exchange.gone.wait()
        return {"type": "http.disconnect"}

    return receive


_BEFORE_START = ("http.response.start", "http.response.early_hint")
_AFTER_START = ("http.response.body", "http.response.pathsend")


def _sender(exchange: Exchange, server: Server) -> Send:
    started = False
    finished = False

    async def send(message: Message) -> None:
        nonlocal started, finished
        kind = message["type"]
        # Flow control: wait while the test has not read what came before.
        await exchange.outbox.room()
        if exchange.client_left:
            if server.spec_version == "2.4":
                raise ClientGoneError(f"cannot send {kind}: the client has gone")
            return
        expected: Iterable[str] = () if finished else _AFTER_START if started else _BEFORE_START
        if kind not in expected or (
            kind in ("http.response.pathsend", "http.response.early_hint")
            and not server.offered(kind)
        ):
            allowed = " or ".join(expected) or "nothing (the response is complete)"
            raise ProtocolViolationError(f"Expected ASGI message {allowed}, but got {kind!r}")
        if kind == "http.response.early_hint":
            # "links (Iterable[bytes])" (ASGI HTTP spec, early hints extension).
            exchange.early_hints.append(
                [bytes(link).decode("latin-1") for link in message.get("links", [])]
            )
            exchange.outbox.put(message)
        elif kind == "http.response.start":
            started = True
            exchange.outbox.put(message)
        elif kind == "http.response.pathsend":
            finished = True
            data = await asyncio.to_thread(Path(message["path"]).read_bytes)
            exchange.outbox.put_converted(
                message, {"type": "http.response.body", "body": data, "more_body": False}
            )
        else:
            finished = not message.get("more_body", False)
            exchange.outbox.put(message)

    return send
