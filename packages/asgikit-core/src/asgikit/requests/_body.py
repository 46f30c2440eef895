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
or the disconnect watcher of a streaming response) goes through
:meth:`Inbound.next_message`, so two tasks never wait on ``receive()`` at once and no
message is ever dropped: body messages the watcher takes are queued for the reader.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncGenerator
from enum import Enum

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
MAX_PENDING_BODY = 1024 * 1024


class BodyPhase(Enum):
    UNREAD = "unread"
    STREAMING = "being read"
    STREAMED = "streamed"  # read by read_stream() and not kept
    CACHED = "cached"
    DISCARDED = "discarded"  # unread while a response streamed, and it outgrew the bound
    FAILED = "failed"  # a read stopped on an error (too large, malformed, ...) part way


UNREAD = BodyPhase.UNREAD
STREAMING = BodyPhase.STREAMING
STREAMED = BodyPhase.STREAMED
CACHED = BodyPhase.CACHED
DISCARDED = BodyPhase.DISCARDED
FAILED = BodyPhase.FAILED

# Why a read is refused, by phase.
_REFUSALS = {
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

    # -- the one transition ------------------------------------------------------------

    def transit(self, source: BodyPhase | None, target: BodyPhase) -> None:
        """Move from ``source`` (``None``: from any phase) to ``target``; the only place
        the body phase changes. In another phase, the error of :meth:`refusal`."""
        if source is not None and self.phase is not source:
            raise self.refusal()
        self.phase = target

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
                if self.phase is STREAMING:
                    await self._wait()  # the reader wakes us as it takes messages
                    continue
                self.drop_pending()
            self.receiving = True
            try:
                message = await receive()
                if message["type"] == "http.disconnect":
                    self.disconnected = True
                    break
                size = len(message.get("body", b""))
                phase = self.phase
                if (
                    phase is not DISCARDED
                    and phase is not STREAMING
                    and self.pending_bytes + size > max_pending
                ):
                    self.drop_pending()
                if self.phase is not DISCARDED:
                    if self.pending is None:
                        self.pending = deque()
                    self.pending.append(message)
                    self.pending_bytes += size
            finally:
                self.receiving = False
                if self.waiters:
                    self._wake()


# -- the readers -------------------------------------------------------------------------


async def stream_body(
    inbound: Inbound, receive: Receive, declared: int | None
) -> AsyncGenerator[bytes, None]:
    """What :meth:`Request.read_stream` yields; ``declared`` is the Content-Length."""
    if inbound.phase is CACHED:
        if inbound.body:
            yield inbound.body
        return
    inbound.claim()
    received = 0
    failed = False
    try:
        while True:
            message = await inbound.next_message(receive)
            kind = message["type"]
            if kind == "http.request":
                chunk: bytes = message.get("body", b"")
                if chunk:
                    received += len(chunk)
                    if declared is not None and received > declared:
                        raise BadRequestError("the body is longer than its Content-Length")
                    yield chunk
                if not message.get("more_body", False):
                    return
            elif kind == "http.disconnect":
                raise ClientDisconnectedError("the client disconnected while sending the body")
    except GeneratorExit:  # the reader stopped early: the rest is unread, not failed
        raise
    except BaseException:
        failed = True
        raise
    finally:
        inbound.transit(STREAMING, FAILED if failed else STREAMED)


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
    chunks: list[bytes] = []
    received = 0
    try:
        while True:
            if inbound.pending or inbound.receiving or inbound.disconnected:
                message = await inbound.next_message(receive)
            else:  # nobody else is receiving: skip the pump's bookkeeping
                message = await receive()
            kind = message["type"]
            if kind == "http.request":
                chunk: bytes = message.get("body", b"")
                if chunk:
                    received += len(chunk)
                    if received > limit:
                        raise _too_large(limit)
                    if declared is not None and received > declared:
                        raise BadRequestError("the body is longer than its Content-Length")
                    chunks.append(chunk)
                if not message.get("more_body", False):
                    break
            elif kind == "http.disconnect":
                inbound.disconnected = True
                raise ClientDisconnectedError("the client disconnected while sending the body")
    except BaseException:
        inbound.transit(STREAMING, FAILED)
        raise
    body = inbound.body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    inbound.phase = CACHED  # transit(STREAMING, CACHED), written out
    return body


def _too_large(limit: int) -> ContentTooLargeError:
    return ContentTooLargeError(
        f"the body is larger than {limit} bytes",
        limit=limit,
        option="max_body_size",
    )
