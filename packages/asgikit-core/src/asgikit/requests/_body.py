"""Reading the request body: streamed as it arrives, or whole and kept for every reader."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from asgikit.asgi import Receive
from asgikit.errors import (
    BadRequestError,
    BodyStateError,
    ClientDisconnectedError,
    ContentTooLargeError,
)
from asgikit.requests._state import (
    CACHED,
    DISCARDED,
    FAILED,
    STREAMED,
    STREAMING,
    UNREAD,
    Inbound,
    RequestState,
)


def check_readable(inbound: Inbound) -> None:
    if inbound.disconnected:
        raise ClientDisconnectedError("the client disconnected")
    phase = inbound.phase
    if phase == UNREAD:
        return
    if phase == FAILED:
        raise BodyStateError("cannot read the body: an earlier read of it failed part way through")
    if phase == STREAMING:
        raise BodyStateError("cannot read the body: it is being streamed by read_stream()")
    if phase == DISCARDED:
        raise BodyStateError(
            "cannot read the body: it was not read while the response streamed and "
            "grew past max_body_size, so it was dropped; read it before responding"
        )
    if phase == STREAMED:
        raise BodyStateError(
            "cannot read the body: read_stream() consumed it without keeping it; "
            "read it with read_bytes() first to keep it for later readers"
        )


async def stream_body(
    state: RequestState, receive: Receive, declared: int | None
) -> AsyncGenerator[bytes, None]:
    """Yield the body in the chunks it arrives in; nothing is kept.

    A body already read in full is yielded from the cache. Raises
    :class:`ClientDisconnectedError` when the client goes away, and a 400 error when
    more bytes arrive than Content-Length declared. Not capped: streaming is for
    bodies of any size.
    """
    inbound = state.get_inbound()
    if inbound.phase == CACHED:
        if inbound.body:
            yield inbound.body
        return
    check_readable(inbound)
    inbound.phase = STREAMING
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
        inbound.phase = FAILED if failed else STREAMED


async def read_body(
    state: RequestState, receive: Receive, declared: int | None, max_body_size: int | None
) -> bytes:
    """The whole body, kept so that every later read over this scope gets it too.

    At most ``max_body_size`` bytes (default :attr:`max_body_size`): a declared
    Content-Length over it fails at once, and the bytes that arrive are counted so
    that a body without (or lying about) its length fails as soon as it crosses the
    limit, with :class:`ContentTooLargeError` (413).
    """
    inbound = state.get_inbound()
    if inbound.phase == CACHED:
        return inbound.body or b""
    check_readable(inbound)
    limit = state.max_body_size if max_body_size is None else max_body_size
    if declared is not None and declared > limit:
        raise _too_large(limit)
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
        inbound.phase = FAILED
        raise
    body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    inbound.body = body
    inbound.phase = CACHED
    return body


def _too_large(limit: int) -> ContentTooLargeError:
    return ContentTooLargeError(
        f"the body is larger than {limit} bytes",
        limit=limit,
        option="max_body_size",
    )
