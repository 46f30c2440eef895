"""The body as it streams: the one async generator of requests, kept out of the compiled
build (mypyc does not compile async generators), so this module is always pure Python."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import TYPE_CHECKING

from asgikit.asgi import Receive
from asgikit.errors import BadRequestError, ClientDisconnectedError
from asgikit.requests._body import CACHED, FAILED, STREAMED, STREAMING, Inbound

if TYPE_CHECKING:
    from asgikit.requests import Request


async def read_stream(request: Request) -> AsyncGenerator[bytes, None]:
    """What :meth:`Request.read_stream` returns."""
    inbound = request._exchange.get_inbound()
    async with aclosing(stream_body(inbound, request._receive, request.content_length)) as body:
        async for chunk in body:
            yield chunk


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
