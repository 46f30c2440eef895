"""All four distributions in one app, under uvicorn, granian and hypercorn."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect

SERVERS = ["uvicorn", "granian", "hypercorn"]


@pytest.fixture(params=SERVERS)
def product(request: pytest.FixtureRequest, serve: Callable[..., Any], tmp_path: Path) -> Any:
    running = serve("product_app:app", request.param, env={"PRODUCT_UPLOAD_DIR": str(tmp_path)})
    running.uploads = tmp_path
    return running


def test_upload_then_download_with_range(product: Any) -> None:
    data = os.urandom(2 * 1024 * 1024 + 5)
    with httpx.Client(base_url=product.url, timeout=30) as client:
        response = client.post(
            "/upload", data={"note": "hello"}, files={"file": ("../../evil name.bin", data)}
        )
        assert response.status_code == 201, response.text
        info = response.json()
        assert info == {"name": "evil name.bin", "size": len(data), "note": "hello"}
        assert (product.uploads / "evil name.bin").read_bytes() == data

        whole = client.get("/files/evil name.bin")
        assert whole.status_code == 200 and whole.content == data
        etag = whole.headers["etag"]

        part = client.get("/files/evil name.bin", headers={"range": "bytes=1000-1999"})
        assert part.status_code == 206
        assert part.headers["content-range"] == f"bytes 1000-1999/{len(data)}"
        assert part.content == data[1000:2000]

        cached = client.get("/files/evil name.bin", headers={"if-none-match": etag})
        assert cached.status_code == 304 and cached.content == b""

        assert client.get("/files/missing.bin").status_code == 404


def test_json_api(product: Any) -> None:
    with httpx.Client(base_url=product.url) as client:
        created = client.post("/api/items", json={"name": "widget"})
        assert created.status_code == 201 and created.json() == {
            "id": 1,
            "item": {"name": "widget"},
        }
        assert client.get("/api/items").json() == [{"name": "widget"}]
        bad = client.post("/api/items", content=b"{", headers={"content-type": "application/json"})
        assert bad.status_code == 400
        wrong = client.post("/api/items", content=b"{}", headers={"content-type": "text/plain"})
        assert wrong.status_code == 415


def test_server_sent_events(product: Any) -> None:
    with httpx.stream("GET", f"{product.url}/events") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        body = response.read().decode()
    assert body == "".join(f"event: count\nid: {n}\ndata: event {n}\n\n" for n in range(3))


def test_websocket_chat(product: Any) -> None:
    async def talk() -> tuple[str | bytes, str | bytes]:
        async with connect(f"{product.ws_url}/chat") as alice:
            # Alice is in the room once her own hello comes back to her.
            await alice.send("alice here")
            assert await alice.recv() == "alice here"
            async with connect(f"{product.ws_url}/chat") as bob:
                await bob.send("bob here")
                assert await bob.recv() == "bob here"
                assert await alice.recv() == "bob here"
                await alice.send("hello bob")
                return await bob.recv(), await alice.recv()

    assert asyncio.run(asyncio.wait_for(talk(), 20)) == ("hello bob", "hello bob")
