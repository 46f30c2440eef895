"""Faults a review found in the receive pump and the response state machine, each with
the scenario that showed it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from asgikit.asgi import Message
from asgikit.errors import ClientDisconnectedError
from asgikit.requests import Request
from asgikit.responses import ResponsePhase
from asgikit.testing import Channel, http_scope


def make(**options: Any) -> tuple[Request, Channel]:
    channel = Channel()
    return Request(http_scope("POST", **options), channel.receive, channel.send), channel


async def test_a_body_read_and_a_disconnect_wait_never_receive_at_once() -> None:
    request, channel = make()
    reader = asyncio.create_task(request.read_bytes())
    await channel.wait_for_receive_calls(1)  # read_bytes() is on receive()
    waiter = asyncio.create_task(request.wait_disconnected())
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert channel.receive_calls == 1
    channel.push({"type": "http.request", "body": b"abc", "more_body": False})
    assert await reader == b"abc"
    channel.disconnect()
    await waiter
    assert channel.max_concurrent_receives == 1
    assert await request.is_disconnected()


async def test_a_stream_stopped_early_lets_the_disconnect_through() -> None:
    request, channel = make()
    request.max_body_size = 10
    waiter = asyncio.create_task(request.wait_disconnected())
    await asyncio.sleep(0)
    for _ in range(5):
        channel.push({"type": "http.request", "body": b"x" * 8, "more_body": True})
    stream = request.read_stream()
    assert await stream.__anext__() == b"x" * 8
    # The watcher has queued past the bound and waits for the streaming reader...
    await channel.wait_for_receive_calls(3)
    await stream.aclose()  # ...which stops reading early.
    channel.disconnect()
    await asyncio.wait_for(waiter, timeout=30)  # a guard only: it returns at once
    assert await request.is_disconnected()


async def test_a_refused_trailers_send_never_reopens_the_body() -> None:
    channel = Channel.with_body(b"")
    extensions: dict[str, Any] = {"http.response.trailers": {}}
    scope = http_scope(extensions=extensions, http_version="2")
    sent: list[Message] = []

    async def send(message: Message) -> None:
        if message["type"] == "http.response.trailers":
            raise RuntimeError("the server refused the trailers")
        sent.append(message)

    request = Request(scope, channel.receive, send)
    writer = request.response_writer(trailers=True)
    with pytest.raises(RuntimeError):
        async with writer as write:
            await write(b"data")
            await writer.send_trailers({"x-checksum": "abc"})
    assert request.response.phase is ResponsePhase.ABORTED
    with pytest.raises(ClientDisconnectedError):  # ABORTED refuses every respond
        await request.respond_text("again")
    ends = [m for m in sent if m["type"] == "http.response.body" and not m.get("more_body")]
    assert len(ends) == 1


@pytest.mark.parametrize("which", ["start", "body"])
async def test_a_cancelled_send_never_leads_to_a_second_start(which: str) -> None:
    channel = Channel.with_body(b"")
    sent: list[str] = []
    entered = asyncio.Event()

    async def slow_send(message: Message) -> None:
        sent.append(message["type"])  # the server wrote it; now it waits on the transport
        if message["type"] == f"http.response.{which}":
            entered.set()
            await asyncio.Event().wait()

    request = Request(http_scope(), channel.receive, slow_send)
    task = asyncio.create_task(request.respond_text("hello"))
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert request.response.phase is ResponsePhase.ABORTED
    with pytest.raises(ClientDisconnectedError):  # ABORTED refuses every respond
        await request.respond_text("error page")
    assert sent.count("http.response.start") == 1
