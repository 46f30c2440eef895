"""Server memory per concurrent multipart upload: asgikit, Starlette and a hand-written app.

    uv run --no-sync python benchmarks/upload_memory.py [--uploads 200] [--size-mb 10]

For each app, starts uvicorn on 127.0.0.1, reads its resident memory (VmRSS) once it
has served one upload, sends ``--uploads`` concurrent multipart uploads of
``--size-mb`` MB each (one file field) from this process, and reads the server's peak
(VmHWM). ``--client httpx`` (the default) posts with one ``httpx.AsyncClient``, whose
uploads progress unevenly, as real ones do; ``--client raw`` streams from raw sockets
in 64 KiB writes, which keeps every upload in step, all of them in their first,
in-memory MiB at once. It prints the growth divided by the number of uploads: the
memory one concurrent upload costs. Every app reads the whole form (or body), keeps the
file (spooled to disk past 1 MiB) and answers its size.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any

BOUNDARY = "memory-bench-boundary-9e2f"
PIECE = 64 * 1024


async def _lifespan(receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _answer(send: Any, text: str) -> None:
    body = text.encode()
    headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def asgikit_app(scope: Any, receive: Any, send: Any) -> None:
    from asgikit.forms import UploadedFile
    from asgikit.requests import Request

    if scope["type"] == "lifespan":
        return await _lifespan(receive, send)
    request = Request(scope, receive, send)
    if request.method == "GET":
        return await request.respond_text("ok")
    async with await request.read_form() as form:
        upload = form["file"]
        assert isinstance(upload, UploadedFile)
        await request.respond_text(str(upload.size))
    return None


def _starlette() -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    async def upload(request: Request) -> PlainTextResponse:
        async with request.form() as form:
            file = form["file"]
            return PlainTextResponse(str(file.size))  # type: ignore[union-attr]

    async def ready(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    return Starlette(routes=[Route("/", ready), Route("/upload", upload, methods=["POST"])])


async def starlette_app(scope: Any, receive: Any, send: Any) -> None:
    global _starlette_instance
    if _starlette_instance is None:
        _starlette_instance = _starlette()
    await _starlette_instance(scope, receive, send)


_starlette_instance: Any = None


async def raw_app(scope: Any, receive: Any, send: Any) -> None:
    """The floor: the body goes to an unnamed temporary file as it comes, no parsing."""
    if scope["type"] == "lifespan":
        return await _lifespan(receive, send)
    if scope["method"] == "GET":
        return await _answer(send, "ok")
    file = await asyncio.to_thread(tempfile.TemporaryFile)
    size = 0
    try:
        while True:
            message = await receive()
            chunk = message.get("body", b"")
            if chunk:
                await asyncio.to_thread(file.write, chunk)
                size += len(chunk)
            if not message.get("more_body", False):
                break
    finally:
        await asyncio.to_thread(file.close)
    await _answer(send, str(size))
    return None


# -- measuring ---------------------------------------------------------------------------


def _memory_kib(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} for {pid}")


async def _upload(port: int, size: int, block: bytes) -> int:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="f.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    length = len(head) + size + len(tail)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(
            (
                f"POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
                f"Content-Length: {length}\r\n\r\n"
            ).encode()
            + head
        )
        remaining = size
        while remaining:
            piece = block if remaining >= len(block) else block[:remaining]
            writer.write(piece)
            remaining -= len(piece)
            await writer.drain()
        writer.write(tail)
        await writer.drain()
        response = await asyncio.wait_for(reader.read(), timeout=600)
    finally:
        writer.close()
    status = int(response.split(b" ", 2)[1])
    # The raw app answers the size of the whole body, the others of the file.
    if status != 200 or int(response.rsplit(b"\r\n\r\n", 1)[1]) not in (size, length):
        raise RuntimeError(f"upload failed: {response[:200]!r}")
    return status


async def _run_uploads(port: int, uploads: int, size: int, client: str) -> None:
    if client == "raw":
        block = os.urandom(PIECE)
        await asyncio.gather(*(_upload(port, size, block) for _ in range(uploads)))
        return
    import httpx

    data = os.urandom(size)
    limits = httpx.Limits(max_connections=uploads)
    async with httpx.AsyncClient(limits=limits, timeout=600) as session:

        async def one() -> None:
            files = {"file": ("f.bin", data, "application/octet-stream")}
            response = await session.post(f"http://127.0.0.1:{port}/upload", files=files)
            if response.status_code != 200 or int(response.text) < size:
                raise RuntimeError(f"upload failed: {response.text[:200]!r}")

        await asyncio.gather(*(one() for _ in range(uploads)))


def measure(app: str, uploads: int, size: int, client: str) -> tuple[int, int, float]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    here = os.path.dirname(os.path.abspath(__file__))
    spool = tempfile.mkdtemp(prefix="asgikit-upload-memory-")
    cmd = [
        sys.executable, "-m", "uvicorn", f"upload_memory:{app}", "--app-dir", here,
        "--port", str(port), "--no-access-log", "--log-level", "warning",
        "--backlog", str(max(2048, uploads * 2)),
    ]  # fmt: skip
    env = {**os.environ, "TMPDIR": spool}
    process = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as probe:
                    probe.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    if probe.recv(100).startswith(b"HTTP/1.1 200"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{app} did not start")
            time.sleep(0.2)
        # One upload first, so that every app has imported and set up what it needs.
        asyncio.run(_run_uploads(port, 1, size, client))
        before = _memory_kib(process.pid, "VmRSS")
        start = time.perf_counter()
        asyncio.run(_run_uploads(port, uploads, size, client))
        seconds = time.perf_counter() - start
        peak = _memory_kib(process.pid, "VmHWM")
        return before, peak, seconds
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(spool, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--uploads", type=int, default=200)
    parser.add_argument("--size-mb", type=int, default=10)
    parser.add_argument("--apps", default="asgikit_app,starlette_app,raw_app")
    parser.add_argument("--client", choices=["httpx", "raw"], default="httpx")
    args = parser.parse_args()
    size = args.size_mb * 1_000_000
    print(
        f"{args.uploads} concurrent uploads of {args.size_mb} MB through uvicorn "
        f"({args.client} client)"
    )
    for app in args.apps.split(","):
        before, peak, seconds = measure(app, args.uploads, size, args.client)
        each = (peak - before) / 1024 / args.uploads
        print(
            f"{app:<14} RSS before {before / 1024:6.1f} MiB, peak {peak / 1024:7.1f} MiB: "
            f"{each:5.2f} MiB per upload ({args.uploads * size / seconds / 1e6:.0f} MB/s)"
        )
    return 0


async def stream_app(scope: Any, receive: Any, send: Any) -> None:
    """asgikit's read_stream() to an unnamed temporary file: core's share of the cost."""
    from asgikit.requests import Request

    if scope["type"] == "lifespan":
        return await _lifespan(receive, send)
    request = Request(scope, receive, send)
    if request.method == "GET":
        return await request.respond_text("ok")
    file = await asyncio.to_thread(tempfile.TemporaryFile)
    size = 0
    try:
        async for chunk in request.read_stream():
            await asyncio.to_thread(file.write, chunk)
            size += len(chunk)
    finally:
        await asyncio.to_thread(file.close)
    return await request.respond_text(str(size))


if __name__ == "__main__":
    raise SystemExit(main())
