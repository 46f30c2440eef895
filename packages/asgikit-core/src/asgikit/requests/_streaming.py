"""Streamed responses: the writer behind ``response_writer()``, and event pacing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import suppress
from types import TracebackType
from typing import TYPE_CHECKING, Any

from asgikit.asgi import Send
from asgikit.errors import ClientDisconnectedError, ResponseStateError
from asgikit.requests._state import Inbound, RequestState
from asgikit.responses import ServerSentEvent
from asgikit.responses._phase import FINISHED, STARTED

if TYPE_CHECKING:
    from asgikit.requests import Request

# Seconds a streamed response runs before a task starts watching for a gone client.
WATCH_DELAY = 0.05


def fast_writer(state: RequestState, inbound: Inbound, send: Send) -> Callable[[bytes], Any]:
    """A ``write`` for servers before ASGI 2.4, whose ``send()`` does not raise for a gone
    client: it hands back ``send``'s own awaitable instead of adding a frame per chunk."""

    started = STARTED  # a closure variable: cheaper per chunk than a global

    def write(data: bytes) -> Awaitable[None]:
        if state.phase != started:
            raise ResponseStateError(
                "cannot write: response already finished"
                if state.phase == FINISHED
                else "cannot write: response not started"
            )
        if inbound.disconnected:
            raise ClientDisconnectedError("the client disconnected")
        return send({"type": "http.response.body", "body": data, "more_body": True})

    return write


async def next_event(
    iterator: AsyncIterator[ServerSentEvent | str],
    ping_interval: float | None,
    write: Callable[[bytes], Any],
    ping: bytes,
) -> ServerSentEvent | str | None:
    if ping_interval is None:
        try:
            return await anext(iterator)
        except StopAsyncIteration:
            return None
    task = asyncio.ensure_future(anext(iterator))
    try:
        while True:
            done, _ = await asyncio.wait((task,), timeout=ping_interval)
            if done:
                try:
                    return task.result()
                except StopAsyncIteration:
                    return None
            await write(ping)
    finally:
        if not task.done():
            task.cancel()
            with suppress(asyncio.CancelledError, StopAsyncIteration):
                await task


def _spec_version(scope: Any) -> tuple[int, ...]:
    spec: str = scope.get("asgi", {}).get("spec_version", "2.0")
    try:
        return tuple(int(part) for part in spec.split("."))
    except ValueError:
        return (2, 0)


class ResponseWriter:
    """What :meth:`Request.response_writer` returns; see there."""

    __slots__ = (
        "_content_length",
        "_media_type",
        "_request",
        "_status",
        "_task",
        "_timer",
        "_watcher",
    )

    def __init__(
        self,
        request: Request,
        status: int | None,
        media_type: str | None,
        content_length: int | None,
    ) -> None:
        self._request = request
        self._status = status
        self._media_type = media_type
        self._content_length = content_length
        self._watcher: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[Any] | None = None

    async def __aenter__(self) -> Callable[[bytes], Any]:
        self._task = asyncio.current_task()
        request = self._request
        response = request.response
        await response.start(
            status=self._status,
            media_type=self._media_type or response.media_type or "application/octet-stream",
            content_length=self._content_length,
        )
        inbound = request._state.get_inbound()
        # A response that ends within WATCH_DELAY never needs a watcher; a timer costs a
        # fraction of a task, so the watcher starts only for the responses that last.
        self._timer = asyncio.get_running_loop().call_later(WATCH_DELAY, self._watch)
        if _spec_version(request._scope) >= (2, 4) or response.is_head:
            # ASGI 2.4: send() raises OSError for a gone client, which write() converts.
            return response.write
        return fast_writer(request._state, inbound, request._send)

    def _watch(self) -> None:
        self._timer = None
        task = self._task
        if task is not None and not task.done():
            request = self._request
            self._watcher = asyncio.get_running_loop().create_task(
                request._state.get_inbound().watch_disconnect(
                    request._receive, task, request._state.max_body_size
                )
            )

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
            await self._request.response.end()
        return False
