"""HTTP through the client: scope, bodies of every kind, cookies, the response."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import pytest

from asgikit.asgi import Message, Receive, Scope, Send
from asgikit.requests import Request
from asgikit.testclient import ProtocolViolationError, TestClient, exchange_of


async def echo(scope: Scope, receive: Receive, send: Send) -> None:
    """Answers with the scope (minus callables) and the body it read, as JSON."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body", False):
            break
    shown = {
        key: value
        for key, value in scope.items()
        if key not in ("headers", "raw_path", "query_string", "state")
    }
    shown["headers"] = [[n.decode(), v.decode()] for n, v in scope["headers"]]
    shown["query_string"] = scope["query_string"].decode()
    shown["raw_path"] = scope["raw_path"].decode()
    shown["body"] = body.decode("latin-1")
    data = json.dumps(shown).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"x-a", b"1"), (b"x-a", b"2")],
        }
    )
    await send({"type": "http.response.body", "body": data})


def header(seen: dict[str, Any], name: str) -> list[str]:
    return [v for n, v in seen["headers"] if n == name]


@pytest.mark.parametrize("method", ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
async def test_every_method_reaches_the_app(method: str) -> None:
    async with TestClient(echo) as client:
        response = await client.request(method, "/x")
    assert response.status_code == 200
    if method == "HEAD":
        assert response.content == b""
        assert exchange_of(response).sent[1]["body"] != b""
    else:
        assert response.json()["method"] == method


async def test_the_scope_is_complete() -> None:
    async with TestClient(echo) as client:
        seen = (await client.get("/a%20b/c", params={"q": "1 2", "r": ["x", "y"]})).json()
    assert seen["type"] == "http"
    assert seen["asgi"] == {"version": "3.0", "spec_version": "2.4"}
    assert seen["http_version"] == "1.1"
    assert seen["scheme"] == "http"
    assert seen["path"] == "/a b/c"
    assert seen["raw_path"] == "/a%20b/c"
    assert seen["query_string"] == "q=1+2&r=x&r=y"
    assert seen["root_path"] == ""
    assert seen["client"] == ["127.0.0.1", 50000]
    assert seen["server"] == ["testserver", 80]
    assert set(seen["extensions"]) == {
        "http.response.pathsend",
        "http.response.early_hint",
        "websocket.http.response",
    }
    assert header(seen, "host") == ["testserver"]


async def test_bodies_json_form_multipart_and_raw() -> None:
    async with TestClient(echo) as client:
        as_json = (await client.post("/", json={"a": [1, 2]})).json()
        form = (await client.post("/", data={"a": "1", "b": "x y"})).json()
        files = (
            await client.post("/", data={"f": "v"}, files={"up": ("a.txt", b"hello", "text/plain")})
        ).json()
        raw = (await client.put("/", content=b"\x00\xff")).json()
        text = (await client.post("/", content="héllo")).json()
    assert json.loads(as_json["body"]) == {"a": [1, 2]}
    assert header(as_json, "content-type") == ["application/json"]
    assert form["body"] == "a=1&b=x+y"
    assert header(form, "content-type") == ["application/x-www-form-urlencoded"]
    assert 'name="up"; filename="a.txt"' in files["body"]
    assert "hello" in files["body"] and 'name="f"' in files["body"]
    assert header(files, "content-type")[0].startswith("multipart/form-data; boundary=")
    assert raw["body"] == "\x00\xff"
    assert text["body"].encode("latin-1").decode() == "héllo"


async def test_a_streamed_request_body_arrives_in_its_chunks() -> None:
    received: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            received.append(message)
            if not message.get("more_body", False):
                break
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def chunks() -> Any:
        yield b"a"
        yield b""
        yield b"b"

    async with TestClient(app) as client:
        await client.post("/", content=chunks())
        await client.post("/", content=b"whole")
        await client.get("/")
    # A streamed body as a server delivers a chunked one: each chunk as it comes, then
    # the end; a body known whole is one message.
    assert received == [
        {"type": "http.request", "body": b"a", "more_body": True},
        {"type": "http.request", "body": b"b", "more_body": True},
        {"type": "http.request", "body": b"", "more_body": False},
        {"type": "http.request", "body": b"whole", "more_body": False},
        {"type": "http.request", "body": b"", "more_body": False},
    ]


async def test_a_streamed_request_body_and_the_response_go_both_ways_at_once() -> None:
    """Duplex: the body's next chunk is sent only once the app has echoed the last."""

    async def echo_chunks(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        while True:
            message = await receive()
            more = message.get("more_body", False)
            await send({"type": "http.response.body", "body": message["body"], "more_body": more})
            if not more:
                return

    echoed = [asyncio.Event(), asyncio.Event()]

    async def body() -> Any:
        for n, seen in enumerate(echoed):
            yield b"%d" % n
            await seen.wait()

    async with (
        TestClient(echo_chunks, timeout=1) as client,
        client.stream("POST", "/", content=body()) as response,
    ):
        chunks = response.aiter_raw()
        for n, seen in enumerate(echoed):
            assert await anext(chunks) == b"%d" % n
            seen.set()
        assert [chunk async for chunk in chunks] == []


async def test_headers_are_multi_valued_and_cookies_kept_across_requests() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)
        if request.path == "/login":
            request.response.cookies.set("session", "abc")
            request.response.cookies.set("theme", "dark")
            await request.respond_text("in")
            return
        await request.respond_json(dict(request.cookies))

    async with TestClient(app, headers={"x-default": "d"}) as client:
        login = await client.get("/login")
        assert login.headers.get_list("set-cookie") == [
            "session=abc; Path=/; SameSite=Lax",
            "theme=dark; Path=/; SameSite=Lax",
        ]
        assert client.cookies["session"] == "abc"
        after = await client.get("/me")
    assert after.json() == {"session": "abc", "theme": "dark"}


async def test_the_response_gives_multi_value_headers_and_json() -> None:
    async with TestClient(echo) as client:
        response = await client.get("/")
    assert response.headers.get_list("x-a") == ["1", "2"]
    assert response.json()["method"] == "GET"


async def test_an_app_error_before_the_response_is_raised_in_the_test() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise LookupError("boom")

    async with TestClient(app) as client:
        with pytest.raises(LookupError, match="boom"):
            await client.get("/")
    async with TestClient(app, raise_app_exceptions=False) as client:
        assert (await client.get("/")).status_code == 500


async def test_an_app_error_mid_body_is_raised_while_reading() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"a", "more_body": True})
        raise LookupError("mid")

    async with TestClient(app) as client:
        with pytest.raises(LookupError, match="mid"):
            await client.get("/")


async def test_protocol_violations_are_named() -> None:
    async def body_first(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.body", "body": b"x"})

    async def silent(scope: Scope, receive: Receive, send: Send) -> None:
        return

    async def unfinished(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"x", "more_body": True})

    async def twice(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"x"})
        await send({"type": "http.response.body", "body": b"y"})

    async with TestClient(body_first) as client:
        with pytest.raises(
            ProtocolViolationError,
            match=re.escape(
                "Expected ASGI message http.response.start or http.response.early_hint, "
                "but got 'http.response.body'"
            ),
        ):
            await client.get("/")
    async with TestClient(silent) as client:
        with pytest.raises(
            ProtocolViolationError, match=re.escape("without sending http.response.start")
        ):
            await client.get("/")
    async with TestClient(unfinished) as client:
        with pytest.raises(ProtocolViolationError, match="before the response body was complete"):
            await client.get("/")
    async with TestClient(twice) as client:
        with pytest.raises(ProtocolViolationError, match="the response is complete"):
            await client.get("/")
