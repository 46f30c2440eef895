"""Server differences: the ASGI spec version, the extensions offered, HTTP version,
root_path, client address, early hints."""

from __future__ import annotations

import re
from typing import Any

import pytest

from asgikit.asgi import Receive, Scope, Send
from asgikit.requests import Request
from asgikit.testclient import ProtocolViolationError, TestClient, exchange_of


async def scope_app(scope: Scope, receive: Receive, send: Send) -> None:
    request = Request(scope, receive, send)
    await request.respond_json(
        {
            "spec": scope["asgi"]["spec_version"],
            "http": scope["http_version"],
            "root": scope["root_path"],
            "client": scope["client"],
            "extensions": sorted(scope["extensions"]),
            "scheme": scope["scheme"],
            "server": scope["server"],
        }
    )


async def test_the_server_is_what_the_options_say() -> None:
    async with TestClient(
        scope_app,
        base_url="https://example.org:8443",
        spec_version="2.3",
        http_version="2",
        root_path="/api",
        client=("10.0.0.1", 1234),
        extensions={},
    ) as client:
        response = await client.get("/api/x")
        seen = response.json()
    assert response.http_version == "HTTP/2"
    assert seen == {
        "spec": "2.3",
        "http": "2",
        "root": "/api",
        "client": ["10.0.0.1", 1234],
        "extensions": [],
        "scheme": "https",
        "server": ["example.org", 8443],
    }


async def test_no_client_address() -> None:
    async with TestClient(scope_app, client=None) as client:
        assert (await client.get("/")).json()["client"] is None


def test_an_unknown_spec_version_is_refused() -> None:
    with pytest.raises(ValueError, match=re.escape("spec_version must be '2.3' or '2.4'")):
        TestClient(scope_app, spec_version="3.0")


async def hints(scope: Scope, receive: Receive, send: Send) -> None:
    request = Request(scope, receive, send)
    sent = await request.send_early_hints(["</style.css>; rel=preload; as=style"])
    await request.respond_text("sent" if sent else "not offered")


async def test_early_hints_are_recorded_when_offered() -> None:
    async with TestClient(hints) as client:
        response = await client.get("/")
    assert response.text == "sent"
    assert exchange_of(response).early_hints == [["</style.css>; rel=preload; as=style"]]


async def test_early_hints_are_skipped_when_not_offered() -> None:
    async with TestClient(hints, extensions={}) as client:
        response = await client.get("/")
    assert response.text == "not offered"
    assert exchange_of(response).early_hints == []


async def test_an_extension_message_not_offered_is_a_violation() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.pathsend", "path": "/nonexistent"})

    async with TestClient(app, extensions={"http.response.early_hint": {}}) as client:
        with pytest.raises(ProtocolViolationError, match="pathsend"):
            await client.get("/")


async def test_asgikit_files_uses_pathsend_when_offered(tmp_path: Any) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"content")

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await Request(scope, receive, send).respond_file(path)

    for offered, kind in ((True, "http.response.pathsend"), (False, "http.response.body")):
        extensions: dict[str, dict[str, object]] = {"http.response.pathsend": {}} if offered else {}
        async with TestClient(app, extensions=extensions) as client:
            response = await client.get("/")
        assert response.content == b"content"
        assert exchange_of(response).sent[1]["type"] == kind
