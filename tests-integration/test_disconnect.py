"""The disconnect signal, early hints and trailers on uvicorn, granian and hypercorn.

What each server offers (read in their sources and checked here): uvicorn (h11 and
httptools, ASGI 2.3 for HTTP) and granian offer neither ``http.response.early_hint`` nor
``http.response.trailers``; hypercorn offers both on HTTP/2 and HTTP/3 only (a 103
response and trailer fields over HTTP/2, checked below with a raw h2 client).
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import h2.config
import h2.connection
import h2.events
import httpx
import pytest

SERVERS = ["uvicorn", "granian", "hypercorn"]


@pytest.fixture(params=SERVERS)
def server(request: pytest.FixtureRequest, serve: Callable[..., Any]) -> Any:
    return serve("disconnect_app:app", request.param)


@pytest.mark.parametrize(
    "sent",
    [
        pytest.param(b"GET /wait HTTP/1.1\r\nHost: t\r\n\r\n", id="after-the-request"),
        pytest.param(
            b"POST /wait HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\npart",
            id="mid-body",
        ),
    ],
)
def test_a_client_that_leaves_ends_wait_disconnected(server: Any, sent: bytes) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(sent)
        # The handler is in wait_disconnected() once /waiting answers; then leave.
        assert httpx.get(f"{server.url}/waiting", timeout=60).status_code == 200
    outcome = httpx.get(f"{server.url}/outcome", timeout=60)
    assert outcome.status_code == 200, outcome.text
    assert outcome.text == "returned, is_disconnected=True"


def test_a_connected_client_is_not_disconnected(server: Any) -> None:
    def body() -> Any:
        for _ in range(8):
            yield b"x" * 10000

    response = httpx.post(f"{server.url}/check", content=body(), timeout=60)
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["received"] == 80000  # polling lost no byte
    assert not any(data["answers"])
    assert len(data["answers"]) >= 3
    assert "Traceback" not in "".join(server.log), "".join(server.log)


def test_http_1_1_offers_neither_early_hints_nor_trailers(server: Any) -> None:
    """None of the three offers them on HTTP/1.1: the hint is a no-op that says so, and
    a writer with trailers is refused before anything is sent."""
    offered = httpx.get(f"{server.url}/extensions", timeout=30).json()["extensions"]
    assert "http.response.early_hint" not in offered
    assert "http.response.trailers" not in offered
    assert httpx.get(f"{server.url}/hints", timeout=30).text == "hints sent: False"
    assert httpx.get(f"{server.url}/trailers", timeout=30).text == "no trailers"


def h2_get(port: int, path: str) -> list[h2.events.Event]:
    """GET ``path`` over cleartext HTTP/2 (prior knowledge) with ``TE: trailers``; every
    event of the stream until it ends."""
    connection = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    connection.initiate_connection()
    stream = connection.get_next_available_stream_id()
    connection.send_headers(
        stream,
        [
            (":method", "GET"),
            (":path", path),
            (":scheme", "http"),
            (":authority", f"127.0.0.1:{port}"),
            ("te", "trailers"),
        ],
        end_stream=True,
    )
    events: list[h2.events.Event] = []
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(connection.data_to_send())
        while not any(isinstance(e, h2.events.StreamEnded) for e in events):
            data = sock.recv(65536)
            assert data, f"the server closed the connection; events so far: {events}"
            for event in connection.receive_data(data):
                if isinstance(event, h2.events.DataReceived):
                    connection.acknowledge_received_data(event.flow_controlled_length, stream)
                events.append(event)
            sock.sendall(connection.data_to_send())
    return events


def test_hypercorn_sends_early_hints_over_http_2(serve: Callable[..., Any]) -> None:
    running = serve("disconnect_app:app", "hypercorn")
    events = h2_get(running.port, "/hints")
    informational = [e for e in events if isinstance(e, h2.events.InformationalResponseReceived)]
    assert len(informational) == 1
    assert (b":status", b"103") in informational[0].headers
    assert (b"link", b"</style.css>; rel=preload; as=style") in informational[0].headers
    body = b"".join(e.data for e in events if isinstance(e, h2.events.DataReceived))
    assert body == b"hints sent: True"


def test_hypercorn_sends_trailers_over_http_2(serve: Callable[..., Any]) -> None:
    running = serve("disconnect_app:app", "hypercorn")
    events = h2_get(running.port, "/trailers")
    body = b"".join(e.data for e in events if isinstance(e, h2.events.DataReceived))
    assert body == b"body, then trailers"
    trailers = [e for e in events if isinstance(e, h2.events.TrailersReceived)]
    assert len(trailers) == 1
    assert trailers[0].headers == [(b"x-checksum", b"c0ffee")]
