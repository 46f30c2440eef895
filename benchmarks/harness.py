"""The benchmark harness: in-process ASGI calls, implementations interleaved, ratios to raw.

A :class:`Scenario` names one workload and gives an ASGI app per implementation (``raw``:
hand-written against the ASGI spec, ``starlette``, ``asgikit``), the scope, and the
request messages. The harness builds a fresh scope copy per call (as a server does),
feeds the messages, then behaves like a server whose client is still connected
(``receive()`` waits). Rounds alternate the implementations so that machine noise hits
them alike; the median round is reported, as a ratio to raw.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

App = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


@dataclass
class Scenario:
    name: str
    apps: dict[str, App]
    scope: dict[str, Any]
    messages: list[dict[str, Any]] = field(default_factory=list)
    calls: int = 2000  # app calls per timed round
    unit_bytes: int = 0  # bytes per call, to print MB/s as well
    check: Callable[[list[dict[str, Any]]], None] | None = None  # validates one call's output
    setup: Callable[[], None] | None = None
    teardown: Callable[[], None] | None = None


class _Server:
    """A minimal server side: queued messages, then wait; sends are counted, not kept."""

    __slots__ = ("index", "messages", "never", "sent_bytes")

    def __init__(self, messages: list[dict[str, Any]], never: asyncio.Future[Any]) -> None:
        self.messages = messages
        self.index = 0
        self.never = never
        self.sent_bytes = 0

    async def receive(self) -> dict[str, Any]:
        index = self.index
        if index < len(self.messages):
            self.index = index + 1
            return self.messages[index]
        # Like a server whose client is still there. Shielded: an app that cancels its
        # receive() (Starlette's disconnect listener) must not cancel it for the others.
        await asyncio.shield(self.never)
        raise AssertionError("unreachable")

    async def send(self, message: dict[str, Any]) -> None:
        body = message.get("body")
        if body:
            self.sent_bytes += len(body)


class _Recorder(_Server):
    __slots__ = ("sent",)

    def __init__(self, messages: list[dict[str, Any]], never: asyncio.Future[Any]) -> None:
        super().__init__(messages, never)
        self.sent: list[dict[str, Any]] = []

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)


async def _round(app: App, scenario: Scenario, never: asyncio.Future[Any]) -> float:
    scope = scenario.scope
    messages = scenario.messages
    calls = scenario.calls
    gc.collect()
    start = time.perf_counter()
    for _ in range(calls):
        server = _Server(messages, never)
        await app(dict(scope), server.receive, server.send)
    return (time.perf_counter() - start) / calls


async def run_scenario(scenario: Scenario, rounds: int) -> dict[str, float]:
    never: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    if scenario.setup:
        scenario.setup()
    try:
        for name, app in scenario.apps.items():
            recorder = _Recorder(scenario.messages, never)
            await app(dict(scenario.scope), recorder.receive, recorder.send)
            if scenario.check:
                try:
                    scenario.check(recorder.sent)
                except AssertionError as exc:
                    raise AssertionError(
                        f"{scenario.name}/{name} gave a wrong answer: {exc}"
                    ) from exc
        times: dict[str, list[float]] = {name: [] for name in scenario.apps}
        for _ in range(rounds):
            for name, app in scenario.apps.items():
                times[name].append(await _round(app, scenario, never))
        return {name: statistics.median(values) for name, values in times.items()}
    finally:
        if scenario.teardown:
            scenario.teardown()


async def _calls(app: App, scenario: Scenario, calls: int, never: asyncio.Future[Any]) -> None:
    scope = scenario.scope
    messages = scenario.messages
    for _ in range(calls):
        server = _Server(messages, never)
        await app(dict(scope), server.receive, server.send)


def count_scenario(
    scenario: Scenario, calls: int, region: Callable[[Callable[[], None]], None]
) -> list[str]:
    """Run each implementation's calls inside ``region``, for an instruction counter.

    Per implementation: ``calls`` calls to warm up (caches, the adaptive interpreter),
    then an empty region and a region of ``calls`` calls. The counter subtracts the
    first from the second, which leaves out the cost of entering a region and of running
    the event loop once. Returns the implementations' names in the order measured.
    """
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    never: asyncio.Future[Any] = loop.create_future()
    if scenario.setup:
        scenario.setup()
    try:
        for app in scenario.apps.values():
            loop.run_until_complete(_calls(app, scenario, calls, never))
            for count in (0, calls):
                gc.collect()
                work = _calls(app, scenario, count, never)
                region(functools.partial(loop.run_until_complete, work))
        return list(scenario.apps)
    finally:
        if scenario.teardown:
            scenario.teardown()
        loop.close()
