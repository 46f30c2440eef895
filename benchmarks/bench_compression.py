"""asgikit-compression: a 100 KiB JSON response and a 100-chunk stream, uncompressed and
in each coding, side by side with Starlette's GZipMiddleware at the same level; then the
per-event latency of Server-Sent Events, compressed and not.

    uv run python benchmarks/bench_compression.py [--rounds N]

In process (no sockets): each call runs the app through the middleware and a fake
server that counts the bytes it is sent. Time is the process's CPU time (worker
threads included), which other load on a shared machine disturbs far less than the wall
clock; rounds interleave the implementations and medians are printed, with ratios to
Starlette's gzip. About 15 s on a 2-core machine. ``benchmarks/run.py`` also runs the
JSON/gzip scenario below (``SCENARIOS``) with the other benchmarks.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from harness import Scenario
from starlette.middleware.gzip import GZipMiddleware

from asgikit.compression import CompressionMiddleware

App = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
LEVEL = 6  # gzip at zlib's default level, in both middlewares

ROWS = [
    {"id": i, "name": f"user {i}", "email": f"user{i}@example.org", "active": i % 3 == 0,
     "score": i * 7919 % 1000, "tags": ["alpha", "beta"][: i % 3]}
    for i in range(1200)
]  # fmt: skip
JSON_BODY = json.dumps(ROWS).encode()[: 100 * 1024]
JSON_BODY = JSON_BODY[: JSON_BODY.rfind(b"},") + 1] + b"]"  # still JSON, just under 100 KiB
CHUNKS = [json.dumps(row).encode() + b"\n" for row in ROWS[:100]]


async def json_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", b"%d" % len(JSON_BODY)),
            ],
        }
    )
    await send({"type": "http.response.body", "body": JSON_BODY})


async def stream_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/x-ndjson")],
        }
    )
    for chunk in CHUNKS:
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


def scope_for(accept: str | None) -> dict[str, Any]:
    headers = [(b"host", b"127.0.0.1:8000")]
    if accept is not None:
        headers.append((b"accept-encoding", accept.encode()))
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "extensions": {},
        "state": {},
    }


def variants(app: App) -> dict[str, tuple[App, str | None]]:
    """name -> (app, Accept-Encoding sent)."""
    on_loop = 1 << 40
    return {
        "uncompressed": (app, None),
        "starlette gzip": (GZipMiddleware(app, compresslevel=LEVEL), "gzip"),
        "asgikit gzip": (CompressionMiddleware(app, levels={"gzip": LEVEL}), "gzip"),
        "asgikit gzip, on loop": (
            CompressionMiddleware(app, levels={"gzip": LEVEL}, thread_threshold=on_loop),
            "gzip",
        ),
        "asgikit br": (CompressionMiddleware(app), "br"),
        "asgikit zstd": (CompressionMiddleware(app), "zstd"),
    }


class Server:
    __slots__ = ("sent",)

    def __init__(self) -> None:
        self.sent = 0

    async def receive(self) -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(self, message: dict[str, Any]) -> None:
        self.sent += len(message.get("body", b""))


async def one_round(app: App, scope: dict[str, Any], calls: int) -> tuple[float, int]:
    gc.collect()
    server = Server()
    start = time.process_time()
    for _ in range(calls):
        await app(dict(scope), server.receive, server.send)
    return (time.process_time() - start) / calls, server.sent // calls


async def table(title: str, app: App, raw_size: int, calls: int, rounds: int) -> None:
    apps = variants(app)
    times: dict[str, list[float]] = {name: [] for name in apps}
    wire: dict[str, int] = {}
    for _ in range(rounds):
        for name, (variant, accept) in apps.items():
            seconds, sent = await one_round(variant, scope_for(accept), calls)
            times[name].append(seconds)
            wire[name] = sent
    base = statistics.median(times["starlette gzip"])
    print(f"\n{title} ({raw_size:,} bytes), {calls} calls x {rounds} rounds, median")
    print(f"| {'':<22} | bytes on wire | CPU time/response | vs starlette gzip | throughput |")
    print(f"|{'-' * 24}|--------------:|------------------:|------------------:|-----------:|")
    for name in apps:
        seconds = statistics.median(times[name])
        throughput = raw_size / seconds / 1e6
        print(
            f"| {name:<22} | {wire[name]:>13,} | {seconds * 1e6:>14.0f} µs | "
            f"{seconds / base:>17.2f} | {throughput:>5.0f} MB/s |"
        )


async def sse_latency(events: int = 2000) -> None:
    """Time from the app's send of one event to the server getting its bytes."""
    event = b"event: tick\ndata: " + json.dumps(ROWS[0]).encode() + b"\n\n"
    print(f"\nSSE: {events} events of {len(event)} bytes, app send -> server, per event")
    print("| coding | median | p99 | bytes/event |")
    print("|---|---:|---:|---:|")
    for coding in (None, "gzip", "br", "zstd"):
        delays, sizes = await _sse_run(coding, event, events)
        delays.sort()
        print(
            f"| {coding or 'none'} | {statistics.median(delays) * 1e6:.1f} µs | "
            f"{delays[int(len(delays) * 0.99)] * 1e6:.1f} µs | {statistics.median(sizes):.0f} |"
        )


async def _sse_run(coding: str | None, event: bytes, events: int) -> tuple[list[float], list[int]]:
    delays: list[float] = []
    sizes: list[int] = []
    stamp = [0.0]

    async def server_send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body" and message.get("more_body"):
            delays.append(time.perf_counter() - stamp[0])
            sizes.append(len(message["body"]))

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        start = {"type": "http.response.start", "status": 200,
                 "headers": [(b"content-type", b"text/event-stream")]}  # fmt: skip
        await send(start)
        for _ in range(events):
            stamp[0] = time.perf_counter()
            await send({"type": "http.response.body", "body": event, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    await CompressionMiddleware(app)(scope_for(coding), Server().receive, server_send)
    return delays, sizes


async def main(rounds: int) -> None:
    print(f"Python {sys.version.split()[0]}; gzip level {LEVEL} in both middlewares")
    await table("100 KiB JSON, whole", json_app, len(JSON_BODY), 100, rounds)
    stream_size = sum(map(len, CHUNKS))
    await table("100-chunk NDJSON stream", stream_app, stream_size, 100, rounds)
    await sse_latency()


def _check_gzip(sent: list[dict[str, Any]]) -> None:
    start = sent[0]
    assert (b"content-encoding", b"gzip") in start["headers"], start["headers"]


SCENARIOS = [
    Scenario(
        name="compression json 100KiB gzip",
        apps={
            "raw": json_app,
            "starlette": GZipMiddleware(json_app, compresslevel=LEVEL),
            "asgikit": CompressionMiddleware(json_app, levels={"gzip": LEVEL}),
        },
        scope=scope_for("gzip"),
        messages=[{"type": "http.request", "body": b"", "more_body": False}],
        calls=100,
        unit_bytes=len(JSON_BODY),
    )
]

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    asyncio.run(main(parser.parse_args().rounds))
