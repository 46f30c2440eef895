"""asgikit-core through real uvicorn, with httpx and curl."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
from collections.abc import Callable
from typing import Any

import httpx
import pytest

CURL = shutil.which("curl")


@pytest.fixture
def server(serve: Callable[..., Any]) -> Any:
    return serve("core_app:app", "uvicorn")


def test_seed_json_example(server: Any) -> None:
    response = httpx.post(
        f"{server.url}/json", json={"hello": "world"}, headers={"X-Custom": "yes"}
    )
    assert response.status_code == 200
    data = response.json()
    assert data["lang"] == "Python" and data["method"] == "POST" and data["path"] == "/json"
    assert data["body"] == {"hello": "world"}
    assert data["headers"]["x-custom"] == "yes"
    assert response.headers["content-type"] == "application/json"


def test_middleware_then_handler_share_the_body(server: Any) -> None:
    response = httpx.post(f"{server.url}/middleware", content=b"payload-123")
    assert response.status_code == 200
    # Both read the whole body: the middleware first, then the handler, from one stream.
    assert response.text == "middleware saw 11 bytes, handler saw 11 bytes: payload-123"


def test_streamed_response_arrives_whole(server: Any) -> None:
    with httpx.stream("GET", f"{server.url}/stream") as response:
        lines = list(response.iter_lines())
    assert lines == [f"line {i}" for i in range(5)]


def test_streamed_upload_is_counted(server: Any) -> None:
    def chunks() -> Any:
        for _ in range(64):
            yield b"x" * 16384

    response = httpx.post(f"{server.url}/upload", content=chunks())
    assert response.json() == {"received": 64 * 16384}


def test_body_over_the_limit_is_413_early(server: Any) -> None:
    response = httpx.post(f"{server.url}/limited", content=b"x" * 4096)
    assert response.status_code == 413
    assert "max_body_size=1024" in response.text


def test_head_has_headers_and_no_body(server: Any) -> None:
    response = httpx.head(f"{server.url}/")
    assert response.status_code == 200
    assert response.headers["content-length"] == "13"
    assert response.content == b""


def test_curl_posts_json_and_reads_the_answer(server: Any) -> None:
    assert CURL is not None, "curl is needed: scripts/check installs it"
    result = subprocess.run(
        [
            CURL,
            "-sS",
            "-X",
            "POST",
            "-H",
            "Content-Type: application/json",
            "--data-binary",
            '{"n": 1}',
            f"{server.url}/json",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    data = json.loads(result.stdout)
    assert data["body"] == {"n": 1}
    assert data["headers"]["user-agent"].startswith("curl/")


def test_event_stream_ends_when_a_client_leaves_mid_body(server: Any) -> None:
    """The client announces a body, sends a few bytes, reads an event and leaves. The
    app never reads the body; its event generator must still be closed."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(
            b"GET /events-ignoring-body HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000\r\n\r\nabcde"
        )
        received = b""
        while b"data: tick" not in received:
            chunk = sock.recv(4096)
            assert chunk, "the server closed before the first event"
            received += chunk
    response = httpx.get(f"{server.url}/stream-closed", timeout=15)
    assert response.text == "closed"


@pytest.mark.parametrize("server_name", ["uvicorn", "granian", "hypercorn"])
def test_a_client_leaving_an_endless_stream_stops_it(
    serve: Callable[..., Any], server_name: str
) -> None:
    """The client reads a little of an endless stream and leaves. The producer awaits
    nothing but write(), and these servers' send() returns to a gone client without
    yielding: the server must still answer the next request, and the app must see
    ClientDisconnectedError (issue 10, item 17)."""
    running = serve("core_app:app", server_name)
    with socket.create_connection(("127.0.0.1", running.port), timeout=30) as sock:
        sock.sendall(b"GET /endless HTTP/1.1\r\nHost: t\r\n\r\n")
        received = 0
        while received < 65536:
            chunk = sock.recv(65536)
            assert chunk, "the server closed before sending the stream"
            received += len(chunk)
    # A frozen server would never answer this; the timeout only guards against a hang.
    response = httpx.get(f"{running.url}/endless-outcome", timeout=60)
    assert response.status_code == 200, response.text
    assert response.text == "ClientDisconnectedError"
