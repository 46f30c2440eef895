"""Streaming: the response returns at its start and is read while the app produces it;
closing it early is the client leaving, which the app sees."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from asgikit.asgi import Receive, Scope, Send
from asgikit.errors import ClientDisconnectedError
from asgikit.requests import Request
from asgikit.testclient import (
    SEND_BUFFER_BYTES,
    SEND_BUFFER_MESSAGES,
    ClientGoneError,
    TestClient,
    exchange_of,
)


class Ticker:
    """An endless raw ASGI stream: one chunk each time the test lets it go on."""

    def __init__(self) -> None:
        self.go = asyncio.Event()
        self.received: list[str] = []
        self.send_error: BaseException | None = None
        self.produced = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        waiter = asyncio.ensure_future(receive())
        try:
            while not waiter.done():
                self.produced += 1
                await send(
                    {
                        "type": "http.response.body",
                        "body": b"%d," % self.produced,
                        "more_body": True,
                    }
                )
                gate = asyncio.ensure_future(self.go.wait())
                await asyncio.wait({gate, waiter}, return_when=asyncio.FIRST_COMPLETED)
                gate.cancel()
                self.go.clear()
            self.received.append(waiter.result()["type"])
            await send({"type": "http.response.body", "body": b"late", "more_body": True})
        except ClientGoneError as exc:
            self.send_error = exc


async def test_an_endless_response_is_read_chunk_by_chunk_then_closed() -> None:
    app = Ticker()
    async with TestClient(app) as client, client.stream("GET", "/") as response:
        assert response.status_code == 200
        chunks = response.aiter_raw()
        assert await anext(chunks) == b"1,"
        app.go.set()
        assert await anext(chunks) == b"2,"
        # The app has produced exactly what was read: it runs as the test reads.
        assert app.produced == 2
    # Leaving the block closed the response before its end: the app saw the client leave
    # and, under ASGI 2.4, a send after that raised an OSError.
    assert app.received == ["http.disconnect"]
    assert isinstance(app.send_error, ClientGoneError)
    exchange = exchange_of(response)
    assert exchange.client_left and exchange.finished
    assert [m["body"] for m in exchange.sent[1:]] == [b"1,", b"2,"]


async def test_under_spec_2_3_a_send_after_the_client_left_is_dropped() -> None:
    app = Ticker()
    async with TestClient(app, spec_version="2.3") as client:
        async with client.stream("GET", "/") as response:
            assert await anext(response.aiter_raw()) == b"1,"
        assert app.received == ["http.disconnect"]
        assert app.send_error is None
        assert b"late" not in [m.get("body") for m in exchange_of(response).sent]


async def test_an_asgikit_stream_stops_and_cleans_up_when_the_client_leaves() -> None:
    cleanup: list[str] = []
    errors: list[BaseException] = []

    async def numbers() -> AsyncIterator[str]:
        try:
            n = 0
            while True:
                n += 1
                yield f"{n}\n"
                await asyncio.sleep(0)
        finally:
            cleanup.append("closed")

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await Request(scope, receive, send).respond_stream(numbers(), media_type="text/plain")
        except ClientDisconnectedError as exc:
            errors.append(exc)

    async with TestClient(app) as client:
        async with client.stream("GET", "/") as response:
            assert response.headers["content-type"] == "text/plain; charset=utf-8"
            lines = response.aiter_lines()
            assert [await anext(lines) for _ in range(3)] == ["1", "2", "3"]
        # The app task has returned when the block is left: cleanup already ran.
        assert cleanup == ["closed"]
        assert len(errors) == 1
        assert exchange_of(response).finished


async def test_a_stream_read_to_its_end_waits_for_the_app_to_return() -> None:
    after: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for part in (b"a", b"b", b"c"):
            await send({"type": "http.response.body", "body": part, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        # After the response: a real server's receive() tells of the disconnect later.
        after.append((await receive())["type"])

    async with TestClient(app) as client:
        response = await client.get("/")
        assert response.content == b"abc"
        assert after == ["http.disconnect"]
        assert not exchange_of(response).client_left


async def test_an_app_error_after_the_client_left_is_kept_not_raised() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"a", "more_body": True})
        while (await receive())["type"] != "http.disconnect":
            pass
        raise LookupError("cleanup failed")

    async with TestClient(app) as client:
        async with client.stream("GET", "/") as response:
            await anext(response.aiter_raw())
        exception = exchange_of(response).exception
        assert isinstance(exception, LookupError)


@pytest.mark.parametrize("head", [False, True])
async def test_pathsend_is_served_by_reading_the_file(tmp_path: object, head: bool) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "f.txt"
    path.write_bytes(b"file body")

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.pathsend", "path": str(path)})

    async with TestClient(app) as client:
        response = await client.request("HEAD" if head else "GET", "/")
    assert response.content == (b"" if head else b"file body")
    assert exchange_of(response).sent[1] == {"type": "http.response.pathsend", "path": str(path)}


class Flood:
    """An endless raw ASGI stream that never waits for anything but its own send()."""

    def __init__(self, chunk: bytes) -> None:
        self.chunk = chunk
        self.sends_returned = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        self.sends_returned += 1
        while True:
            await send({"type": "http.response.body", "body": self.chunk, "more_body": True})
            self.sends_returned += 1
            await asyncio.sleep(0)  # a turn for the loop, as a real app awaits something


async def turns(count: int) -> None:
    """Let the app's task run ``count`` more steps (no wall clock involved)."""
    for _ in range(count):
        await asyncio.sleep(0)


@pytest.mark.parametrize(
    ("chunk", "held"),
    [(b"x", SEND_BUFFER_MESSAGES), (b"x" * 65536, SEND_BUFFER_BYTES // 65536)],
    ids=["messages", "bytes"],
)
async def test_an_endless_producer_is_held_to_the_buffer_while_the_test_reads_nothing(
    chunk: bytes, held: int
) -> None:
    app = Flood(chunk)
    async with TestClient(app) as client, client.stream("GET", "/") as response:
        await turns(4 * SEND_BUFFER_MESSAGES)
        # The start was taken by the client; the bodies wait in the buffer, full.
        assert app.sends_returned == 1 + held
        assert len(exchange_of(response).sent) == 1 + held
        chunks = response.aiter_raw()
        for _ in range(3):
            assert await anext(chunks) == chunk
        await turns(4 * SEND_BUFFER_MESSAGES)
        # Each chunk read made room for one more send, and no more.
        assert app.sends_returned == 1 + held + 3


async def test_a_producer_held_by_the_buffer_sees_the_client_leave() -> None:
    app = Flood(b"x")
    async with TestClient(app) as client:
        async with client.stream("GET", "/") as response:
            await turns(4 * SEND_BUFFER_MESSAGES)
            assert app.sends_returned == 1 + SEND_BUFFER_MESSAGES
        # Its waiting send() raised when the client left: the app ended, not the bound.
        exchange = exchange_of(response)
        assert exchange.client_left and exchange.finished
        assert isinstance(exchange.exception, ClientGoneError)
