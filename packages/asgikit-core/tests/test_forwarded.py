"""The RFC 7239 Forwarded parser and builder, and asgikit.proxies.apply_forwarded."""

from __future__ import annotations

import string
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asgikit.asgi import Scope
from asgikit.errors import HeaderValueError, InvalidHostError, UnsupportedScopeError
from asgikit.headers.forwarded import build_forwarded, parse_forwarded
from asgikit.proxies import apply_forwarded
from asgikit.requests import Request
from asgikit.testing import Channel, http_scope, websocket_scope

# -- the parser ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "elements"),
    [
        ("", []),
        ("for=192.0.2.60", [{"for": "192.0.2.60"}]),
        (
            "for=192.0.2.60;proto=http;by=203.0.113.43",
            [{"for": "192.0.2.60", "proto": "http", "by": "203.0.113.43"}],
        ),
        ('For="[2001:db8:cafe::17]:4711"', [{"for": "[2001:db8:cafe::17]:4711"}]),
        ("for=192.0.2.43, for=198.51.100.17", [{"for": "192.0.2.43"}, {"for": "198.51.100.17"}]),
        ('for=unknown;host="ex\\"ample.com"', [{"for": "unknown", "host": 'ex"ample.com'}]),
        ("for=a ; proto=https", [{"for": "a", "proto": "https"}]),
        ("for=a;;proto=https;", [{"for": "a", "proto": "https"}]),
        ('for="a,b";proto=x, for=c', [{"for": "a,b", "proto": "x"}, {"for": "c"}]),
        # Empty list elements are skipped (RFC 9110 §5.6.1).
        (" , ,for=a,, ", [{"for": "a"}]),
        # Malformed pairs are dropped, their element keeps its place.
        ("for=a;proto, for=b", [{"for": "a"}, {"for": "b"}]),
        ("for=;proto=https", [{"proto": "https"}]),
        ("for=a b;proto=https", [{"proto": "https"}]),
        ("garbage, for=b", [{}, {"for": "b"}]),
        ("=x, for=b", [{}, {"for": "b"}]),
        ('for="unterminated, for=b', [{}]),
        ('for="bad\x01", for=b', [{}, {"for": "b"}]),
        ("for=a;for=b;proto=https, for=c", [{"proto": "https"}, {"for": "c"}]),
        ("for=é", [{}]),
    ],
)
def test_parse_forwarded(value: str, elements: list[dict[str, str]]) -> None:
    assert parse_forwarded(value) == elements


_TOKEN = st.text(string.ascii_lowercase + string.digits + "!#$%&'*+-.^_`|~", min_size=1)
_VALUE = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"))
_ELEMENTS = st.lists(st.dictionaries(_TOKEN, _VALUE | _TOKEN, min_size=1, max_size=4), max_size=4)


@given(_ELEMENTS)
def test_build_then_parse_round_trips(elements: list[dict[str, str]]) -> None:
    assert parse_forwarded(build_forwarded(elements)) == elements


@given(_ELEMENTS, st.integers(min_value=0, max_value=200))
def test_what_follows_a_cut_cannot_change_what_comes_before(
    elements: list[dict[str, str]], cut: int
) -> None:
    # Each header line is parsed alone: a line cut anywhere gives at most as many
    # elements as it holds, and never raises.
    value = build_forwarded(elements)
    assert len(parse_forwarded(value[:cut])) <= len(elements)


@given(st.text(max_size=200))
def test_parse_never_raises(value: str) -> None:
    for element in parse_forwarded(value):
        assert all(name == name.lower() for name in element)


@pytest.mark.parametrize(
    "build",
    [
        lambda n: '"' * n,
        lambda n: "a=" * n,
        lambda n: ";" * n,
        lambda n: "for=" + '"\\' * n,  # backslashes, no closing quote
        lambda n: 'for="' + "," * n,  # commas inside an unterminated quote
        lambda n: "for=a;" * n,  # one element, the same name again and again
        lambda n: "for=a, " * n,
        lambda n: "x" * n + "=",
    ],
)
def test_parse_is_linear(build: Callable[[int], str], scan_cost: ScanCost) -> None:
    # Counted, not timed: the characters examined per character of input may not grow
    # with the input.
    small, large = build(2_000), build(16_000)
    per_char = [scan_cost(parse_forwarded, text) / len(text) for text in (small, large)]
    assert per_char[1] <= 1.25 * per_char[0], per_char


@pytest.mark.parametrize(
    "elements",
    [
        [{}],
        [{"fo r": "x"}],
        [{"": "x"}],
        [{"for": "a", "FOR": "b"}],
        [{"for": "\n"}],
        [{"for": "ā"}],
    ],
)
def test_build_refuses_what_cannot_be_sent(elements: list[dict[str, str]]) -> None:
    with pytest.raises(HeaderValueError):
        build_forwarded(elements)


def test_build_quotes_what_is_not_a_token() -> None:
    value = build_forwarded([{"for": "[2001:db8::1]", "proto": "https"}, {"for": "10.0.0.1"}])
    assert value == 'for="[2001:db8::1]";proto=https, for=10.0.0.1'


# -- apply_forwarded ----------------------------------------------------------------------

ScanCost = Callable[[Callable[[str], object], str], int]

PROXY = "10.0.0.1"


def _scope(
    headers: list[tuple[str, str]],
    *,
    peer: str = PROXY,
    host: str = "internal:8000",
    websocket: bool = False,
    **options: Any,
) -> Scope:
    all_headers = [("host", host), *headers]
    if websocket:
        return websocket_scope(headers=all_headers, client=(peer, 5000), **options)
    return http_scope(headers=all_headers, client=(peer, 5000), **options)


def _request(scope: Scope) -> Request:
    channel = Channel.with_body(b"")
    return Request(scope, channel.receive, channel.send)


def _view(request: Request) -> tuple[Any, ...]:
    return (request.client, request.scheme, request.host, request.port, request.url)


def test_nothing_is_trusted_unless_told() -> None:
    headers = [("x-forwarded-for", "1.2.3.4"), ("x-forwarded-proto", "https")]
    request = _request(_scope(headers))
    before = _view(request)
    assert apply_forwarded(request, trusted=[]) is False
    assert (
        _view(request)
        == before
        == ((PROXY, 5000), "http", "internal", 8000, "http://internal:8000/")
    )


def test_an_untrusted_peer_changes_nothing() -> None:
    request = _request(_scope([("x-forwarded-for", "1.2.3.4")], peer="192.0.2.9"))
    assert apply_forwarded(request, trusted=["10.0.0.0/8"]) is False
    assert request.client == ("192.0.2.9", 5000)


X_FULL = [
    ("x-forwarded-for", "203.0.113.7"),
    ("x-forwarded-proto", "https"),
    ("x-forwarded-host", "shop.example"),
    ("x-forwarded-prefix", "/store"),
]


def test_x_forwarded_from_a_trusted_peer_is_applied_everywhere() -> None:
    request = _request(_scope(X_FULL, path="/items", query_string=b"q=1"))
    assert apply_forwarded(request, trusted=["10.0.0.0/8"]) is True
    assert _view(request) == (
        ("203.0.113.7", 0),
        "https",
        "shop.example",
        443,
        "https://shop.example/store/items?q=1",
    )
    assert request.root_path == "/store"
    assert request.path == "/store/items"
    assert request.raw_path == b"/store/items"
    assert request.base_url == "https://shop.example/store/"
    assert request.headers["host"] == "shop.example"
    # Every Request over the scope, and the scope itself, agree.
    other = _request(request.scope)
    assert _view(other) == _view(request)
    assert request.scope["client"] == ("203.0.113.7", 0)
    assert request.scope["scheme"] == "https"


def test_applying_twice_changes_nothing_more() -> None:
    scope = _scope([("x-forwarded-for", "10.0.0.2, 10.0.0.3"), ("x-forwarded-prefix", "/p")])
    assert apply_forwarded(scope, trusted=["10.0.0.0/8"]) is True
    first = _view(_request(scope))
    assert apply_forwarded(_request(scope), trusted=["10.0.0.0/8"]) is False
    assert _view(_request(scope)) == first
    assert _request(scope).root_path == "/p"


@pytest.mark.parametrize(
    ("xff", "hops", "client"),
    [
        ("1.1.1.1", 1, "1.1.1.1"),
        ("1.1.1.1, 2.2.2.2", 1, "2.2.2.2"),
        ("1.1.1.1, 2.2.2.2", 5, "2.2.2.2"),  # 2.2.2.2 is not trusted: the walk stops
        ("1.1.1.1, 10.0.0.5", 1, "10.0.0.5"),
        ("1.1.1.1, 10.0.0.5", 2, "1.1.1.1"),
        ("1.1.1.1, 10.0.0.5, 10.0.0.6", 2, "10.0.0.5"),
        ("6.6.6.6, 1.1.1.1, 10.0.0.5", 3, "1.1.1.1"),  # the spoofed first one is never reached
        ("bogus, 10.0.0.5", 3, "10.0.0.5"),  # a bad address ends the walk
        ("1.1.1.1, unknown", 3, PROXY),
        ("1.1.1.1:4711", 1, "1.1.1.1"),
        ("[2001:db8::1]:4711", 1, "2001:db8::1"),
        ("2001:DB8::1", 1, "2001:db8::1"),
        ("[2001:db8::1", 1, PROXY),
        ("1.1.1.1:99999", 1, PROXY),
        ("fe80::1%eth0", 1, PROXY),
        ("", 1, PROXY),
    ],
)
def test_the_walk_stops_at_the_first_untrusted_hop(xff: str, hops: int, client: str) -> None:
    request = _request(_scope([("x-forwarded-for", xff)]))
    apply_forwarded(request, trusted=["10.0.0.0/8"], hops=hops)
    assert request.client is not None and request.client[0] == client


def test_x_forwarded_for_over_several_lines() -> None:
    scope = _scope([("x-forwarded-for", "1.1.1.1"), ("x-forwarded-for", "10.0.0.7")])
    apply_forwarded(scope, trusted=["10.0.0.0/8"], hops=2)
    assert _request(scope).client == ("1.1.1.1", 0)


@pytest.mark.parametrize(
    ("headers", "hops", "scheme", "host", "port"),
    [
        ([("x-forwarded-proto", "https")], 1, "https", "internal", 8000),
        (
            [("x-forwarded-proto", "HTTPS"), ("x-forwarded-host", "a.example")],
            1,
            "https",
            "a.example",
            443,
        ),
        ([("x-forwarded-host", "a.example:8443")], 1, "http", "a.example", 8443),
        (
            [("x-forwarded-host", "a.example"), ("x-forwarded-port", "8443")],
            1,
            "http",
            "a.example",
            8443,
        ),
        ([("x-forwarded-port", "9000")], 1, "http", "internal", 9000),
        # Malformed values are ignored, each on its own.
        (
            [("x-forwarded-proto", "gopher"), ("x-forwarded-host", "a.example")],
            1,
            "http",
            "a.example",
            80,
        ),
        (
            [("x-forwarded-proto", "https"), ("x-forwarded-host", "bad host")],
            1,
            "https",
            "internal",
            8000,
        ),
        (
            [("x-forwarded-host", "a.example"), ("x-forwarded-port", "99999")],
            1,
            "http",
            "a.example",
            80,
        ),
        (
            [("x-forwarded-host", "a.example"), ("x-forwarded-port", "80a")],
            1,
            "http",
            "a.example",
            80,
        ),
        # Lists: the value at the same place from the end as the client applied.
        (
            [("x-forwarded-for", "1.1.1.1, 10.0.0.2"), ("x-forwarded-proto", "https, http")],
            2,
            "https",
            "internal",
            8000,
        ),
        (
            [("x-forwarded-for", "1.1.1.1, 10.0.0.2"), ("x-forwarded-proto", "https, http")],
            1,
            "http",
            "internal",
            8000,
        ),
        (
            [("x-forwarded-for", "1.1.1.1, 10.0.0.2"), ("x-forwarded-proto", "https")],
            2,
            "https",
            "internal",
            8000,
        ),
    ],
)
def test_x_forwarded_scheme_host_port(
    headers: list[tuple[str, str]], hops: int, scheme: str, host: str, port: int
) -> None:
    request = _request(_scope(headers))
    apply_forwarded(request, trusted=["10.0.0.0/8"], hops=hops)
    assert (request.scheme, request.host, request.port) == (scheme, host, port)


@pytest.mark.parametrize(
    ("prefix", "root_path", "path", "expected"),
    [
        ("/api", "", "/x", ("/api", "/api/x", "http://internal:8000/api/x")),
        ("/api/", "", "/x", ("/api", "/api/x", "http://internal:8000/api/x")),
        ("/a%20b", "", "/x", ("/a b", "/a b/x", "http://internal:8000/a%20b/x")),
        ("/api", "/v1", "/v1/x", ("/api/v1", "/api/v1/x", "http://internal:8000/api/v1/x")),
        # hypercorn's convention: path without root_path stays so.
        ("/api", "/v1", "/x", ("/api/v1", "/x", "http://internal:8000/api/v1/x")),
        ("api", "", "/x", ("", "/x", "http://internal:8000/x")),
        ("/", "", "/x", ("", "/x", "http://internal:8000/x")),
        ("/a b", "", "/x", ("", "/x", "http://internal:8000/x")),
        ("/a?b", "", "/x", ("", "/x", "http://internal:8000/x")),
        ("/a%zz", "", "/x", ("", "/x", "http://internal:8000/x")),
    ],
)
def test_x_forwarded_prefix(
    prefix: str, root_path: str, path: str, expected: tuple[str, str, str]
) -> None:
    scope = _scope([("x-forwarded-prefix", prefix)], root_path=root_path, path=path)
    scope["raw_path"] = path.encode()
    request = _request(scope)
    apply_forwarded(request, trusted=[PROXY])
    assert (request.root_path, request.path, request.url) == expected


def test_only_the_chosen_family_is_read() -> None:
    forwarded = [("forwarded", "for=1.1.1.1;proto=https;host=a.example")]
    xff = [("x-forwarded-for", "2.2.2.2"), ("x-forwarded-proto", "https")]
    request = _request(_scope(forwarded))
    apply_forwarded(request, trusted=[PROXY])
    assert request.client == (PROXY, 5000) and request.scheme == "http"
    request = _request(_scope(xff))
    apply_forwarded(request, trusted=[PROXY], headers="forwarded")
    assert request.client == (PROXY, 5000) and request.scheme == "http"


@pytest.mark.parametrize(
    ("lines", "hops", "view"),
    [
        (["for=1.1.1.1;proto=https;host=a.example"], 1, ("1.1.1.1", "https", "a.example", 443)),
        (['for="[2001:db8::7]:4711";proto=https'], 1, ("2001:db8::7", "https", "internal", 8000)),
        # The furthest trusted element says what the client asked for.
        (
            ["for=1.1.1.1;proto=https;host=a.example, for=10.0.0.9;proto=http;host=lb"],
            2,
            ("1.1.1.1", "https", "a.example", 443),
        ),
        (
            ["for=1.1.1.1;proto=https;host=a.example, for=10.0.0.9;proto=http;host=lb"],
            1,
            ("10.0.0.9", "http", "lb", 80),
        ),
        # Two lines are one list; a broken first line cannot swallow the second.
        (['for="1.1.1.1', "for=2.2.2.2;proto=https"], 2, ("2.2.2.2", "https", "internal", 8000)),
        (["for=unknown;proto=https"], 1, (PROXY, "https", "internal", 8000)),
        (["for=_hidden;host=a.example"], 1, (PROXY, "http", "a.example", 80)),
        (["for=1.1.1.1;host=bad/host;proto=ftp"], 1, ("1.1.1.1", "http", "internal", 8000)),
        (["for=1.1.1.1;for=2.2.2.2;proto=https"], 1, (PROXY, "https", "internal", 8000)),
    ],
)
def test_forwarded(lines: list[str], hops: int, view: tuple[str, str, str, int]) -> None:
    request = _request(_scope([("forwarded", line) for line in lines]))
    apply_forwarded(request, trusted=["10.0.0.0/8"], hops=hops, headers="forwarded")
    assert request.client is not None
    assert (request.client[0], request.scheme, request.host, request.port) == view


def test_a_websocket_gets_ws_schemes() -> None:
    scope = _scope([("x-forwarded-proto", "https")], websocket=True)
    request = _request(scope)
    apply_forwarded(request, trusted=[PROXY])
    assert request.scheme == "wss"
    assert request.url == "wss://internal:8000/"


@pytest.mark.parametrize(
    ("trusted", "peer", "applied"),
    [
        (["127.0.0.1"], "127.0.0.1", True),
        (["::1"], "::1", True),
        (["10.0.0.0/8"], "::ffff:10.0.0.1", True),
        (["10.0.0.0/8"], "11.0.0.1", False),
        (["*"], "192.0.2.1", True),
        (["fd00::/8"], "10.0.0.1", False),
    ],
)
def test_trusted_addresses_and_networks(trusted: list[str], peer: str, applied: bool) -> None:
    request = _request(_scope([("x-forwarded-for", "1.1.1.1")], peer=peer))
    assert apply_forwarded(request, trusted=trusted) is applied


def test_an_unknown_peer_is_never_trusted() -> None:
    scope = _scope([("x-forwarded-for", "1.1.1.1")])
    scope["client"] = None
    assert apply_forwarded(scope, trusted=["0.0.0.0/0", "::/0"]) is False


@pytest.mark.parametrize(
    "options",
    [
        {"trusted": ["10.0.0.1/8"]},
        {"trusted": ["localhost"]},
        {"trusted": [PROXY], "hops": 0},
        {"trusted": [PROXY], "headers": "x-real-ip"},
    ],
)
def test_bad_configuration_is_a_value_error(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        apply_forwarded(_scope([]), **options)


_HEADER_VALUE = st.text(st.characters(max_codepoint=0xFF), max_size=40)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(
                [
                    "forwarded",
                    "x-forwarded-for",
                    "x-forwarded-proto",
                    "x-forwarded-host",
                    "x-forwarded-port",
                    "x-forwarded-prefix",
                    "host",
                ]
            ),
            _HEADER_VALUE,
        ),
        max_size=6,
    ),
    st.sampled_from(["x-forwarded", "forwarded"]),
    st.integers(min_value=1, max_value=4),
    st.booleans(),
)
def test_any_headers_give_a_consistent_view_or_a_host_error(
    headers: list[tuple[str, str]], family: Any, hops: int, websocket: bool
) -> None:
    scope = _scope(headers, websocket=websocket)
    apply_forwarded(scope, trusted=["*"], hops=hops, headers=family)
    request = _request(scope)
    assert request.scheme in (("ws", "wss") if websocket else ("http", "https"))
    assert request.root_path == "" or request.root_path.startswith("/")
    assert request.path.startswith(request.root_path)
    try:
        url = request.url
    except InvalidHostError:
        # Only a Host the client sent itself can be malformed: a forwarded one is checked.
        return
    assert url.startswith(f"{request.scheme}://{request.host}")


def test_a_lifespan_scope_is_refused() -> None:
    with pytest.raises(UnsupportedScopeError):
        apply_forwarded({"type": "lifespan", "asgi": {"version": "3.0"}}, trusted=["*"])


def test_a_forwarded_port_needs_a_host_to_go_with() -> None:
    # With no X-Forwarded-Host, the port joins the client's Host; a malformed one is
    # left as it is (and raises when read), never replaced by a guess.
    scope = _scope([("x-forwarded-port", "8443")], host="bad host")
    apply_forwarded(scope, trusted=[PROXY])
    with pytest.raises(InvalidHostError):
        _ = _request(scope).host


def test_a_prefix_without_raw_path() -> None:
    scope = _scope([("x-forwarded-prefix", "/p")], path="/x")
    del scope["raw_path"]
    request = _request(scope)
    apply_forwarded(request, trusted=[PROXY])
    assert (request.raw_path, request.url) == (None, "http://internal:8000/p/x")
