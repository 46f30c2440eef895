"""Each file in examples/ run alone, as its docstring says, under a real uvicorn."""

from __future__ import annotations

import ast
import re
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

EXAMPLES = Path(__file__).parent.parent / "examples"
RUN_LINE = re.compile(r"Run: uv run uvicorn (\w+):app --app-dir examples")
STANDALONE = sorted(p.stem for p in EXAMPLES.glob("*.py") if p.stem != "showcase")


def run_target(name: str) -> str:
    docstring = ast.get_docstring(ast.parse((EXAMPLES / f"{name}.py").read_text())) or ""
    found = RUN_LINE.search(docstring)
    assert found is not None, f"examples/{name}.py has no 'Run: uv run uvicorn ...' line"
    assert found.group(1) == name
    return f"{found.group(1)}:app"


def stop(running: Any) -> str:
    """Stop the server the way Ctrl+C does and return everything it printed.

    uvicorn waits for running requests before it exits, and "Finished server process"
    is its last line, so once that line is read the log is complete.
    """
    running.process.terminate()
    running.process.wait(timeout=30)
    deadline = time.monotonic() + 30
    while not any("Finished server process" in line for line in running.log):
        assert time.monotonic() < deadline, "".join(running.log)
        time.sleep(0.01)
    return "".join(running.log)


@pytest.mark.parametrize("name", STANDALONE)
def test_example_runs_alone_with_lifespan(name: str, serve: Callable[..., Any]) -> None:
    running = serve(run_target(name), "uvicorn", app_dir=EXAMPLES)
    response = httpx.get(running.url + "/", timeout=30)
    assert response.status_code == 200, response.text
    log = stop(running)
    assert "Application startup complete" in log
    assert "Application shutdown complete" in log
    assert "lifespan' protocol appears unsupported" not in log
    assert "Traceback" not in log, log


def test_streaming_visitor_who_leaves_logs_nothing(serve: Callable[..., Any]) -> None:
    running = serve("streaming:app", "uvicorn", app_dir=EXAMPLES)
    with socket.create_connection(("127.0.0.1", running.port), timeout=30) as sock:
        sock.sendall(b"GET /?count=100 HTTP/1.1\r\nhost: x\r\n\r\n")
        received = b""
        while b"line 2 of 100" not in received:
            chunk = sock.recv(4096)
            assert chunk, received
            received += chunk
    log = stop(running)
    assert "ClientDisconnectedError" not in log, log
    assert "Traceback" not in log, log


def test_sse_visitor_who_leaves_logs_nothing(serve: Callable[..., Any]) -> None:
    running = serve("sse_clock:app", "uvicorn", app_dir=EXAMPLES)
    with (
        httpx.Client(timeout=30) as client,
        client.stream("GET", running.url + "/events") as response,
    ):
        for line in response.iter_lines():
            if line.startswith("data:"):
                break
    log = stop(running)
    assert "Traceback" not in log, log
