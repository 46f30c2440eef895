"""Each file in examples/ run alone, as its docstring says, under a real uvicorn."""

from __future__ import annotations

import ast
import importlib.util
import re
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from asgikit.testclient import TestClient, exchange_of

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
    log: str = running.stop()  # the process has exited and its output is read to the end
    assert "Finished server process" in log, log
    return log


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


def test_upload_stores_under_server_chosen_names(serve: Callable[..., Any]) -> None:
    running = serve("upload:app", "uvicorn", app_dir=EXAMPLES)
    hostile = "<img src=x onerror=alert(1)>.HTML"
    stored: list[str] = []
    with httpx.Client(base_url=running.url, timeout=30) as client:
        for data in (b"first", b"second"):  # the same client name twice
            page = client.post("/", data={"title": "t"}, files={"file": (hostile, data)})
            assert page.status_code == 200, page.text
            assert "&lt;img src=x onerror=alert(1)&gt;.HTML" in page.text
            assert "<img" not in page.text
            assert "/tmp" not in page.text and "asgikit-uploads" not in page.text
            found = re.search(r'href="files/([0-9a-f]{32}\.html)"', page.text)
            assert found is not None, page.text
            stored.append(found[1])
        assert stored[0] != stored[1]
        for name, data in zip(stored, (b"first", b"second"), strict=True):
            back = client.get(f"/files/{name}")
            assert back.status_code == 200 and back.content == data
            assert back.headers["content-disposition"].startswith("attachment")
        assert client.get(f"/files/{'0' * 32}.bin").status_code == 404
    stop(running)


def test_download_page_prints_the_address_the_client_used(serve: Callable[..., Any]) -> None:
    running = serve("download:app", "uvicorn", app_dir=EXAMPLES)
    page = httpx.get(running.url + "/", timeout=30).text
    assert f"curl -r 0-99 -o part.bin {running.url}/file" in page
    assert "URL</code>" not in page
    odd = httpx.get(running.url + "/", headers={"host": "<b>evil</b>"}, timeout=30).text
    assert "evil" not in odd
    assert f"curl -r 0-99 -o part.bin {running.url}/file" in odd  # the server's own address
    part = httpx.get(running.url + "/file", headers={"range": "bytes=0-99"}, timeout=30)
    assert part.status_code == 206 and len(part.content) == 100


def test_router_dispatches_on_method_and_path(serve: Callable[..., Any]) -> None:
    running = serve("router:app", "uvicorn", app_dir=EXAMPLES)
    with httpx.Client(base_url=running.url, timeout=30) as client:
        created = client.post("/notes", json={"text": "buy milk"})
        assert created.status_code == 201
        assert created.headers["location"] == "/notes/1"
        assert client.get("/notes/1").json() == {"id": "1", "text": "buy milk"}
        assert client.get("/notes").json() == [{"id": "1", "text": "buy milk"}]

        head = client.head("/notes")
        assert head.status_code == 200 and head.content == b""
        assert head.headers["content-length"] == str(len(client.get("/notes").content))

        wrong = client.put("/notes")
        assert wrong.status_code == 405
        assert wrong.headers["allow"] == "GET, POST, HEAD"
        assert client.post("/notes/1").headers["allow"] == "GET, DELETE, HEAD"

        missing = client.get("/nowhere")
        assert missing.status_code == 404 and missing.json()["status"] == 404
        assert client.get("/notes/1/extra").status_code == 404

        bad = client.post("/notes", content=b"{", headers={"content-type": "application/json"})
        assert bad.status_code == 400
        assert client.post("/notes", json=["no text"]).status_code == 422

        assert client.delete("/notes/1").status_code == 204
        assert client.get("/notes/1").status_code == 404
    stop(running)


# -- in process, through asgikit-testclient: what a visitor does, and what the app did --


def load_example(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_chat_room_in_process_members_talk_and_leave() -> None:
    app = load_example("ws_chat").app
    async with TestClient(app) as client, client.lifespan() as state:
        async with client.websocket_connect("/ws") as ann:
            async with client.websocket_connect("/ws") as bob:
                await bob.send_json({"name": "bob", "text": "hi"})
                assert await ann.receive_json() == {"name": "bob", "text": "hi"}
                assert await bob.receive_json() == {"name": "bob", "text": "hi"}
                assert state["chat"].subscriber_count("chat") == 2
            # bob's handler ran to its end when he left: he is out of the room.
            assert state["chat"].subscriber_count("chat") == 1
            await ann.send_json({"name": "ann", "text": "alone"})
            assert await ann.receive_json() == {"name": "ann", "text": "alone"}
        assert state["chat"].subscriber_count("chat") == 0


async def test_sse_clock_in_process_visitor_who_leaves_ends_the_stream() -> None:
    app = load_example("sse_clock").app
    async with TestClient(app) as client, client.lifespan():
        async with client.event_stream("/events") as events:
            first = await anext(events)
        # Live from the next tick: the broker's id, the time and which process sent it.
        assert first.event == "tick" and first.id is not None
        assert re.fullmatch(r"\d+-\d+", first.id)  # the memory broker's "<ms>-<n>"
        assert re.fullmatch(r"\d\d:\d\d:\d\d pid-\d+", first.data)
        exchange = events.exchange
        assert exchange.client_left and exchange.finished and exchange.exception is None


async def test_streaming_in_process_visitor_who_leaves_raises_nothing() -> None:
    app = load_example("streaming").app
    async with TestClient(app) as client, client.lifespan():
        async with client.stream("GET", "/?count=100") as response:
            lines = response.aiter_lines()
            assert await anext(lines) == "line 1 of 100"
        exchange = exchange_of(response)
        assert exchange.client_left and exchange.finished and exchange.exception is None
