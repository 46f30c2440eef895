"""Real servers for the integration tests.

``serve(target, server=...)`` starts uvicorn, granian or hypercorn in a subprocess on
127.0.0.1 with a free port, waits until the server itself says it is listening (its own
log line, then a successful connect), and stops it when the test ends. The wait is long
(``READY_TIMEOUT``) because a loaded 2-core machine can take tens of seconds to start a
server; when it fails, the error holds everything the server printed. Apps live in
``tests-integration/apps/`` and are named ``module:attribute``.
"""

from __future__ import annotations

import os
import selectors
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

APPS = Path(__file__).parent / "apps"
EXAMPLES = Path(__file__).parent.parent / "examples"
READY_MARKERS = {
    "uvicorn": "Uvicorn running on",
    "uvicorn-wsproto": "Uvicorn running on",
    "granian": "Started worker",
    "hypercorn": "Running on",
}
SERVERS = ("uvicorn", "granian", "hypercorn")
READY_TIMEOUT = 120.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _command(server: str, target: str, port: int, app_dir: Path) -> list[str]:
    if server in ("uvicorn", "uvicorn-wsproto"):
        cmd = [
            sys.executable,
            "-m",
            "uvicorn",
            target,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--app-dir",
            str(app_dir),
            "--no-access-log",
        ]
        if server == "uvicorn-wsproto":
            cmd += ["--ws", "wsproto"]
        return cmd
    if server == "granian":
        return [
            sys.executable,
            "-m",
            "granian",
            "--interface",
            "asgi",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--working-dir",
            str(app_dir),
            target,
        ]
    if server == "hypercorn":
        return [
            sys.executable,
            "-m",
            "hypercorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--root-path",
            "",
            target,
        ]
    raise ValueError(f"unknown server {server!r}")


class RunningServer:
    def __init__(self, process: subprocess.Popen[str], port: int, server: str) -> None:
        self.process = process
        self.port = port
        self.server = server
        self.url = f"http://127.0.0.1:{port}"
        self.ws_url = f"ws://127.0.0.1:{port}"
        self.log: list[str] = []


def _server_output(running: RunningServer) -> str:
    output = "".join(running.log).rstrip() or "(nothing)"
    return f"{' '.join(running.process.args)}\n--- its output:\n{output}"  # type: ignore[arg-type]


def _wait_ready(running: RunningServer, timeout: float = READY_TIMEOUT) -> None:
    """Wait for the server's ready line, then for its port to accept a connection.

    Raises ``TimeoutError`` or ``RuntimeError`` (the server exited) with the server's
    command line and output.
    """
    marker = READY_MARKERS[running.server]
    process = running.process
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    seen = False
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while not seen:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(
                    f"{running.server} did not print {marker!r} within {timeout:.0f} s: "
                    + _server_output(running)
                )
            if not selector.select(remaining):
                continue
            line = process.stdout.readline()
            if not line:
                raise RuntimeError(
                    f"{running.server} exited (status {process.wait()}) before it was ready: "
                    + _server_output(running)
                )
            running.log.append(line)
            seen = marker in line
    # Keep reading the server's output, or a chatty server fills the pipe and stalls.
    threading.Thread(target=_drain, args=(running,), daemon=True).start()
    # The log line comes just before the socket accepts; a connect confirms it.
    while True:
        try:
            socket.create_connection(("127.0.0.1", running.port), timeout=1).close()
            return
        except OSError as exc:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{running.server} printed {marker!r} but port {running.port} refuses "
                    f"connections ({exc}): " + _server_output(running)
                ) from None
            time.sleep(0.05)


def _drain(running: RunningServer) -> None:
    stream = running.process.stdout
    assert stream is not None
    try:
        for line in stream:
            running.log.append(line)
    except ValueError:  # the pipe was closed when the test ended
        pass


@pytest.fixture
def serve() -> Iterator[Callable[..., RunningServer]]:
    started: list[RunningServer] = []

    def start(
        target: str,
        server: str = "uvicorn",
        env: dict[str, str] | None = None,
        app_dir: Path = APPS,
    ) -> RunningServer:
        port = free_port()
        process = subprocess.Popen(
            _command(server, target, port, app_dir),
            cwd=app_dir,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        )
        running = RunningServer(process, port, server)
        started.append(running)
        _wait_ready(running)
        return running

    yield start
    for running in started:
        running.process.terminate()
        try:
            running.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            running.process.kill()
            running.process.wait()
        if running.process.stdout is not None:
            running.process.stdout.close()
