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
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
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


def _command(
    server: str, target: str, port: int, app_dir: Path, args: Sequence[str] = ()
) -> list[str]:
    return [*_base_command(server, target, port, app_dir), *args]


def _base_command(server: str, target: str, port: int, app_dir: Path) -> list[str]:
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
        # Set by the output reader when the ready line arrives or the output ends.
        self.settled = threading.Event()
        self.ready = False
        self.reader: threading.Thread | None = None

    def stop(self) -> str:
        """Stop the server (SIGTERM, then SIGKILL after 10 s) and return everything it
        wrote: once the process has exited and its output is read to the end, no log
        line can still be on its way."""
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.reader is not None:
            self.reader.join(timeout=10)
            assert not self.reader.is_alive(), "the server's output did not end"
        return "".join(self.log)


def _read_output(running: RunningServer) -> None:
    """Collect the server's output lines; note its ready line and the end of its output.

    One thread reads the pipe for the server's whole life: a select() on the pipe beside
    a buffered readline() would miss lines already in the buffer (a burst of start-up
    lines then looks like a server that never got ready), and a pipe nobody reads fills
    up and stalls a chatty server.
    """
    stream = running.process.stdout
    assert stream is not None
    marker = READY_MARKERS[running.server]
    try:
        for line in stream:
            running.log.append(line)
            if not running.ready and marker in line:
                running.ready = True
                running.settled.set()
    except ValueError:  # the pipe was closed when the test ended
        pass
    running.settled.set()


def _server_output(running: RunningServer) -> str:
    output = "".join(running.log).rstrip() or "(nothing)"
    return f"{' '.join(running.process.args)}\n--- its output:\n{output}"  # type: ignore[arg-type]


def _wait_ready(running: RunningServer, timeout: float = READY_TIMEOUT) -> None:
    """Wait for the server's ready line, then for its port to accept a connection.

    Raises ``TimeoutError`` or ``RuntimeError`` (the server exited) with the server's
    command line and output.
    """
    marker = READY_MARKERS[running.server]
    deadline = time.monotonic() + timeout
    running.reader = threading.Thread(target=_read_output, args=(running,), daemon=True)
    running.reader.start()
    running.settled.wait(timeout)
    if not running.ready:
        if running.settled.is_set():
            raise RuntimeError(
                f"{running.server} exited (status {running.process.wait()}) before it was "
                "ready: " + _server_output(running)
            )
        raise TimeoutError(
            f"{running.server} did not print {marker!r} within {timeout:.0f} s: "
            + _server_output(running)
        )
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
            # Between attempts, wait on the one thing that ends the wait early: the
            # server exiting.
            try:
                status = running.process.wait(timeout=0.05)
            except subprocess.TimeoutExpired:
                continue
            raise RuntimeError(
                f"{running.server} exited (status {status}) before it accepted a "
                "connection: " + _server_output(running)
            ) from None


@pytest.fixture
def serve() -> Iterator[Callable[..., RunningServer]]:
    started: list[RunningServer] = []

    def start(
        target: str,
        server: str = "uvicorn",
        env: dict[str, str] | None = None,
        app_dir: Path = APPS,
        args: Sequence[str] = (),
    ) -> RunningServer:
        port = free_port()
        process = subprocess.Popen(
            _command(server, target, port, app_dir, args),
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


@pytest.fixture
def run_until_exit() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run a server that is expected to stop by itself (a failing lifespan startup);
    the timeout only guards against a hang."""

    def run(
        target: str, server: str = "uvicorn", app_dir: Path = APPS, timeout: float = 120.0
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            _command(server, target, free_port(), app_dir),
            cwd=app_dir,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )

    return run
