"""asgikit-compression on uvicorn, with real clients: curl --compressed, httpx, and
headless Chromium (a page fetching a compressed JSON and an EventSource on a compressed
event stream). The test decides when each event is sent (``POST /emit``), and checks
that the client has it before sending the next: no sleeping, no timing."""

from __future__ import annotations

import json
import shutil
import subprocess
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import brotli
import httpx
import pytest
from backports import zstd
from playwright.sync_api import Browser, Page, expect, sync_playwright

DATA = {"items": [{"id": i, "name": f"item {i}", "tags": ["a", "b"]} for i in range(500)]}
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update"]  # fmt: skip
TIMEOUT = httpx.Timeout(30.0)
EXAMPLES = Path(__file__).parent.parent / "examples"


@pytest.fixture
def server(serve: Callable[..., Any]) -> Any:
    return serve("compression_app:app", "uvicorn")


def curl(*args: str) -> tuple[dict[str, str], bytes]:
    result = subprocess.run(
        ["curl", "-sS", "--max-time", "30", "-D", "-", *args],
        capture_output=True,
        check=True,
        timeout=60,
    )
    head, _, body = result.stdout.partition(b"\r\n\r\n")
    headers = {}
    for line in head.decode("latin-1").split("\r\n")[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return headers, body


@pytest.mark.parametrize("coding", ["gzip", "br", "zstd"])
def test_curl_compressed(server: Any, coding: str) -> None:
    headers, body = curl("--compressed", "-H", f"Accept-Encoding: {coding}",
                         f"{server.url}/data.json")  # fmt: skip
    assert headers["content-encoding"] == coding
    assert headers["vary"] == "Accept-Encoding"
    assert headers["etag"] == 'W/"data-v1"'
    assert json.loads(body) == DATA
    # The Content-Length on the wire is the compressed size.
    _, raw = curl("-H", f"Accept-Encoding: {coding}", f"{server.url}/data.json")
    assert int(headers["content-length"]) == len(raw) < len(body) // 4


def test_curl_prefers_zstd_and_head_matches_get(server: Any) -> None:
    get, body = curl("--compressed", f"{server.url}/data.json")
    assert get["content-encoding"] == "zstd"  # curl offers deflate, gzip, br, zstd
    head, nothing = curl("--compressed", "-I", f"{server.url}/data.json")
    assert nothing.strip() == b""  # curl -I: the headers and an empty line, no body
    for name in ("content-encoding", "vary", "etag", "content-type"):
        assert head[name] == get[name]
    assert "content-length" not in head
    plain, raw = curl(f"{server.url}/data.json")  # no --compressed: no Accept-Encoding
    assert "content-encoding" not in plain
    assert plain["vary"] == "Accept-Encoding"
    assert plain["etag"] == '"data-v1"'
    assert json.loads(raw) == json.loads(body) == DATA


def test_httpx_whole_bodies_and_what_is_left_alone(server: Any) -> None:
    with httpx.Client(base_url=server.url, timeout=TIMEOUT) as client:
        for coding in ("gzip", "br"):  # httpx decodes these itself
            response = client.get("/data.json", headers={"accept-encoding": coding})
            assert response.headers["content-encoding"] == coding
            assert response.json() == DATA
        with client.stream("GET", "/data.json", headers={"accept-encoding": "zstd"}) as response:
            raw = b"".join(response.iter_raw())
        assert response.headers["content-encoding"] == "zstd"
        assert json.loads(zstd.decompress(raw)) == DATA
        opted_out = client.get("/plain.json", headers={"accept-encoding": "gzip"})
        assert "content-encoding" not in opted_out.headers
        assert "vary" not in opted_out.headers
        image = client.get("/image.png", headers={"accept-encoding": "gzip"})
        assert "content-encoding" not in image.headers
        assert len(image.content) == 4004


@pytest.mark.parametrize("coding", ["gzip", "br", "zstd"])
def test_httpx_event_stream_each_event_and_ping_arrives_before_the_next(
    server: Any, coding: str
) -> None:
    stream = f"httpx-{coding}"
    decoder: Callable[[bytes], bytes]
    if coding == "gzip":
        decoder = zlib.decompressobj(31).decompress
    elif coding == "br":
        decoder = brotli.Decompressor().process
    else:
        decoder = zstd.ZstdDecompressor().decompress
    with (
        httpx.Client(base_url=server.url, timeout=TIMEOUT) as client,
        client.stream(
            "GET", f"/events?stream={stream}", headers={"accept-encoding": coding}
        ) as response,
    ):
        assert response.headers["content-encoding"] == coding
        assert "content-length" not in response.headers
        chunks = response.iter_raw()
        with httpx.Client(base_url=server.url, timeout=TIMEOUT) as control:
            for kind, text, expected in [
                ("event", "one", b"data: one\n\n"),
                ("ping", "ping", b": ping\n\n"),
                ("event", "two", b"data: two\n\n"),
            ]:
                control.post(f"/emit?stream={stream}&kind={kind}", content=text.encode())
                received = b""
                while len(received) < len(expected):
                    received += decoder(next(chunks))
                assert received == expected


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("coding", ["gzip", "br", "zstd"])
def test_chromium_json_and_event_source(serve: Callable[..., Any], page: Page, coding: str) -> None:
    server = serve(f"compression_app:app_{coding}", "uvicorn")
    responses: list[Any] = []

    def seen(response: Any) -> None:
        responses.append(response)

    page.on("response", seen)
    page.goto(server.url + "/")
    expect(page.locator("#count")).to_have_text("500")
    data = next(r for r in responses if r.url.endswith("/data.json"))
    assert data.all_headers()["content-encoding"] == coding
    sizes = page.evaluate(
        "() => { const e = performance.getEntriesByType('resource')"
        ".find(e => e.name.endsWith('/data.json'));"
        " return [e.encodedBodySize, e.decodedBodySize]; }"
    )
    assert 0 < sizes[0] < sizes[1] // 4
    expect(page.locator("body")).to_have_attribute("data-open", "yes")
    events = next(r for r in responses if "/events" in r.url)
    assert events.all_headers()["content-encoding"] == coding
    items = page.locator("#events li")
    with httpx.Client(base_url=server.url, timeout=TIMEOUT) as control:
        for count, text in enumerate(["first", "second", "third"], start=1):
            control.post("/emit?stream=browser", content=text.encode())
            expect(items).to_have_count(count)
            expect(items.nth(count - 1)).to_have_text(text)


def test_showcase_json_and_sse_examples_go_out_compressed(serve: Callable[..., Any]) -> None:
    showcase = serve("showcase:app", "uvicorn", app_dir=EXAMPLES)
    body = {"text": "a fairly long line of text that repeats " * 40}
    with httpx.Client(base_url=showcase.url, timeout=TIMEOUT) as client:
        echo = client.post("/json_echo/", json=body, headers={"accept-encoding": "gzip"})
        assert echo.status_code == 200
        assert echo.headers["content-encoding"] == "gzip"
        assert echo.headers["vary"] == "Accept-Encoding"
        assert echo.json()["body"] == body
        with client.stream("GET", "/sse_clock/events", headers={"accept-encoding": "br"}) as events:
            assert events.headers["content-type"].startswith("text/event-stream")
            assert events.headers["content-encoding"] == "br"
            decoder = brotli.Decompressor()
            received = b""
            for chunk in events.iter_raw():
                received += decoder.process(chunk)
                if b"\n\n" in received:
                    break
        assert received.startswith(b"event: tick\n")


@pytest.mark.parametrize("server_name", ["granian", "hypercorn"])
def test_other_servers_whole_body_and_live_events(
    serve: Callable[..., Any], server_name: str
) -> None:
    server = serve("compression_app:app", server_name)
    stream = f"server-{server_name}"
    with httpx.Client(base_url=server.url, timeout=TIMEOUT) as client:
        whole = client.get("/data.json", headers={"accept-encoding": "gzip"})
        assert whole.headers["content-encoding"] == "gzip"
        assert whole.json() == DATA
        with client.stream(
            "GET", f"/events?stream={stream}", headers={"accept-encoding": "gzip"}
        ) as response:
            assert response.headers["content-encoding"] == "gzip"
            decoder = zlib.decompressobj(31).decompress
            chunks = response.iter_raw()
            with httpx.Client(base_url=server.url, timeout=TIMEOUT) as control:
                for text in ("one", "two"):
                    control.post(f"/emit?stream={stream}", content=text.encode())
                    expected = f"data: {text}\n\n".encode()
                    received = b""
                    while len(received) < len(expected):
                        received += decoder(next(chunks))
                    assert received == expected
