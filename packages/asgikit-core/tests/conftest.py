from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from asgikit import testing
from asgikit.requests import Request
from asgikit.testing import Channel, http_scope


@pytest.fixture
def make_request() -> Callable[..., tuple[Request, Channel]]:
    """Build a Request over a complete http scope and a Channel carrying ``body``."""

    def make(
        method: str = "GET",
        path: str = "/",
        *,
        body: bytes | list[bytes] = b"",
        headers: list[tuple[str, str]] | None = None,
        **scope_options: Any,
    ) -> tuple[Request, Channel]:
        chunks = body if isinstance(body, list) else [body]
        channel = Channel.with_body(*chunks)
        scope = http_scope(method, path, headers=headers or [], **scope_options)
        return Request(scope, channel.receive, channel.send), channel

    return make


ScanCost = Callable[[Callable[[str], object], str], int]


@pytest.fixture(scope="session")
def scan_cost() -> ScanCost:
    """``scan_cost(parse, text)``: the characters ``parse(text)`` examines."""
    return testing.scan_cost
