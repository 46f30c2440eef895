"""Each cell of the README's comparison table, shown: this client, httpx's
``ASGITransport`` and Starlette's ``TestClient`` on the same small apps.

What the peers cannot do is shown under a bound (``asyncio.wait_for`` or a thread
joined with a timeout), so no test here can hang.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient as StarletteTestClient

from asgikit.asgi import Message, Receive, Scope, Send
from asgikit.testclient import AppTimeoutError, TestClient, WebSocketDenied

# A bound for what must NOT finish: long enough that the peer had every chance (these
# apps produce their first event at once), short enough to keep the run quick.
PEER_BOUND = 0.5


async def read_body(receive: Receive) -> None:
    # httpx's ASGITransport sends an empty chunk with more_body=True first.
    while (await receive()).get("more_body", False):
        pass


class EndlessEvents:
    """An endless SSE app: one event per loop, until the client leaves or ``stop``."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.disconnected = False
        self.cancelled = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await read_body(receive)
        await send(
            {"type": "http.response.start", "status": 200,
             "headers": [(b"content-type", b"text/event-stream")]}
        )  # fmt: skip
        waiter = asyncio.ensure_future(receive())
        n = 0
        try:
            while not self.stop.is_set() and not waiter.done():
                n += 1
                body = b"data: %d\n\n" % n
                await send({"type": "http.response.body", "body": body, "more_body": True})
                await asyncio.sleep(0)
            if self.stop.is_set():
                waiter.cancel()
                await send({"type": "http.response.body", "body": b""})
                return
        except OSError:  # ASGI 2.4: a send after the client left
            pass
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        self.disconnected = (await waiter)["type"] == "http.disconnect"


# -- streaming an endless response, SSE, disconnect mid-stream -------------------------


async def test_this_client_reads_an_endless_stream_and_the_app_sees_the_close() -> None:
    app = EndlessEvents()
    async with TestClient(app) as client:
        async with client.event_stream("/") as events:
            assert [(await anext(events)).data for _ in range(3)] == ["1", "2", "3"]
        assert app.disconnected


async def test_httpx_asgitransport_never_returns_an_endless_stream() -> None:
    app = EndlessEvents()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t")

    async def first_chunk() -> bytes:
        async with client.stream("GET", "/") as response:
            return await anext(response.aiter_raw())

    with pytest.raises(TimeoutError):
        await asyncio.wait_for(first_chunk(), PEER_BOUND)
    await client.aclose()
    assert not app.disconnected


def test_starlette_testclient_streams_but_cancels_the_app_on_close() -> None:
    app = EndlessEvents()
    with StarletteTestClient(app).stream("GET", "/") as response:
        assert next(response.iter_raw()) == b"data: 1\n\n"
    # Leaving early cancels the app: no http.disconnect, no normal cleanup path.
    assert app.cancelled
    assert not app.disconnected


# -- bounded waits ----------------------------------------------------------------------


async def silent(scope: Scope, receive: Receive, send: Send) -> None:
    await asyncio.Event().wait()


async def test_this_client_bounds_a_silent_app() -> None:
    async with TestClient(silent, timeout=0.01) as client:
        with pytest.raises(AppTimeoutError, match=re.escape("the app sent no http.response.start")):
            await client.get("/")


class Silent:
    """Answers only when the test lets it, from any thread."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release: Callable[[], object] = lambda: None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        loop, go = asyncio.get_running_loop(), asyncio.Event()
        self.release = lambda: loop.call_soon_threadsafe(go.set)
        self.started.set()
        await go.wait()
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def test_starlette_testclient_waits_on_a_silent_app_forever() -> None:
    app = Silent()
    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(StarletteTestClient(app).get, "/")
        assert app.started.wait(30)
        with pytest.raises(FutureTimeout):
            future.result(PEER_BOUND)
        app.release()
        assert future.result(30).status_code == 204


async def test_httpx_asgitransport_waits_on_a_silent_app_forever() -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(silent), base_url="http://t") as c:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(c.get("/"), PEER_BOUND)


# -- websockets ------------------------------------------------------------------------


async def websocket_or_http(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "websocket":
        await receive()
        await send({"type": "websocket.accept"})
        await receive()
        return
    await send({"type": "http.response.start", "status": 426, "headers": []})
    await send({"type": "http.response.body", "body": scope["type"].encode()})


async def test_httpx_asgitransport_has_no_websockets() -> None:
    transport = httpx.ASGITransport(websocket_or_http)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/", headers={"upgrade": "websocket", "connection": "upgrade"})
    # The upgrade request reaches the app as plain HTTP.
    assert (response.status_code, response.text) == (426, "http")


class AfterClose:
    """A handler whose work after the client's close awaits something (a broker, a
    database): the "left the room" broadcast."""

    def __init__(self, gate: asyncio.Event | None) -> None:
        self.gate = gate
        self.log: list[str] = []
        self.closed = asyncio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        message: Message = await receive()
        self.log.append(message["type"])
        self.closed.set()
        try:
            await (self.gate or asyncio.Event()).wait()
            self.log.append("left broadcast")
        except asyncio.CancelledError:
            self.log.append("cancelled")
            raise


async def test_this_client_lets_the_handler_finish_after_a_close() -> None:
    gate = asyncio.Event()
    app = AfterClose(gate)
    async with TestClient(app) as client, client.websocket_connect("/") as ws:
        closing = asyncio.ensure_future(ws.close(1001))
        await asyncio.wait_for(app.closed.wait(), 5)  # the handler got the close...
        assert app.log == ["websocket.disconnect"]  # ...and waits on its work
        assert not closing.done()
        gate.set()  # the work completes...
        await closing  # ...and close() returned once the handler had returned
        assert app.log == ["websocket.disconnect", "left broadcast"]


def test_starlette_testclient_cancels_the_handler_on_close() -> None:
    app = AfterClose(None)
    with StarletteTestClient(app).websocket_connect("/") as ws:
        ws.close(1001)
    assert app.log == ["websocket.disconnect", "cancelled"]


async def deny(scope: Scope, receive: Receive, send: Send) -> None:
    await receive()
    await send(
        {"type": "websocket.http.response.start", "status": 401, "headers": [(b"x-why", b"token")]}
    )
    await send({"type": "websocket.http.response.body", "body": b"no token"})


async def test_this_client_returns_the_denial_response() -> None:
    async with TestClient(deny) as client:
        with pytest.raises(WebSocketDenied) as denied:
            async with client.websocket_connect("/"):
                pass  # pragma: no cover
    assert (denied.value.status, denied.value.body) == (401, b"no token")


def test_starlette_testclient_returns_the_denial_response() -> None:
    from starlette.testclient import WebSocketDenialResponse

    with (
        pytest.raises(WebSocketDenialResponse) as denied,
        StarletteTestClient(deny).websocket_connect("/"),
    ):
        pass  # pragma: no cover
    assert (denied.value.status_code, denied.value.content) == (401, b"no token")


# -- lifespan, server differences, the event loop ----------------------------------------


async def lifespan_or_http(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await receive()
        scope["state"]["ready"] = "yes"
        await send({"type": "lifespan.startup.complete"})
        await receive()
        await send({"type": "lifespan.shutdown.complete"})
        return
    await read_body(receive)
    body = repr(
        (
            scope.get("state", {}).get("ready"),
            scope.get("asgi", {}).get("spec_version"),
            sorted(scope.get("extensions") or ()),
            id(asyncio.get_running_loop()),
        )
    ).encode()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


async def test_this_client_runs_lifespan_and_plays_any_server() -> None:
    loop = id(asyncio.get_running_loop())
    async with TestClient(lifespan_or_http, spec_version="2.3") as client, client.lifespan():
        seen = eval((await client.get("/")).text)
    assert seen[:2] == ("yes", "2.3")
    assert "websocket.http.response" in seen[2]
    assert seen[3] == loop  # the app runs in the test's event loop


async def test_httpx_asgitransport_has_no_lifespan_and_no_server_choices() -> None:
    transport = httpx.ASGITransport(lifespan_or_http)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        seen = eval((await client.get("/")).text)
    assert seen[:3] == (None, None, [])


def test_starlette_testclient_runs_lifespan_in_another_event_loop() -> None:
    with StarletteTestClient(lifespan_or_http) as client:
        seen: Any = eval(client.get("/").text)
    assert seen[0] == "yes"
    # Synchronous: the app runs in a portal thread's loop, never the test's.
    assert threading.current_thread() is threading.main_thread()
    with pytest.raises(RuntimeError):
        asyncio.get_running_loop()
