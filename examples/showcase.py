"""The showcase: every example in this folder, each running beside its own source.

Run: scripts/showcase            (or: uv run python examples/showcase.py --port 8000)

asgikit has no router, so this file mounts each example under its own prefix with a
few lines of plain ASGI (``mount`` below): ``/json_echo/`` serves examples/json_echo.py,
the prefix moved from ``path`` to ``root_path``. ``/learn/json_echo`` is its page here:
the example live in a frame, the file's source beside it, and one sentence per asgikit
call saying what it did. The examples' lifespan contexts run here, once, so the upload
folder, the chat room and the notes are lifespan state that every request reads as
``request.state``. The whole showcase runs behind asgikit-compression's
``CompressionMiddleware`` (``app`` at the end).
"""

from __future__ import annotations

import argparse
import ast
import html
import importlib
import re
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asgikit.asgi import ASGIApp, Receive, Scope, Send
from asgikit.compression import CompressionMiddleware
from asgikit.lifespan import Lifespan
from asgikit.requests import Request

HERE = Path(__file__).parent
STYLESHEET = HERE / "showcase.css"
sys.path.insert(0, str(HERE))


@dataclass(frozen=True)
class Example:
    name: str  # examples/<name>.py, mounted at /<name>/
    title: str
    summary: str
    calls: tuple[tuple[str, str], ...]  # (the call as written in the file, what it did)
    tries: tuple[str, ...] = ()  # shell commands; {url} is the mounted app, {ws} its ws://
    demo: str = ""  # what the frame opens, relative to the mount


EXAMPLES = [
    Example(
        "hello",
        "Hello text",
        "The smallest app: one Request, one response.",
        (
            (
                "Lifespan()",
                "answered the server's startup and shutdown messages; with nothing to set up "
                "it simply said that startup went fine.",
            ),
            (
                "Request(scope, receive, send)",
                "wrapped the ASGI scope and channels; nothing was parsed, since nothing was asked.",
            ),
            (
                'request.respond_text("Hello, world!")',
                "sent 200 with Content-Type text/plain; charset=utf-8, Content-Length 13 "
                "and the body, in one go.",
            ),
        ),
        ("curl -i {url}",),
    ),
    Example(
        "json_echo",
        "JSON echo",
        "POST JSON and get it back, with what the request looked like.",
        (
            (
                "request.method",
                "gave the method as an HTTPMethod: GET shows the form, POST echoes.",
            ),
            (
                "request.read_json()",
                "read the body, checked the Content-Type (415 if it is not JSON), the "
                "10 MiB limit (413) and the syntax (400), and decoded it.",
            ),
            (
                "ClientError",
                "is the base of those errors; exc.status_code is the status to answer with.",
            ),
            (
                "request.root_path",
                "is where the showcase mounted the app (/json_echo); request.path is the rest (/).",
            ),
            (
                "request.query",
                "parsed ?page=1 into a multi-value mapping (at most 1000 parameters).",
            ),
            (
                "request.respond_json(",
                "encoded the answer and sent it as application/json with its length.",
            ),
        ),
        (
            """curl -i -H 'content-type: application/json' -d '{{"a": 1}}' {url}""",
            "curl -i -H 'content-type: text/plain' -d 'hi' {url}",
        ),
    ),
    Example(
        "headers_cookies",
        "Headers and cookies",
        "The request's headers, and a visit counter kept in a cookie: reload the frame.",
        (
            (
                'request.cookies.get_first("visits", "0")',
                "read the visits cookie your browser sent (the first, if it sent two).",
            ),
            (
                "request.response.cookies.set(",
                "added a Set-Cookie header with HttpOnly and Max-Age=3600.",
            ),
            (
                "request.response.headers.set(",
                "added an X-Visits header; a CR or LF in a value would have been refused.",
            ),
            (
                "request.headers.items()",
                "listed the request's headers as they came, names matched without case.",
            ),
        ),
        ("curl -i -b visits=41 {url}",),
    ),
    Example(
        "streaming",
        "Streaming",
        "A response written line by line as it is produced.",
        (
            (
                "request.response_writer(",
                "started a 200 text/plain response with no Content-Length (so chunked) and "
                "gave a write function.",
            ),
            ("await write(", "sent each line the moment it was made."),
            (
                "ClientDisconnectedError",
                "is raised from the block when the visitor leaves before the end (close "
                "the frame early: reload it); catching it ends the handler quietly "
                "instead of logging a traceback.",
            ),
        ),
        ("curl -N {url}?count=20",),
        "?count=20",
    ),
    Example(
        "sse_clock",
        "Server-Sent Events clock",
        "The server's time, pushed every second; reconnecting resumes where it left off.",
        (
            (
                "Lifespan(clock)",
                "made a broker at startup (in this process, or Redis with REDIS_URL) "
                "keeping the last 100 ticks, and started the task that publishes one a "
                "second.",
            ),
            (
                'broker.publish("clock"',
                "sent each tick to every subscriber; the broker gave it an id.",
            ),
            (
                "respond_channel_events(",
                "subscribed to the clock channel, sent text/event-stream with each tick's "
                "id; a reconnecting browser's Last-Event-ID got it the ticks it missed "
                "first. When the visitor leaves it unsubscribes and returns.",
            ),
        ),
        ("curl -N {url}events",),
    ),
    Example(
        "upload",
        "Form with file upload",
        "A multipart form: the file is stored under a name the server chooses.",
        (
            (
                "Lifespan(upload_folder)",
                "made a private folder at startup (in a worker thread); it is removed at shutdown.",
            ),
            (
                'request.state["upload_dir"]',
                "is that folder: what a lifespan context yields reaches every request.",
            ),
            (
                "request.read_form(",
                "parsed the multipart body, spooling a file over 1 MiB to disk in worker "
                "threads; over a limit (100 MiB per file here, 1000 fields, 100 files) it "
                "raises a 413.",
            ),
            (
                "upload.filename",
                "is the client's name cut to a safe base name; it is still client data, "
                "so it is only shown, escaped, never used as a path.",
            ),
            (
                "async for chunk in upload",
                "read the file back in 1 MiB batches in a worker thread, to hash it.",
            ),
            ("upload.save(", "copied it under the random name, in a worker thread."),
            ("async with form", "closed the form, which removed its temporary files."),
            (
                "request.respond_file(",
                "serves a stored file back as an attachment, with ETag and Range.",
            ),
        ),
        ("curl -F title=hello -F file=@README.md {url}",),
    ),
    Example(
        "download",
        "File download with Range",
        "A file served with Range, resume and conditional requests.",
        (
            (
                "Lifespan(report)",
                "wrote the 4 MiB file and its SHA-256 once, at startup, in a worker thread.",
            ),
            (
                "request.respond_file(",
                "sent the file with Content-Length, ETag, Last-Modified and Accept-Ranges; "
                "it answers Range with 206 (or multipart/byteranges, or 416) and "
                "If-None-Match with 304, and reads the disk in 1 MiB chunks in a worker "
                "thread.",
            ),
            (
                'download_name="report-ü.bin"',
                "added Content-Disposition: attachment with an ASCII filename= and the "
                "UTF-8 filename*= of RFC 6266.",
            ),
            (
                'request.headers.get("host", "")',
                "gave the Host you used, which printed the commands in the frame with this "
                "server's real address.",
            ),
        ),
        (
            "curl -r 0-99 -o part.bin {url}file",
            "curl -C - -o report.bin {url}file",
            "curl -OJ {url}file",
        ),
    ),
    Example(
        "static_dir",
        "Static directory",
        "A folder served safely: index files, ETags, Range, no way out of the folder.",
        (
            (
                "StaticFiles(",
                "serves examples/static/: index.html for the folder, a content type from "
                "each extension, ETag, 304, Range; ../ and symlinks leading out get 404.",
            ),
            (
                "static(scope, receive, send)",
                "is a whole ASGI app; it found its files below the mount point in root_path.",
            ),
        ),
        ("curl -i {url}notes.txt", "curl -i -r 0-9 {url}notes.txt"),
    ),
    Example(
        "ws_echo",
        "WebSocket echo",
        "Every message comes back.",
        (
            (
                "request.is_http",
                "told the page's request (http) from the handshake (websocket) on one URL.",
            ),
            (
                "request.websocket_accept()",
                "accepted the handshake and gave a WebSocket (messages up to 1 MiB).",
            ),
            ("ws.read()", "waited for the next message, text or bytes."),
            ("ws.write(", "sent it back with the same type."),
            (
                "WebSocketDisconnect",
                "was raised when the page went away; it carries the close code.",
            ),
        ),
        ("uv run python -m websockets {ws}ws",),
    ),
    Example(
        "ws_chat",
        "WebSocket chat",
        "Open this page in a second window (or tab) and talk.",
        (
            (
                "Lifespan(chat_room)",
                "made the broker at startup: in this process, or Redis with REDIS_URL, "
                "so that visitors of every worker and host share the room.",
            ),
            ('request.state["chat"]', "is that broker, the same for every connection."),
            (
                'broker.subscribe("chat", max_queue=100)',
                "subscribed this connection to the room; at most 100 messages wait for a "
                "slow visitor (the oldest are dropped), and leaving unsubscribes.",
            ),
            ("ws.read_json()", "read a text message and decoded it as JSON."),
            ("broker.publish(", "sent the message to every subscriber of the room."),
            ("ws.write(message.text())", "relayed each message of the room to this visitor."),
        ),
        ("""uv run python -m websockets {ws}ws   # then type {{"name": "cli", "text": "hi"}}""",),
    ),
    Example(
        "router",
        "Routing: 404, 405, HEAD",
        "How a framework dispatches on method and path; asgikit itself has no router.",
        (
            (
                "route(",
                "compiled a template such as /notes/{note_id} to a regular expression.",
            ),
            ("NotFoundError(", "was raised when no route has the path: 404."),
            (
                "MethodNotAllowedError(",
                "was raised when a route has the path but not the method; its allowed "
                "list became the Allow header of the 405.",
            ),
            (
                'method == "HEAD"',
                "let HEAD run the GET handler; asgikit sent the headers, Content-Length "
                "included, and left the body out.",
            ),
            (
                'request.extras["path_params"]',
                "kept the path parameters for the handler, in the per-request storage "
                "every Request over this scope shares.",
            ),
            (
                "request.response.is_started",
                "guarded the error handler: a response that has started cannot be replaced.",
            ),
            ("request.respond_status(", "answered DELETE with 204 and no body."),
        ),
        (
            "curl -i {url}notes",
            """curl -i -H 'content-type: application/json' -d '{{"text": "hi"}}' {url}notes""",
            "curl -i -X PUT {url}notes",
            "curl -I {url}notes",
        ),
    ),
]

MODULES = {example.name: importlib.import_module(example.name) for example in EXAMPLES}
APPS: dict[str, ASGIApp] = {name: module.app for name, module in MODULES.items()}

# Each example's own lifespan contexts, entered once for the whole showcase.
lifespan = Lifespan(
    MODULES["upload"].upload_folder,
    MODULES["download"].report,
    MODULES["ws_chat"].chat_room,
    MODULES["sse_clock"].clock,
    MODULES["router"].notebook,
)


def render_source(name: str, calls: tuple[tuple[str, str], ...]) -> tuple[str, dict[str, int]]:
    """The file as numbered, escaped lines, asgikit calls marked; and where each call is.

    Read once, at startup. A call that the file no longer contains stops the showcase
    here rather than teaching something false.
    """
    text = (HERE / f"{name}.py").read_text(encoding="utf-8")
    docstring_end = ast.parse(text).body[0].end_lineno or 0  # each file opens with one
    first: dict[str, int] = {}
    spans = []
    for number, line in enumerate(text.splitlines(), 1):
        hit = False
        if number > docstring_end and not line.lstrip().startswith(("from ", "import ", "#")):
            for call, _ in calls:
                if call in line:
                    first.setdefault(call, number)
                    hit = True
        mark = " class=call" if hit else ""
        spans.append(f"<span id=L{number}{mark}>{html.escape(line)}</span>")
    missing = [call for call, _ in calls if call not in first]
    if missing:
        raise RuntimeError(f"examples/{name}.py no longer contains {missing}")
    return "\n".join(spans), first


SOURCES = {example.name: render_source(example.name, example.calls) for example in EXAMPLES}
BY_NAME = {example.name: example for example in EXAMPLES}
HOST = re.compile(r"(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")

FRAME_SCRIPT = """<script>
  // The demo is the example's own page, unchanged; give it this site's stylesheet.
  const frame = document.getElementById("demo");
  function dress() {
    const page = frame.contentDocument;
    if (!page || !page.head || page.querySelector("link[rel=stylesheet]")) return;
    const link = page.createElement("link");
    link.rel = "stylesheet";
    link.href = "/showcase.css";
    page.head.append(link);
    page.documentElement.classList.add("demo");
  }
  frame.addEventListener("load", dress);
  if (frame.contentDocument && frame.contentDocument.readyState === "complete") dress();
  document.getElementById("reload").onclick = () => frame.contentWindow.location.reload();
</script>"""


def label(call: str) -> str:
    """A call as the page names it: ``request.read_form(`` reads ``request.read_form(…)``."""
    return html.escape(call + "…)" if call.endswith("(") else call)


def document(title: str, body: str, *, here: str = "") -> str:
    where = f"<span>/</span><span>{html.escape(here)}</span>" if here else ""
    return (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title>"
        '<link rel=stylesheet href="/showcase.css">'
        f'<header class=site><a id=home href="/">asgikit showcase</a>{where}</header>'
        f"<main>{body}</main>"
    )


def calls_in_brief(example: Example) -> str:
    return ", ".join(f"<code>{label(call)}</code>" for call, _ in example.calls[:4])


def index_page() -> str:
    cards = "".join(
        f'<li><h2><a href="/learn/{e.name}">{html.escape(e.title)}</a></h2>'
        f"<p>{html.escape(e.summary)}</p>"
        f"<p class=calls>{calls_in_brief(e)}</p></li>"
        for e in EXAMPLES
    )
    return document(
        "asgikit showcase",
        "<h1>asgikit showcase</h1><p class=lead>Each example is one small file in "
        "<code>examples/</code> that also runs alone (its first lines say how). Its page "
        "here runs it beside its source and says what each asgikit call did.</p>"
        f"<ul class=cards>{cards}</ul>",
    )


def base_urls(request: Request, name: str) -> tuple[str, str]:
    """The mounted example's http:// and ws:// URLs, as the client reached this server."""
    host = request.headers.get("host", "")
    if not HOST.fullmatch(host):
        server = request.server or ("127.0.0.1", 8000)
        host = f"{server[0]}:{server[1]}"
    secure = request.scheme == "https"
    path = f"{host}{request.root_path}/{name}/"
    return f"{'https' if secure else 'http'}://{path}", f"{'wss' if secure else 'ws'}://{path}"


def example_page(request: Request, example: Example) -> str:
    source, first = SOURCES[example.name]
    calls = "".join(
        f'<dt><code>{label(call)}</code> <a href="#L{first[call]}">'
        f"line {first[call]}</a></dt><dd>{html.escape(text)}</dd>"
        for call, text in example.calls
    )
    url, ws = base_urls(request, example.name)
    tries = "\n".join(command.format(url=url, ws=ws) for command in example.tries)
    mount = f"/{example.name}/"
    return document(
        f"{example.title} · asgikit showcase",
        f"<h1>{html.escape(example.title)}</h1>"
        f"<p class=lead>{html.escape(example.summary)} The showcase mounts "
        f'<code>examples/{example.name}.py</code> at <a id=alone href="{mount}">{mount}</a>; '
        f"alone it runs with <code>uv run uvicorn {example.name}:app --app-dir "
        "examples</code>.</p><div class=columns><section class=demo>"
        "<h2>Live demo <small><button id=reload>Reload</button></small></h2>"
        f'<iframe id=demo src="{mount}{example.demo}" title="{html.escape(example.title)}">'
        f"</iframe><h2>What asgikit did</h2><dl class=calls>{calls}</dl>"
        f"<h2>Try it from a terminal</h2><pre class=try id=try>{html.escape(tries)}</pre>"
        f"</section><section><h2>examples/{example.name}.py</h2>"
        f"<pre class=source id=source><code>{source}</code></pre></section></div>" + FRAME_SCRIPT,
        here=example.title,
    )


async def mount(name: str, rest: str, scope: Scope, receive: Receive, send: Send) -> None:
    """Run an example with ``/<name>`` moved from the path to the root path."""
    mounted: dict[str, Any] = dict(scope)
    mounted["root_path"] = scope.get("root_path", "") + f"/{name}"
    mounted["path"] = f"/{rest}"
    if scope.get("raw_path") is not None:
        mounted["raw_path"] = mounted["path"].encode()
    await APPS[name](mounted, receive, send)


async def route(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await lifespan(scope, receive, send)
        return
    path: str = scope["path"]
    name, _, rest = path.lstrip("/").partition("/")
    if name in APPS:
        if not rest and not path.endswith("/") and scope["type"] == "http":
            # "/hello" → "/hello/", so that the example's relative links resolve.
            await Request(scope, receive, send).respond_redirect(f"{path}/")
            return
        await mount(name, rest, scope, receive, send)
        return
    request = Request(scope, receive, send)
    if not request.is_http:
        return  # an unknown websocket path: closing without accept rejects it
    if path == "/":
        await request.respond_text(index_page(), media_type="text/html")
    elif path == "/showcase.css":
        await request.respond_file(STYLESHEET)
    elif name == "learn" and rest.rstrip("/") in BY_NAME:
        page = example_page(request, BY_NAME[rest.rstrip("/")])
        await request.respond_text(page, media_type="text/html")
    else:
        page = document("Not found", '<h1>Not found</h1><p><a href="/">All examples</a></p>')
        await request.respond_text(page, status=404, media_type="text/html")


# Every page and example goes out compressed (zstd, br or gzip, as the browser accepts):
# the JSON answers, the streams and the Server-Sent Events clock, each event as it is sent.
app = CompressionMiddleware(route)


def free_port(preferred: int) -> int:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", preferred))
        except OSError:
            sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def serve_on_redis(host: str, port: int) -> None:
    """Two showcase processes on two ports sharing one Redis: a local redis-server on a
    free port (unless REDIS_URL names one), stopped with them."""
    import os
    import shutil
    import signal
    import subprocess
    import time

    def stop(signum: int, frame: object) -> None:
        # `kill` (SIGTERM) stops everything too, as Ctrl+C does: SystemExit runs the
        # finally below, which a second SIGTERM (uv run forwards one) must not cut short.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    env = dict(os.environ)
    children: list[subprocess.Popen[bytes]] = []
    if "REDIS_URL" not in env:
        binary = shutil.which("redis-server")
        if binary is None:
            sys.exit("--redis needs redis-server (Debian: apt-get install redis-server)")
        redis_port = free_port(6379)
        redis = [binary, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", ""]
        children.append(subprocess.Popen([*redis, "--appendonly", "no", "--loglevel", "warning"]))
        env["REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
        deadline = time.monotonic() + 30
        while True:  # the brokers check the server at start-up: wait until it listens
            try:
                socket.create_connection(("127.0.0.1", redis_port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or children[0].poll() is not None:
                    children[0].kill()
                    sys.exit("redis-server did not start")
                time.sleep(0.05)
    first = free_port(port)
    second = free_port(first + 1)
    for each in (first, second):
        command = [sys.executable, __file__, "--host", host, "--port", str(each)]
        children.append(subprocess.Popen(command, env=env))
    print(
        f"two processes on {env['REDIS_URL']}: http://{host}:{first}/ and "
        f"http://{host}:{second}/ (open the chat on both; Ctrl+C stops everything)",
        flush=True,
    )
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for child in reversed(children):
            child.terminate()
        for child in children:
            child.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve every asgikit example.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--redis",
        action="store_true",
        help="two processes (ports N and N+1) sharing a Redis: REDIS_URL, or a local "
        "redis-server started on a free port",
    )
    args = parser.parse_args()
    if args.redis:
        serve_on_redis(args.host, args.port)
        return
    import uvicorn

    port = free_port(args.port) if args.host == "127.0.0.1" else args.port
    print(f"asgikit showcase: http://{args.host}:{port}/  (Ctrl+C stops it)", flush=True)
    uvicorn.run(app, host=args.host, port=port, log_level="warning")


if __name__ == "__main__":
    main()
