"""The NEW → ACCEPTED → CLOSED state machine: every state against every action, and
Hypothesis over sequences of actions checked against a model."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asgikit.requests import Request
from asgikit.testing import Channel, websocket_scope
from asgikit.websockets import WebSocket, WebSocketDisconnect, WebSocketState, WebSocketStateError

# Model states: the two ways to be CLOSED behave differently on purpose.
NEW, ACCEPTED, CLOSED_BY_APP, CLOSED_BY_CLIENT, REFUSED = (
    "new",
    "accepted",
    "closed by app",
    "closed by client",
    "refused",
)
ACTIONS = ("accept", "read", "write", "close", "deny", "client leaves", "send fails")


class Harness:
    """A websocket, its server side, and the model state it should be in."""

    def __init__(self) -> None:
        self.channel = Channel()
        scope = websocket_scope(extensions={"websocket.http.response": {}})
        self.ws = WebSocket(Request(scope, self.channel.receive, self.channel.send))
        self.model = NEW
        self.connect_pending = True

    async def step(self, action: str) -> None:
        """Do ``action`` and check outcome, messages sent and the new state."""
        ws, channel, model = self.ws, self.channel, self.model
        sent_before = len(channel.sent)
        expect_sent = 0
        error: type[BaseException] | None = None
        if model == NEW:
            error = WebSocketStateError
        elif model == CLOSED_BY_CLIENT:
            error = WebSocketDisconnect
        elif model in (CLOSED_BY_APP, REFUSED):
            error = WebSocketStateError

        if action == "accept":
            if model == NEW:
                error, expect_sent, self.model = None, 1, ACCEPTED
                channel.push({"type": "websocket.connect"})
            elif model == ACCEPTED:
                error = WebSocketStateError
            await self._expect(ws.accept, error)
        elif action in ("read", "client leaves"):
            if model == ACCEPTED:
                if action == "read":
                    channel.push({"type": "websocket.receive", "text": "m"})
                else:
                    error, self.model = WebSocketDisconnect, CLOSED_BY_CLIENT
                    channel.push({"type": "websocket.disconnect", "code": 4321})
            result = await self._expect(ws.read, error)
            if error is None:
                assert result == "m"
        elif action in ("write", "send fails"):
            if model == ACCEPTED:
                if action == "write":
                    expect_sent = 1
                else:
                    channel.send_error = OSError("gone")
                    error, self.model = WebSocketDisconnect, CLOSED_BY_CLIENT
            try:
                await self._expect(lambda: ws.write("w"), error)
            finally:
                channel.send_error = None
        elif action == "close":
            if model == NEW:
                expect_sent, self.model = 1, REFUSED
            elif model == ACCEPTED:
                expect_sent, self.model = 1, CLOSED_BY_APP
            await self._expect(ws.close, None)
        elif action == "deny":
            if model == NEW:
                expect_sent, self.model = 2, REFUSED
                error = None
            elif model == ACCEPTED:
                error = WebSocketStateError
            else:
                error = None  # idempotent once closed
            await self._expect(ws.deny, error)
        else:  # pragma: no cover - the strategy only draws ACTIONS
            raise AssertionError(action)

        assert len(channel.sent) - sent_before == expect_sent, (model, action)
        expected_state = {
            NEW: WebSocketState.NEW,
            ACCEPTED: WebSocketState.ACCEPTED,
        }.get(self.model, WebSocketState.CLOSED)
        assert ws.state is expected_state, (model, action, self.model)
        if self.model == CLOSED_BY_CLIENT:
            assert ws.close_code in (4321, 1006)

    @staticmethod
    async def _expect(call: Callable[[], Awaitable[Any]], error: type[BaseException] | None) -> Any:
        if error is None:
            return await call()
        with pytest.raises(error) as info:
            await call()
        # A state error names the action and the state.
        if isinstance(info.value, WebSocketStateError):
            assert str(info.value).startswith("cannot ")
            assert "state " in str(info.value)
        return None


@pytest.mark.parametrize(
    "prefix",
    [
        (),
        ("accept",),
        ("accept", "close"),
        ("accept", "client leaves"),
        ("accept", "send fails"),
        ("close",),
        ("deny",),
    ],
    ids=["new", "accepted", "closed-by-app", "client-left", "send-failed", "refused", "denied"],
)
@pytest.mark.parametrize("action", ACTIONS)
async def test_every_state_against_every_action(prefix: tuple[str, ...], action: str) -> None:
    harness = Harness()
    for step in prefix:
        await harness.step(step)
    await harness.step(action)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(ACTIONS), max_size=12))
def test_any_sequence_of_actions_follows_the_model(actions: list[str]) -> None:
    async def run() -> None:
        harness = Harness()
        for action in actions:
            await harness.step(action)

    asyncio.run(run())
