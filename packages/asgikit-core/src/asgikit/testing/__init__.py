"""Helpers to drive ASGI apps in tests without a server: complete scopes and a channel.

``http_scope()`` and ``websocket_scope()`` build scopes with every key the ASGI spec
gives a server to fill, so code under test meets the same shape a server would hand it.
:class:`Channel` plays the server's side of ``receive`` and ``send``.
``export_problems()`` checks a module's public names against a pinned list, and
``portion_problems()`` a whole distribution's public modules.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from asgikit.asgi import Message, Scope

__all__ = [
    "Channel",
    "export_problems",
    "http_scope",
    "portion_problems",
    "scan_cost",
    "websocket_scope",
]


def _headers(headers: Iterable[tuple[str | bytes, str | bytes]]) -> list[tuple[bytes, bytes]]:
    return [
        (
            (n.encode("latin-1") if isinstance(n, str) else n).lower(),
            v.encode("latin-1") if isinstance(v, str) else v,
        )
        for n, v in headers
    ]


def http_scope(
    method: str = "GET",
    path: str = "/",
    *,
    query_string: bytes = b"",
    headers: Iterable[tuple[str | bytes, str | bytes]] = (),
    scheme: str = "http",
    http_version: str = "1.1",
    root_path: str = "",
    client: tuple[str, int] | None = ("127.0.0.1", 50000),
    server: tuple[str, int] | None = ("127.0.0.1", 8000),
    extensions: dict[str, Any] | None = None,
    spec_version: str = "2.4",
) -> Scope:
    """A complete ASGI ``http`` scope (ASGI HTTP spec, "Connection Scope")."""
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": spec_version},
        "http_version": http_version,
        "method": method,
        "scheme": scheme,
        "path": path,
        "raw_path": path.encode("utf-8"),
        "query_string": query_string,
        "root_path": root_path,
        "headers": _headers(headers),
        "client": client,
        "server": server,
        "extensions": extensions if extensions is not None else {},
        "state": {},
    }


def websocket_scope(
    path: str = "/",
    *,
    query_string: bytes = b"",
    headers: Iterable[tuple[str | bytes, str | bytes]] = (),
    subprotocols: Iterable[str] = (),
    scheme: str = "ws",
    client: tuple[str, int] | None = ("127.0.0.1", 50000),
    server: tuple[str, int] | None = ("127.0.0.1", 8000),
    extensions: dict[str, Any] | None = None,
) -> Scope:
    """A complete ASGI ``websocket`` scope (ASGI WebSocket spec, "Connection Scope")."""
    return {
        "type": "websocket",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "scheme": scheme,
        "path": path,
        "raw_path": path.encode("utf-8"),
        "query_string": query_string,
        "root_path": "",
        "headers": _headers(headers),
        "client": client,
        "server": server,
        "subprotocols": list(subprotocols),
        "extensions": extensions if extensions is not None else {},
        "state": {},
    }


class Channel:
    """The server's end of ``receive`` and ``send``.

    ``receive()`` returns the queued messages in order; once they run out it waits, as a
    server does, until :meth:`disconnect` (or another :meth:`push`). ``sent`` holds every
    message the app sent. ``send_error`` makes ``send`` raise it (a gone client, ASGI 2.4).
    """

    def __init__(self, messages: Iterable[Message] = ()) -> None:
        self._queue: asyncio.Queue[Message] = asyncio.Queue()
        for message in messages:
            self._queue.put_nowait(message)
        self.sent: list[Message] = []
        self.send_error: BaseException | None = None
        self.receive_calls = 0
        self.concurrent_receives = 0
        self.max_concurrent_receives = 0
        self._receive_called = asyncio.Condition()

    @classmethod
    def with_body(cls, *chunks: bytes) -> Channel:
        """A channel whose request body arrives as ``chunks`` (one empty chunk if none)."""
        parts = list(chunks) or [b""]
        return cls(
            {"type": "http.request", "body": part, "more_body": i < len(parts) - 1}
            for i, part in enumerate(parts)
        )

    def push(self, message: Message) -> None:
        self._queue.put_nowait(message)

    def disconnect(self, kind: str = "http.disconnect", **fields: Any) -> None:
        self._queue.put_nowait({"type": kind, **fields})

    async def wait_for_receive_calls(self, count: int) -> None:
        """Wait until ``receive()`` has been called ``count`` times in all."""
        async with self._receive_called:
            await self._receive_called.wait_for(lambda: self.receive_calls >= count)

    async def receive(self) -> Message:
        self.receive_calls += 1
        async with self._receive_called:
            self._receive_called.notify_all()
        self.concurrent_receives += 1
        self.max_concurrent_receives = max(self.max_concurrent_receives, self.concurrent_receives)
        try:
            return await self._queue.get()
        finally:
            self.concurrent_receives -= 1

    async def send(self, message: Message) -> None:
        if self.send_error is not None:
            raise self.send_error
        self.sent.append(message)

    # What the app answered, for HTTP.
    @property
    def status(self) -> int | None:
        for message in self.sent:
            if message["type"] == "http.response.start":
                status: int = message["status"]
                return status
        return None

    @property
    def headers(self) -> list[tuple[bytes, bytes]]:
        for message in self.sent:
            if message["type"] == "http.response.start":
                headers: list[tuple[bytes, bytes]] = message["headers"]
                return headers
        return []

    def header(self, name: str) -> str | None:
        key = name.lower().encode("latin-1")
        for n, v in self.headers:
            if n == key:
                return v.decode("latin-1")
        return None

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.sent if m["type"] == "http.response.body")


def _owner(module_name: str) -> str:
    """The public module a module belongs to: ``a.b._c._d`` -> ``a.b``."""
    parts = module_name.split(".")
    for i, part in enumerate(parts):
        if part.startswith("_"):
            return ".".join(parts[:i])
    return module_name


def portion_problems(
    portion: str | os.PathLike[str],
    public: Mapping[str, Iterable[str]],
    *,
    unexported: Mapping[str, Iterable[str]] | None = None,
) -> list[str]:
    """What is wrong with the public surface of one distribution: one sentence per
    problem, an empty list when there is none. Meant for ``assert portion_problems(...) == []``
    in each distribution's tests.

    ``portion`` is the distribution's folder of the namespace (``src/asgikit``);
    ``public`` maps each public module's name (``"asgikit.forms"``) to the names its
    ``__all__`` must list. Every public package in ``portion``, and every public module
    directly inside one (``asgikit.headers.accept``), must be a key of ``public``, and
    every key must be one of them; then :func:`export_problems` checks each module, with
    its ``unexported`` names.

    .. versionadded:: 0.2.0
    """
    packages = [
        path
        for path in Path(portion).iterdir()
        if (path / "__init__.py").is_file() and not path.name.startswith("_")
    ]
    found = {f"asgikit.{path.name}" for path in packages} | {
        f"asgikit.{path.name}.{module.stem}"
        for path in packages
        for module in path.glob("*.py")
        if not module.name.startswith("_")
    }
    problems = [f"{name} is public but not pinned" for name in sorted(found - set(public))]
    problems += [f"{name} is pinned but not public" for name in sorted(set(public) - found)]
    for name in sorted(set(public) & found):
        skipped = (unexported or {}).get(name, ())
        problems += export_problems(name, public[name], unexported=skipped)
    return problems


def export_problems(
    module_name: str, expected: Iterable[str], *, unexported: Iterable[str] = ()
) -> list[str]:
    """What is wrong with the public names of the module ``module_name``: one sentence per
    problem, an empty list when there is none. Meant for ``assert export_problems(...) == []``.

    - ``__all__`` lists exactly the names in ``expected``, each once, none private;
    - every name in ``__all__`` can be imported from the module;
    - every class or function the module shows under a public name, when it comes from
      this distribution's top-level package, is exported by the public module that owns
      it: the module itself for what it defines or re-exports from its private submodules
      (``asgikit.requests._streaming.ResponseWriter`` must be in ``asgikit.requests.__all__``),
      the public module above a sibling's private module otherwise.

    ``unexported`` names public-looking helpers the module imports for its own use and
    deliberately does not export; each must still be there, so a stale entry is reported.
    Raises whatever importing ``module_name`` raises.

    .. versionadded:: 0.2.0
    """
    module = importlib.import_module(module_name)
    problems: list[str] = []
    listed = getattr(module, "__all__", None)
    if listed is None:
        return [f"{module_name} has no __all__"]
    listed = list(listed)
    wanted = set(expected)
    for name in sorted(wanted - set(listed)):
        problems.append(f"{module_name}.__all__ lacks {name!r}, which the test expects")
    for name in sorted(set(listed) - wanted):
        problems.append(f"{module_name}.__all__ lists {name!r}, which the test does not expect")
    for name in sorted({name for name in listed if listed.count(name) > 1}):
        problems.append(f"{module_name}.__all__ lists {name!r} more than once")
    for name in listed:
        if name.startswith("_"):
            problems.append(f"{module_name}.__all__ lists the private name {name!r}")
        if not hasattr(module, name):
            problems.append(f"{module_name}.__all__ lists {name!r}, which cannot be imported")
    allowed = set(unexported)
    top = module_name.split(".")[0]
    for name, value in sorted(vars(module).items()):
        if name.startswith("_") or not (inspect.isclass(value) or inspect.isfunction(value)):
            continue
        defined_in = getattr(value, "__module__", "") or ""
        if defined_in.split(".")[0] != top:
            continue
        owner_name = _owner(defined_in)
        if owner_name == module_name:
            if name in listed:
                continue
            if name in allowed:
                allowed.discard(name)
                continue
            problems.append(
                f"{module_name}.{name} ({defined_in}.{value.__qualname__}) is public "
                f"but not in {module_name}.__all__"
            )
            continue
        owner = importlib.import_module(owner_name)
        if any(getattr(owner, item, None) is value for item in getattr(owner, "__all__", ())):
            continue
        if name in allowed:
            allowed.discard(name)
            continue
        problems.append(
            f"{module_name}.{name} ({defined_in}.{value.__qualname__}) is shown under a "
            f"public name but {owner_name} does not export it"
        )
    for name in sorted(allowed):
        problems.append(
            f"{name!r} is listed as unexported but {module_name} shows no such public "
            "class or function that its __all__ leaves out"
        )
    return problems


# str methods that look at a span given by (sub, start, end), charged for that span.
_SEARCHES = frozenset({"find", "index", "rfind", "rindex", "count", "startswith", "endswith"})


def scan_cost(parse: Callable[[str], object], text: str) -> int:
    """The characters ``parse(text)`` examines: a deterministic measure of its work, for
    tests that a parser stays linear on hostile input without reading the clock.

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
