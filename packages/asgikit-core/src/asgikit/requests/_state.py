"""Per-request state: one slotted object under one private key of the ASGI scope.

Every :class:`~asgikit.requests.Request` built over the same scope (a middleware's, then
the handler's) finds this object and so agrees on the parsed headers, the body (unread,
being streamed, streamed away, or cached) and the response (status, headers, cookies,
NEW → STARTED → FINISHED). Parts that a request may never need (the receive side, the
response settings) are created on first use, so building a ``Request`` stays cheap.

The receive side is a single pump: whoever needs the next ASGI message (a body reader,
or the disconnect watcher of a streaming response) goes through
:meth:`Inbound.next_message`, so two tasks never wait on ``receive()`` at once and no
message is ever dropped: body messages the watcher takes are queued for the reader.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from asgikit.asgi import Message, Receive
from asgikit.errors import ClientDisconnectedError
from asgikit.responses._phase import ABORTED, NEW, STARTED

if TYPE_CHECKING:
    from asgikit.cookies import ResponseCookies
    from asgikit.headers import Headers, MutableHeaders
    from asgikit.multivalue import MultiValueDict

STATE_KEY = "asgikit.request"

DEFAULT_MAX_BODY_SIZE = 10 * 1024 * 1024
DEFAULT_MAX_QUERY_PARAMS = 1000
# The most body bytes queued for a later read while a streamed response watches for a
# gone client and nobody reads the body: past it the body is dropped, so that many such
# requests cannot hold max_body_size each.
MAX_PENDING_BODY = 1024 * 1024

# Body phases.
UNREAD = 0
STREAMING = 1
STREAMED = 2  # read by read_stream() and not kept
CACHED = 3
DISCARDED = 4  # nobody read it while a response streamed, and it outgrew the limit
FAILED = 5  # a read stopped on an error (too large, malformed, ...) part way through


class ResponseSettings:
    """What the application set on ``request.response`` before it started."""

    __slots__ = ("cookies", "encoding", "headers", "length", "media_type", "status")

    def __init__(self) -> None:
        self.status = 200
        self.headers: MutableHeaders | None = None
        self.cookies: ResponseCookies | None = None
        self.media_type: str | None = None
        self.encoding = "utf-8"
        self.length: int | None = None


class Inbound:
    """The receive side: body phase and cache, queued messages, disconnect."""

    __slots__ = (
        "body",
        "disconnected",
        "pending",
        "pending_bytes",
        "phase",
        "receiving",
        "waiters",
    )

    def __init__(self) -> None:
        self.phase = UNREAD
        self.body: bytes | None = None
        self.pending: deque[Message] | None = None
        self.pending_bytes = 0
        self.receiving = False
        self.waiters: list[asyncio.Future[None]] | None = None
        self.disconnected = False

    async def next_message(self, receive: Receive) -> Message:
        """The next ASGI message for a body reader, from the queue or from ``receive()``."""
        while True:
            pending = self.pending
            if pending:
                message = pending.popleft()
                self.pending_bytes -= len(message.get("body", b""))
                if self.waiters:
                    self._wake()  # the watcher may wait for the queue to drain
                return message
            if self.disconnected:
                raise ClientDisconnectedError("the client disconnected")
            if not self.receiving:
                break
            # Another task (the disconnect watcher) is waiting on receive(): wait for it
            # to hand the message over instead of calling receive() a second time.
            await self._wait()
        self.receiving = True
        try:
            message = await receive()
        finally:
            self.receiving = False
            if self.waiters:
                self._wake()
        if message["type"] == "http.disconnect":
            self.disconnected = True
        return message

    async def _wait(self) -> None:
        waiter = asyncio.get_running_loop().create_future()
        if self.waiters is None:
            self.waiters = []
        self.waiters.append(waiter)
        await waiter

    def _wake(self) -> None:
        waiters = self.waiters
        self.waiters = None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    async def watch_disconnect(self, receive: Receive, max_pending: int) -> None:
        """Return when ``http.disconnect`` comes.

        Body messages that arrive meanwhile are queued for the body reader, up to
        ``max_pending`` bytes. Past that, if a reader is streaming the body the watch
        waits for it to drain the queue; if nobody reads the body, it is dropped (a later
        read raises :class:`~asgikit.errors.BodyStateError`) and the watch goes on, so a
        gone client is noticed however much body it was sending. Unless a reader is
        streaming, the queue never holds more than ``max_pending`` bytes.
        """
        while not self.disconnected:
            if self.receiving:
                # A body reader is on receive(); it hands over what it gets.
                await self._wait()
                continue
            if self.pending_bytes > max_pending:
                if self.phase == STREAMING:
                    await self._wait()  # the reader wakes us as it takes messages
                    continue
                self.pending = None
                self.pending_bytes = 0
                self.phase = DISCARDED
            self.receiving = True
            try:
                message = await receive()
                if message["type"] == "http.disconnect":
                    self.disconnected = True
                    break
                size = len(message.get("body", b""))
                if (
                    self.phase != DISCARDED
                    and self.phase != STREAMING
                    and self.pending_bytes + size > max_pending
                ):
                    self.pending = None
                    self.pending_bytes = 0
                    self.phase = DISCARDED
                if self.phase != DISCARDED:
                    if self.pending is None:
                        self.pending = deque()
                    self.pending.append(message)
                    self.pending_bytes += size
            finally:
                self.receiving = False
                if self.waiters:
                    self._wake()


class RequestState:
    """Everything one request knows, shared by every ``Request`` over its scope."""

    __slots__ = (
        "bodyless",
        "cookies",
        "extras",
        "headers",
        "inbound",
        "max_body_size",
        "max_query_params",
        "on_stop",
        "phase",
        "query",
        "settings",
    )

    def __init__(self) -> None:
        self.headers: Headers | None = None
        self.query: MultiValueDict[str] | None = None
        self.cookies: MultiValueDict[str] | None = None
        self.inbound: Inbound | None = None
        self.settings: ResponseSettings | None = None
        self.phase = NEW
        # A started response that sends no body bytes (HEAD; 1xx, 204, 304).
        self.bodyless = False
        # Called when a started response moves on (FINISHED, ABORTED): a streaming writer
        # uses it to check the phase only then, not on every write.
        self.on_stop: Callable[[], None] | None = None
        self.max_body_size = DEFAULT_MAX_BODY_SIZE
        self.max_query_params = DEFAULT_MAX_QUERY_PARAMS
        # What optional packages keep per request (the websocket, ...), by package name.
        self.extras: dict[str, Any] | None = None

    def get_inbound(self) -> Inbound:
        inbound = self.inbound
        if inbound is None:
            inbound = self.inbound = Inbound()
        return inbound

    def mark_disconnected(self) -> None:
        """The client is gone: reads fail from now on, and a started response is ABORTED."""
        self.get_inbound().disconnected = True
        if self.phase == STARTED:
            self.stop(ABORTED)

    def stop(self, phase: int) -> None:
        """Move a started response to ``phase`` (FINISHED or ABORTED), telling its writer."""
        self.phase = phase
        if self.on_stop is not None:
            self.on_stop()

    def get_settings(self) -> ResponseSettings:
        settings = self.settings
        if settings is None:
            settings = self.settings = ResponseSettings()
        return settings
