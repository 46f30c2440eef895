"""asgikit-websockets through real servers with the websockets client library.

Every test runs against uvicorn (websockets and wsproto backends), granian and hypercorn
unless it says otherwise. What the server side saw is read back over HTTP from the app
(``/closed/<key>`` waits for it), never guessed after a sleep.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

SERVERS = ["uvicorn", "uvicorn-wsproto", "granian", "hypercorn"]

# What a server does not pass on, measured with the versions in uv.lock; asgikit hands the
# application exactly what the server gives it.
NO_CLIENT_CLOSE_CODE = {"hypercorn"}  # hypercorn 0.18: every client close arrives as 1006
NO_CLIENT_CLOSE_REASON = {"granian", "hypercorn"}  # websocket.disconnect without "reason"
NO_ACCEPT_HEADERS = {"granian"}  # granian 2.8 ignores "headers" in websocket.accept


@pytest.fixture(params=SERVERS)
def server(request: pytest.FixtureRequest, serve: Callable[..., Any]) -> Any:
    return serve("websockets_app:app", request.param)


async def closed_with(ws: ClientConnection) -> tuple[int, str]:
    """Wait for the server's close frame; its code and reason."""
    with pytest.raises(ConnectionClosed) as info:
        async with asyncio.timeout(10):
            while True:
                await ws.recv()
    rcvd = info.value.rcvd
    assert rcvd is not None, "the server closed without a close frame"
    return rcvd.code, rcvd.reason


async def test_echo_text_bytes_and_empty(server: Any) -> None:
    messages: list[str | bytes] = ["hello", "", "snow ☃ 🎉", b"\x00\x01\xff", b"", "x" * 65536]
    async with connect(f"{server.ws_url}/echo") as ws:
        for message in messages:
            await ws.send(message)
            echoed = await ws.recv()
            assert echoed == message
            assert type(echoed) is type(message)


async def test_echo_json(server: Any) -> None:
    async with connect(f"{server.ws_url}/json") as ws:
        for value in [{"a": [1, 2.5, None, True]}, "☃", 0, [], None]:
            await ws.send(json.dumps(value))
            assert json.loads(await ws.recv()) == {"echo": value}
        await ws.send(json.dumps([1]).encode())  # JSON in a binary frame is read as well
        assert json.loads(await ws.recv()) == {"echo": [1]}


async def test_handshake_details_reach_the_app(server: Any) -> None:
    async with connect(
        f"{server.ws_url}/info?room=lobby&x=1",
        additional_headers={"Cookie": "session=abc", "X-Client": "tests"},
    ) as ws:
        data = json.loads(await ws.recv())
    assert data == {
        "path": "/info",
        "query": {"room": "lobby", "x": "1"},
        "cookies": {"session": "abc"},
        "header": "tests",
    }


@pytest.mark.parametrize(
    ("code", "reason", "expected"),
    [
        (4003, "going home", (4003, "going home")),
        (1001, "", (1001, "")),
        (None, "", (1005, "")),  # a close frame without a code: the server sees 1005
    ],
    ids=["code-and-reason", "code-only", "no-code"],
)
async def test_client_close_code_seen_by_the_app(
    server: Any, code: int | None, reason: str, expected: tuple[int, str]
) -> None:
    key = uuid.uuid4().hex
    async with connect(f"{server.ws_url}/record?key={key}") as ws:
        await ws.send("ping")
        assert await ws.recv() == "ping"
        await ws.close(code, reason)  # type: ignore[arg-type]  # None: no status code
    async with httpx.AsyncClient(timeout=15) as client:
        response = await client.get(f"{server.url}/closed/{key}")
    assert response.status_code == 200, response.text
    expected_code, expected_reason = expected
    if server.server in NO_CLIENT_CLOSE_CODE:
        expected_code = 1006
    if server.server in NO_CLIENT_CLOSE_REASON:
        expected_reason = ""
    assert response.json() == {"code": expected_code, "reason": expected_reason}


async def test_server_close_code_and_reason_seen_by_the_client(server: Any) -> None:
    async with connect(f"{server.ws_url}/server-close") as ws:
        await ws.send("alice")
        assert await closed_with(ws) == (4001, "bye alice")


async def test_subprotocol_negotiation(server: Any) -> None:
    async with connect(f"{server.ws_url}/subprotocol", subprotocols=["chat.v1", "chat.v2"]) as ws:  # type: ignore[list-item]
        assert ws.subprotocol == "chat.v2"
        data = json.loads(await ws.recv())
        assert data == {"offered": ["chat.v1", "chat.v2"], "chosen": "chat.v2"}
        assert ws.response is not None
        if server.server not in NO_ACCEPT_HEADERS:
            assert ws.response.headers.get("x-asgikit") == "yes"
    async with connect(f"{server.ws_url}/subprotocol") as ws:
        assert ws.subprotocol is None
        assert json.loads(await ws.recv()) == {"offered": [], "chosen": None}


async def test_denial_response(server: Any) -> None:
    with pytest.raises(InvalidStatus) as info:
        async with connect(f"{server.ws_url}/deny"):
            pass
    response = info.value.response
    # Every one of these servers offers the websocket.http.response extension.
    assert response.status_code == 401
    assert response.body == b"no entry"
    assert response.headers.get("x-denied") == "yes"


async def test_close_before_accept_is_403(server: Any) -> None:
    with pytest.raises(InvalidStatus) as info:
        async with connect(f"{server.ws_url}/reject"):
            pass
    assert info.value.response.status_code == 403


async def test_message_size_guard_closes_with_1009(server: Any) -> None:
    async with connect(f"{server.ws_url}/limited") as ws:
        await ws.send("x" * 1024)  # exactly the limit: fine
        assert await ws.recv() == "x" * 1024
        await ws.send("é" * 513)  # 513 characters, 1026 bytes in UTF-8
        assert await closed_with(ws) == (1009, "message too big")


# What each server logs when an application raises.
APP_EXCEPTION_LOGS = (
    "Exception in ASGI application",  # uvicorn
    "Application callable raised an exception",  # granian
    "Error in ASGI Framework",  # hypercorn
    "Traceback",
    "MessageTooBigError",
)


@pytest.mark.parametrize("message", ["é" * 513, b"x" * 1025], ids=["text", "bytes"])
async def test_size_guard_ends_the_seed_loop_without_a_server_error(
    server: Any, message: str | bytes
) -> None:
    """Issue 10: after the 1009 close, MessageTooBigError escaped the seed's echo loop
    and the server logged "Exception in ASGI application" for every oversize message."""
    key = uuid.uuid4().hex
    async with connect(f"{server.ws_url}/seed-limited?key={key}") as ws:
        await ws.send("hi")
        assert await ws.recv() == "hi"
        await ws.send(message)
        assert await closed_with(ws) == (1009, "message too big")
    async with httpx.AsyncClient(timeout=15) as client:
        response = await client.get(f"{server.url}/closed/{key}")  # the handler has ended
    assert response.json() == {"code": 1009, "reason": "message too big"}
    log = server.stop()
    for line in APP_EXCEPTION_LOGS:
        assert line not in log, log


async def test_many_concurrent_connections_lose_nothing(serve: Callable[..., Any]) -> None:
    server = serve("websockets_app:app", "uvicorn")
    connections, messages = 1000, 100

    async def client(n: int) -> int:
        async with connect(f"{server.ws_url}/echo", open_timeout=60, ping_interval=None) as ws:
            for i in range(messages):
                sent = f"{n}:{i}"
                await ws.send(sent)
                assert await ws.recv() == sent
            return messages

    async with asyncio.timeout(180):
        done = await asyncio.gather(*(client(n) for n in range(connections)))
    assert sum(done) == connections * messages
