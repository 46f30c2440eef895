"""Disconnects on purpose: before the whole body, after the headers, mid-stream; the
test then asserts what the app did."""

from __future__ import annotations

import asyncio

from asgikit.asgi import Message, Receive, Scope, Send
from asgikit.errors import ClientDisconnectedError
from asgikit.requests import Request
from asgikit.testclient import TestClient


async def test_leaving_before_the_whole_body_raises_in_the_app_and_cleanup_runs() -> None:
    seen: list[bytes] = []
    cleanup: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)
        try:
            async for chunk in request.read_stream():
                seen.append(chunk)
        finally:
            cleanup.append("done")

    async with TestClient(app) as client:
        exchange = await client.request_and_leave(
            "POST", "/upload", body=[b"part 1", b"part 2"], headers={"content-length": "100"}
        )
    assert seen == [b"part 1", b"part 2"]
    assert cleanup == ["done"]
    assert isinstance(exchange.exception, ClientDisconnectedError)
    assert exchange.client_left and exchange.finished
    assert exchange.sent == []


async def test_the_raw_messages_of_a_partial_body() -> None:
    received: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            received.append(message)
            if message["type"] == "http.disconnect":
                return

    async with TestClient(app) as client:
        await client.request_and_leave("POST", "/", body=[b"a", b"b"])
        await client.request_and_leave("POST", "/", body=[])
    assert received == [
        {"type": "http.request", "body": b"a", "more_body": True},
        {"type": "http.request", "body": b"b", "more_body": True},
        {"type": "http.disconnect"},
        {"type": "http.disconnect"},
    ]


async def test_an_app_that_answers_before_reading_the_body_is_left_too() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await Request(scope, receive, send).respond_status(413)

    async with TestClient(app) as client:
        exchange = await client.request_and_leave("POST", "/", body=[b"x" * 10])
    assert exchange.exception is None
    assert exchange.sent[0]["status"] == 413


async def test_leaving_after_the_headers_is_seen_by_wait_disconnected() -> None:
    events: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)
        async with request.response_writer(media_type="text/plain") as write:
            await write(b"")
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                events.append("stopped")
                raise

    async with TestClient(app) as client:
        async with client.stream("GET", "/") as response:
            assert response.status_code == 200
        assert events == ["stopped"]
