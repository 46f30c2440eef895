"""Streamed responses, Server-Sent Events and the disconnect signal end to end, as a
client sees them, through asgikit-testclient (a test-only dependency): the client reads
while the app produces, then leaves, and the test asserts what the app did."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from asgikit.asgi import Receive, Scope, Send
from asgikit.errors import ClientDisconnectedError
from asgikit.requests import Request
from asgikit.responses import ServerSentEvent
from asgikit.testclient import ServerSentEvent as Received
from asgikit.testclient import TestClient, exchange_of

SPECS = pytest.mark.parametrize("spec_version", ["2.3", "2.4"])


@SPECS
async def test_an_endless_event_stream_ends_when_the_browser_leaves(spec_version: str) -> None:
    closed: list[int] = []
    finished: list[bool] = []

    async def events() -> AsyncIterator[ServerSentEvent | str]:
        n = 0
        try:
            while True:
                n += 1
                if n % 2:
                    yield ServerSentEvent(f"line one\nline {n}", event="tick", id=str(n))
                else:
                    yield f"plain {n}"
                await asyncio.sleep(0)
        finally:
            closed.append(n)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)
        await request.respond_event_stream(events(), ping_interval=None)
        finished.append(request.response.is_finished)

    async with TestClient(app, spec_version=spec_version) as client:
        async with client.event_stream("/events") as stream:
            assert stream.response.headers["cache-control"] == "no-cache"
            received = [await anext(stream) for _ in range(3)]
        assert received == [
            Received("tick", "line one\nline 1", "1", None),
            Received("message", "plain 2", "1", None),  # the last event ID carries on
            Received("tick", "line one\nline 3", "3", None),
        ]
        # respond_event_stream returned normally, the generator closed, the response
        # left unfinished: a client leaving is how an event stream ends.
        assert closed and finished == [False]
        assert exchange_of(stream.response).exception is None


@SPECS
async def test_a_writer_block_is_stopped_when_the_client_leaves(spec_version: str) -> None:
    outcome: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)
        try:
            async with request.response_writer(media_type="text/plain") as write:
                n = 0
                while True:
                    n += 1
                    await write(f"{n}\n")
                    await asyncio.sleep(0)
        except ClientDisconnectedError:
            outcome.append("stopped")

    async with TestClient(app, spec_version=spec_version) as client:
        async with client.stream("GET", "/") as response:
            lines = response.aiter_lines()
            assert [await anext(lines) for _ in range(2)] == ["1", "2"]
        assert outcome == ["stopped"]
        assert exchange_of(response).client_left


async def test_wait_disconnected_returns_when_the_client_leaves_after_the_headers() -> None:
    seen: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)
        async with request.response_writer(media_type="text/plain") as write:
            await write("waiting\n")
            await request.wait_disconnected()
            seen.append("gone")
            await write("never read")

    async with TestClient(app) as client:
        async with client.stream("GET", "/") as response:
            assert await anext(response.aiter_lines()) == "waiting"
        assert seen == ["gone"]


async def test_a_head_request_gets_the_headers_and_the_stream_is_not_run() -> None:
    ran: list[bool] = []

    async def chunks() -> AsyncIterator[bytes]:
        ran.append(True)
        yield b"body"

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await Request(scope, receive, send).respond_stream(chunks(), media_type="text/csv")

    async with TestClient(app) as client:
        head = await client.head("/")
        assert head.headers["content-type"] == "text/csv; charset=utf-8"
        assert head.content == b"" and ran == []
        assert (await client.get("/")).content == b"body"


async def test_early_hints_reach_the_client_only_where_the_server_offers_them() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)
        sent = await request.send_early_hints(["</a.css>; rel=preload; as=style"])
        await request.respond_text(str(sent))

    async with TestClient(app) as client:
        response = await client.get("/")
    assert response.text == "True"
    assert exchange_of(response).early_hints == [["</a.css>; rel=preload; as=style"]]
    async with TestClient(app, extensions={}) as client:
        response = await client.get("/")
    assert response.text == "False"
    assert exchange_of(response).early_hints == []
