"""What every smoke app needs: checks, ASGI scopes, an in-memory channel, the report.

Standard library only at run time: asgikit is imported for types only here, and inside
:func:`check_portions`, which is the first thing a smoke app runs.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.metadata
import importlib.util
import json
import os
import sys
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from asgikit.asgi import Message, Receive, Scope, Send

# Every smoke app runs under this bound: a hang is a failure, not a stuck CI job.
TIMEOUT_SECONDS = 20


@dataclass(frozen=True)
class Info:
    """What check_wheels knows about the venv (``info.json``)."""

    dist: str
    version: str
    installed: list[str]
    own: list[str]
    absent: list[str]

    @classmethod
    def load(cls, path: str) -> Info:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(
            dist=str(data["dist"]),
            version=str(data["version"]),
            installed=[str(d) for d in data["installed"]],
            own=[str(s) for s in data["own"]],
            absent=[str(s) for s in data["absent"]],
        )


def check(condition: object, message: str) -> None:
    """Print ``ok: message``, or stop the app with ``FAILED: message``."""
    if not condition:
        raise SystemExit(f"FAILED: {message}")
    print(f"ok: {message}")


def http_scope(
    method: str = "GET", path: str = "/", headers: Iterable[tuple[str, str]] = ()
) -> Scope:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "extensions": {},
        "state": {},
    }


def websocket_scope(path: str = "/ws") -> Scope:
    return {
        "type": "websocket",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "scheme": "ws",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1:8000"), (b"sec-websocket-version", b"13")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "subprotocols": [],
        "extensions": {},
        "state": {},
    }


def channel(incoming: Iterable[Message]) -> tuple[Receive, Send, list[Message]]:
    """``receive()`` hands out ``incoming`` then waits forever, as a server does;
    ``send()`` records every message in the returned list."""
    pending = list(incoming)
    sent: list[Message] = []

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        await asyncio.Event().wait()
        raise AssertionError("unreachable: the event is never set")

    async def send(message: Message) -> None:
        sent.append(message)

    return receive, send, sent


def response_of(sent: list[Message]) -> tuple[int, dict[str, str], bytes]:
    """Status, headers (lower-cased names) and body of the one response in ``sent``."""
    starts = [m for m in sent if m["type"] == "http.response.start"]
    check(len(starts) == 1, f"one http.response.start sent (got {[m['type'] for m in sent]})")
    bodies = [m for m in sent if m["type"] == "http.response.body"]
    check(bodies and not bodies[-1].get("more_body", False), "the response body was finished")
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in starts[0]["headers"]}
    body = b"".join(m.get("body", b"") for m in bodies)
    return int(starts[0]["status"]), headers, body


def check_portions(info: Info) -> None:
    """The venv holds exactly the expected asgikit distributions, each portion from it."""
    import asgikit

    check(getattr(asgikit, "__file__", None) is None, "asgikit is a namespace package")
    prefix = os.path.realpath(sys.prefix)
    paths = [os.path.realpath(p) for p in asgikit.__path__]
    check(all(p.startswith(prefix) for p in paths), f"every asgikit path is in the venv: {paths}")
    installed = sorted(
        name
        for name in (d.metadata["Name"] for d in importlib.metadata.distributions())
        if name and name.startswith("asgikit")
    )
    check(installed == sorted(info.installed), f"asgikit distributions installed: {installed}")
    version = importlib.metadata.version(info.dist)
    check(version == info.version, f"{info.dist} {version} installed")
    for sub in info.own:
        module = importlib.import_module(f"asgikit.{sub}")
        where = os.path.realpath(str(module.__file__))
        check(where.startswith(prefix), f"import asgikit.{sub} from the venv")
    for sub in info.absent:
        check(importlib.util.find_spec(f"asgikit.{sub}") is None, f"asgikit.{sub} is absent")


def main(smoke: Callable[[Info], Awaitable[Any]]) -> None:
    """Run a smoke app: ``python -m wheel_smoke.<module> info.json``."""
    if len(sys.argv) != 2:
        raise SystemExit(f"usage: python -m {sys.argv[0]} info.json")
    info = Info.load(sys.argv[1])
    check_portions(info)

    async def bounded() -> None:
        await asyncio.wait_for(smoke(info), TIMEOUT_SECONDS)

    asyncio.run(bounded())
    print("smoke passed")
