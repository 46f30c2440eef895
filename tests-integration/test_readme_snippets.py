"""Every Python code block in every README runs as written.

Each block is preceded by an HTML comment naming it (``<!-- snippet: name -->``,
invisible when the Markdown is rendered). A block that defines an ASGI ``app`` is
written to a file as it stands, served by a real uvicorn and answered by a real client;
a block that is a pytest test module (it defines ``test_*`` functions) is run with
pytest in a subprocess, with pytest-asyncio in auto mode, and must pass; any other
block is run with ``python``. Every named block needs a check below, and every
block needs a name: a block nobody runs is not documentation.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from asgikit.testclient import EventStreamParser

ROOT = Path(__file__).parent.parent
READMES = [ROOT / "README.md", *sorted(ROOT.glob("packages/*/README.md"))]
BLOCK = re.compile(
    r"^(?:<!-- snippet: (?P<name>[\w-]+) -->\n)?```python\n(?P<code>.*?)^```", re.M | re.S
)
APP = re.compile(r"^(async def app\(|app = )", re.M)
TEST_MODULE = re.compile(r"^(async )?def test_", re.M)


@dataclass
class Snippet:
    readme: Path
    line: int
    name: str | None
    code: str

    @property
    def where(self) -> str:
        return f"{self.readme.relative_to(ROOT)}:{self.line}"


def collect() -> list[Snippet]:
    snippets = []
    for readme in READMES:
        text = readme.read_text(encoding="utf-8")
        for match in BLOCK.finditer(text):
            line = text.count("\n", 0, match.start("code"))
            snippets.append(Snippet(readme, line, match["name"], match["code"]))
    return snippets


SNIPPETS = collect()

# -- checks: what each app answers, or what each script prints ------------------------

Check = Callable[[str, Path], None]
CHECKS: dict[str, Check] = {}
PREPARE: dict[str, Callable[[Path], None]] = {}


def check(name: str) -> Callable[[Check], Check]:
    def register(function: Check) -> Check:
        CHECKS[name] = function
        return function

    return register


@check("first-example")
def _first_example(url: str, cwd: Path) -> None:
    response = httpx.post(f"{url}/orders", json={"item": "tea", "qty": 2}, timeout=30)
    assert response.status_code == 200
    assert response.json() == {
        "method": "POST",
        "path": "/orders",
        "body": {"item": "tea", "qty": 2},
    }
    # Raw UTF-8 beside an escape decodes once; bad input is a 4xx, never a 500.
    accents = httpx.post(url, content='{"q": "Jos\u00e9\\u0020D\u00edaz"}'.encode(), timeout=30)
    assert accents.json()["body"] == {"q": "Jos\u00e9 D\u00edaz"}
    for bad in (b"{not json", b'"\\ud800"'):  # a lone surrogate (RFC 8259 8.2)
        refused = httpx.post(url, content=bad, headers={"content-type": "application/json"})
        assert refused.status_code == 400, refused.text
    wrong_type = httpx.post(url, content=b"{}", headers={"content-type": "text/plain"})
    assert wrong_type.status_code == 415
    assert "check_media_type" not in wrong_type.text


@check("core-errors")
def _core_errors(url: str, cwd: Path) -> None:
    created = httpx.post(url, json={"text": "hi"}, timeout=30)
    assert created.status_code == 201
    assert created.json() == {"saved": {"text": "hi"}}
    refused = httpx.post(url, content=b"[1,", headers={"content-type": "application/json"})
    assert refused.status_code == 400
    assert refused.text.startswith("the body is not valid JSON")
    long = httpx.post(url, json={"text": "x" * 101}, timeout=30)
    assert long.status_code == 402
    assert long.text == "notes over 100 characters need a paid plan"
    wrong = httpx.get(url, timeout=30)
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "POST"
    not_json = httpx.post(url, content=b"{}", headers={"content-type": "text/plain"})
    assert not_json.status_code == 415
    assert "check_media_type" not in not_json.text


@check("core-first-example")
def _core_first_example(url: str, cwd: Path) -> None:
    response = httpx.post(f"{url}/notes", json=["x"], timeout=30)
    assert response.status_code == 200
    assert response.headers["x-served-by"] == "asgikit"
    assert response.json() == {"you_sent": ["x"], "path": "/notes"}
    refused = httpx.post(url, content=b"[", headers={"content-type": "application/json"})
    assert refused.status_code == 400
    assert refused.headers["x-served-by"] == "asgikit"


@check("negotiation")
def _negotiation(url: str, cwd: Path) -> None:
    api = httpx.get(url, headers={"accept": "application/json"}, timeout=30)
    assert api.json() == {"greeting": "hello"}
    assert api.headers["vary"] == "Accept"
    browser = httpx.get(url, headers={"accept": "text/html,*/*;q=0.8"}, timeout=30)
    assert browser.text == "<p>hello</p>"
    assert browser.headers["vary"] == "Accept"
    assert httpx.get(url, headers={"accept": "image/png"}, timeout=30).status_code == 406


@check("typed-headers")
def _typed_headers(output: str, cwd: Path) -> None:
    assert output == (
        "400 malformed Basic credentials: no ':' after the user-id\n"
        'Basic realm="admin", charset="UTF-8"\n'
        'Bearer error="invalid_token"\n'
        "public, max-age=3600, immutable\n"
        "Accept, Cookie, Accept-Encoding\n"
    )


@check("url-and-host")
def _url_and_host(url: str, cwd: Path) -> None:
    view = httpx.get(f"{url}/caf%C3%A9/a%2Fb?q=x%20y", timeout=30).json()
    port = int(url.rsplit(":", 1)[1])
    assert view == {
        "url": f"{url}/caf%C3%A9/a%2Fb?q=x%20y",
        "base_url": f"{url}/",
        "host": "127.0.0.1",
        "port": port,
    }
    shop = httpx.get(url, headers={"host": "Shop.Example.com"}, timeout=30).json()
    assert shop["url"] == "http://shop.example.com/" and shop["port"] == 80
    refused = httpx.get(url, headers={"host": "evil.test"}, timeout=30)
    assert refused.status_code == 400
    assert refused.text == "host 'evil.test' is not served here"
    malformed = httpx.get(url, headers={"host": "bad host"}, timeout=30)
    assert malformed.status_code == 400
    assert malformed.text.startswith("invalid Host header")


@check("trusted-proxies")
def _trusted_proxies(output: str, cwd: Path) -> None:
    assert output == ""


@check("lifespan")
def _lifespan(url: str, cwd: Path) -> None:
    assert httpx.get(url, timeout=30).text == "visit 1"
    assert httpx.get(url, timeout=30).text == "visit 2"


def _prepare_report(cwd: Path) -> None:
    (cwd / "reports").mkdir()
    (cwd / "reports" / "2026.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 10)


PREPARE["respond-file"] = _prepare_report


@check("respond-file")
def _respond_file(url: str, cwd: Path) -> None:
    response = httpx.get(url, timeout=30)
    assert response.status_code == 200
    assert response.content == (cwd / "reports" / "2026.pdf").read_bytes()
    assert response.headers["content-type"] == "application/pdf"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment; ")
    assert "filename*=UTF-8''Rapport%202026%20%E2%80%93%20%C3%A9t%C3%A9.pdf" in disposition
    ranged = httpx.get(url, headers={"range": "bytes=0-7"}, timeout=30)
    assert ranged.status_code == 206
    assert ranged.content == b"%PDF-1.7"


def _prepare_public(cwd: Path) -> None:
    (cwd / "public").mkdir()
    (cwd / "public" / "index.html").write_text("<h1>home</h1>")
    (cwd / "public" / "style.css").write_text("h1 { color: teal }")


PREPARE["static-files"] = _prepare_public
PREPARE["serve-static"] = _prepare_public


@check("static-files")
def _static_files(url: str, cwd: Path) -> None:
    index = httpx.get(f"{url}/", timeout=30)
    assert index.status_code == 200
    assert index.text == "<h1>home</h1>"
    assert index.headers["cache-control"] == "public, max-age=3600"
    assert httpx.get(f"{url}/style.css", timeout=30).text == "h1 { color: teal }"
    assert httpx.get(f"{url}/../secret", timeout=30).status_code == 404
    assert httpx.post(f"{url}/style.css", timeout=30).status_code == 405


@check("serve-static")
def _serve_static(url: str, cwd: Path) -> None:
    assert httpx.get(f"{url}/assets/style.css", timeout=30).text == "h1 { color: teal }"
    missing = httpx.get(f"{url}/assets/nothing.css", timeout=30)
    assert missing.status_code == 404
    wrong = httpx.delete(f"{url}/assets/style.css", timeout=30)
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "GET, HEAD"
    assert httpx.get(f"{url}/elsewhere", timeout=30).status_code == 404


@check("core-header-parsers")
def _core_header_parsers(output: str, cwd: Path) -> None:
    assert output.splitlines() == [
        "bytes 0-149/1000",
        "attachment; filename=\"resume.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf",
        'doc a"b.txt',
    ]


@check("range-planner")
def _range_planner(output: str, cwd: Path) -> None:
    assert output == ""


@check("read-form")
def _read_form(url: str, cwd: Path) -> None:
    response = httpx.post(
        url,
        data={"title": "Hello", "tag": ["a", "b"]},
        files={"avatar": ("../../me.png", b"\x89PNG" + b"0" * 5000, "image/png")},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    assert response.text == "Hello: 5004 bytes, tags a, b"
    saved = list((cwd / "avatars").iterdir())
    assert len(saved) == 1
    assert saved[0].name != "me.png" and saved[0].suffix == ".png"
    assert saved[0].read_bytes() == b"\x89PNG" + b"0" * 5000


@check("multipart-parser")
def _multipart_parser(output: str, cwd: Path) -> None:
    assert output == "malformed multipart body: the body ended before the closing boundary\n"


@check("iter-parts")
def _iter_parts(url: str, cwd: Path) -> None:
    payload = bytes(range(256)) * 4096
    response = httpx.post(
        url, data={"note": "big one"}, files={"data": ("d.bin", payload)}, timeout=30
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"fields": {"note": "big one"}, "stored": len(payload)}


@check("websocket-echo")
def _websocket_echo(url: str, cwd: Path) -> None:
    with connect(url.replace("http", "ws", 1) + "/", open_timeout=30) as ws:
        ws.send("hello")
        assert ws.recv(timeout=30) == "hello"
        ws.send(b"\x00\x01")
        assert ws.recv(timeout=30) == b"\x00\x01"


@check("compression-middleware")
def _compression_middleware(url: str, cwd: Path) -> None:
    items = {"items": list(range(500))}
    with httpx.Client(base_url=url, timeout=30) as client:
        response = client.get("/", headers={"accept-encoding": "gzip"})
        assert response.headers["content-encoding"] == "gzip"
        assert response.headers["vary"] == "Accept-Encoding"
        assert response.json() == items
        raw = client.get("/raw", headers={"accept-encoding": "gzip"})
        assert "content-encoding" not in raw.headers
        assert raw.json() == items
        events = client.get("/events", headers={"accept-encoding": "gzip"})
        assert events.headers["content-encoding"] == "gzip"
        assert events.text == "data: tick 0\n\ndata: tick 1\n\ndata: tick 2\n\n"


@check("websockets-import")
def _websockets_import(output: str, cwd: Path) -> None:
    assert output == ""


@check("pubsub-basics")
def _pubsub_basics(output: str, cwd: Path) -> None:
    assert output == "room b'hello'\nnews b'\\x00 bytes too'\n0\n"


@check("pubsub-import")
def _pubsub_import(output: str, cwd: Path) -> None:
    assert output == ""


@check("pubsub-sse")
def _pubsub_sse(url: str, cwd: Path) -> None:
    def events(response: httpx.Response, count: int) -> list[tuple[str, str]]:
        parser = EventStreamParser()
        got: list[tuple[str, str]] = []
        for chunk in response.iter_bytes():
            for event in parser.feed(chunk):
                assert event.event == "note"
                got.append((event.id, event.data))
            if len(got) >= count:
                break
        return got[:count]

    ids = [httpx.post(url, content=f"note {i}", timeout=30).text for i in range(3)]
    headers = {"last-event-id": ids[0]}
    with httpx.stream("GET", url, headers=headers, timeout=30) as response:
        assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
        assert events(response, 2) == [(ids[1], "note 1"), (ids[2], "note 2")]
    bad = httpx.get(url, headers={"last-event-id": "x"}, timeout=30)
    assert bad.status_code == 400
    assert bad.text == "the event id is not a message id"


@check("websocket-json-codec")
def _websocket_json_codec(url: str, cwd: Path) -> None:
    with connect(url.replace("http", "ws", 1) + "/", open_timeout=30) as ws:
        ws.send('{"b": 1, "a": [1, 2]}')
        assert ws.recv(timeout=30) == '{"a":[1,2],"b":1}'


@check("websocket-size-guard")
def _websocket_size_guard(url: str, cwd: Path) -> None:
    with connect(url.replace("http", "ws", 1) + "/", open_timeout=30) as ws:
        ws.send("small")
        assert ws.recv(timeout=30) == "small"
        ws.send("x" * 2000)
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=30)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1009


@check("websocket-subprotocols")
def _websocket_subprotocols(url: str, cwd: Path) -> None:
    ws_url = url.replace("http", "ws", 1) + "/"
    with connect(ws_url, subprotocols=["chat.v1", "chat.v2"], open_timeout=30) as ws:  # type: ignore[list-item]
        assert ws.subprotocol == "chat.v2"
        assert ws.response is not None
        assert ws.response.headers["x-server"] == "asgikit"
        assert ws.recv(timeout=30) == "speaking chat.v2"
    with connect(ws_url, open_timeout=30) as ws:
        assert ws.subprotocol is None
        assert ws.recv(timeout=30) == "speaking None"


@check("websocket-deny")
def _websocket_deny(url: str, cwd: Path) -> None:
    ws_url = url.replace("http", "ws", 1) + "/"
    with pytest.raises(InvalidStatus) as denied:
        connect(ws_url, open_timeout=30)
    assert denied.value.response.status_code == 401
    assert denied.value.response.headers["www-authenticate"] == "Bearer"
    assert denied.value.response.body == b"log in first"
    with connect(ws_url, additional_headers={"authorization": "Bearer t"}, open_timeout=30) as ws:
        assert ws.recv(timeout=30) == "welcome"


@check("disconnect")
def _disconnect(url: str, cwd: Path) -> None:
    assert httpx.get(f"{url}/?s=0", timeout=30).text == "report ready"
    port = int(url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(b"GET /?s=60 HTTP/1.1\r\nHost: t\r\n\r\n")
    # The handler notes the cancel once the server reports the close; wait for that
    # note (the deadline only guards against a hang: the work itself lasts 60 s).
    # Each poll is a request the server answers, so the server paces it.
    deadline = time.monotonic() + 30
    log = httpx.get(f"{url}/log", timeout=30).text
    while "cancelled" not in log and time.monotonic() < deadline:
        log = httpx.get(f"{url}/log", timeout=30).text
    assert log == "answered, then cleaned up; cancelled: the client left"


@check("server-extensions")
def _server_extensions(url: str, cwd: Path) -> None:
    # uvicorn over HTTP/1.1 offers neither; hypercorn's HTTP/2 is tested in test_disconnect.
    response = httpx.get(url, timeout=30)
    assert response.text == "hinted: False; no trailers here"


# -- asgikit-testclient: each block is a pytest module; the check counts what passed --


def _passed(count: int) -> Check:
    def check_output(output: str, cwd: Path) -> None:
        assert re.search(rf"\b{count} passed\b", output), output
        assert " failed" not in output and " error" not in output, output

    return check_output


for _name, _count in {
    "testclient-http": 1,
    "testclient-streaming": 1,
    "testclient-sse": 1,
    "testclient-disconnect": 1,
    "testclient-websockets": 2,
    "testclient-lifespan": 2,
    "testclient-server": 2,
    "testclient-timeouts": 2,
}.items():
    CHECKS[_name] = _passed(_count)


# -- the tests ------------------------------------------------------------------------


def test_every_block_is_named_once_and_checked() -> None:
    unnamed = [s.where for s in SNIPPETS if s.name is None]
    assert not unnamed, f"name these blocks with <!-- snippet: name -->: {unnamed}"
    names = [s.name for s in SNIPPETS]
    assert len(names) == len(set(names)), "snippet names must be unique"
    assert set(names) == set(CHECKS), (
        f"without a check: {set(names) - set(CHECKS)}; checks without a block: "
        f"{set(CHECKS) - set(names)}"
    )


@pytest.mark.parametrize("snippet", SNIPPETS, ids=lambda s: s.name or s.where)
def test_snippet_runs_as_written(
    snippet: Snippet, tmp_path: Path, serve: Callable[..., Any]
) -> None:
    assert snippet.name is not None, f"{snippet.where}: name this block"
    (tmp_path / "snippet.py").write_text(snippet.code, encoding="utf-8")
    if snippet.name in PREPARE:
        PREPARE[snippet.name](tmp_path)
    check = CHECKS[snippet.name]
    if TEST_MODULE.search(snippet.code):
        (tmp_path / "snippet.py").rename(tmp_path / "test_snippet.py")
        completed = subprocess.run(
            [sys.executable, "-m", "pytest", "test_snippet.py", "-q", "-W", "error",
             "-p", "no:cacheprovider", "-o", "asyncio_mode=auto",
             "-o", "asyncio_default_fixture_loop_scope=function"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )  # fmt: skip
        assert completed.returncode == 0, f"{snippet.where}:\n{completed.stdout}"
        check(completed.stdout, tmp_path)
    elif APP.search(snippet.code):
        running = serve("snippet:app", app_dir=tmp_path)
        check(running.url, tmp_path)
        assert "Traceback" not in "".join(running.log), "".join(running.log)
    else:
        completed = subprocess.run(
            [sys.executable, "snippet.py"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert completed.returncode == 0, f"{snippet.where}:\n{completed.stderr}"
        check(completed.stdout, tmp_path)
