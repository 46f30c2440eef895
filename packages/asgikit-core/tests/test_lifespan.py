"""The lifespan building block, and Request refusing scopes it cannot serve."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from asgikit.errors import AsgikitError, UnsupportedScopeError
from asgikit.lifespan import Lifespan
from asgikit.requests import Request
from asgikit.testing import Channel, http_scope


def lifespan_scope(state: dict[str, Any] | None = None) -> dict[str, Any]:
    scope: dict[str, Any] = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}}
    if state is not None:
        scope["state"] = state
    return scope


async def run(lifespan: Lifespan, scope: dict[str, Any], *, shutdown: bool = True) -> Channel:
    channel = Channel([{"type": "lifespan.startup"}])
    if shutdown:
        channel.push({"type": "lifespan.shutdown"})
    await lifespan(scope, channel.receive, channel.send)
    return channel


def sent_types(channel: Channel) -> list[str]:
    return [m["type"] for m in channel.sent]


async def test_contexts_enter_in_order_and_exit_in_reverse() -> None:
    events: list[str] = []

    def tracked(name: str) -> Any:
        @asynccontextmanager
        async def context() -> AsyncIterator[None]:
            events.append(f"enter {name}")
            yield
            events.append(f"exit {name}")

        return context

    channel = await run(Lifespan(tracked("a"), tracked("b")), lifespan_scope({}))
    assert events == ["enter a", "enter b", "exit b", "exit a"]
    assert sent_types(channel) == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


async def test_shutdown_waits_for_the_server() -> None:
    exited = asyncio.Event()

    @asynccontextmanager
    async def context() -> AsyncIterator[None]:
        yield
        exited.set()

    channel = Channel([{"type": "lifespan.startup"}])
    task = asyncio.create_task(Lifespan(context)(lifespan_scope({}), channel.receive, channel.send))
    await channel.wait_for_receive_calls(2)
    assert sent_types(channel) == ["lifespan.startup.complete"]
    assert not exited.is_set()
    channel.push({"type": "lifespan.shutdown"})
    await task
    assert exited.is_set()
    assert sent_types(channel) == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


async def test_yielded_mappings_become_request_state() -> None:
    @asynccontextmanager
    async def database() -> AsyncIterator[dict[str, Any]]:
        yield {"db": "connection"}

    @asynccontextmanager
    async def cache() -> AsyncIterator[dict[str, Any]]:
        yield {"cache": {}, "db": "replaced"}

    state: dict[str, Any] = {}
    await run(Lifespan(database, cache), lifespan_scope(state))
    assert state == {"db": "replaced", "cache": {}}
    # The server copies the lifespan state into each request's scope.
    scope = http_scope()
    scope["state"] = dict(state)
    request = Request(scope, Channel().receive, Channel().send)
    assert request.state["db"] == "replaced"


async def test_a_failing_startup_reports_its_message_and_unwinds(
    caplog: pytest.LogCaptureFixture,
) -> None:
    events: list[str] = []

    @asynccontextmanager
    async def first() -> AsyncIterator[None]:
        events.append("enter first")
        yield
        events.append("exit first")

    @asynccontextmanager
    async def broken() -> AsyncIterator[None]:
        raise ConnectionRefusedError("database at 127.0.0.1:5432 refused the connection")
        yield  # type: ignore[unreachable]

    with caplog.at_level(logging.ERROR, logger="asgikit.lifespan"):
        channel = await run(Lifespan(first, broken), lifespan_scope({}), shutdown=False)
    assert channel.sent == [
        {
            "type": "lifespan.startup.failed",
            "message": "ConnectionRefusedError: database at 127.0.0.1:5432 refused the connection",
        }
    ]
    assert events == ["enter first", "exit first"]
    assert "lifespan startup failed" in caplog.text
    assert "Traceback" in caplog.text


async def test_a_failing_shutdown_reports_its_message() -> None:
    @asynccontextmanager
    async def context() -> AsyncIterator[None]:
        yield
        raise RuntimeError("could not flush")

    channel = await run(Lifespan(context), lifespan_scope({}))
    assert channel.sent == [
        {"type": "lifespan.startup.complete"},
        {"type": "lifespan.shutdown.failed", "message": "RuntimeError: could not flush"},
    ]


async def test_no_contexts_just_acknowledges() -> None:
    channel = await run(Lifespan(), lifespan_scope())
    assert sent_types(channel) == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


async def test_state_without_server_support_fails_startup_clearly() -> None:
    @asynccontextmanager
    async def context() -> AsyncIterator[dict[str, Any]]:
        yield {"db": 1}

    channel = await run(Lifespan(context), lifespan_scope(state=None), shutdown=False)
    assert channel.sent[0]["type"] == "lifespan.startup.failed"
    assert "gives no lifespan state" in channel.sent[0]["message"]


async def test_yielding_something_else_than_a_mapping_fails_startup() -> None:
    @asynccontextmanager
    async def context() -> AsyncIterator[Any]:
        yield ["not", "a", "mapping"]

    channel = await run(Lifespan(context), lifespan_scope({}), shutdown=False)
    assert channel.sent[0]["type"] == "lifespan.startup.failed"
    assert "yielded list" in channel.sent[0]["message"]


def test_lifespan_refuses_what_is_not_a_factory() -> None:
    @asynccontextmanager
    async def context() -> AsyncIterator[None]:
        yield

    with pytest.raises(TypeError, match="not what calling it returns"):
        Lifespan(context())  # type: ignore[arg-type]


async def test_lifespan_refuses_other_scopes() -> None:
    channel = Channel()
    with pytest.raises(ValueError, match="'lifespan' scopes only"):
        await Lifespan()(http_scope(), channel.receive, channel.send)
    assert channel.receive_calls == 0


@pytest.mark.parametrize("scope_type", ["lifespan", "webtransport", "other"])
def test_request_refuses_scopes_it_cannot_serve(scope_type: str) -> None:
    channel = Channel()
    scope = {**lifespan_scope({}), "type": scope_type}
    with pytest.raises(UnsupportedScopeError) as info:
        Request(scope, channel.receive, channel.send)
    assert isinstance(info.value, TypeError) and isinstance(info.value, AsgikitError)
    assert repr(scope_type) in str(info.value)
    if scope_type == "lifespan":
        assert "asgikit.lifespan.Lifespan" in str(info.value)
    assert channel.receive_calls == 0
