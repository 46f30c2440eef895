"""Build every asgikit distribution and prove each wheel stands alone.

Standard library only (Python 3.11+); needs ``uv`` on PATH and PyPI for the wheels'
third-party dependencies and mypy. Run from anywhere::

    python tools/check_wheels.py                  # everything (~10 s with a warm uv cache)
    python tools/check_wheels.py --contents-only  # build and inspect, no venvs
    python tools/check_wheels.py --keep           # keep the temporary directory

Steps:

1. ``uv build --all-packages --no-sources -o <tmp>/dist``: one wheel and one sdist per
   member, at the version in its pyproject.toml.
2. Wheel contents, with zipfile: no file shipped by two wheels; everything lies under
   ``asgikit/<own subpackages>/`` or the wheel's dist-info; the same files as the
   member's ``src/asgikit``; every subpackage has ``__init__.py`` and ``py.typed``; no
   ``asgikit/__init__.py`` or ``asgikit/py.typed``. METADATA: name, version and
   Requires-Python match pyproject.toml; asgikit-core has no ``Requires-Dist``; every
   declared dependency is there with the same range (siblings keep their ranges).
   Sdists: hold pyproject.toml, README.md, the portion, no namespace ``__init__.py``.
3. For each wheel, a fresh venv holding only that wheel, the sibling wheels it needs (from
   the build directory, never the workspace) and its PyPI dependencies, plus mypy:
   ``uv pip check``; ``python -I`` imports of its portions (from the venv, and nothing
   of the members not installed); a smoke ASGI app driven in-process through the
   package's own API; ``mypy --strict`` on a snippet that uses the API correctly (must
   pass) and on one with deliberate mistakes (each must be reported, which proves the
   ``py.typed`` markers work). In the asgikit-core venv, ``read_form()``,
   ``respond_file()`` and ``websocket_accept()`` must raise
   ``asgikit.errors.MissingDistributionError`` naming the distribution to install.

Exit status: 0 when every check passes, 1 otherwise (each failure printed).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import email.parser
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import textwrap
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools.check_layout import (
    CORE,
    NAMESPACE,
    Member,
    Requirement,
    load_members,
    normalize,
    parse_specifier,
)

ROOT = Path(__file__).resolve().parent.parent
STEP_TIMEOUT = 300


class CheckFailed(Exception):
    """A check failed; the message says which and why."""


@dataclass
class Outcome:
    dist: str
    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0


# -- helpers ---------------------------------------------------------------------------


def run(
    cmd: list[str], *, cwd: Path, timeout: float = STEP_TIMEOUT
) -> subprocess.CompletedProcess[str]:
    """Run ``cmd``; raise :class:`CheckFailed` with its output when it fails."""
    try:
        proc = subprocess.run(
            cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
        )
    except FileNotFoundError as exc:
        raise CheckFailed(f"cannot run {cmd[0]!r}: {exc}") from None
    except subprocess.TimeoutExpired:
        raise CheckFailed(f"timed out after {timeout:.0f}s: {' '.join(cmd)}") from None
    if proc.returncode != 0:
        output = (proc.stdout + proc.stderr).strip()
        raise CheckFailed(
            f"exit {proc.returncode}: {' '.join(cmd)}\n" + textwrap.indent(output, "      | ")
        )
    return proc


def dist_filename(name: str) -> str:
    """The distribution name as wheel and sdist file names spell it."""
    return normalize(name).replace("-", "_")


def sibling_closure(member: Member, by_name: dict[str, Member]) -> list[Member]:
    """The siblings ``member`` needs at run time, transitively (without itself)."""
    needed: dict[str, Member] = {}
    todo = [member]
    while todo:
        current = todo.pop()
        for text in current.project.get("dependencies", []):
            key = Requirement.parse(str(text)).key
            sibling = by_name.get(key)
            if sibling is not None and key not in needed and key != normalize(member.name):
                needed[key] = sibling
                todo.append(sibling)
    return [needed[k] for k in sorted(needed)]


def source_files(member: Member) -> set[str]:
    """Files under the member's ``src/asgikit``, as wheel paths (``asgikit/x/y.py``)."""
    base = member.directory / "src"
    return {
        p.relative_to(base).as_posix()
        for p in member.namespace_dir.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }


# -- wheel and sdist contents (pure functions over file lists) --------------------------


def wheel_problems(
    name: str, version: str, subpackages: list[str], files: list[str], expected: set[str]
) -> list[str]:
    """Problems with the file list of ``name``'s wheel.

    ``expected`` is the set of ``asgikit/...`` files the sources hold.
    """
    problems = []
    dist_info = f"{dist_filename(name)}-{version}.dist-info/"
    shipped = {f for f in files if not f.endswith("/")}
    for path in sorted(shipped):
        if path.startswith(dist_info):
            continue
        parts = path.split("/")
        if parts[0] != NAMESPACE:
            problems.append(f"{path}: outside {NAMESPACE}/ and {dist_info}")
        elif len(parts) == 2:
            problems.append(f"{path}: a file directly in the {NAMESPACE} namespace")
        elif parts[1] not in subpackages:
            problems.append(f"{path}: {NAMESPACE}.{parts[1]} is not one of this member's")
    for sub in subpackages:
        for marker in ("__init__.py", "py.typed"):
            if f"{NAMESPACE}/{sub}/{marker}" not in shipped:
                problems.append(f"{NAMESPACE}/{sub}/{marker}: missing")
    for required in ("METADATA", "WHEEL", "RECORD"):
        if f"{dist_info}{required}" not in shipped:
            problems.append(f"{dist_info}{required}: missing")
    ours = {f for f in shipped if f.startswith(f"{NAMESPACE}/")}
    for path in sorted(expected - ours):
        problems.append(f"{path}: in the sources but not in the wheel")
    for path in sorted(ours - expected):
        if path.split("/")[1:2] and path.split("/")[1] in subpackages:
            problems.append(f"{path}: in the wheel but not in the sources")
    return problems


def overlap_problems(contents: dict[str, list[str]]) -> list[str]:
    """Files shipped by more than one wheel (``contents``: wheel name -> file list)."""
    owners: dict[str, list[str]] = {}
    for wheel, files in contents.items():
        for path in files:
            if not path.endswith("/"):
                owners.setdefault(path, []).append(wheel)
    return [
        f"{path}: shipped by {', '.join(sorted(wheels))}"
        for path, wheels in sorted(owners.items())
        if len(wheels) > 1
    ]


def _clauses(specifier: str) -> set[str]:
    return {str(clause) for clause in parse_specifier(specifier)}


def metadata_problems(member: Member, metadata: str, siblings: set[str]) -> list[str]:
    """Problems with a wheel's METADATA against the member's pyproject.toml."""
    problems = []
    message = email.parser.Parser().parsestr(metadata, headersonly=True)
    if normalize(message.get("Name", "")) != normalize(member.name):
        problems.append(f"METADATA Name is {message.get('Name')!r}, expected {member.name!r}")
    if message.get("Version") != member.version:
        problems.append(
            f"METADATA Version is {message.get('Version')!r}, expected {member.version!r}"
        )
    declared_python = member.project.get("requires-python")
    if declared_python and _clauses(message.get("Requires-Python", "")) != _clauses(
        str(declared_python)
    ):
        problems.append(
            f"METADATA Requires-Python is {message.get('Requires-Python')!r}, "
            f"expected {declared_python!r}"
        )
    shipped: dict[str, list[Requirement]] = {}
    for text in message.get_all("Requires-Dist") or []:
        req = Requirement.parse(text)
        shipped.setdefault(req.key, []).append(req)
        is_extra = req.marker is not None and "extra" in req.marker
        if normalize(member.name) == CORE and not is_extra:
            problems.append(f"METADATA: {CORE} must have no runtime Requires-Dist: {text!r}")
        if req.key in siblings and not req.specifier:
            problems.append(f"METADATA: sibling requirement without a range: {text!r}")
    for text in member.project.get("dependencies", []):
        declared = Requirement.parse(str(text))
        found = [r for r in shipped.get(declared.key, []) if r.marker == declared.marker]
        if not found:
            problems.append(f"METADATA: declared dependency {text!r} has no Requires-Dist")
        elif _clauses(found[0].specifier) != _clauses(declared.specifier):
            problems.append(
                f"METADATA: Requires-Dist {found[0].name}{found[0].specifier} differs from "
                f"the declared {text!r}"
            )
    return problems


def sdist_problems(name: str, version: str, subpackages: list[str], files: list[str]) -> list[str]:
    prefix = f"{dist_filename(name)}-{version}/"
    problems = [f"{path}: outside {prefix}" for path in files if not path.startswith(prefix)]
    inside = {path[len(prefix) :] for path in files if path.startswith(prefix)}
    for required in ("pyproject.toml", "PKG-INFO", "README.md"):
        if required not in inside:
            problems.append(f"{prefix}{required}: missing from the sdist")
    for forbidden in (f"src/{NAMESPACE}/__init__.py", f"src/{NAMESPACE}/py.typed"):
        if forbidden in inside:
            problems.append(f"{prefix}{forbidden}: must not exist")
    for sub in subpackages:
        if f"src/{NAMESPACE}/{sub}/py.typed" not in inside:
            problems.append(f"{prefix}src/{NAMESPACE}/{sub}/py.typed: missing from the sdist")
    return problems


# -- per-distribution smoke apps and typing snippets -----------------------------------

SMOKE_HARNESS = '''
import asyncio, importlib, importlib.metadata, importlib.util, json, os, sys, tempfile

INFO = json.loads(__INFO__)


def check(condition, message):
    if not condition:
        raise SystemExit(f"FAILED: {message}")
    print(f"ok: {message}")


def http_scope(method="GET", path="/", headers=()):
    return {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1", "method": method, "scheme": "http", "path": path,
        "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in headers],
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
        "extensions": {}, "state": {},
    }


def websocket_scope(path="/ws"):
    return {
        "type": "websocket", "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1", "scheme": "ws", "path": path, "raw_path": path.encode(),
        "query_string": b"", "root_path": "",
        "headers": [(b"host", b"127.0.0.1:8000"), (b"sec-websocket-version", b"13")],
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
        "subprotocols": [], "extensions": {}, "state": {},
    }


def channel(incoming):
    """receive() hands out ``incoming`` then waits forever, as a server does; send()
    records every message."""
    pending = list(incoming)
    sent = []

    async def receive():
        if pending:
            return pending.pop(0)
        await asyncio.Event().wait()

    async def send(message):
        sent.append(message)

    return receive, send, sent


def response_of(sent):
    starts = [m for m in sent if m["type"] == "http.response.start"]
    check(len(starts) == 1, f"one http.response.start sent (got {[m['type'] for m in sent]})")
    bodies = [m for m in sent if m["type"] == "http.response.body"]
    check(bodies and not bodies[-1].get("more_body", False), "the response body was finished")
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in starts[0]["headers"]}
    return starts[0]["status"], headers, b"".join(m.get("body", b"") for m in bodies)


def portions():
    import asgikit
    check(getattr(asgikit, "__file__", None) is None, "asgikit is a namespace package")
    installed = sorted(
        d.metadata["Name"] for d in importlib.metadata.distributions()
        if d.metadata["Name"] and d.metadata["Name"].startswith("asgikit")
    )
    check(installed == sorted(INFO["installed"]), f"asgikit distributions installed: {installed}")
    version = importlib.metadata.version(INFO["dist"])
    check(version == INFO["version"], f"{INFO['dist']} {version} installed")
    for sub in INFO["own"]:
        module = importlib.import_module(f"asgikit.{sub}")
        where = os.path.realpath(module.__file__)
        check(where.startswith(os.path.realpath(sys.prefix)), f"import asgikit.{sub} from the venv")
    for sub in INFO["absent"]:
        check(importlib.util.find_spec(f"asgikit.{sub}") is None, f"asgikit.{sub} is absent")


def main(coro_fn):
    portions()
    asyncio.run(asyncio.wait_for(coro_fn(), 20))
    print("smoke passed")
'''

SMOKE: dict[str, str] = {
    "asgikit-core": """
from asgikit.errors import MissingDistributionError
from asgikit.requests import Request


async def smoke():
    receive, send, sent = channel([{"type": "http.request", "body": b"", "more_body": False}])
    request = Request(http_scope("GET", "/api"), receive, send)
    await request.respond_json({"hello": "world", "n": [1, 2]})
    status, headers, body = response_of(sent)
    check(status == 200, f"respond_json: status {status}")
    check(headers.get("content-type", "").startswith("application/json"),
          f"respond_json: content-type {headers.get('content-type')!r}")
    check(json.loads(body) == {"hello": "world", "n": [1, 2]}, f"respond_json: body {body!r}")

    if INFO["installed"] == [INFO["dist"]]:
        urlencoded = [("content-type", "application/x-www-form-urlencoded")]
        form_scope = http_scope("POST", "/", urlencoded)
        calls = [
            ("asgikit-forms", form_scope, lambda r: r.read_form()),
            ("asgikit-files", http_scope(), lambda r: r.respond_file(__file__)),
            ("asgikit-websockets", websocket_scope(), lambda r: r.websocket_accept()),
        ]
        for dist, scope, call in calls:
            receive, send, sent = channel([{"type": "http.request", "body": b"a=1"}])
            try:
                await call(Request(scope, receive, send))
            except MissingDistributionError as exc:
                check(isinstance(exc, ImportError), "MissingDistributionError is an ImportError")
                check(f"pip install {dist}" in str(exc), f"the error names {dist}: {exc}")
                check(sent == [], "nothing was sent")
            else:
                check(False, f"a MissingDistributionError without {dist}")


main(smoke)
""",
    "asgikit-forms": """
from asgikit.forms import read_form
from asgikit.requests import Request


async def smoke():
    body = b"name=asgikit&tag=a&tag=b&empty="
    scope = http_scope("POST", "/form", [
        ("content-type", "application/x-www-form-urlencoded"),
        ("content-length", str(len(body))),
    ])
    receive, send, sent = channel([
        {"type": "http.request", "body": body[:9], "more_body": True},
        {"type": "http.request", "body": body[9:], "more_body": False},
    ])
    request = Request(scope, receive, send)
    form = await read_form(request)
    check(form["name"] == "asgikit", f"read_form: name = {form.get('name')!r}")
    tags = form.get_all("tag") if hasattr(form, "get_all") else form["tag"]
    check(list(tags) == ["a", "b"], f"read_form: tag = {tags!r}")
    check(form["empty"] == "", f"read_form: empty = {form.get('empty')!r}")
    again = await Request(scope, receive, send).read_form()
    check(again["name"] == "asgikit", "Request.read_form() delegates to asgikit.forms")
    await request.respond_text(form["name"])
    status, headers, out = response_of(sent)
    check((status, out) == (200, b"asgikit"), f"response {status} {out!r}")


main(smoke)
""",
    "asgikit-files": """
from asgikit.files import respond_file
from asgikit.requests import Request


async def smoke():
    content = b"hello from asgikit-files\\n" * 1000
    folder = tempfile.mkdtemp()
    path = os.path.join(folder, "hello.txt")
    with open(path, "wb") as fh:
        fh.write(content)
    receive, send, sent = channel([{"type": "http.request", "body": b"", "more_body": False}])
    await respond_file(Request(http_scope("GET", "/hello.txt"), receive, send), path)
    status, headers, body = response_of(sent)
    check(status == 200, f"respond_file: status {status}")
    check(body == content, f"respond_file: {len(body)} bytes, expected {len(content)}")
    check(headers.get("content-length") == str(len(content)),
          f"respond_file: content-length {headers.get('content-length')!r}")
    check(headers.get("content-type", "").startswith("text/plain"),
          f"respond_file: content-type {headers.get('content-type')!r}")
    receive, send, sent = channel([{"type": "http.request", "body": b"", "more_body": False}])
    await Request(http_scope("GET", "/hello.txt"), receive, send).respond_file(path)
    status, headers, body = response_of(sent)
    check((status, body) == (200, content), "Request.respond_file() delegates to asgikit.files")


main(smoke)
""",
    "asgikit-websockets": """
from asgikit.requests import Request
from asgikit.websockets import WebSocket, WebSocketDisconnect


async def smoke():
    receive, send, sent = channel([
        {"type": "websocket.connect"},
        {"type": "websocket.receive", "text": "hello"},
        {"type": "websocket.receive", "bytes": b"\\x00\\x01"},
    ])
    ws = await Request(websocket_scope(), receive, send).websocket_accept()
    check(isinstance(ws, WebSocket), f"websocket_accept() gives a WebSocket: {ws!r}")
    for _ in range(2):
        await ws.write(await ws.read())
    await ws.close()
    kinds = [m["type"] for m in sent]
    check(kinds == ["websocket.accept", "websocket.send", "websocket.send", "websocket.close"],
          f"accept, echo twice, close: {kinds}")
    check(sent[1].get("text") == "hello" and sent[1].get("bytes") is None, f"text echo {sent[1]}")
    check(sent[2].get("bytes") == b"\\x00\\x01" and sent[2].get("text") is None,
          f"bytes echo {sent[2]}")

    receive, send, sent = channel([
        {"type": "websocket.connect"}, {"type": "websocket.disconnect", "code": 1001},
    ])
    ws = await Request(websocket_scope(), receive, send).websocket_accept()
    try:
        await ws.read()
    except WebSocketDisconnect as exc:
        check(getattr(exc, "code", 1001) == 1001, f"WebSocketDisconnect code {exc.code}")
    else:
        check(False, "read() after websocket.disconnect raises WebSocketDisconnect")


main(smoke)
""",
}

# Lines marked "# ERROR" must each be reported by mypy --strict; nothing else may be.
TYPING: dict[str, tuple[str, str]] = {
    "asgikit-core": (
        """
        from asgikit.asgi import Receive, Scope, Send
        from asgikit.requests import Request


        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            request = Request(scope, receive, send)
            path: str = request.path
            await request.respond_json({"path": path}, status=200)
        """,
        """
        from asgikit.asgi import Receive, Scope, Send
        from asgikit.requests import Request


        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            request = Request(scope, receive, send)
            path: int = request.path  # ERROR
            await request.respond_json({"path": path}, status="200")  # ERROR
        """,
    ),
    "asgikit-forms": (
        """
        from asgikit.forms import read_form
        from asgikit.requests import Request


        async def handler(request: Request) -> None:
            form = await read_form(request)
            print(form)
        """,
        """
        from asgikit.forms import read_form
        from asgikit.requests import Request


        async def handler(request: Request) -> None:
            form: int = await read_form(request)  # ERROR
            await read_form("not a request")  # ERROR
            print(form)
        """,
    ),
    "asgikit-files": (
        """
        from asgikit.files import respond_file
        from asgikit.requests import Request


        async def handler(request: Request) -> None:
            await respond_file(request, "index.html")
        """,
        """
        from asgikit.files import respond_file
        from asgikit.requests import Request


        async def handler(request: Request) -> None:
            await respond_file(request, 42)  # ERROR
            await respond_file("not a request", "index.html")  # ERROR
        """,
    ),
    "asgikit-websockets": (
        """
        from asgikit.requests import Request
        from asgikit.websockets import WebSocket, WebSocketDisconnect


        async def handler(request: Request) -> None:
            ws: WebSocket = await request.websocket_accept()
            try:
                message = await ws.read()
                await ws.write(message)
            except WebSocketDisconnect as exc:
                print(exc)
            await ws.close()
        """,
        """
        from asgikit.requests import Request
        from asgikit.websockets import WebSocket


        async def handler(request: Request) -> None:
            ws: WebSocket = await request.websocket_accept()
            message: int = await ws.read()  # ERROR
            wrong: str = ws  # ERROR
            print(message, wrong)
        """,
    ),
}

_MYPY_LINE = re.compile(r"^(?P<file>[\w.]+\.py):(?P<line>\d+):(?:\d+:)? error: (?P<text>.*)$")


def typing_problems(good: str, bad: str, mypy_output: str) -> list[str]:
    """Compare mypy's output on ``good.py`` and ``bad.py`` with the ``# ERROR`` marks."""
    expected = {i for i, line in enumerate(bad.splitlines(), 1) if line.endswith("# ERROR")}
    reported: dict[str, set[int]] = {"good.py": set(), "bad.py": set()}
    problems = []
    for line in mypy_output.splitlines():
        match = _MYPY_LINE.match(line.strip())
        if match:
            reported.setdefault(match["file"], set()).add(int(match["line"]))
            if match["file"] == "good.py" or int(match["line"]) not in expected:
                problems.append(f"mypy reported an unexpected error: {line.strip()}")
    for number in sorted(expected - reported["bad.py"]):
        problems.append(
            f"mypy missed the deliberate error on bad.py line {number}: "
            f"{bad.splitlines()[number - 1].strip()!r} (is py.typed shipped?)"
        )
    return problems


# -- the steps -------------------------------------------------------------------------


def build(out: Path) -> None:
    run(["uv", "build", "--all-packages", "--no-sources", "-o", str(out)], cwd=ROOT)


def check_artifacts(members: list[Member], out: Path) -> tuple[dict[str, Path], list[str]]:
    """Inspect wheels and sdists; return each member's wheel and the problems found."""
    problems: list[str] = []
    wheels: dict[str, Path] = {}
    contents: dict[str, list[str]] = {}
    siblings = {normalize(m.name) for m in members}
    for member in members:
        stem = f"{dist_filename(member.name)}-{member.version}"
        found = sorted(out.glob(f"{stem}-*.whl"))
        sdists = sorted(out.glob(f"{stem}.tar.gz"))
        if len(found) != 1 or len(sdists) != 1:
            problems.append(
                f"{member.name}: expected one {stem}-*.whl and one {stem}.tar.gz in {out}, "
                f"found {[p.name for p in out.iterdir()]}"
            )
            continue
        wheel = wheels[member.name] = found[0]
        with zipfile.ZipFile(wheel) as zf:
            names = zf.namelist()
            metadata = zf.read(f"{stem}.dist-info/METADATA").decode()
        contents[wheel.name] = names
        own = [
            f"{wheel.name}: {p}"
            for p in wheel_problems(
                member.name, str(member.version), member.subpackages(), names, source_files(member)
            )
        ]
        own += [f"{wheel.name}: {p}" for p in metadata_problems(member, metadata, siblings)]
        with tarfile.open(sdists[0]) as tf:
            tar_names = [m.name for m in tf.getmembers() if m.isfile()]
        own += [
            f"{sdists[0].name}: {p}"
            for p in sdist_problems(
                member.name, str(member.version), member.subpackages(), tar_names
            )
        ]
        problems += own
        if not own:
            typed = ", ".join(f"{NAMESPACE}.{s}" for s in member.subpackages())
            print(f"  ok    {wheel.name}: {len(names)} files, py.typed in {typed}; metadata ok")
            print(f"  ok    {sdists[0].name}: sources, pyproject.toml, README.md")
    overlap = overlap_problems(contents)
    problems += overlap
    if not overlap and contents:
        print(f"  ok    no file shipped by two wheels ({len(contents)} wheels)")
    return wheels, problems


def check_alone(
    member: Member, members: list[Member], wheels: dict[str, Path], work: Path
) -> Outcome:
    """Install ``member``'s wheel alone in a fresh venv; import, smoke, type-check."""
    started = time.monotonic()
    outcome = Outcome(member.name)
    by_name = {normalize(m.name): m for m in members}
    needs = sibling_closure(member, by_name)
    installed = sorted([member.name, *(m.name for m in needs)])
    own = member.subpackages()
    absent = sorted(
        {s for m in members if m.name not in installed for s in m.subpackages()} - set(own)
    )
    here = work / member.name
    here.mkdir()
    venv = here / "venv"
    python = venv / "bin" / "python"
    try:
        run(["uv", "venv", "--quiet", "--python", sys.executable, str(venv)], cwd=here)
        missing = [m.name for m in needs if m.name not in wheels]
        if missing:
            raise CheckFailed(f"no wheel was built for {', '.join(missing)}")
        run(
            [
                "uv", "pip", "install", "--quiet", "--python", str(python),
                "--find-links", str(wheels[member.name].parent),
                str(wheels[member.name]), *(str(wheels[m.name]) for m in needs), "mypy",
            ],
            cwd=here,
        )  # fmt: skip
        run(["uv", "pip", "check", "--python", str(python)], cwd=here)
        outcome.lines.append(f"installed alone with {', '.join(installed)}; uv pip check ok")
        imports = "; ".join(f"import {NAMESPACE}.{s}" for s in own)
        run([str(python), "-I", "-c", imports], cwd=here)
        outcome.lines.append(f"python -I -c {imports!r}")

        info = {"dist": member.name, "version": member.version, "installed": installed}
        info |= {"own": own, "absent": absent}
        smoke_body = SMOKE.get(member.name)
        if smoke_body is None:
            raise CheckFailed(f"no smoke app written for {member.name} in tools/check_wheels.py")
        script = SMOKE_HARNESS.replace("__INFO__", repr(json.dumps(info))) + smoke_body
        (here / "smoke.py").write_text(script, encoding="utf-8")
        proc = run([str(python), "-I", "smoke.py"], cwd=here, timeout=60)
        checks = sum(line.startswith("ok:") for line in proc.stdout.splitlines())
        outcome.lines.append(f"smoke app passed ({checks} checks)")

        snippets = TYPING.get(member.name)
        if snippets is None:
            raise CheckFailed(f"no typing snippet written for {member.name}")
        good, bad = (textwrap.dedent(s).lstrip() for s in snippets)
        (here / "good.py").write_text(good, encoding="utf-8")
        (here / "bad.py").write_text(bad, encoding="utf-8")
        (here / "mypy.ini").write_text("[mypy]\nstrict = True\n", encoding="utf-8")
        mypy = subprocess.run(
            [str(python), "-m", "mypy", "--config-file", "mypy.ini", "good.py", "bad.py"],
            cwd=here, capture_output=True, text=True, timeout=STEP_TIMEOUT, check=False,
        )  # fmt: skip
        found = typing_problems(good, bad, mypy.stdout)
        if mypy.returncode not in (0, 1) or "error:" not in mypy.stdout:
            found.append(f"mypy exited {mypy.returncode}: {(mypy.stdout + mypy.stderr).strip()}")
        if found:
            raise CheckFailed("; ".join(found))
        wrong = sum(line.endswith("# ERROR") for line in bad.splitlines())
        outcome.lines.append(f"mypy --strict: snippet clean, {wrong} deliberate errors reported")
    except CheckFailed as exc:
        outcome.problems.append(str(exc))
    except subprocess.TimeoutExpired as exc:
        outcome.problems.append(f"timed out: {exc}")
    outcome.seconds = time.monotonic() - started
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Build every asgikit distribution; check wheel and sdist contents; install "
        "each wheel alone in a fresh venv, import it, run a smoke app and type-check a snippet.",
    )
    parser.add_argument(
        "--contents-only", action="store_true", help="build and inspect only; no venvs"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument(
        "-j", "--jobs", type=int, default=2, help="venvs checked at once (default: 2)"
    )
    parser.add_argument(
        "dists", nargs="*", metavar="DIST", help="only install these alone (default: all)"
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    if shutil.which("uv") is None:
        print("check_wheels: error: uv is not on PATH", file=sys.stderr)
        return 1
    members = load_members(ROOT)
    if not members:
        print(f"check_wheels: error: no members under {ROOT / 'packages'}", file=sys.stderr)
        return 1
    names = {m.name for m in members}
    unknown = sorted(set(args.dists) - names)
    if unknown:
        print(f"check_wheels: error: unknown distribution(s) {unknown}; members: {sorted(names)}")
        return 1
    work = Path(tempfile.mkdtemp(prefix="asgikit-wheels-"))
    problems: list[str] = []
    try:
        out = work / "dist"
        print(f"==> uv build --all-packages --no-sources -o {out}")
        try:
            build(out)
        except CheckFailed as exc:
            print(f"  FAIL  build: {exc}", file=sys.stderr)
            return 1
        print(f"==> wheel and sdist contents ({time.monotonic() - started:.1f}s)")
        wheels, problems = check_artifacts(members, out)
        for problem in problems:
            print(f"  FAIL  {problem}", file=sys.stderr)
        venv_ok = 0
        chosen = [m for m in members if not args.dists or m.name in args.dists]
        if not args.contents_only:
            print(f"==> each wheel alone in a fresh venv ({len(chosen)}; {args.jobs} at once)")
            with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
                futures = [
                    pool.submit(check_alone, member, members, wheels, work)
                    for member in chosen
                    if member.name in wheels
                ]
                for future in futures:
                    outcome = future.result()
                    for line in outcome.lines:
                        print(f"  ok    {outcome.dist}: {line}")
                    for problem in outcome.problems:
                        print(f"  FAIL  {outcome.dist}: {problem}", file=sys.stderr)
                    problems += [f"{outcome.dist}: {p}" for p in outcome.problems]
                    venv_ok += not outcome.problems
                    print(f"        {outcome.dist}: {outcome.seconds:.1f}s")
            for member in chosen:
                if member.name not in wheels:
                    problems.append(f"{member.name}: no wheel, not installed")
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    elapsed = time.monotonic() - started
    venvs = "" if args.contents_only else f"; {venv_ok}/{len(chosen)} wheels stand alone"
    if problems:
        print(f"check_wheels: {len(problems)} problem(s){venvs} ({elapsed:.1f}s)", file=sys.stderr)
        return 1
    print(f"check_wheels: {len(members)} wheels and sdists ok{venvs} ({elapsed:.1f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
