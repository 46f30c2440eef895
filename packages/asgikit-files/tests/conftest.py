"""Fixtures for asgikit-files: files in a temporary directory, and running requests."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from asgikit.asgi import Scope
from asgikit.files import StaticFiles
from asgikit.requests import Request
from asgikit.testing import Channel, http_scope

# No wall clock in the unit run: Hypothesis' per-example deadline fails a test that is
# merely slow on a busy machine.
settings.register_profile("asgikit", deadline=None)
settings.load_profile("asgikit")

Headers = Iterable[tuple[str, str]]

# Bytes that differ at every offset, so that a wrong slice cannot pass for a right one.
PATTERN = bytes(range(256)) * 4096 + b"the end"


@pytest.fixture
def data() -> bytes:
    return PATTERN


@pytest.fixture
def big_file(tmp_path: Path, data: bytes) -> Path:
    """A file of about 1 MiB: larger than the 64 KiB chunk the tests use."""
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    return path


@pytest.fixture
def text_file(tmp_path: Path) -> Path:
    path = tmp_path / "hello.txt"
    path.write_bytes(b"Hello, world!\n")
    os.utime(path, (784111777, 784111777))  # Sun, 06 Nov 1994 08:49:37 GMT
    return path


async def _respond(
    path: str | os.PathLike[str],
    *,
    method: str = "GET",
    headers: Headers = (),
    extensions: dict[str, Any] | None = None,
    **options: Any,
) -> Channel:
    """Call ``Request.respond_file(path, **options)`` over a fresh scope; return the channel."""
    scope = http_scope(method, "/file", headers=headers, extensions=extensions)
    channel = Channel.with_body()
    await Request(scope, channel.receive, channel.send).respond_file(path, **options)
    return channel


async def _get_static(
    app: StaticFiles,
    path: str,
    *,
    method: str = "GET",
    headers: Headers = (),
    root_path: str = "",
    extensions: dict[str, Any] | None = None,
) -> Channel:
    scope: Scope = http_scope(
        method, path, headers=headers, root_path=root_path, extensions=extensions
    )
    channel = Channel.with_body()
    await app(scope, channel.receive, channel.send)
    return channel


@pytest.fixture
def respond() -> Callable[..., Awaitable[Channel]]:
    """``await respond(path, method=, headers=, extensions=, **options)``: the channel after
    ``Request.respond_file(path, **options)`` over a fresh scope."""
    return _respond


@pytest.fixture
def get_static() -> Callable[..., Awaitable[Channel]]:
    """``await get_static(app, path, method=, headers=, root_path=, extensions=)``."""
    return _get_static


@pytest.fixture
def fd_tracker(monkeypatch: pytest.MonkeyPatch) -> set[int]:
    """The descriptors opened with os.open and not closed yet, as a live set."""
    open_fds: set[int] = set()
    real_open, real_close = os.open, os.close

    def tracking_open(
        path: Any, flags: int, mode: int = 0o777, *, dir_fd: int | None = None
    ) -> int:
        fd = real_open(path, flags, mode, dir_fd=dir_fd)
        open_fds.add(fd)
        return fd

    def tracking_close(fd: int) -> None:
        real_close(fd)
        open_fds.discard(fd)

    monkeypatch.setattr(os, "open", tracking_open)
    monkeypatch.setattr(os, "close", tracking_close)
    return open_fds
