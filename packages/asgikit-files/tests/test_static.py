"""Static directories: traversal, symlinks, index files, precompressed variants, errors."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from asgikit.errors import MethodNotAllowedError, NotFoundError
from asgikit.files import (
    StaticFiles,
    StaticOptions,
    make_etag,
    safe_path_segments,
    serve_static,
)
from asgikit.files import _static as static_module
from asgikit.requests import Request
from asgikit.testing import Channel, http_scope

GetStatic = Callable[..., Awaitable[Channel]]

JS = b"console.log('hello');\n" * 50
JS_BR = b"BROTLI-BYTES" * 10
JS_GZ = b"GZIP-BYTES" * 12
SECRET = b"top secret\n"


@pytest.fixture(
    params=[
        pytest.param(
            "openat",
            marks=pytest.mark.skipif(
                not static_module._HAVE_OPENAT, reason="this platform has no openat"
            ),
        ),
        "realpath",
    ]
)
def strategy(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with each way of finding files below the root: the openat walk (POSIX)
    and the real-path comparison (used where dir_fd is missing, as on Windows)."""
    if request.param == "realpath":
        monkeypatch.setattr(static_module, "_HAVE_OPENAT", False)
    return str(request.param)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """``static/`` with files, and ``static1/`` beside it whose name starts the same
    (Starlette CVE-2023-29159)."""
    root = tmp_path / "static"
    root.mkdir()
    (root / "index.html").write_bytes(b"<h1>home</h1>")
    (root / "hello.txt").write_bytes(b"Hello, world!\n")
    (root / "app.js").write_bytes(JS)
    (root / "app.js.br").write_bytes(JS_BR)
    (root / "app.js.gz").write_bytes(JS_GZ)
    (root / "style.css").write_bytes(b"body{}")
    (root / "style.css.gz").write_bytes(b"GZ-CSS")
    (root / "data.tar.gz").write_bytes(b"TARGZ")
    (root / ".env").write_bytes(b"PASSWORD=1")
    (root / "sub").mkdir()
    (root / "sub" / "index.html").write_bytes(b"<h1>sub</h1>")
    (root / "sub" / "page.txt").write_bytes(b"page")
    (root / "noindex").mkdir()
    (root / "noindex" / "file.txt").write_bytes(b"file")
    (root / "%2e%2e").write_bytes(b"a file with a strange name")
    outside = tmp_path / "static1"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(SECRET)
    (tmp_path / "secret.txt").write_bytes(SECRET)
    return root


@pytest.fixture
def links(site: Path) -> Path:
    outside = site.parent / "static1"
    (site / "link_in.txt").symlink_to("hello.txt")
    (site / "link_out.txt").symlink_to(outside / "secret.txt")
    (site / "dirlink_out").symlink_to(outside, target_is_directory=True)
    (site / "dirlink_in").symlink_to(site / "sub", target_is_directory=True)
    # aiohttp CVE-2024-42367: a precompressed sibling that is a symlink out of the root
    (site / "lib.js").write_bytes(b"lib")
    (site / "lib.js.gz").symlink_to(outside / "secret.txt")
    return site


# -- the lexical check ---------------------------------------------------------------------

SEGMENTS = [
    ("", []),
    ("/", []),
    ("/a", ["a"]),
    ("/a/b.txt", ["a", "b.txt"]),
    ("/a/", ["a"]),
    ("a/b", ["a", "b"]),
    ("/%2e%2e", ["%2e%2e"]),  # decoded once by the server, never again
    ("/caf\u00e9.txt", ["caf\u00e9.txt"]),
    ("/CONSOLE.txt", ["CONSOLE.txt"]),  # only the exact device names are refused
    ("/com10", ["com10"]),
]


@pytest.mark.parametrize(("path", "expected"), SEGMENTS)
def test_safe_path_segments(path: str, expected: list[str]) -> None:
    assert safe_path_segments(path) == expected


REFUSED = [
    "/..",
    "/../secret.txt",
    "/a/../../secret.txt",
    "/a/..",
    "/./a",
    "/a//b",
    "//etc/passwd",  # absolute after the leading slash
    "///",
    "/a\\..\\b",  # backslash separators
    "\\\\attacker\\share\\x",  # UNC
    "/C:/Windows/win.ini",  # drive
    "/file.txt::$DATA",  # NTFS stream
    "/a\x00.png",  # NUL
    "/a\nb",
    "/a\x7fb",
    "/NUL",
    "/nul",
    "/sub/CON.txt",
    "/aux .txt",
    "/COM1",
    "/lpt9.log",
    "/COM\u00b9",
    "/CONIN$",
    "/file.",  # Windows drops trailing dots and spaces
    "/file ",
    "/a*b",
    "/a?b",
    "/.env",
    "/.git/config",
    "/" + "x" * 256,  # over 255 bytes
    "/" + "\u00e9" * 128,  # 256 UTF-8 bytes
    "/a" * 3000,  # over 4096 characters
    "/\ud800",  # a lone surrogate
]


@pytest.mark.parametrize("path", REFUSED)
def test_refused_paths(path: str) -> None:
    assert safe_path_segments(path) is None


def test_dotfiles_allowed_when_asked() -> None:
    assert safe_path_segments("/.well-known/security.txt", allow_dotfiles=True) == [
        ".well-known",
        "security.txt",
    ]
    assert safe_path_segments("/..", allow_dotfiles=True) is None


# -- serving ----------------------------------------------------------------------------------


@pytest.mark.usefixtures("strategy")
async def test_serves_a_file(site: Path, get_static: GetStatic) -> None:
    channel = await get_static(StaticFiles(site), "/hello.txt")
    assert channel.status == 200
    assert channel.body == b"Hello, world!\n"
    assert channel.header("content-type") == "text/plain; charset=utf-8"
    assert channel.header("etag") == make_etag(os.stat(site / "hello.txt"))
    assert channel.header("vary") is None  # no variants
    assert channel.header("accept-ranges") == "bytes"


@pytest.mark.usefixtures("strategy")
@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/", b"<h1>home</h1>"),
        ("", b"<h1>home</h1>"),
        ("/sub/", b"<h1>sub</h1>"),
        ("/sub/page.txt", b"page"),
    ],
)
async def test_index_files(site: Path, get_static: GetStatic, path: str, body: bytes) -> None:
    channel = await get_static(StaticFiles(site), path)
    assert (channel.status, channel.body) == (200, body)


@pytest.mark.usefixtures("strategy")
async def test_directory_without_slash_redirects(site: Path, get_static: GetStatic) -> None:
    channel = await get_static(StaticFiles(site), "/sub")
    assert channel.status == 307
    assert channel.header("location") == "/sub/"
    scope = http_scope("GET", "/static/sub", root_path="/static", query_string=b"a=1&b=%20")
    channel = Channel.with_body()
    await StaticFiles(site)(scope, channel.receive, channel.send)
    assert channel.header("location") == "/static/sub/?a=1&b=%20"


@pytest.mark.usefixtures("strategy")
@pytest.mark.parametrize(
    "path", ["/noindex/", "/noindex", "/missing.txt", "/missing/", "/hello.txt/", "/sub/missing"]
)
async def test_not_found(site: Path, get_static: GetStatic, path: str) -> None:
    channel = await get_static(StaticFiles(site), path)
    assert channel.status == 404
    assert channel.body == b"Not Found"
    assert channel.header("content-type") == "text/plain; charset=utf-8"


@pytest.mark.usefixtures("strategy")
async def test_no_index(site: Path, get_static: GetStatic) -> None:
    channel = await get_static(StaticFiles(site, index=None), "/")
    assert channel.status == 404
    channel = await get_static(StaticFiles(site, index=None), "/sub")
    assert channel.status == 404


async def test_mounted_under_a_root_path(site: Path, get_static: GetStatic) -> None:
    channel = await get_static(StaticFiles(site), "/static/hello.txt", root_path="/static")
    assert (channel.status, channel.body) == (200, b"Hello, world!\n")


@pytest.mark.usefixtures("strategy")
@pytest.mark.parametrize(
    "path",
    [
        "/../static1/secret.txt",  # Starlette CVE-2023-29159: a sibling sharing the prefix
        "/../secret.txt",
        "/sub/../../secret.txt",
        "/../../../../../../../../etc/passwd",  # aiohttp CVE-2024-23334 with --path-as-is
        "/..\\secret.txt",
        "/\\..\\secret.txt",
        "//etc/passwd",
        "/%2e%2e",  # decoded once: this is the literal file name below...
        "/hello.txt\x00.png",
        "/NUL",
        "/sub/CON.txt",
        "/.env",
        "/sub//page.txt",
        "/./hello.txt",
        "/" + "x" * 300,
    ],
)
async def test_traversal_attempts(site: Path, get_static: GetStatic, path: str) -> None:
    channel = await get_static(StaticFiles(site), path)
    if path == "/%2e%2e":
        assert (channel.status, channel.body) == (
            200,
            b"a file with a strange name",
        )  # ...inside the root
        return
    assert channel.status == 404
    assert SECRET not in channel.body


async def test_absolute_root_path_argument(site: Path) -> None:
    """serve_static refuses a path that would replace the root when joined."""
    channel = Channel.with_body()
    request = Request(http_scope("GET", "/"), channel.receive, channel.send)
    with pytest.raises(NotFoundError):
        await serve_static(request, site, str(site.parent / "secret.txt"))


@pytest.mark.usefixtures("strategy", "links")
@pytest.mark.parametrize(
    "path", ["/link_in.txt", "/link_out.txt", "/dirlink_out/secret.txt", "/dirlink_in/page.txt"]
)
async def test_no_symlink_is_followed_by_default(
    site: Path, get_static: GetStatic, path: str
) -> None:
    channel = await get_static(StaticFiles(site), path)
    assert channel.status == 404


@pytest.mark.usefixtures("links")
@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/link_in.txt", 200),
        ("/dirlink_in/page.txt", 200),
        ("/dirlink_in/", 200),
        ("/link_out.txt", 404),
        ("/dirlink_out/secret.txt", 404),
    ],
)
async def test_followed_symlinks_stay_inside_the_root(
    site: Path, get_static: GetStatic, path: str, status: int
) -> None:
    channel = await get_static(StaticFiles(site, follow_symlinks=True), path)
    assert channel.status == status
    assert SECRET not in channel.body


@pytest.mark.usefixtures("links")
@pytest.mark.parametrize("follow", [False, True])
async def test_precompressed_symlink_out_is_not_served(
    site: Path, get_static: GetStatic, follow: bool
) -> None:
    """aiohttp CVE-2024-42367: a .gz sibling that is a symlink out of the root."""
    channel = await get_static(
        StaticFiles(site, follow_symlinks=follow), "/lib.js", headers=[("accept-encoding", "gzip")]
    )
    assert (channel.status, channel.body) == (200, b"lib")
    assert channel.header("content-encoding") is None


async def test_root_itself_may_be_a_symlink(site: Path, get_static: GetStatic) -> None:
    link = site.parent / "www"
    link.symlink_to(site, target_is_directory=True)
    channel = await get_static(StaticFiles(link), "/hello.txt")
    assert channel.status == 200


@pytest.mark.usefixtures("strategy")
async def test_the_root_is_resolved_once_by_static_files(
    site: Path, get_static: GetStatic, monkeypatch: pytest.MonkeyPatch
) -> None:
    """StaticFiles resolves its root when built; serve_static, given any root, per call."""
    link = site.parent / "www"
    link.symlink_to(site, target_is_directory=True)
    app = StaticFiles(link)
    resolved: list[str] = []
    realpath = os.path.realpath

    def recording_realpath(path: Any, **kwargs: Any) -> Any:
        resolved.append(os.fspath(path))
        return realpath(path, **kwargs)

    monkeypatch.setattr(os.path, "realpath", recording_realpath)
    for _ in range(3):
        assert (await get_static(app, "/hello.txt")).status == 200
    assert str(link) not in resolved and str(site) not in resolved
    channel = Channel.with_body()
    request = Request(http_scope("GET", "/hello.txt"), channel.receive, channel.send)
    await serve_static(request, link, "/hello.txt")
    assert (channel.status, channel.body) == (200, b"Hello, world!\n")
    assert resolved.count(str(link)) == 1


# -- methods and errors -----------------------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "OPTIONS", "PATCH", "BREW"])
async def test_other_methods_are_405(site: Path, get_static: GetStatic, method: str) -> None:
    channel = await get_static(StaticFiles(site), "/hello.txt", method=method)
    assert channel.status == 405
    assert channel.header("allow") == "GET, HEAD"
    assert channel.body == b"Method Not Allowed"


async def test_serve_static_raises_typed_errors(site: Path) -> None:
    channel = Channel.with_body()
    request = Request(http_scope("POST", "/"), channel.receive, channel.send)
    with pytest.raises(MethodNotAllowedError) as info:
        await serve_static(request, site, "/hello.txt")
    assert info.value.allowed == ("GET", "HEAD") and info.value.status_code == 405
    request = Request(http_scope("GET", "/"), channel.receive, channel.send)
    with pytest.raises(NotFoundError):
        await serve_static(request, site, "/../static1/secret.txt")
    with pytest.raises(NotFoundError):
        await serve_static(request, site / "missing-root", "/hello.txt")
    assert channel.sent == []


async def test_head(site: Path, get_static: GetStatic) -> None:
    channel = await get_static(
        StaticFiles(site), "/app.js", method="HEAD", headers=[("accept-encoding", "br")]
    )
    assert channel.status == 200
    assert channel.header("content-length") == str(len(JS_BR))
    assert channel.header("content-encoding") == "br"
    assert channel.body == b""


async def test_only_http_scopes(site: Path) -> None:
    channel = Channel()
    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    with pytest.raises(ValueError, match="http scopes"):
        await StaticFiles(site)(scope, channel.receive, channel.send)


async def test_cache_control(site: Path, get_static: GetStatic) -> None:
    app = StaticFiles(site, cache_control="public, max-age=3600")
    channel = await get_static(app, "/hello.txt")
    assert channel.header("cache-control") == "public, max-age=3600"
    channel = await get_static(app, "/missing")
    assert channel.header("cache-control") is None


async def test_client_gone_ends_quietly(site: Path, get_static: GetStatic) -> None:
    channel = Channel.with_body()
    channel.send_error = OSError("connection reset")
    await StaticFiles(site)(http_scope("GET", "/hello.txt"), channel.receive, channel.send)
    assert channel.sent == []


# -- precompressed variants -------------------------------------------------------------------


@pytest.mark.usefixtures("strategy")
@pytest.mark.parametrize(
    ("accept", "coding", "body"),
    [
        ("br, gzip", "br", JS_BR),
        ("gzip, deflate, br", "br", JS_BR),
        ("gzip", "gzip", JS_GZ),
        ("br;q=0.5, gzip;q=0.8", "gzip", JS_GZ),
        ("br;q=0, gzip;q=0", None, JS),
        ("identity", None, JS),
        ("*", "br", JS_BR),
        ("*;q=0", None, JS),
        (None, None, JS),
    ],
)
async def test_precompressed_variants(
    site: Path, get_static: GetStatic, accept: str | None, coding: str | None, body: bytes
) -> None:
    headers = [] if accept is None else [("accept-encoding", accept)]
    channel = await get_static(StaticFiles(site), "/app.js", headers=headers)
    assert channel.status == 200
    assert channel.body == body
    assert channel.header("content-encoding") == coding
    assert channel.header("content-type") == "text/javascript; charset=utf-8"
    assert channel.header("vary") == "Accept-Encoding"  # on every answer for this file
    assert channel.header("content-length") == str(len(body))
    etag = channel.header("etag") or ""
    if coding is None:
        assert etag == make_etag(os.stat(site / "app.js"))
    else:
        assert etag.endswith(f'-{coding}"')


async def test_variant_only_for_the_codings_present(site: Path, get_static: GetStatic) -> None:
    channel = await get_static(StaticFiles(site), "/style.css", headers=[("accept-encoding", "br")])
    assert (channel.body, channel.header("content-encoding"), channel.header("vary")) == (
        b"body{}",
        None,
        "Accept-Encoding",
    )


async def test_precompressed_off(site: Path, get_static: GetStatic) -> None:
    channel = await get_static(
        StaticFiles(site, precompressed=False), "/app.js", headers=[("accept-encoding", "br")]
    )
    assert (channel.body, channel.header("content-encoding"), channel.header("vary")) == (
        JS,
        None,
        None,
    )


async def test_compressed_file_asked_by_name_has_no_content_encoding(
    site: Path, get_static: GetStatic
) -> None:
    channel = await get_static(
        StaticFiles(site), "/data.tar.gz", headers=[("accept-encoding", "gzip")]
    )
    assert channel.header("content-type") == "application/gzip"
    assert channel.header("content-encoding") is None
    assert channel.body == b"TARGZ"


async def test_variant_conditional_and_range(site: Path, get_static: GetStatic) -> None:
    app = StaticFiles(site)
    first = await get_static(app, "/app.js", headers=[("accept-encoding", "br")])
    etag = first.header("etag") or ""
    channel = await get_static(
        app, "/app.js", headers=[("accept-encoding", "br"), ("if-none-match", etag)]
    )
    assert channel.status == 304
    assert channel.header("vary") == "Accept-Encoding"
    # The identity representation has another tag: the br one does not validate it.
    channel = await get_static(app, "/app.js", headers=[("if-none-match", etag)])
    assert (channel.status, channel.body) == (200, JS)
    channel = await get_static(
        app, "/app.js", headers=[("accept-encoding", "br"), ("range", "bytes=0-5")]
    )
    assert (channel.status, channel.body) == (206, JS_BR[:6])
    assert channel.header("content-range") == f"bytes 0-5/{len(JS_BR)}"
    assert channel.header("content-encoding") == "br"


async def test_static_uses_pathsend(site: Path, get_static: GetStatic) -> None:
    extensions: dict[str, Any] = {"http.response.pathsend": {}}
    channel = await get_static(
        StaticFiles(site), "/app.js", headers=[("accept-encoding", "br")], extensions=extensions
    )
    assert channel.sent[-1] == {"type": "http.response.pathsend", "path": str(site / "app.js.br")}
    channel = await get_static(StaticFiles(site), "/sub/", extensions=extensions)
    assert channel.sent[-1] == {
        "type": "http.response.pathsend",
        "path": str(site / "sub" / "index.html"),
    }


@pytest.mark.usefixtures("strategy")
async def test_static_closes_every_file(
    site: Path, get_static: GetStatic, fd_tracker: set[int]
) -> None:
    app = StaticFiles(site)
    for path, headers in [
        ("/app.js", [("accept-encoding", "br")]),
        ("/app.js", [("accept-encoding", "br"), ("range", "bytes=0-1,3-4")]),
        ("/sub", []),
        ("/sub/", []),
        ("/missing", []),
        ("/noindex/", []),
        ("/hello.txt/", []),
    ]:
        await get_static(app, path, headers=headers)
        assert not fd_tracker, path


@pytest.mark.usefixtures("strategy")
@pytest.mark.parametrize(
    ("directory", "path", "location"),
    [
        ("a#b", "/a#b", "/a%23b/"),  # '#' would end the path: the client asked for '/a'
        ("x%41", "/x%41", "/x%2541/"),  # '%41' would become 'A': another directory
        ("é d", "/é d", "/%C3%A9%20d/"),
    ],
)
async def test_directory_redirect_keeps_the_decoded_name(
    site: Path, get_static: GetStatic, directory: str, path: str, location: str
) -> None:
    (site / directory).mkdir()
    (site / directory / "index.html").write_bytes(b"<p>index</p>")
    (site / "xA").mkdir(exist_ok=True)
    channel = await get_static(StaticFiles(site), path)  # path as the server decoded it
    assert channel.status == 307
    assert channel.header("location") == location


async def test_directory_redirect_under_a_server_that_strips_root_path(site: Path) -> None:
    scope = http_scope("GET", "/sub", root_path="/static")  # path without root_path
    channel = Channel.with_body()
    await StaticFiles(site)(scope, channel.receive, channel.send)
    assert channel.header("location") == "/static/sub/"


# -- the mount root asked without its slash (issue 10) ----------------------------------
# RFC 3986 §5.2: relative links in /static's index.html resolve against "/", not
# "/static/", so the mount root must be redirected like any directory. Servers and
# routers give a mount in several shapes: path holding root_path (the ASGI spec's way),
# path without it ("" for the mount root), root_path with a trailing slash.

MOUNT_REDIRECTS = [
    # (path, root_path, query_string, location)
    ("/static", "/static", b"", "/static/"),
    ("/static", "/static", b"a=1&b=%20", "/static/?a=1&b=%20"),
    ("", "/static", b"", "/static/"),  # a server that leaves root_path out of path
    ("", "/static", b"x=%2F", "/static/?x=%2F"),
    ("/static", "/static/", b"", "/static/"),  # a router whose prefix keeps its slash
    ("/a/b", "/a/b", b"", "/a/b/"),  # a deeper mount
    ("/é d", "/é d", b"", "/%C3%A9%20d/"),  # re-encoded from the decoded path
    ("/a#b", "/a#b", b"", "/a%23b/"),  # '#' would end the path
    ("/x%41", "/x%41", b"", "/x%2541/"),  # '%41' would become 'A'
    ("", "/x%41", b"", "/x%2541/"),
    ("//evil.example", "//evil.example", b"", "/evil.example/"),  # never "//host"
]


@pytest.mark.usefixtures("strategy")
@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize(("path", "root_path", "query", "location"), MOUNT_REDIRECTS)
async def test_mount_root_without_slash_redirects(
    site: Path, method: str, path: str, root_path: str, query: bytes, location: str
) -> None:
    scope = http_scope(method, path, root_path=root_path, query_string=query)
    channel = Channel.with_body()
    await StaticFiles(site)(scope, channel.receive, channel.send)
    assert channel.status == 307
    assert channel.header("location") == location
    assert b"home" not in channel.body


MOUNT_SERVED = [
    # (path, root_path): the mount root with its slash, or no mount at all
    ("/static/", "/static"),
    ("/", "/static"),  # root_path left out of path
    ("/static/", "/static/"),
    ("/", ""),
    ("", ""),  # no URL to redirect to: "/" + "" + "/" would be "//"
]


@pytest.mark.usefixtures("strategy")
@pytest.mark.parametrize(("path", "root_path"), MOUNT_SERVED)
async def test_mount_root_with_slash_is_served(site: Path, path: str, root_path: str) -> None:
    scope = http_scope("GET", path, root_path=root_path)
    channel = Channel.with_body()
    await StaticFiles(site)(scope, channel.receive, channel.send)
    assert (channel.status, channel.body) == (200, b"<h1>home</h1>")


@pytest.mark.usefixtures("strategy")
@pytest.mark.parametrize(("path", "root_path"), [("/static", "/static"), ("", "/static")])
async def test_mount_root_without_index_is_404(site: Path, path: str, root_path: str) -> None:
    scope = http_scope("GET", path, root_path=root_path)
    channel = Channel.with_body()
    await StaticFiles(site, index=None)(scope, channel.receive, channel.send)
    assert channel.status == 404


async def test_root_path_matches_whole_segments(site: Path) -> None:
    """root_path "/static" does not make "/statichello.txt" the file "hello.txt"."""
    scope = http_scope("GET", "/statichello.txt", root_path="/static")
    channel = Channel.with_body()
    await StaticFiles(site)(scope, channel.receive, channel.send)
    assert channel.status == 404


@pytest.mark.usefixtures("strategy")
@pytest.mark.parametrize(
    ("url", "status", "location"), [("/docs", 307, "/docs/"), ("/docs/", 200, None)]
)
async def test_serve_static_at_its_root_follows_the_url(
    site: Path, url: str, status: int, location: str | None
) -> None:
    """A route that passes "" for its root directory: the URL decides."""
    channel = Channel.with_body()
    request = Request(http_scope("GET", url), channel.receive, channel.send)
    await serve_static(request, site, "")
    assert channel.status == status
    assert channel.header("location") == location


# -- one set of options: StaticOptions --------------------------------------------------------
# Each "# type: ignore[...]" below asserts a type error as well: the tests are checked by
# mypy --strict, whose warn_unused_ignores fails the run if mypy no longer sees it.


async def test_a_misspelled_option_is_a_type_error_and_a_typeerror(site: Path) -> None:
    channel = Channel.with_body()
    request = Request(http_scope("GET", "/hello.txt"), channel.receive, channel.send)
    unexpected = r"^{}\(\) got an unexpected keyword argument 'indx'$"
    with pytest.raises(TypeError, match=unexpected.format("serve_static")):
        await serve_static(request, site, "/hello.txt", indx=None)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=unexpected.format("StaticFiles")):
        StaticFiles(site, indx=None)  # type: ignore[call-arg]
    StaticFiles(site, index=1)  # type: ignore[arg-type]
    assert channel.sent == []


async def test_every_declared_option_is_taken(site: Path, get_static: GetStatic) -> None:
    options: StaticOptions = {
        "index": "hello.txt",
        "follow_symlinks": True,
        "precompressed": False,
        "allow_dotfiles": True,
        "cache_control": "no-store",
        "chunk_size": 4,
    }
    assert set(options) == StaticOptions.__optional_keys__
    app = StaticFiles(site, **options)
    channel = await get_static(app, "/")
    assert channel.body == b"Hello, world!\n"
    assert channel.header("cache-control") == "no-store"
    channel = await get_static(app, "/.env")
    assert channel.body == b"PASSWORD=1"
    channel = await get_static(app, "/app.js", headers=[("accept-encoding", "br")])
    assert (channel.body, channel.header("content-encoding")) == (JS, None)
    channel = Channel.with_body()
    request = Request(http_scope("GET", "/.env"), channel.receive, channel.send)
    await serve_static(request, site, "/.env", **options)
    assert channel.body == b"PASSWORD=1"


async def test_a_cancelled_lookup_closes_the_file_it_found(
    site: Path, fd_tracker: set[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cancel that lands while a worker thread looks the file up: what the lookup
    opened is closed when it returns (a found file, not only an opened one)."""
    import asyncio
    import threading
    from concurrent.futures import ThreadPoolExecutor

    found, gate = threading.Event(), threading.Event()
    real_locate = static_module.locate

    def gated_locate(*args: Any, **kwargs: Any) -> Any:
        result = real_locate(*args, **kwargs)
        found.set()
        gate.wait()
        return result

    monkeypatch.setattr(static_module, "locate", gated_locate)
    loop = asyncio.get_running_loop()
    # One worker: a job submitted after the lookup runs once the lookup has returned.
    workers, waiter = ThreadPoolExecutor(1), ThreadPoolExecutor(1)
    loop.set_default_executor(workers)
    channel = Channel.with_body()
    request = Request(http_scope("GET", "/hello.txt"), channel.receive, channel.send)
    task = asyncio.ensure_future(serve_static(request, site, "hello.txt"))
    try:
        await loop.run_in_executor(waiter, found.wait)
        assert len(fd_tracker) == 1  # the lookup holds the file open
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    finally:
        gate.set()
    await loop.run_in_executor(None, lambda: None)  # the lookup has returned by now
    assert not fd_tracker
    waiter.shutdown()
