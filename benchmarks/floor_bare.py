"""The bare objects of ``floor.py``: the least asgikit's API needs, in a module mypyc can
compile (``floor.py --compiled``), so that the compiled build has a floor too."""

from __future__ import annotations

from typing import Any


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


class State:
    __slots__ = ("a", "b", "c", "phase")

    def __init__(self) -> None:
        self.phase = 0
        self.a = self.b = self.c = None


class BareRequest:
    __slots__ = ("_receive", "_scope", "_send", "_state")

    def __init__(self, scope: Any, receive: Any, send: Any) -> None:
        self._scope, self._receive, self._send = scope, receive, send
        state = scope.get("bare.state")
        if state is None:
            state = scope["bare.state"] = State()
        self._state = state

    def respond_text(self, text: str) -> Any:
        self._state.phase = 2
        return _send_hello(self._send, text.encode())


class BareWebSocket:
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
