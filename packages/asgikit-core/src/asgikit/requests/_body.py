"""The request body: its state machine, the single receive pump, and the two readers.

Every phase of the body and every move between them is in this module, and each move
goes through :meth:`Inbound.transit` (:func:`read_body`, the path of every JSON request,
writes its check and stores out in place, as a Python call costs about 0.5% of a small
JSON exchange)::

    UNREAD ──read_stream() / read_bytes()──▶ STREAMING ──all of it, streamed──▶ STREAMED
                                                │ ├──all of it, kept───────────▶ CACHED
                                                │ └──an error part way through─▶ FAILED
    UNREAD ──unread while a response streams, past the bound──────────────────▶ DISCARDED

A read starts only from UNREAD (or serves the cache once CACHED); in any other phase it
is refused with :class:`~asgikit.errors.BodyStateError` saying why. The claim of
STREAMING comes before the first ``await``, so two concurrent reads cannot both start.

The receive side is a single pump: whoever needs the next ASGI message (a body reader,
the disconnect watcher of a streaming response, ``wait_disconnected()``,
``is_disconnected()``) goes through :class:`Inbound`, so two tasks never wait on
``receive()`` at once and no message is ever dropped: body messages that anyone but a
body reader takes are queued for the reader.

The disconnect signal never awaits ``receive()`` in the caller's task: one task per
request receives for every watcher (:meth:`Inbound.watch`), and asgikit never cancels
it. So a watcher that is cancelled (an ``asyncio.TaskGroup`` that stops racing the
disconnect, a streamed response that ends) leaves the message on its way instead of
losing it: some servers (granian) cannot take a ``receive()`` back once it started.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from enum import Enum
from typing import Final

from asgikit.asgi import Message, Receive
from asgikit.errors import (
    BadRequestError,
    BodyStateError,
    ClientDisconnectedError,
    ContentTooLargeError,
)

# The most body bytes queued for a later read while a streamed response watches for a
# gone client and nobody reads the body: past it the body is dropped, so that many such
# requests cannot hold max_body_size each.
MAX_PENDING_BODY: Final = 1024 * 1024


class BodyPhase(Enum):
    UNREAD = "unread"
    STREAMING = "being read"
    STREAMED = "streamed"  # read by read_stream() and not kept
    CACHED = "cached"
    DISCARDED = "discarded"  # unread while a response streamed, and it outgrew the bound
    FAILED = "failed"  # a read stopped on an error (too large, malformed, ...) part way


UNREAD: Final = BodyPhase.UNREAD
STREAMING: Final = BodyPhase.STREAMING
STREAMED: Final = BodyPhase.STREAMED
CACHED: Final = BodyPhase.CACHED
DISCARDED: Final = BodyPhase.DISCARDED
FAILED: Final = BodyPhase.FAILED

# Why a read is refused, by phase.
_REFUSALS: Final = {
    FAILED: "an earlier read of it failed part way through",
    STREAMING: "it is being streamed by read_stream()",
    DISCARDED: (
        "it was not read while the response streamed and grew past max_body_size, so "
        "it was dropped; read it before responding"
    ),
    STREAMED: (
        "read_stream() consumed it without keeping it; read it with read_bytes() first "
        "to keep it for later readers"
    ),
}


class Inbound:
    """The receive side: body phase and cache, queued messages, disconnect."""

    __slots__ = (
        "body",
        "disconnected",
        "listeners",
        "pending",
        "pending_bytes",
        "phase",
        "pump",
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
        # Who watches for a disconnect, and the task that receives for them.
        self.listeners: list[Callable[[], None]] | None = None
        self.pump: asyncio.Task[None] | None = None

    # -- the one transition ------------------------------------------------------------

    def transit(self, source: BodyPhase | None, target: BodyPhase) -> None:
        """Move from ``source`` (``None``: from any phase) to ``target``; the only place
        the body phase changes. In another phase, the error of :meth:`refusal`."""
        if source is not None and self.phase is not source:
            raise self.refusal()
        self.phase = target
        if self.waiters:
            self._wake()  # a pump waiting for a streaming reader must look again

    def refusal(self) -> Exception:
        """Why the body cannot be read now: the client is gone, or the phase says why."""
        if self.disconnected:
            return ClientDisconnectedError("cannot read the body: the client disconnected")
        why = _REFUSALS.get(self.phase, f"it is {self.phase.value}")
        return BodyStateError(f"cannot read the body: {why}")

    def claim(self) -> None:
        """UNREAD → STREAMING, before the first ``await`` of a read; else the refusal."""
        if self.disconnected:
            raise self.refusal()
        self.transit(UNREAD, STREAMING)

    def drop_pending(self) -> None:
        """Nobody reads the body while a response streams and it outgrew its bound."""
        self.pending = None
        self.pending_bytes = 0
        self.transit(None, DISCARDED)

    # -- the pump ----------------------------------------------------------------------

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

    def watch(
        self, receive: Receive, max_pending: int, on_gone: Callable[[], None]
    ) -> Callable[[], None]:
        """Call ``on_gone`` (at once, in the task that sees it) when ``http.disconnect``
        comes; returns the function that stops this watch.

        While anyone watches, a task (:meth:`_watch_loop`) takes the messages no body
        reader takes: body messages are queued for the reader, up to ``max_pending``
        bytes. Past that, if a reader is streaming the body the task waits for it to
        drain the queue; if nobody reads the body, it is dropped (a later read raises
        :class:`~asgikit.errors.BodyStateError`) and the watch goes on, so a gone client
        is noticed however much body it was sending. Unless a reader is streaming, the
        queue never holds more than ``max_pending`` bytes plus one message.

        Nothing cancels that task: once nobody watches, it stops after the ``receive()``
        it is on, if any, comes back; what that brings is queued or noted like the rest.
        So stopping a watch never loses a message, even on servers that cannot take a
        started ``receive()`` back (granian).
        """
        if self.disconnected:
            on_gone()
            return _nothing
        listeners = self.listeners
        if listeners is None:
            listeners = self.listeners = []
        listeners.append(on_gone)
        if self.pump is None:
            self._start_pump(receive, max_pending)

        def stop() -> None:
            if on_gone in listeners:
                listeners.remove(on_gone)

        return stop

    def _start_pump(self, receive: Receive, max_pending: int) -> None:
        self.pump = asyncio.get_running_loop().create_task(self._watch_loop(receive, max_pending))

    async def _watch_loop(self, receive: Receive, max_pending: int) -> None:
        """Receive for the watchers, while there are any; the first message always (what
        :meth:`poll_disconnect` starts it for)."""
        first = True
        try:
            while not self.disconnected and (first or self.listeners):
                first = False
                if self.receiving:
                    # A body reader is on receive(); it hands over what it gets.
                    await self._wait()
                    continue
                if self.pending_bytes > max_pending:
                    if self.phase is STREAMING:
                        await self._wait()  # the reader wakes us as it takes messages
                        continue
                    self.drop_pending()
                self.receiving = True
                try:
                    message = await receive()
                finally:
                    self.receiving = False
                    if self.waiters:
                        self._wake()
                if message["type"] == "http.disconnect":
                    self.disconnected = True
                    for on_gone in self.listeners or ():
                        on_gone()
                    self.listeners = None
                elif self.phase is not DISCARDED:
                    if self.pending is None:
                        self.pending = deque()
                    self.pending.append(message)
                    self.pending_bytes += len(message.get("body", b""))
        finally:
            self.pump = None

    async def poll_disconnect(self, receive: Receive, max_pending: int) -> bool:
        """Whether the client is known to be gone, after at most one turn of the event
        loop. ``receive()`` is polled only when nobody is receiving, no body reader is
        active and the queue is under ``max_pending`` bytes: a message ready at once is
        taken now, and one that is not stays on its way, as :meth:`watch` says."""
        if self.disconnected:
            return True
        if (
            self.receiving
            or self.pump is not None
            or self.phase is STREAMING
            or self.pending_bytes >= max_pending
        ):
            return False
        self._start_pump(receive, max_pending)
        await asyncio.sleep(0)  # the pump's first step: it receives what is ready
        return self.disconnected


def _nothing() -> None:
    pass


# -- the readers -------------------------------------------------------------------------


async def read_body(inbound: Inbound, receive: Receive, declared: int | None, limit: int) -> bytes:
    """What :meth:`Request.read_bytes` returns; ``declared`` is the Content-Length and
    ``limit`` the ``max_body_size`` in force."""
    if inbound.phase is CACHED:
        return inbound.body or b""
    # claim(), written out: this is the path of every JSON request (see the docstring).
    if inbound.phase is not UNREAD or inbound.disconnected:
        raise inbound.refusal()
    if declared is not None and declared > limit:
        raise _too_large(limit)  # nothing was read: a read with a higher limit may follow
    inbound.phase = STREAMING
    try:
        if inbound.pending or inbound.receiving:
            message = await inbound.next_message(receive)
        else:  # nobody else is receiving: skip the queue, but say we receive
            inbound.receiving = True
            try:
                message = await receive()
            finally:
                inbound.receiving = False
                if inbound.waiters:
                    inbound._wake()
        if message["type"] == "http.request" and not message.get("more_body", False):
            # The whole body in one message, the usual case: checked as the loop would.
            body: bytes = message.get("body", b"")
            if body:
                if len(body) > limit:
                    raise _too_large(limit)
                if declared is not None and len(body) > declared:
                    raise _too_long()
        else:
            body = await _read_messages(inbound, receive, declared, limit, message)
    except BaseException:
        inbound.transit(STREAMING, FAILED)
        raise
    inbound.body = body
    inbound.phase = CACHED  # transit(STREAMING, CACHED), written out
    return body


async def _read_messages(
    inbound: Inbound, receive: Receive, declared: int | None, limit: int, message: Message
) -> bytes:
    """The body of :func:`read_body` from ``message`` on, in as many messages as it takes."""
    chunks: list[bytes] = []
    received = 0
    while True:
        kind = message["type"]
        if kind == "http.request":
            chunk: bytes = message.get("body", b"")
            if chunk:
                received += len(chunk)
                if received > limit:
                    raise _too_large(limit)
                if declared is not None and received > declared:
                    raise _too_long()
                chunks.append(chunk)
            if not message.get("more_body", False):
                break
        elif kind == "http.disconnect":
            inbound.disconnected = True
            raise ClientDisconnectedError("the client disconnected while sending the body")
        # Through the queue's reader: a body in several messages is large, where a
        # coroutine level per message does not show.
        message = await inbound.next_message(receive)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _too_long() -> BadRequestError:
    return BadRequestError("the body is longer than its Content-Length")


def _too_large(limit: int) -> ContentTooLargeError:
    return ContentTooLargeError(
        f"the body is larger than {limit} bytes",
        limit=limit,
        option="max_body_size",
    )
