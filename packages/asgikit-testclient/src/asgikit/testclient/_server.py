"""What the client plays as a server: its ASGI versions, extensions, address and waits."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

from asgikit.asgi import Message

from ._errors import AppTimeoutError

DEFAULT_TIMEOUT = 5.0
"""Seconds any wait on the app may take before the test fails (``timeout=``)."""

ALL_EXTENSIONS: Mapping[str, Mapping[str, Any]] = {
    "http.response.pathsend": {},
    "http.response.early_hint": {},
    "websocket.http.response": {},
}
"""The ASGI extensions the client offers unless told otherwise: the file of a
``http.response.pathsend`` is read and served, early hints are recorded, a websocket
denial response is returned as :class:`WebSocketDenied`. Pass ``extensions={}`` to play
a server that offers none (uvicorn offers none of them for HTTP)."""


class ServerOptions(TypedDict, total=False):
    """How the client plays the server; every key is optional.

    ``spec_version``: ``"2.4"`` (default) or ``"2.3"``; under 2.4 ``send()`` after the
    client left raises :class:`ClientGoneError`, under 2.3 the message is dropped.
    ``http_version``: ``"1.1"`` (default), ``"1.0"`` or ``"2"``.
    ``root_path``: ``scope["root_path"]``. ``client``: the client's (host, port) or None.
    ``extensions``: the ASGI extensions offered (default :data:`ALL_EXTENSIONS`).
    ``raise_app_exceptions``: re-raise what the app raised (default True); False
    answers 500 when the app raised before the response started.
    """

    spec_version: str
    http_version: str
    root_path: str
    client: tuple[str, int] | None
    extensions: Mapping[str, Mapping[str, Any]]
    raise_app_exceptions: bool


@dataclass
class Server:
    spec_version: str = "2.4"
    http_version: str = "1.1"
    root_path: str = ""
    client: tuple[str, int] | None = ("127.0.0.1", 50000)
    extensions: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: ALL_EXTENSIONS)
    raise_app_exceptions: bool = True
    timeout: float = DEFAULT_TIMEOUT
    state: dict[str, Any] | None = None
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def __post_init__(self) -> None:
        if self.spec_version not in ("2.3", "2.4"):
            raise ValueError(f"spec_version must be '2.3' or '2.4', not {self.spec_version!r}")

    def asgi(self) -> dict[str, str]:
        return {"version": "3.0", "spec_version": self.spec_version}

    def offered(self, name: str) -> bool:
        return name in self.extensions

    def scope_extensions(self) -> dict[str, Any]:
        return {name: dict(value) for name, value in self.extensions.items()}

    def scope_state(self) -> dict[str, Any]:
        # "a shallow copy of the lifespan state" (ASGI lifespan spec, "Lifespan State").
        return dict(self.state) if self.state is not None else {}

    def start(self, coro: Any) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def close(self) -> None:
        """Cancel the app tasks still running (the test left without waiting for them)."""
        for task in list(self.tasks):
            task.cancel()
        for task in list(self.tasks):
            # Cancelled on purpose; what it raised was reported or kept in its exchange.
            with contextlib.suppress(BaseException):
                await task


class Outbox:
    """What the app sent, in order, with bounded waits for the next message."""

    def __init__(self) -> None:
        self.sent: list[Message] = []
        self._queue: asyncio.Queue[Message | None] = asyncio.Queue()

    def put(self, message: Message) -> None:
        self.sent.append(message)
        self._queue.put_nowait(message)

    def put_converted(self, original: Message, delivered: Message) -> None:
        self.sent.append(original)
        self._queue.put_nowait(delivered)

    def finish(self) -> None:
        self._queue.put_nowait(None)

    async def next(self, what: str, timeout: float) -> Message | None:
        """The next message, or None once the app has returned."""
        try:
            async with asyncio.timeout(timeout):
                return await self._queue.get()
        except TimeoutError:
            raise AppTimeoutError(what, timeout=timeout, sent=self.sent) from None


async def wait_task(
    task: asyncio.Task[None], what: str, timeout: float, sent: list[Message]
) -> None:
    """Wait for the app task to end, bounded; cancel it and fail the test past the bound."""
    if task.done():
        return
    done, _ = await asyncio.wait({task}, timeout=timeout)
    if not done:
        task.cancel()
        await asyncio.wait({task})
        raise AppTimeoutError(what, timeout=timeout, sent=sent)
