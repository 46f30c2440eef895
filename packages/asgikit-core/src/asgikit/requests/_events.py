"""Pacing a Server-Sent Events stream: the next event, or a keep-alive ping meanwhile."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import suppress
from typing import Any

from asgikit.responses import ServerSentEvent


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
