"""respond_channel_events over a complete ASGI scope, in process (memory broker)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from asgikit.pubsub import InvalidEventIdError, MemoryBroker, respond_channel_events
from asgikit.requests import Request
from asgikit.testing import Channel, http_scope

HANG = 30.0


class Client(Channel):
    """The server's end, which also lets a test wait for what the app sent."""

    def __init__(self) -> None:
        super().__init__([{"type": "http.request", "body": b"", "more_body": False}])
        self.changed = asyncio.Condition()

    async def send(self, message: Any) -> None:
        await super().send(message)
        async with self.changed:
            self.changed.notify_all()

    async def until(self, test: Any) -> None:
        async with asyncio.timeout(HANG), self.changed:
            await self.changed.wait_for(lambda: test(self))

    def events(self) -> list[dict[str, str]]:
        parsed = []
        for block in self.body.decode().split("\n\n")[:-1]:
            fields = dict(line.split(": ", 1) for line in block.split("\n"))
            if "data" in fields:
                parsed.append(fields)
        return parsed


def start(
    broker: MemoryBroker, last_event_id: str | None = None, **options: Any
) -> tuple[Client, asyncio.Task[None]]:
    headers = [] if last_event_id is None else [("last-event-id", last_event_id)]
    client = Client()
    request = Request(http_scope(headers=headers), client.receive, client.send)
    task = asyncio.create_task(respond_channel_events(request, broker, "feed", **options))
    return client, task


async def test_events_carry_their_ids_and_the_stream_resumes_after_the_last() -> None:
    broker = MemoryBroker(history={"feed": 100})
    client, task = start(broker, event="tick")
    await client.until(lambda c: c.status == 200)
    assert client.header("content-type") == "text/event-stream; charset=utf-8"
    ids = [await broker.publish("feed", f"line {i}\nmore") for i in range(3)]
    await client.until(lambda c: len(c.events()) == 3)
    assert client.events()[0]["event"] == "tick"
    assert [e["id"] for e in client.events()] == ids
    assert "data: line 0\ndata: more\n" in client.body.decode()
    client.disconnect()
    await task
    assert broker.subscriber_count("feed") == 0

    # Meanwhile two more; the browser comes back with the last id it saw.
    ids += [await broker.publish("feed", str(i)) for i in range(3, 5)]
    again, task = start(broker, last_event_id=ids[2])
    await again.until(lambda c: len(c.events()) == 2)
    ids.append(await broker.publish("feed", "5"))
    await again.until(lambda c: len(c.events()) == 3)
    assert [e["id"] for e in again.events()] == ids[3:]
    assert [e["data"] for e in again.events()] == ["3", "4", "5"]
    again.disconnect()
    await task


async def test_an_empty_last_event_id_starts_at_the_present() -> None:
    broker = MemoryBroker(history={"feed": 100})
    await broker.publish("feed", "old")
    client, task = start(broker, last_event_id=" ")
    await client.until(lambda c: c.status == 200)
    await broker.publish("feed", "new")
    await client.until(lambda c: len(c.events()) == 1)
    assert client.events()[0]["data"] == "new"
    client.disconnect()
    await task


async def test_a_bad_last_event_id_is_a_400_before_anything_is_sent() -> None:
    broker = MemoryBroker(history={"feed": 100})
    client, task = start(broker, last_event_id="../../etc")
    with pytest.raises(InvalidEventIdError) as caught:
        await task
    assert caught.value.status_code == 400
    assert client.sent == []
    assert broker.subscriber_count("feed") == 0


async def test_a_channel_without_history_is_refused() -> None:
    broker = MemoryBroker()
    client, task = start(broker)
    with pytest.raises(ValueError, match=r"history=\{'feed': N\}"):
        await task
    assert client.sent == []


async def test_invalid_utf8_becomes_a_replacement_character() -> None:
    broker = MemoryBroker(history={"feed": 100})
    client, task = start(broker, max_queue=4, overflow="error", ping_interval=None)
    await client.until(lambda c: c.status == 200)
    await broker.publish("feed", b"a\xffb")
    await client.until(lambda c: len(c.events()) == 1)
    assert client.events()[0]["data"] == "a\ufffdb"
    client.disconnect()
    await task
