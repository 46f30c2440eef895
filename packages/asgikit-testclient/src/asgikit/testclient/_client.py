"""The test client: httpx's AsyncClient over an in-process ASGI app, plus websockets,
Server-Sent Events, disconnects on purpose and lifespan."""

from __future__ import annotations

import asyncio
import base64
import os
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, Unpack

import httpx2

from asgikit.asgi import ASGIApp, Message

from ._errors import LifespanFailedError
from ._http import LEAVE_KEY, Exchange, StreamingASGITransport, exchange_of
from ._server import DEFAULT_TIMEOUT, Outbox, Server, ServerOptions, wait_task
from ._sse import EventStream
from ._websocket import WebSocketSession, websocket_scope

Headers = Mapping[str, str] | Sequence[tuple[str, str]]


async def _chunks(parts: Iterable[bytes]) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


class TestClient(httpx2.AsyncClient):
    """An async client for any ASGI app, in-process: ``async with TestClient(app) as c``.

    It is an :class:`httpx2.AsyncClient` (every method, cookies kept across requests,
    params, JSON, forms, files), whose transport runs ``app`` for each request and
    streams the response as the app produces it. ``timeout`` bounds every wait on the
    app (seconds, default 5); past it an :class:`AppTimeoutError` lists what the app had
    sent. ``server`` options (:class:`ServerOptions`) choose the ASGI spec version, the
    extensions offered, HTTP version, ``root_path`` and the client address.
    """

    __test__ = False  # not a pytest test class, whatever module imports it

    def __init__(
        self,
        app: ASGIApp,
        *,
        base_url: str = "http://testserver",
        timeout: float = DEFAULT_TIMEOUT,
        headers: Headers | None = None,
        cookies: dict[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        follow_redirects: bool = False,
        **server: Unpack[ServerOptions],
    ) -> None:
        self._server = Server(timeout=timeout, **server)
        self.app = app
        super().__init__(
            transport=StreamingASGITransport(app, self._server),
            base_url=base_url,
            timeout=timeout,
            headers=headers,
            cookies=cookies,
            params=params,
            follow_redirects=follow_redirects,
        )

    # -- Server-Sent Events ------------------------------------------------------------

    @asynccontextmanager
    async def event_stream(
        self,
        url: str,
        *,
        method: str = "GET",
        headers: Headers | None = None,
        params: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> AsyncIterator[EventStream]:
        """Open an event stream: ``async with client.event_stream("/events") as events``.

        Sends ``Accept: text/event-stream``; yields an :class:`EventStream` to iterate,
        whose events are parsed as a browser's EventSource does (httpx2's own ``sse()``
        works over this client too, but dispatches events without data, keeps a leading
        BOM and takes ``retry: +15``). Leaving the block early is the browser closing
        the EventSource: the app sees ``http.disconnect``."""
        request = self.build_request(
            method,
            url,
            headers=[("accept", "text/event-stream"), *_pairs(headers)],
            params=params,
            timeout=timeout if timeout is not None else httpx2.USE_CLIENT_DEFAULT,
        )
        response = await self.send(request, stream=True)
        events = EventStream(response)
        try:
            yield events
        finally:
            await events.aclose()
            await response.aclose()

    # -- disconnects on purpose --------------------------------------------------------

    async def request_and_leave(
        self,
        method: str,
        url: str,
        *,
        body: Iterable[bytes],
        headers: Headers | None = None,
        timeout: float | None = None,
    ) -> Exchange:
        """Send the request and the ``body`` chunks, then leave before the body ends:
        the app's next ``receive()`` gets ``http.disconnect``. Waits (bounded) for the
        app to return and gives its :class:`Exchange`, whose ``exception`` is what it
        raised (a client-disconnected error, usually) and ``sent`` what it sent."""
        request = self.build_request(
            method,
            url,
            content=_chunks(body),
            headers=_pairs(headers),
            extensions={LEAVE_KEY: True},
            timeout=timeout if timeout is not None else httpx2.USE_CLIENT_DEFAULT,
        )
        response = await self.send(request, stream=True)
        exchange = exchange_of(response)
        exchange.leave()
        await response.aclose()
        return exchange

    # -- websockets --------------------------------------------------------------------

    @asynccontextmanager
    async def websocket_connect(
        self,
        url: str,
        *,
        subprotocols: Iterable[str] = (),
        headers: Headers | None = None,
        params: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> AsyncIterator[WebSocketSession]:
        """Open a websocket: ``async with client.websocket_connect("/ws") as ws``.

        Yields the :class:`WebSocketSession` once the app accepted; raises
        :class:`WebSocketDenied` (status, headers, body) when it refused. Leaving the
        block closes from the client with 1000 (unless a side closed already) and waits,
        bounded, for the handler to return."""
        offered = list(subprotocols)
        handshake = [
            ("connection", "upgrade"),
            ("upgrade", "websocket"),
            ("sec-websocket-version", "13"),
            ("sec-websocket-key", base64.b64encode(os.urandom(16)).decode("ascii")),
        ]
        if offered:
            handshake.append(("sec-websocket-protocol", ", ".join(offered)))
        request = self.build_request("GET", url, params=params)
        # httpx joins repeated names into one line when it merges headers; a scope keeps
        # each line, so they are set here, replacing the client's defaults of that name.
        pairs = [*handshake, *_pairs(headers)]
        names = {name.lower() for name, _ in pairs}
        request.headers = httpx2.Headers(
            [(n, v) for n, v in request.headers.multi_items() if n.lower() not in names] + pairs
        )
        session = WebSocketSession(
            self.app,
            websocket_scope(request, self._server, offered),
            self._server,
            timeout if timeout is not None else self._server.timeout,
        )
        await session._connect()
        try:
            yield session
        finally:
            await session.close()

    # -- lifespan ----------------------------------------------------------------------

    @asynccontextmanager
    async def lifespan(self, *, timeout: float | None = None) -> AsyncIterator[dict[str, Any]]:
        """Run the app's startup before the block and its shutdown after it; yields the
        lifespan state, a shallow copy of which every request's ``scope["state"]`` gets
        inside the block. A failed startup or shutdown raises
        :class:`LifespanFailedError` with the app's message."""
        server = self._server
        wait = timeout if timeout is not None else server.timeout
        state: dict[str, Any] = {}
        scope = {"type": "lifespan", "asgi": server.asgi(), "state": state}
        inbox: asyncio.Queue[Message] = asyncio.Queue()
        outbox = Outbox()
        failure: list[BaseException] = []

        async def send(message: Message) -> None:
            outbox.put(message)

        async def run() -> None:
            try:
                await self.app(scope, inbox.get, send)
            except Exception as exc:
                failure.append(exc)
            finally:
                outbox.finish()

        inbox.put_nowait({"type": "lifespan.startup"})
        task = server.start(run())
        await _lifespan_step(outbox, "startup", wait, failure)
        server.state = state
        try:
            yield state
        finally:
            server.state = None
            inbox.put_nowait({"type": "lifespan.shutdown"})
            await _lifespan_step(outbox, "shutdown", wait, failure)
            await wait_task(task, "the app did not return after shutdown", wait, outbox.sent)


async def _lifespan_step(
    outbox: Outbox, phase: str, timeout: float, failure: list[BaseException]
) -> None:
    message = await outbox.next(f"the app did not answer lifespan.{phase}", timeout)
    if message is None:
        cause = failure[0] if failure else None
        said = f"{type(cause).__name__}: {cause}" if cause else "it returned"
        raise LifespanFailedError(
            phase, f"the app ended before lifespan.{phase}.complete ({said})"
        ) from cause
    if message["type"] == f"lifespan.{phase}.failed":
        raise LifespanFailedError(phase, str(message.get("message", "")))
    if message["type"] != f"lifespan.{phase}.complete":
        raise LifespanFailedError(phase, f"unexpected message {message!r}")


def _pairs(headers: Headers | None) -> list[tuple[str, str]]:
    if headers is None:
        return []
    if isinstance(headers, Mapping):
        return list(headers.items())
    return list(headers)
