from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import settings

from asgikit import testing
from asgikit.requests import Request
from asgikit.testing import Channel, http_scope

# No wall clock in the unit run: Hypothesis' per-example deadline fails a test that is
# merely slow on a busy machine.
settings.register_profile("asgikit", deadline=None)
settings.load_profile("asgikit")


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
