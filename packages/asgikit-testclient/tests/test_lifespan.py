"""Lifespan: startup and shutdown around a block, its state in every request, failures
reported with the app's message."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from asgikit.asgi import Receive, Scope, Send
from asgikit.lifespan import Lifespan
from asgikit.requests import Request
from asgikit.testclient import AppTimeoutError, LifespanFailedError, TestClient

log: list[str] = []


@asynccontextmanager
async def database() -> AsyncIterator[dict[str, Any]]:
    log.append("open")
    yield {"db": {"users": 2}}
    log.append("close")


def make_app(lifespan: Lifespan) -> Any:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await lifespan(scope, receive, send)
            return
        request = Request(scope, receive, send)
        request.state["touched"] = True  # a copy per request: the next one won't see it
        await request.respond_json(sorted(request.state))

    return app


async def test_startup_and_shutdown_run_around_the_block_with_state() -> None:
    log.clear()
    async with TestClient(make_app(Lifespan(database))) as client:
        async with client.lifespan() as state:
            assert log == ["open"]
            assert state == {"db": {"users": 2}}
            assert (await client.get("/")).json() == ["db", "touched"]
            assert (await client.get("/")).json() == ["db", "touched"]
            assert "touched" not in state
        assert log == ["open", "close"]
        # Outside the block, requests get an empty state.
        assert (await client.get("/")).json() == ["touched"]


async def test_a_failed_startup_raises_with_the_apps_message() -> None:
    @asynccontextmanager
    async def broken() -> AsyncIterator[None]:
        if len(log) >= 0:  # always: the generator must still be one
            raise ConnectionError("database unreachable")
        yield  # pragma: no cover

    async with TestClient(make_app(Lifespan(broken))) as client:
        with pytest.raises(LifespanFailedError) as failed:
            async with client.lifespan():
                pass  # pragma: no cover
    assert failed.value.phase == "startup"
    assert "database unreachable" in failed.value.message


async def test_a_failed_shutdown_raises_with_the_apps_message() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "lifespan.startup.complete"})
        await receive()
        await send({"type": "lifespan.shutdown.failed", "message": "pool stuck"})

    async with TestClient(app) as client:
        with pytest.raises(LifespanFailedError, match="lifespan shutdown failed: pool stuck"):
            async with client.lifespan():
                pass


async def test_an_app_without_lifespan_support_is_reported() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] != "lifespan", "no lifespan here"

    async with TestClient(app) as client:
        with pytest.raises(LifespanFailedError) as failed:
            async with client.lifespan():
                pass  # pragma: no cover
    assert "AssertionError: no lifespan here" in failed.value.message
    assert isinstance(failed.value.__cause__, AssertionError)


async def test_a_startup_that_never_answers_times_out() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await receive()

    async with TestClient(app, timeout=0.01) as client:
        with pytest.raises(AppTimeoutError, match=re.escape("did not answer lifespan.startup")):
            async with client.lifespan():
                pass  # pragma: no cover


async def test_an_unexpected_message_is_reported() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "lifespan.shutdown.complete"})

    async with TestClient(app) as client:
        with pytest.raises(LifespanFailedError, match="unexpected message"):
            async with client.lifespan():
                pass  # pragma: no cover
