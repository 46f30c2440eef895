"""Bounded: every wait has a timeout that fails the test with what the app had sent."""

from __future__ import annotations

import asyncio
import re

import pytest

from asgikit.asgi import Receive, Scope, Send
from asgikit.testclient import DEFAULT_TIMEOUT, AppTimeoutError, TestClient, exchange_of


async def stalls_after_one_chunk(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"x", b"1")]})
    await send({"type": "http.response.body", "body": b"first", "more_body": True})
    await asyncio.Event().wait()


cancelled: list[str] = []


async def never_starts(scope: Scope, receive: Receive, send: Send) -> None:
    try:
        await asyncio.Event().wait()
    except asyncio.CancelledError:
        cancelled.append(scope["path"])
        raise


def test_the_default_bound() -> None:
    assert DEFAULT_TIMEOUT == 5.0


async def test_a_response_that_never_starts() -> None:
    async with TestClient(never_starts, timeout=0.01) as client:
        with pytest.raises(AppTimeoutError) as timeout:
            await client.get("/never")
        assert cancelled == ["/never"]
    assert str(timeout.value) == (
        "the app sent no http.response.start within 0.01 s (timeout=0.01); "
        "the app had sent:\n  (nothing)"
    )
    assert timeout.value.sent == []


async def test_a_body_that_stalls_lists_what_was_sent() -> None:
    async with TestClient(stalls_after_one_chunk, timeout=0.01) as client:
        with pytest.raises(AppTimeoutError) as timeout:
            await client.get("/")
    message = str(timeout.value)
    assert message.startswith("the app sent no more of the response body within 0.01 s")
    assert "'http.response.start'" in message and "b'first'" in message


async def test_a_per_request_timeout_overrides_the_client_default() -> None:
    async with TestClient(stalls_after_one_chunk) as client:
        with pytest.raises(AppTimeoutError, match=re.escape("within 0.02 s")):
            await client.get("/", timeout=0.02)


async def test_an_app_that_ignores_the_disconnect_fails_bounded_and_is_cancelled() -> None:
    cancelled: list[bool] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"x", "more_body": True})
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    async with TestClient(app, timeout=0.01) as client:
        with pytest.raises(AppTimeoutError, match="the app did not finish after the client left"):
            async with client.stream("GET", "/") as response:
                await anext(response.aiter_raw())
    assert cancelled == [True]
    assert exchange_of(response).client_left


async def test_long_bodies_are_cut_in_the_message() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for _ in range(25):
            await send({"type": "http.response.body", "body": b"y" * 100, "more_body": True})
        await asyncio.Event().wait()

    async with TestClient(app, timeout=0.01) as client:
        with pytest.raises(AppTimeoutError) as timeout:
            await client.get("/")
    message = str(timeout.value)
    assert "... 6 earlier messages" in message
    assert "y" * 61 not in message and "y" * 60 + "..." in message


async def test_long_text_is_cut_in_the_message_too() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept", "subprotocol": "p" * 100})
        await asyncio.Event().wait()

    async with TestClient(app, timeout=0.01) as client:
        with pytest.raises(AppTimeoutError) as timeout:
            async with client.websocket_connect("/", subprotocols=["p" * 100]) as ws:
                await ws.receive()
    assert "p" * 60 + "..." in str(timeout.value)


async def test_tasks_left_running_are_cancelled_when_the_client_closes() -> None:
    cancelled: list[bool] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    client = TestClient(app)
    async with client:
        session = client.websocket_connect("/")
        await session.__aenter__()
    assert cancelled == [True]
