"""A departed client stops a streamed response whatever the producer does, and an
unread upload during a streamed response costs a bounded amount of memory.

Servers before ASGI 2.4 (uvicorn, granian, hypercorn) return from ``send()`` to a gone
client without raising and often without yielding to the event loop, so a producer
that never awaits anything else would never let the disconnect be noticed. The writer
yields to the loop every 256 writes, and starts watching for the client then if it was
not already.
"""

from __future__ import annotations

import asyncio
import tracemalloc
from collections.abc import AsyncIterator
from typing import Any

import pytest

from asgikit.asgi import Message
from asgikit.errors import BodyStateError, ClientDisconnectedError, ResponseStateError
from asgikit.requests import Request
from asgikit.testing import Channel, http_scope

MiB = 1024 * 1024


class GoneClient:
    """A server whose client has left: ``receive()`` says so at once, and ``send()``
    accepts everything without ever yielding to the event loop (as uvicorn, granian
    and hypercorn do before ASGI 2.4). ``send`` gives up after ``limit`` messages, so a
    producer that is never stopped fails the test instead of hanging it."""

    def __init__(self, limit: int = 200_000) -> None:
        self.limit = limit
        self.sent_bytes = 0
        self.sends = 0

    async def receive(self) -> Message:
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        self.sends += 1
        if self.sends > self.limit:
            raise AssertionError("the producer was never stopped")
        self.sent_bytes += len(message.get("body", b""))


@pytest.mark.parametrize("spec_version", ["2.3", "2.4"])
@pytest.mark.parametrize("size", [65536, 1])
async def test_an_endless_writer_stops_when_the_client_is_gone(
    spec_version: str, size: int
) -> None:
    server = GoneClient()
    request = Request(http_scope(spec_version=spec_version), server.receive, server.send)
    chunk = b"x" * size
    with pytest.raises(ClientDisconnectedError):
        async with request.response_writer() as write:
            while True:
                await write(chunk)
    # Counting, not timing: the stop came at the first pause (256 writes) or the next.
    assert server.sends <= 2 * 256 + 1
    assert not request.response.is_finished


@pytest.mark.parametrize("spec_version", ["2.3", "2.4"])
async def test_an_endless_stream_stops_when_the_client_is_gone(spec_version: str) -> None:
    server = GoneClient()
    request = Request(http_scope(spec_version=spec_version), server.receive, server.send)
    closed = False

    async def endless() -> AsyncIterator[bytes]:
        nonlocal closed
        try:
            while True:
                yield b"x" * 65536
        finally:
            closed = True

    with pytest.raises(ClientDisconnectedError):
        await request.respond_stream(endless())
    assert closed and server.sends <= 2 * 256 + 1


async def test_other_tasks_run_while_an_endless_writer_runs() -> None:
    """A producer on a live, never-yielding server still lets the loop serve others."""
    channel = Channel.with_body()
    request = Request(http_scope(spec_version="2.3"), channel.receive, channel.send)
    other_ran = asyncio.Event()

    async def other() -> None:
        other_ran.set()

    asyncio.get_running_loop().create_task(other())
    writes = 0
    async with request.response_writer() as write:
        while not other_ran.is_set():
            await write(b"x" * 65536)
            writes += 1
            assert writes <= 256, "the writer never yielded to the event loop"
    assert request.response.is_finished


def _upload(chunks: int, size: int = 65536) -> Any:
    """A client that sends ``chunks`` body messages of ``size`` fresh bytes, never
    holding them itself, then leaves."""
    sent = 0

    async def receive() -> Message:
        nonlocal sent
        if sent < chunks:
            sent += 1
            return {"type": "http.request", "body": b"u" * size, "more_body": True}
        await asyncio.sleep(0)
        return {"type": "http.disconnect"}

    return receive


async def test_an_unread_upload_during_a_stream_is_bounded_to_one_mib() -> None:
    # 8 MiB of body the app never reads, under the 10 MiB max_body_size.
    channel = Channel()
    request = Request(http_scope("POST", spec_version="2.3"), _upload(128), channel.send)
    tracemalloc.start()
    try:
        with pytest.raises(ClientDisconnectedError):
            async with request.response_writer() as write:
                await write(b"streaming")
                await asyncio.Event().wait()  # until the watcher sees the client leave
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1.5 * MiB


@pytest.mark.parametrize(("size", "kept"), [(MiB, True), (MiB + 1, False)])
async def test_an_unread_body_is_kept_up_to_one_mib(size: int, kept: bool) -> None:
    body = b"b" * size
    parts = [body[i : i + 65536] for i in range(0, size, 65536)]
    channel = Channel(
        {"type": "http.request", "body": part, "more_body": i < len(parts) - 1}
        for i, part in enumerate(parts)
    )
    request = Request(http_scope("POST", spec_version="2.3"), channel.receive, channel.send)
    async with request.response_writer() as write:
        await write(b"streaming")
        await asyncio.wait_for(channel.wait_for_receive_calls(len(parts) + 1), 5)
    if kept:
        assert await request.read_bytes() == body
    else:
        with pytest.raises(BodyStateError, match="dropped"):
            await request.read_bytes()


@pytest.mark.parametrize("spec_version", ["2.3", "2.4"])
async def test_the_writer_refuses_every_write_once_the_response_moved_on(
    spec_version: str,
) -> None:
    channel = Channel.with_body()
    request = Request(http_scope(spec_version=spec_version), channel.receive, channel.send)
    with pytest.raises(ResponseStateError, match="already finished"):
        async with request.response_writer() as write:
            await write(b"a")
            await request.response.end(b"b")
            await write(b"c")
    for _ in range(3):  # and again: the refusal does not wear off
        with pytest.raises(ResponseStateError, match="already finished"):
            await write(b"d")
    assert channel.body == b"ab"


@pytest.mark.parametrize("spec_version", ["2.3", "2.4"])
async def test_the_writer_refuses_every_write_once_the_client_left(spec_version: str) -> None:
    channel = Channel.with_body()
    request = Request(http_scope(spec_version=spec_version), channel.receive, channel.send)
    other = Request(request.scope, channel.receive, channel.send)
    with pytest.raises(ClientDisconnectedError):  # leaving the block cannot end it either
        async with request.response_writer() as write:
            await write(b"a")
            channel.send_error = OSError("gone")
            # Another Request over the scope learns the client left (ASGI 2.4 send error).
            with pytest.raises(ClientDisconnectedError):
                await other.response.write(b"b")
            channel.send_error = None
            for _ in range(3):
                with pytest.raises(ClientDisconnectedError):
                    await write(b"c")
    assert channel.body == b"a"
