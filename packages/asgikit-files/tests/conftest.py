"""Fixtures for asgikit-files: files in a temporary directory, and running requests."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from asgikit.asgi import Scope
from asgikit.files import StaticFiles
from asgikit.requests import Request
from asgikit.testing import Channel, http_scope

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


ScanCost = Callable[[Callable[[str], object], str], int]

# str methods that look at a span given by (sub, start, end), charged for that span.
_SEARCHES = frozenset({"find", "index", "rfind", "rindex", "count", "startswith", "endswith"})


def _scan_cost(parse: Callable[[str], object], text: str) -> int:
    """The characters ``parse(text)`` examines: a deterministic measure of its work.

    ``text`` is passed as a ``str`` subclass that charges each call for the characters
    it can look at or copy (a search from ``start`` up to where it stops, a slice or a
    concatenation its length, any other method the whole string) and hands back pieces
    that charge too, so rescanning a prefix, copying a growing tail or a per-character
    Python loop all show up, whatever else the machine is doing. Blind spots: the work
    of C functions the string is passed to (``re``, ``int``, ``str.join``), of ``%``
    and of f-strings."""
    spent = 0

    def charge(count: int) -> None:
        nonlocal spent
        spent += max(count, 1)

    def wrap(result: object) -> object:
        if type(result) is str:
            return Metered(result)
        if isinstance(result, list):
            return [wrap(item) for item in result]
        if isinstance(result, tuple):
            return tuple(wrap(item) for item in result)
        return result

    class Metered(str):
        def __getattribute__(self, name: str) -> Any:
            attribute = str.__getattribute__(self, name)
            if name.startswith("__") or not callable(attribute):
                return attribute
            length = len(self)

            def metered(*args: Any) -> object:
                result = attribute(*args)
                if name in _SEARCHES and args and isinstance(args[0], str):
                    bounds = (*args[1:3], None, None)[:2]
                    start, end, _ = slice(*bounds).indices(length)
                    if name in ("find", "index") and isinstance(result, int) and result >= 0:
                        charge(result - start + len(args[0]))
                    elif name in ("rfind", "rindex") and isinstance(result, int) and result >= 0:
                        charge(end - result)
                    else:
                        charge(end - start)
                else:
                    charge(length)
                return wrap(result)

            return metered

        def __getitem__(self, key: Any) -> Any:
            result = str.__getitem__(self, key)
            charge(len(result))
            return wrap(result)

        def __add__(self, other: str) -> Any:
            charge(len(self) + len(other))
            return wrap(str.__add__(self, other))

        def __radd__(self, other: str) -> Any:
            charge(len(self) + len(other))
            return wrap(str.__add__(other, self))

        def __mul__(self, count: Any) -> Any:
            result = str.__mul__(self, count)
            charge(len(result))
            return wrap(result)

        def __contains__(self, key: object) -> bool:
            charge(len(self))
            return str.__contains__(self, key)  # type: ignore[operator]

        def __iter__(self) -> Any:
            charge(len(self))
            return str.__iter__(self)

    parse(Metered(text))
    return spent


@pytest.fixture(scope="session")
def scan_cost() -> ScanCost:
    """``scan_cost(parse, text)``: the characters ``parse(text)`` examines."""
    return _scan_cost
