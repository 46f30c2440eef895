"""How close to raw ASGI can asgikit get with the API it has at all?

    uv run python benchmarks/floor.py

Measures, in the harness of run.py, for a hello response: the raw app; the raw app's two
sends moved into one more coroutine; a bare request object with a four-slot state object
stored in the scope (the least DESIGN §3 asks for) responding through one coroutine; and
asgikit. For the websocket echo: raw; a bare wrapper whose read() and write() are
coroutines doing nothing but receive and send (write must be one, to turn the ASGI 2.4
OSError into a disconnect error); and asgikit.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_core import EMPTY_BODY, check_hello, hello_asgikit, hello_raw, http_scope
from bench_websockets import ECHO_MESSAGES, check_echo, echo_asgikit, echo_raw, websocket_scope
from harness import Scenario, run_scenario


async def _send_hello(send: Any, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", b"%d" % len(body)),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def one_more_coroutine(scope: Any, receive: Any, send: Any) -> None:
    await _send_hello(send, b"Hello, world!")


class _State:
    __slots__ = ("a", "b", "c", "phase")

    def __init__(self) -> None:
        self.phase = 0
        self.a = self.b = self.c = None


class _BareRequest:
    __slots__ = ("_receive", "_scope", "_send", "_state")

    def __init__(self, scope: Any, receive: Any, send: Any) -> None:
        self._scope, self._receive, self._send = scope, receive, send
        state = scope.get("bare.state")
        if state is None:
            state = scope["bare.state"] = _State()
        self._state = state

    def respond_text(self, text: str) -> Any:
        self._state.phase = 2
        return _send_hello(self._send, text.encode())


async def bare_request(scope: Any, receive: Any, send: Any) -> None:
    await _BareRequest(scope, receive, send).respond_text("Hello, world!")


class _BareWebSocket:
    __slots__ = ("_receive", "_send")

    def __init__(self, receive: Any, send: Any) -> None:
        self._receive, self._send = receive, send

    async def read(self) -> Any:
        message = await self._receive()
        if message["type"] != "websocket.receive":
            raise EOFError
        return message.get("text")

    async def write(self, text: str) -> None:
        await self._send({"type": "websocket.send", "text": text})


async def bare_websocket(scope: Any, receive: Any, send: Any) -> None:
    await receive()
    await send({"type": "websocket.accept"})
    ws = _BareWebSocket(receive, send)
    while True:
        try:
            await ws.write(await ws.read())
        except EOFError:
            break


def main() -> None:
    scenario = Scenario(
        "hello",
        {
            "raw": hello_raw,
            "raw + one coroutine": one_more_coroutine,
            "bare request + state": bare_request,
            "asgikit": hello_asgikit,
        },
        http_scope(),
        EMPTY_BODY,
        calls=20000,
        check=check_hello,
    )
    websocket = Scenario(
        "websocket echo",
        {"raw": echo_raw, "bare async read/write": bare_websocket, "asgikit": echo_asgikit},
        websocket_scope(),
        ECHO_MESSAGES,
        calls=10,
        check=check_echo,
    )
    for case in (scenario, websocket):
        medians = asyncio.run(run_scenario(case, 9))
        print(case.name)
        for name, seconds in medians.items():
            print(f"  {name:<24}{seconds / medians['raw']:>6.2f}x")


if __name__ == "__main__":
    main()
