"""asgikit-files scenario: a 10 MB file response, in MB/s.

- raw: ASGI by hand, the way a careful app streams a file: open, then 1 MiB reads in a
  worker thread, each sent as it comes.
- starlette: ``FileResponse``.
- asgikit: ``request.respond_file``. The scope offers no ``http.response.pathsend``, so the
  chunked path is what is measured.

The file is made in a temporary directory by ``setup`` and removed by ``teardown``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from typing import Any

from bench_core import EMPTY_BODY, body_of, http_scope, status_of
from harness import Scenario
from starlette.responses import FileResponse

from asgikit.requests import Request

SIZE = 10 * 1000 * 1000
RAW_CHUNK = 1024 * 1024
_where: dict[str, str] = {}


def setup() -> None:
    directory = tempfile.mkdtemp(prefix="asgikit-bench-")
    path = os.path.join(directory, "ten-mb.bin")
    with open(path, "wb") as f:
        f.write(os.urandom(SIZE))
    _where["dir"], _where["path"] = directory, path


def teardown() -> None:
    shutil.rmtree(_where.pop("dir"), ignore_errors=True)
    _where.pop("path", None)


def _read_chunk(f: Any) -> bytes:
    data: bytes = f.read(RAW_CHUNK)
    return data


async def file_raw(scope: Any, receive: Any, send: Any) -> None:
    path = _where["path"]
    loop = asyncio.get_running_loop()
    f = await loop.run_in_executor(None, open, path, "rb")
    try:
        size = os.fstat(f.fileno()).st_size
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/octet-stream"),
                    (b"content-length", b"%d" % size),
                ],
            }
        )
        while True:
            chunk = await loop.run_in_executor(None, _read_chunk, f)
            if not chunk:
                break
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
    finally:
        f.close()


async def file_starlette(scope: Any, receive: Any, send: Any) -> None:
    await FileResponse(_where["path"])(scope, receive, send)


async def file_asgikit(scope: Any, receive: Any, send: Any) -> None:
    await Request(scope, receive, send).respond_file(_where["path"])


def check_file(sent: list[dict[str, Any]]) -> None:
    assert status_of(sent) == 200
    with open(_where["path"], "rb") as f:
        assert body_of(sent) == f.read()
    assert all(m["type"] != "http.response.pathsend" for m in sent)


SCENARIOS = [
    Scenario(
        "file 10 MB",
        {
            "raw": file_raw,
            "starlette": file_starlette,
            "asgikit": file_asgikit,
        },
        http_scope("GET", "/ten-mb.bin"),
        EMPTY_BODY,
        calls=20,
        unit_bytes=SIZE,
        check=check_file,
        setup=setup,
        teardown=teardown,
    ),
]


# -- serving 1 GB keeps the server's memory flat -------------------------------------------
#
#     uv run python benchmarks/bench_files.py [--size-mb 1024]
#
# Starts uvicorn (the chunked path) and granian (pathsend) on this module's ``rss_app``,
# downloads a sparse file with curl to /dev/null, and prints the server's resident memory
# before and at its peak (VmHWM of every process of the server).


async def rss_app(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    await Request(scope, receive, send).respond_file(os.environ["ASGIKIT_BENCH_FILE"])


def _tree(pid: int) -> list[int]:
    pids = [pid]
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                pids += [p for child in f.read().split() for p in _tree(int(child))]
        except OSError:
            pass
    return pids


def _memory_kib(pid: int, field: str) -> int:
    total = 0
    for p in _tree(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith(field + ":"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def _measure(server: str, path: str, size: int) -> tuple[int, int, float]:
    import socket
    import subprocess
    import sys
    import time

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    here = os.path.dirname(os.path.abspath(__file__))
    if server == "uvicorn":
        cmd = [
            sys.executable,
            "-m",
            "uvicorn",
            "bench_files:rss_app",
            "--app-dir",
            here,
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ]
    else:
        cmd = [sys.executable, "-m", "granian", "--interface", "asgi", "--working-dir", here,
               "--port", str(port), "--log-level", "warning", "bench_files:rss_app"]  # fmt: skip
    env = {**os.environ, "ASGIKIT_BENCH_FILE": path, "PYTHONPATH": here}
    process = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/big.bin"
    try:
        deadline = time.monotonic() + 30
        while subprocess.run(["curl", "-sf", "-r", "0-0", "-o", "/dev/null", url]).returncode != 0:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{server} did not start")
            time.sleep(0.2)
        before = _memory_kib(process.pid, "VmRSS")
        start = time.perf_counter()
        done = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{size_download}", url],
                              capture_output=True, text=True, check=True)  # fmt: skip
        seconds = time.perf_counter() - start
        assert int(done.stdout) == size, done.stdout
        peak = _memory_kib(process.pid, "VmHWM")
        return before, peak, seconds
    finally:
        process.terminate()
        process.wait(timeout=10)


def rss_main() -> int:
    import argparse

    parser = argparse.ArgumentParser(description="server RSS while serving a large file")
    parser.add_argument("--size-mb", type=int, default=1024)
    args = parser.parse_args()
    size = args.size_mb * 1024 * 1024
    directory = tempfile.mkdtemp(prefix="asgikit-rss-")
    path = os.path.join(directory, "big.bin")
    with open(path, "wb") as f:
        f.truncate(size)  # sparse: reads as zeros, costs no disk
    failed = 0
    try:
        print(f"serving {args.size_mb} MiB with curl -o /dev/null")
        for server in ("uvicorn", "granian"):
            before, peak, seconds = _measure(server, path, size)
            grew = (peak - before) / 1024
            verdict = "flat" if grew < 64 else "GROWS"
            failed += verdict != "flat"
            print(
                f"{server:<8} RSS before {before / 1024:7.1f} MiB, "
                f"peak (VmHWM) {peak / 1024:7.1f} MiB, growth {grew:6.1f} MiB: {verdict}  "
                f"({size / seconds / 1e6:.0f} MB/s)"
            )
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(rss_main())
