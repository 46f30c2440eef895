"""Fixtures: a websocket Request over a complete ASGI scope, and the server's Channel."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest
from hypothesis import settings

from asgikit.asgi import Message
from asgikit.requests import Request
from asgikit.testing import Channel, websocket_scope

# No wall clock in the unit run: Hypothesis' per-example deadline fails a test that is
# merely slow on a busy machine.
settings.register_profile("asgikit", deadline=None)
settings.load_profile("asgikit")

CONNECT: Message = {"type": "websocket.connect"}

Connect = Callable[..., tuple[Request, Channel]]


@pytest.fixture
def connect() -> Connect:
    """``connect(*messages, subprotocols=..., headers=..., extensions=...)``: a Request
    over a websocket scope whose client sends ``websocket.connect`` then ``messages``."""

    def make(
        *messages: Message,
        subprotocols: Iterable[str] = (),
        headers: Iterable[tuple[str, str]] = (),
        extensions: dict[str, Any] | None = None,
        path: str = "/ws",
        query_string: bytes = b"",
        handshake: bool = True,
    ) -> tuple[Request, Channel]:
        channel = Channel([CONNECT, *messages] if handshake else list(messages))
        scope = websocket_scope(
            path,
            query_string=query_string,
            headers=headers,
            subprotocols=subprotocols,
            extensions=extensions,
        )
        return Request(scope, channel.receive, channel.send), channel

    return make
