from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

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
