"""Streamed responses: the writer behind ``request.response_writer()``.

The writes of a streamed response do not move its phase; they are guarded by the phase
check of :class:`~asgikit.responses._state.ResponseState`, made only when a countdown
runs out (see :func:`fast_writer`). Starting and ending go through the state machine.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import suppress
from types import TracebackType
from typing import Any

from asgikit.asgi import Scope, Send
from asgikit.errors import ClientDisconnectedError
from asgikit.responses._state import STARTED, ResponseState

# Seconds a streamed response runs before a task starts watching for a gone client.
_WATCH_DELAY = 0.05
# Writes between two pauses of a streamed response. Servers before ASGI 2.4 return from
# send() to a gone client without yielding to the event loop (uvicorn, granian,
# hypercorn), so a producer that awaits nothing else would never let the loop run: not
# the watcher, nor any other request. A pause every PAUSE_EVERY writes costs one loop turn
# where it is needed, none on short responses, and one integer per write (counting bytes
# too cost a measurable share of a 1 KiB write).
PAUSE_EVERY = 256


def fast_writer(
    state: ResponseState, send: Send, pause: Callable[[Awaitable[None]], Awaitable[None]]
) -> Callable[[bytes], Awaitable[None]]:
    """A ``write`` for servers before ASGI 2.4, whose ``send()`` does not raise for a gone
    client: it hands back ``send``'s own awaitable instead of adding a frame per chunk,
    except every :data:`PAUSE_EVERY` writes, when ``pause`` wraps it.

    One countdown guards each chunk: it reaches zero every PAUSE_EVERY writes, and at once
    when the response leaves STARTED (the state calls ``on_stop``), so the phase is
    checked then instead of on every write.
    """
    started = STARTED
    left = PAUSE_EVERY

    def stop() -> None:
        nonlocal left
        left = 0

    state.on_stop = stop

    def write(data: bytes) -> Awaitable[None]:
        nonlocal left
        left -= 1
        if left > 0:
            return send({"type": "http.response.body", "body": data, "more_body": True})
        if state.phase is not started:
            raise state.refusal("write")
        left = PAUSE_EVERY
        return pause(send({"type": "http.response.body", "body": data, "more_body": True}))

    return write


def checked_writer(
    state: ResponseState, send: Send, pause: Callable[[], Awaitable[None]]
) -> Callable[[bytes], Awaitable[None]]:
    """A ``write`` for ASGI 2.4 servers, whose ``send()`` raises ``OSError`` for a gone
    client, and for responses without a body: :meth:`Response.write` with a
    ``pause()`` every :data:`PAUSE_EVERY` writes, in one frame, guarded as
    :func:`fast_writer` is."""
    started = STARTED
    left = PAUSE_EVERY

    def stop() -> None:
        nonlocal left
        left = 0

    state.on_stop = stop

    async def write(data: bytes) -> None:
        nonlocal left
        left -= 1
        if left <= 0:
            if state.phase is not started:
                raise state.refusal("write")
            left = PAUSE_EVERY
            await send_data(data)
            await pause()
        elif data and not state.bodyless:
            try:
                await send({"type": "http.response.body", "body": data, "more_body": True})
            except OSError as exc:
                raise state.lost(exc) from exc

    async def send_data(data: bytes) -> None:
        if data and not state.bodyless:
            try:
                await send({"type": "http.response.body", "body": data, "more_body": True})
            except OSError as exc:
                raise state.lost(exc) from exc

    return write


_spec_versions: dict[str, tuple[int, ...]] = {}


def _spec_version(scope: Any) -> tuple[int, ...]:
    """The scope's ASGI spec version as numbers ("2.10" is after "2.4"), parsed once per
    distinct string."""
    spec: str = scope.get("asgi", {}).get("spec_version", "2.0")
    version = _spec_versions.get(spec)
    if version is None:
        try:
            version = tuple(int(part) for part in spec.split("."))
        except ValueError:
            version = (2, 0)
        if len(_spec_versions) < 16:
            _spec_versions[spec] = version
    return version


class ResponseWriter:
    """What :meth:`Request.response_writer() <asgikit.requests.Request.response_writer>`
    returns: an async context manager that starts the response, yields ``write``, and
    ends the response when the block ends without an error.

    ``watch`` returns when the client disconnects; while the block runs long (or writes
    much) a task runs it, and when it returns the response is ABORTED and the block is
    cancelled, then :class:`~asgikit.errors.ClientDisconnectedError` raised from it.
    """

    __slots__ = (
        "_content_length",
        "_media_type",
        "_scope",
        "_send",
        "_state",
        "_status",
        "_task",
        "_timer",
        "_watch_disconnect",
        "_watcher",
    )

    def __init__(
        self,
        state: ResponseState,
        scope: Scope,
        send: Send,
        watch: Callable[[], Awaitable[None]],
        *,
        status: int | None = None,
        media_type: str | None = None,
        content_length: int | None = None,
    ) -> None:
        self._state = state
        self._scope = scope
        self._send = send
        self._watch_disconnect = watch
        self._status = status
        self._media_type = media_type
        self._content_length = content_length
        self._watcher: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[Any] | None = None

    async def __aenter__(self) -> Callable[[bytes], Awaitable[None]]:
        self._task = asyncio.current_task()
        state = self._state
        scope = self._scope
        settings = state.settings
        media_type = (
            self._media_type or (settings and settings.media_type) or "application/octet-stream"
        )
        await state.start(
            self._send,
            self._status,
            media_type,
            self._content_length,
            scope.get("method") == "HEAD",
        )
        # A response that ends within _WATCH_DELAY, or before its first pause, never
        # needs a watcher; a timer costs a fraction of a task, so the watcher starts
        # only for the responses that last or that send much.
        self._timer = asyncio.get_running_loop().call_later(_WATCH_DELAY, self._watch)
        if _spec_version(scope) >= (2, 4) or state.bodyless:
            # ASGI 2.4: send() raises OSError for a gone client, which write() converts.
            return checked_writer(state, self._send, self._yield)
        return fast_writer(state, self._send, self._pause)

    async def _pause(self, sending: Awaitable[None]) -> None:
        """Send, then :meth:`_yield`."""
        await sending
        await self._yield()

    async def _yield(self) -> None:
        """Make sure the watcher runs, and give the event loop a turn: there the watcher
        sees a gone client (and cancels this task) and other requests go on."""
        if self._watcher is None:
            if self._timer is not None:
                self._timer.cancel()
            self._watch()
        await asyncio.sleep(0)

    def _watch(self) -> None:
        self._timer = None
        task = self._task
        if task is not None and not task.done() and self._watcher is None:
            self._watcher = asyncio.get_running_loop().create_task(self._stop_when_gone(task))

    async def _stop_when_gone(self, task: asyncio.Task[Any]) -> None:
        await self._watch_disconnect()
        self._state.client_gone()
        task.cancel()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        if self._timer is not None:
            self._timer.cancel()
        watcher = self._watcher
        if watcher is not None:
            if not watcher.done():
                watcher.cancel()
                with suppress(asyncio.CancelledError):
                    await watcher
            elif not watcher.cancelled() and watcher.exception() is None:
                # The watcher saw the client leave and cancelled this task. Undo that
                # cancel; if someone else cancelled the task too, let theirs go on.
                task = self._task
                others = task.uncancel() if task is not None else 0
                if others == 0 and exc_type in (None, asyncio.CancelledError):
                    raise ClientDisconnectedError("the client disconnected during the response")
                return False
        if exc_type is None:
            await self._state.end(self._send, None)
        return False
