"""request.url, base_url, host, port and check_host, through the public API."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asgikit.asgi import Scope
from asgikit.errors import BadRequestError, DisallowedHostError, InvalidHostError
from asgikit.requests import Request
from asgikit.testing import Channel, http_scope, websocket_scope

MakeRequest = Callable[..., tuple[Request, Any]]


def _request(scope: Scope) -> Request:
    channel = Channel.with_body(b"")
    return Request(scope, channel.receive, channel.send)


def _check(request: Request, *, allowed: list[str]) -> str:
    return asyncio.run(request.check_host(allowed=allowed))


def _with_host(host: str | None, **options: Any) -> Request:
    # Header bytes as a client sends them: UTF-8 where it should not be.
    headers = [] if host is None else [(b"host", host.encode("utf-8"))]
    return _request(http_scope(headers=headers, **options))


@pytest.mark.parametrize(
    ("header", "scheme", "host", "port"),
    [
        ("example.com", "http", "example.com", 80),
        ("Example.COM", "http", "example.com", 80),
        ("example.com", "https", "example.com", 443),
        ("example.com:8080", "http", "example.com", 8080),
        ("example.com:", "https", "example.com", 443),
        ("example.com:0443", "https", "example.com", 443),
        ("192.0.2.1:8000", "http", "192.0.2.1", 8000),
        ("[::1]", "http", "[::1]", 80),
        ("[2001:DB8::1]:8443", "https", "[2001:db8::1]", 8443),
        ("[::ffff:192.0.2.1]", "http", "[::ffff:192.0.2.1]", 80),
        ("my_service.internal", "http", "my_service.internal", 80),
        ("example.com.", "http", "example.com.", 80),
        ("localhost:65535", "http", "localhost", 65535),
    ],
)
def test_host_and_port_from_the_host_header(header: str, scheme: str, host: str, port: int) -> None:
    request = _with_host(header, scheme=scheme)
    assert (request.host, request.port) == (host, port)


@pytest.mark.parametrize(
    "header",
    [
        "example.com:65536",
        "example.com:99999",
        "example.com:123456",
        "example.com:-1",
        "example.com:8O",
        "example.com:٣",
        "exa mple.com",
        "example.com/path",
        "user@example.com",
        "example.com?x",
        "example.com#x",
        "exa%41mple.com",
        "évil.com",
        "example.com;x",
        "::1",
        "[::1",
        "[::1]x",
        "[::1]:x",
        "[example.com]",
        "[fe80::1%25eth0]",
        "[12345::]",
        ":8080",
        "a" * 300,
        "example.com\r\nx: y",
        "\x00",
    ],
)
def test_a_malformed_host_is_a_400_error_when_asked_for(header: str) -> None:
    request = _with_host(header)
    assert request.path == "/"  # building and other properties are fine
    for read in (lambda: request.host, lambda: request.port, lambda: request.url):
        with pytest.raises(InvalidHostError) as info:
            read()
        assert info.value.status_code == 400
        assert info.value.hint
        assert header[:64] not in info.value.hint


def test_two_host_headers_are_a_400_error() -> None:
    request = _request(http_scope(headers=[("host", "a.example"), ("host", "b.example")]))
    with pytest.raises(InvalidHostError, match="more than one Host"):
        _ = request.host


@pytest.mark.parametrize(
    ("server", "host", "port"),
    [
        (("127.0.0.1", 8000), "127.0.0.1", 8000),
        (("::1", 9000), "[::1]", 9000),
        (("Example.Org", 80), "example.org", 80),
    ],
)
def test_without_host_the_server_address_is_the_fallback(
    server: tuple[str, int], host: str, port: int
) -> None:
    for value in (None, ""):
        request = _with_host(value, server=server)
        assert (request.host, request.port) == (host, port)


def test_without_host_nor_server_address_is_a_400_error() -> None:
    scope = http_scope(server=None)
    with pytest.raises(InvalidHostError, match="no Host header"):
        _ = _request(scope).host
    scope = http_scope()
    scope["server"] = ("/run/app.sock", None)  # a Unix socket
    with pytest.raises(InvalidHostError):
        _ = _request(scope).url


@pytest.mark.parametrize(
    ("scope_options", "raw_path", "url"),
    [
        ({}, None, "http://example.com/"),
        ({"path": "/a/b"}, None, "http://example.com/a/b"),
        ({"path": "/a b/é"}, None, "http://example.com/a%20b/%C3%A9"),
        ({"path": "/100%"}, None, "http://example.com/100%25"),
        ({"path": "/a?b#c"}, None, "http://example.com/a%3Fb%23c"),
        # raw_path wins: an encoded slash stays encoded, valid escapes are kept.
        ({"path": "/a/b"}, b"/a%2Fb", "http://example.com/a%2Fb"),
        ({"path": "/é"}, b"/%c3%a9", "http://example.com/%c3%a9"),
        ({"path": "/é"}, "/é".encode(), "http://example.com/%C3%A9"),
        ({"path": "/100%"}, b"/100%", "http://example.com/100%25"),
        ({"path": "/x"}, b"/x?leaked=1", "http://example.com/x"),
        ({"path": "/a b"}, b"/a b", "http://example.com/a%20b"),
        ({"path": "/"}, b"", "http://example.com/"),
        ({"query_string": b"a=1&b=x%20y"}, None, "http://example.com/?a=1&b=x%20y"),
        (
            {"query_string": b"q=a b&r=%zz&s=\xc3\xa9?/"},
            None,
            "http://example.com/?q=a%20b&r=%25zz&s=%C3%A9?/",
        ),
        ({"query_string": b"x=#"}, None, "http://example.com/?x=%23"),
        # root_path: uvicorn puts it in front of path already; others do not.
        (
            {"path": "/api/items", "root_path": "/api"},
            b"/api/items",
            "http://example.com/api/items",
        ),
        ({"path": "/items", "root_path": "/api"}, b"/items", "http://example.com/api/items"),
        ({"path": "/items", "root_path": "/ä pi"}, None, "http://example.com/%C3%A4%20pi/items"),
        ({"scheme": "https"}, None, "https://example.com/"),
    ],
)
def test_url(scope_options: dict[str, Any], raw_path: bytes | None, url: str) -> None:
    scope = http_scope(headers=[("host", "example.com")], **scope_options)
    scope["raw_path"] = raw_path
    if raw_path is None:
        del scope["raw_path"]
    assert _request(scope).url == url


@pytest.mark.parametrize(
    ("scheme", "host", "origin"),
    [
        ("http", "example.com:80", "http://example.com"),
        ("http", "example.com:443", "http://example.com:443"),
        ("https", "example.com:443", "https://example.com"),
        ("https", "example.com:80", "https://example.com:80"),
        ("http", "[::1]:8000", "http://[::1]:8000"),
    ],
)
def test_the_port_is_in_the_url_unless_it_is_the_default(
    scheme: str, host: str, origin: str
) -> None:
    request = _with_host(host, scheme=scheme, path="/p")
    assert request.url == origin + "/p"
    assert request.base_url == origin + "/"


@pytest.mark.parametrize(
    ("scheme", "host", "url"),
    [
        ("ws", "example.com", "ws://example.com/chat?room=1"),
        ("wss", "example.com", "wss://example.com/chat?room=1"),
        ("wss", "example.com:443", "wss://example.com/chat?room=1"),
        ("ws", "example.com:8080", "ws://example.com:8080/chat?room=1"),
    ],
)
def test_websocket_url(scheme: str, host: str, url: str) -> None:
    scope = websocket_scope(
        "/chat", query_string=b"room=1", headers=[("host", host)], scheme=scheme
    )
    assert _request(scope).url == url


@pytest.mark.parametrize(
    ("root_path", "base_url"),
    [
        ("", "http://example.com/"),
        ("/api", "http://example.com/api/"),
        ("/api/", "http://example.com/api/"),
        ("/a b", "http://example.com/a%20b/"),
    ],
)
def test_base_url_ends_with_a_slash(root_path: str, base_url: str) -> None:
    request = _with_host("example.com", root_path=root_path, path=root_path + "/x")
    assert request.base_url == base_url
    assert urljoin(request.base_url, "items") == base_url + "items"


_PATH_CHARS = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30)


@given(path=_PATH_CHARS, query=st.binary(max_size=30), use_raw=st.booleans())
def test_url_is_always_a_valid_uri_that_decodes_to_the_path(
    path: str, query: bytes, use_raw: bool
) -> None:
    path = "/" + path
    scope = http_scope("GET", path, query_string=query, headers=[("host", "example.com")])
    if use_raw:
        # What a lax client puts on the wire: only what would end the path is escaped.
        wire = path.replace("%", "%25").replace("?", "%3F").replace("#", "%23")
        scope["raw_path"] = wire.encode("utf-8")
    else:
        del scope["raw_path"]
    url = _request(scope).url
    assert url.isascii()
    assert all(0x20 < ord(c) < 0x7F for c in url)
    assert "#" not in url
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc) == ("http", "example.com")
    # Every % starts an escape, and the path decodes back to what the server gave.
    assert unquote(parts.path, errors="strict") == path
    assert "?" not in parts.path
    assert bool(parts.query) == bool(query)


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("example.com", ["example.com"]),
        ("EXAMPLE.com", ["example.COM"]),
        ("example.com.", ["example.com"]),
        ("example.com:8080", ["example.com"]),
        ("api.example.com", ["*.example.com"]),
        ("a.b.example.com", ["*.example.com"]),
        ("anything.test", ["*"]),
        ("[::1]:8000", ["localhost", "[::1]"]),
    ],
)
def test_check_host_allows(host: str, allowed: list[str]) -> None:
    assert _check(_with_host(host), allowed=allowed) == host.split(":8")[0].lower()


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("evil.com", ["example.com"]),
        ("example.com", ["*.example.com"]),
        ("badexample.com", ["*.example.com"]),
        ("example.com.evil.com", ["example.com", "*.example.com"]),
        ("example.com", []),
    ],
)
def test_check_host_refuses_with_a_400_error(host: str, allowed: list[str]) -> None:
    with pytest.raises(DisallowedHostError) as info:
        _check(_with_host(host), allowed=allowed)
    assert isinstance(info.value, InvalidHostError)
    assert isinstance(info.value, BadRequestError)
    assert info.value.status_code == 400
    assert "check_host" in (info.value.hint or "")


def test_check_host_on_a_malformed_host_is_the_malformed_error() -> None:
    with pytest.raises(InvalidHostError) as info:
        _check(_with_host("bad host"), allowed=["*"])
    assert not isinstance(info.value, DisallowedHostError)


@pytest.mark.parametrize("pattern", ["", "*example.com", "example.*", "*.*.com", "a b", "*."])
def test_check_host_refuses_a_malformed_pattern(pattern: str) -> None:
    with pytest.raises(ValueError, match="allowed host"):
        _check(_with_host("example.com"), allowed=[pattern])


@given(st.text(max_size=80))
def test_host_never_raises_anything_but_invalid_host(value: str) -> None:
    request = _with_host(value)
    try:
        host, port = request.host, request.port
    except InvalidHostError:
        return
    assert host == host.lower() and 0 <= port <= 65535


def test_every_request_over_a_scope_agrees(make_request: MakeRequest) -> None:
    request, _ = make_request(headers=[("host", "example.com:81")])
    other = Request(request.scope, request.receive, request.send)
    assert request.url == other.url == "http://example.com:81/"
