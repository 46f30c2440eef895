"""Streamed responses: the writer behind ``request.response_writer()``.

The writes of a streamed response do not move its phase; they are guarded by the phase
check of :class:`~asgikit.responses._state.ResponseState`, made only when a countdown
runs out (see :func:`fast_writer`). Starting and ending go through the state machine.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from types import TracebackType
from typing import Any, Final, cast

from asgikit.asgi import Scope, Send
from asgikit.errors import ClientDisconnectedError, ResponseStateError
from asgikit.headers import encode_header_name, encode_header_value
from asgikit.responses._state import STARTED, ResponseState

# Seconds a streamed response runs, from the first turn of the event loop, before it
# starts watching for a gone client.
_WATCH_DELAY: Final = 0.05
# Writes between two pauses of a streamed response. Servers before ASGI 2.4 return from
# send() to a gone client without yielding to the event loop (uvicorn, granian,
# hypercorn), so a producer that awaits nothing else would never let the loop run: not
# the watcher, nor any other request. A pause every PAUSE_EVERY writes costs one loop turn
# where it is needed, none on short responses, and one integer per write (counting bytes
# too cost a measurable share of a 1 KiB write).
PAUSE_EVERY: Final = 256


Write = Callable[[bytes | str], Awaitable[None]]


def fast_writer(
    state: ResponseState,
    send: Send,
    pause: Callable[[Awaitable[None]], Awaitable[None]],
) -> Write:
    """A ``write`` for servers before ASGI 2.4, whose ``send()`` does not raise for a gone
    client: it hands back ``send``'s own awaitable instead of adding a frame per chunk,
    except every :data:`PAUSE_EVERY` writes, when ``pause`` wraps it. A ``str`` is
    encoded with the response's encoding.

    One countdown guards each chunk: it reaches zero every PAUSE_EVERY writes, and at once
    when the response leaves STARTED (the state calls ``on_stop``), so the phase is
    checked then instead of on every write.
    """
    left = PAUSE_EVERY

    def stop() -> None:
        nonlocal left
        left = 0

    state.on_stop = stop

    def write(data: bytes | str) -> Awaitable[None]:
        nonlocal left
        if data.__class__ is str:  # cheaper than isinstance() on every write
            data = data.encode(_encoding(state))
        left -= 1
        if left > 0:
            return send({"type": "http.response.body", "body": data, "more_body": True})
        if state.phase is not STARTED:
            raise state.refusal("write")
        left = PAUSE_EVERY
        return pause(send({"type": "http.response.body", "body": data, "more_body": True}))

    return write


def checked_writer(state: ResponseState, send: Send, pause: Callable[[], Awaitable[None]]) -> Write:
    """A ``write`` for ASGI 2.4 servers, whose ``send()`` raises ``OSError`` for a gone
    client, and for responses without a body: :meth:`Response.write` with a
    ``pause()`` every :data:`PAUSE_EVERY` writes, in one frame, guarded as
    :func:`fast_writer` is."""
    left = PAUSE_EVERY

    def stop() -> None:
        nonlocal left
        left = 0

    state.on_stop = stop

    async def write(data: bytes | str) -> None:
        nonlocal left
        if data.__class__ is str:
            data = data.encode(_encoding(state))
        left -= 1
        if left <= 0:
            if state.phase is not STARTED:
                raise state.refusal("write")
            left = PAUSE_EVERY
            await send_data(cast(bytes, data))  # encoded above
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


def _encoding(state: ResponseState) -> str:
    """The encoding of text writes: looked up only when text is written, so that bytes
    writes pay nothing for it (settings cannot change once the response started)."""
    settings = state.settings
    return "utf-8" if settings is None else settings.encoding


_sends_raise: Final[dict[str, bool]] = {}


def _send_raises(scope: Any) -> bool:
    """Whether the scope's ASGI spec version is 2.4 or later ("2.10" is after "2.4"), so
    that ``send()`` raises ``OSError`` for a gone client; worked out once per distinct
    version string."""
    asgi = scope.get("asgi")
    spec: str = asgi.get("spec_version", "2.0") if asgi else "2.0"
    raises = _sends_raise.get(spec)
    if raises is None:
        try:
            raises = tuple(int(part) for part in spec.split(".")) >= (2, 4)
        except ValueError:
            raises = False
        if len(_sends_raise) < 16:  # a bounded memo: past it, the answer is computed
            _sends_raise[spec] = raises
    return raises


class ResponseWriter:
    """What :meth:`Request.response_writer() <asgikit.requests.Request.response_writer>`
    returns: an async context manager that starts the response, yields ``write`` (which
    takes ``bytes``, or ``str`` encoded with ``response.encoding``), and ends the
    response when the block ends without an error.

    Made with ``trailers=True``, the response announces trailer fields (ASGI
    ``http.response.trailers``): :meth:`send_trailers` ends the body and sends them, and
    a block that ends without calling it sends none.

    .. versionadded:: 0.2.0

    ``watch(on_gone)`` starts watching for the client's disconnect, calls ``on_gone`` in
    the task that sees it, and returns the function that stops the watch. While the
    block runs long (or writes much) the writer watches; when the client goes, the
    response is ABORTED and the block is cancelled, then
    :class:`~asgikit.errors.ClientDisconnectedError` raised from it.
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
        "_trailers",
        "_unwatch",
        "_watch_disconnect",
    )

    def __init__(
        self,
        state: ResponseState,
        scope: Scope,
        send: Send,
        watch: Callable[[Callable[[], None]], Callable[[], None]],
        *,
        status: int | None = None,
        media_type: str | None = None,
        content_length: int | None = None,
        trailers: bool = False,
    ) -> None:
        self._state = state
        self._scope = scope
        self._send = send
        self._watch_disconnect = watch
        self._status = status
        self._media_type = media_type
        self._content_length = content_length
        self._unwatch: Callable[[], None] | None = None
        self._timer: asyncio.Handle | None = None
        self._task: asyncio.Task[Any] | None = None
        self._trailers = trailers

    async def __aenter__(self) -> Write:
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
            self._trailers,
        )
        # A response that ends before the event loop turns, or within _WATCH_DELAY after,
        # or before its first pause, never needs a watch. The timer is set once the loop
        # turns: a plain handle is cheaper to make and to cancel than a timer (a heap
        # entry), and most short responses never let the loop turn.
        self._timer = asyncio.get_running_loop().call_soon(self._arm)
        asgi = scope.get("asgi")
        raises = _sends_raise.get(asgi.get("spec_version", "2.0") if asgi else "2.0")
        if raises is None:
            raises = _send_raises(scope)
        if state.bodyless or raises:
            # ASGI 2.4: send() raises OSError for a gone client, which write() converts.
            return checked_writer(state, self._send, self._yield)
        return fast_writer(state, self._send, self._pause)

    async def send_trailers(
        self, headers: Mapping[str, str] | Iterable[tuple[str, str]] = ()
    ) -> None:
        """End the body and send ``headers`` as its trailer fields. Only for a writer made
        with ``trailers=True`` (else :class:`~asgikit.errors.ResponseStateError`), inside
        its block, once. A name or value with CR, LF or NUL raises
        :class:`~asgikit.errors.HeaderValueError` before anything is sent. The server
        passes trailers on only to a client that sent ``TE: trailers`` (RFC 9110 §6.5.1).

        .. versionadded:: 0.2.0
        """
        if not self._trailers:
            raise ResponseStateError(
                "cannot send trailers: the response was started without trailers=True"
            )
        items = headers.items() if isinstance(headers, Mapping) else headers
        lines = [(encode_header_name(name), encode_header_value(value)) for name, value in items]
        await self._state.end_with_trailers(self._send, lines)

    async def _pause(self, sending: Awaitable[None]) -> None:
        """Send, then :meth:`_yield`."""
        await sending
        await self._yield()

    async def _yield(self) -> None:
        """Make sure the watcher runs, and give the event loop a turn: there the watcher
        sees a gone client (and cancels this task) and other requests go on."""
        if self._unwatch is None:
            if self._timer is not None:
                self._timer.cancel()
            self._watch()
        await asyncio.sleep(0)

    def _arm(self) -> None:
        self._timer = asyncio.get_running_loop().call_later(_WATCH_DELAY, self._watch)

    def _watch(self) -> None:
        self._timer = None
        task = self._task
        if task is not None and not task.done() and self._unwatch is None:
            self._unwatch = self._watch_disconnect(self._stop)

    def _stop(self) -> None:
        """The client is gone: abort the response and cancel the block. ``_task`` is
        cleared to say so."""
        task = self._task
        self._task = None
        self._state.client_gone()
        if task is not None:
            task.cancel()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        if self._timer is not None:
            self._timer.cancel()
        if self._unwatch is not None:
            self._unwatch()
            if self._task is None:
                # The watch saw the client leave and cancelled this task. Undo that
                # cancel; if someone else cancelled the task too, let theirs go on.
                task = asyncio.current_task()
                others = task.uncancel() if task is not None else 0
                if others == 0 and exc_type in (None, asyncio.CancelledError):
                    raise ClientDisconnectedError("the client disconnected during the response")
                return False
        if exc_type is None:
            if not self._trailers:
                await self._state.end(self._send, None)
            elif self._state.phase is STARTED:
                await self._state.end_with_trailers(self._send, [])
        return False
