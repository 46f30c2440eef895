"""End-to-end figures: real servers, one worker pinned to one core, the load on the other.

    uv run python benchmarks/e2e.py [--seconds 3] [--rounds 3] [--servers uvicorn granian]

For each server (uvicorn with httptools and uvloop; granian) and each round, the raw,
Starlette and asgikit apps (``e2e_apps.py``) are started in turn, interleaved, each with
``taskset -c 0``; the load generator runs with ``taskset -c 1`` in a process of its own
(asyncio on uvloop, keep-alive connections, one request in flight per connection). It
measures: hello and JSON echo (requests/s, p99 latency) over 50 connections, a 1 MB file
over 10; 100 websocket connections echoing (messages/s); and the server's memory per
connection (VmRSS growth divided by the count) with 100 websockets and with 1,000 open
SSE streams. Printed: the median of the rounds and their spread (max/min - 1), the noise
that any difference between the implementations must exceed to mean something.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
IMPLEMENTATIONS = ("raw", "starlette", "asgikit")
JSON_BODY = json.dumps({"id": 12345, "name": "widget", "tags": ["a", "b", "c"]}).encode()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _server_command(server: str, impl: str, port: int) -> list[str]:
    app = f"e2e_apps:{impl}"
    if server == "uvicorn":
        return [sys.executable, "-m", "uvicorn", app, "--port", str(port), "--http", "httptools",
                "--loop", "uvloop", "--log-level", "warning", "--no-access-log"]  # fmt: skip
    return [sys.executable, "-m", "granian", "--interface", "asgi", "--port", str(port),
            "--workers", "1", "--log-level", "warning", app]  # fmt: skip


def _rss_kib(pid: int) -> int:
    """The VmRSS of ``pid`` and its children (granian runs its worker as a child)."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for each in pids:
        for line in Path(f"/proc/{each}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


async def _request(reader: Any, writer: Any, request: bytes) -> int:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    await reader.readexactly(length)
    return length


async def _http_load(port: int, path: str, connections: int, seconds: float) -> dict[str, float]:
    if path == "/json":
        request = (
            b"POST /json HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
            b"content-length: %d\r\n\r\n%s" % (len(JSON_BODY), JSON_BODY)
        )
    else:
        request = b"GET %s HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n" % path.encode()
    latencies: list[float] = []
    stop = time.perf_counter() + seconds

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while (now := time.perf_counter()) < stop:
            await _request(reader, writer, request)
            latencies.append(time.perf_counter() - now)
        writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "per_s": len(latencies) / elapsed,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1e3,
    }


async def _ws_load(port: int, connections: int, seconds: float, pid: int) -> dict[str, float]:
    import websockets

    before = _rss_kib(pid)
    clients = [await websockets.connect(f"ws://127.0.0.1:{port}/ws") for _ in range(connections)]
    memory = (_rss_kib(pid) - before) / connections
    count = 0
    stop = time.perf_counter() + seconds

    async def worker(ws: Any) -> None:
        nonlocal count
        while time.perf_counter() < stop:
            await ws.send("hello, world")
            await ws.recv()
            count += 1

    start = time.perf_counter()
    await asyncio.gather(*(worker(ws) for ws in clients))
    elapsed = time.perf_counter() - start
    for ws in clients:
        await ws.close()
    return {"per_s": count / elapsed, "kib_per_conn": memory}


async def _sse_load(port: int, streams: int, pid: int) -> dict[str, float]:
    before = _rss_kib(pid)
    opened = []
    for _ in range(streams):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /sse HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
        opened.append((reader, writer))
    for reader, _ in opened:
        await reader.readuntil(b"hello")
    memory = (_rss_kib(pid) - before) / streams
    for _, writer in opened:
        writer.close()
    return {"kib_per_conn": memory}


def load(port: int, pid: int, seconds: float) -> dict[str, dict[str, float]]:
    """Every workload against the server at ``port`` (``pid``: its process)."""
    import uvloop

    async def main() -> dict[str, dict[str, float]]:
        return {
            "hello": await _http_load(port, "/hello", 50, seconds),
            "json": await _http_load(port, "/json", 50, seconds),
            "file 1 MB": await _http_load(port, "/file", 10, seconds),
            "ws echo x100": await _ws_load(port, 100, seconds, pid),
            "sse x1000": await _sse_load(port, 1000, pid),
        }

    return uvloop.run(main())


def _wait_ready(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(0.1)  # paced by the server process, not a sleep
    raise RuntimeError("the server did not listen within 30 s")


def measure(server: str, impl: str, seconds: float) -> dict[str, dict[str, float]]:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(HERE)}
    command = ["taskset", "-c", "0", *_server_command(server, impl, port)]
    proc = subprocess.Popen(command, cwd=HERE, env=env)
    try:
        _wait_ready(port, proc)
        client = ["taskset", "-c", "1", sys.executable, __file__, "--load", str(port),
                  "--pid", str(proc.pid), "--seconds", str(seconds)]  # fmt: skip
        output = subprocess.run(client, check=True, capture_output=True, text=True).stdout
        result: dict[str, dict[str, float]] = json.loads(output.strip().splitlines()[-1])
        return result
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=3.0, help="per workload and run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--servers", nargs="*", default=["uvicorn", "granian"])
    parser.add_argument("--load", type=int, help=argparse.SUPPRESS)  # internal: the client
    parser.add_argument("--pid", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load:
        print(json.dumps(load(args.load, args.pid, args.seconds)))
        return 0
    from e2e_apps import FILE, FILE_SIZE

    if not FILE.exists() or FILE.stat().st_size != FILE_SIZE:
        FILE.write_bytes(os.urandom(FILE_SIZE))
    for server in args.servers:
        runs: dict[str, list[dict[str, dict[str, float]]]] = {i: [] for i in IMPLEMENTATIONS}
        for _ in range(args.rounds):
            for impl in IMPLEMENTATIONS:
                runs[impl].append(measure(server, impl, args.seconds))
        print(f"\n{server}: median of {args.rounds} rounds (spread: max/min - 1)")
        workloads = list(runs["raw"][0])
        for workload in workloads:
            for metric in runs["raw"][0][workload]:
                cells = []
                for impl in IMPLEMENTATIONS:
                    values = [r[workload][metric] for r in runs[impl]]
                    median = statistics.median(values)
                    spread = max(values) / min(values) - 1 if min(values) > 0 else 0.0
                    cells.append(f"{impl} {median:,.1f} (±{spread * 100:.0f}%)")
                print(f"  {workload:<14}{metric:<13}" + "   ".join(cells), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
