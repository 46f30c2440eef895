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


SEND_BUFFER_MESSAGES = 256
"""How many messages the app may have sent that the test has not read yet: past it, the
app's ``send()`` waits, as a real server's flow control holds a fast producer to a
slow client. With :data:`SEND_BUFFER_BYTES`, it bounds the memory an endless stream
takes while the test does something else."""

SEND_BUFFER_BYTES = 1024 * 1024
"""How many body bytes (``body``, ``bytes``, ``text``) the app may have sent that the
test has not read yet, about what a socket and a server's write buffer hold; past it,
the app's ``send()`` waits. A single bigger message is always let through."""


def _size(message: Message) -> int:
    for key in ("body", "bytes", "text"):
        value = message.get(key)
        if value:
            return len(value)
    return 0


class Outbox:
    """What the app sent, in order, with bounded waits for the next message.

    ``sent`` keeps every message, for assertions after the fact; the messages the
    test has not read yet are bounded (:data:`SEND_BUFFER_MESSAGES`,
    :data:`SEND_BUFFER_BYTES`): :meth:`room` waits for the test to read, so ``sent``
    grows only as fast as the test reads.
    """

    def __init__(self) -> None:
        self.sent: list[Message] = []
        self._queue: asyncio.Queue[tuple[Message, int] | None] = asyncio.Queue()
        self._bytes = 0
        self._read = asyncio.Event()
        self._released = False

    async def room(self) -> None:
        """Wait until the test has read enough for one more message, or left."""
        while not self._released and (
            self._queue.qsize() >= SEND_BUFFER_MESSAGES or self._bytes >= SEND_BUFFER_BYTES
        ):
            self._read.clear()
            await self._read.wait()

    def release(self) -> None:
        """The reader left: no send waits for room any more."""
        self._released = True
        self._read.set()

    def put(self, message: Message) -> None:
        self.put_converted(message, message)

    def put_converted(self, original: Message, delivered: Message) -> None:
        self.sent.append(original)
        size = _size(delivered)
        self._bytes += size
        self._queue.put_nowait((delivered, size))

    def finish(self) -> None:
        self._queue.put_nowait(None)

    async def next(self, what: str, timeout: float) -> Message | None:
        """The next message, or None once the app has returned."""
        try:
            async with asyncio.timeout(timeout):
                item = await self._queue.get()
        except TimeoutError:
            raise AppTimeoutError(what, timeout=timeout, sent=self.sent) from None
        if item is None:
            return None
        message, size = item
        self._bytes -= size
        self._read.set()
        return message


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
