"""The ASGI lifespan protocol: set things up before the first request, tear them down after.

An ASGI server sends one ``lifespan`` scope before any request (ASGI spec, "Lifespan
Protocol"). :class:`Lifespan` answers it: give it async context-manager factories; at
``lifespan.startup`` it enters them in order, at ``lifespan.shutdown`` it exits them in
reverse. A mapping that a context yields is merged into the lifespan state, which the
server copies into every request's scope, so handlers read it as ``request.state``::

    from contextlib import asynccontextmanager
    from asgikit.lifespan import Lifespan
    from asgikit.requests import Request

    @asynccontextmanager
    async def resources():
        room = set()
        yield {"room": room}
        room.clear()

    lifespan = Lifespan(resources)

    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            await lifespan(scope, receive, send)
            return
        request = Request(scope, receive, send)
        await request.respond_text(f"{len(request.state['room'])} in the room")

A context that raises during startup makes the server receive
``lifespan.startup.failed`` with the error's type and message (the servers print it and
exit); contexts entered before it are exited. The traceback goes to the
``asgikit.lifespan`` logger. The same holds for shutdown with ``lifespan.shutdown.failed``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from typing import Any

from asgikit.asgi import Receive, Scope, Send

__all__ = ["Lifespan", "LifespanContext"]

LifespanContext = Callable[[], AbstractAsyncContextManager[Mapping[str, Any] | None]]
"""A factory of an async context manager, such as a function decorated with
:func:`contextlib.asynccontextmanager`. What it yields (a mapping, or ``None``) is merged
into the lifespan state."""

logger = logging.getLogger("asgikit.lifespan")


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class Lifespan:
    """An ASGI app for the ``lifespan`` scope that runs ``contexts`` around the server's life.

    ``await lifespan(scope, receive, send)`` returns when the server has shut down (or
    when startup failed). Calling it with a scope of another type raises ``ValueError``.
    """

    __slots__ = ("_contexts",)

    def __init__(self, *contexts: LifespanContext) -> None:
        for context in contexts:
            if isinstance(context, AbstractAsyncContextManager) or not callable(context):
                raise TypeError(
                    f"Lifespan takes context-manager factories, got {context!r}; "
                    "pass the function itself, not what calling it returns"
                )
        self._contexts = contexts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "lifespan":
            raise ValueError(f"Lifespan answers 'lifespan' scopes only, got {scope.get('type')!r}")
        message = await receive()
        if message["type"] != "lifespan.startup":
            raise RuntimeError(f"expected ASGI message 'lifespan.startup', got {message['type']!r}")
        async with AsyncExitStack() as stack:
            try:
                await self._start(scope, stack)
            except Exception as exc:
                logger.exception("lifespan startup failed")
                await stack.aclose()
                await send({"type": "lifespan.startup.failed", "message": _describe(exc)})
                return
            await send({"type": "lifespan.startup.complete"})
            message = await receive()
            if message["type"] != "lifespan.shutdown":
                raise RuntimeError(
                    f"expected ASGI message 'lifespan.shutdown', got {message['type']!r}"
                )
            try:
                await stack.aclose()
            except Exception as exc:
                logger.exception("lifespan shutdown failed")
                await send({"type": "lifespan.shutdown.failed", "message": _describe(exc)})
                return
        await send({"type": "lifespan.shutdown.complete"})

    async def _start(self, scope: Scope, stack: AsyncExitStack) -> None:
        state: dict[str, Any] | None = scope.get("state")
        for context in self._contexts:
            values = await stack.enter_async_context(context())
            if values is None:
                continue
            if not isinstance(values, Mapping):
                raise TypeError(
                    f"a lifespan context yielded {type(values).__name__}; "
                    "yield a mapping of names to values, or nothing"
                )
            if values and state is None:
                raise RuntimeError(
                    "this server gives no lifespan state (scope['state']), so what "
                    "startup yields cannot reach requests; use a server that supports "
                    "lifespan state (uvicorn, granian, hypercorn)"
                )
            if state is not None:
                state.update(values)
