"""Typed header parsers and builders: Cache-Control, Authorization / WWW-Authenticate, Vary."""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asgikit.errors import HeaderValueError, MalformedHeaderError, ResponseStateError
from asgikit.headers import MutableHeaders
from asgikit.headers.auth import (
    BasicCredentials,
    Challenge,
    Credentials,
    basic_challenge,
    parse_authorization,
    parse_basic,
    parse_bearer,
    parse_www_authenticate,
)
from asgikit.headers.cache_control import CacheControl, cache_control, parse_cache_control
from asgikit.headers.vary import add_vary, merge_vary

ScanCost = Callable[[Callable[[str], object], str], int]

# -- Cache-Control -------------------------------------------------------------------


def test_response_directives() -> None:
    cc = parse_cache_control(
        'Public, Max-Age=3600, s-maxage="60", no-cache="Set-Cookie, X-Foo", private, '
        "must-revalidate, proxy-revalidate, immutable, must-understand, no-transform, "
        'stale-while-revalidate=30, stale-if-error=600, x-ext="a,b", other'
    )
    assert cc.public and cc.private and cc.no_cache and cc.immutable and cc.no_transform
    assert cc.must_revalidate and cc.proxy_revalidate and cc.must_understand
    assert (cc.max_age, cc.s_maxage) == (3600, 60)  # quoted form accepted (RFC 9111 §5.2)
    assert cc.no_cache_fields == ("set-cookie", "x-foo")
    assert cc.private_fields == ()
    assert (cc.stale_while_revalidate, cc.stale_if_error) == (30, 600)
    assert cc["x-ext"] == "a,b" and cc["OTHER"] is None  # extensions kept
    assert "x-ext" in cc and "nope" not in cc and not cc.no_store


def test_request_directives() -> None:
    cc = parse_cache_control("no-store, max-stale, min-fresh=10, only-if-cached, max-age=0")
    assert cc.no_store and cc.only_if_cached and "max-stale" in cc
    assert (cc.max_stale, cc.min_fresh, cc.max_age) == (None, 10, 0)
    assert parse_cache_control("max-stale=5").max_stale == 5


@pytest.mark.parametrize(
    ("value", "max_age"),
    [
        ("max-age=abc", None),
        ("max-age=-1", None),
        ("max-age=", None),
        ("max-age", None),
        ("max-age=1, max-age=2", None),  # RFC 9111 §4.2.1: a repeated directive is invalid
        ("max-age=99999999999999999999", 2**31),  # RFC 9111 §1.2.2
        ("max-age=\u0661", None),
        (None, None),
        ("", None),
    ],
)
def test_invalid_delta_seconds(value: str | None, max_age: int | None) -> None:
    assert parse_cache_control(value).max_age == max_age


def test_malformed_elements_are_skipped() -> None:
    assert dict(parse_cache_control('no store, "quoted", =1, ok, a b=1')) == {"ok": None}


def test_build_cache_control() -> None:
    assert cache_control(public=True, max_age=3600) == "public, max-age=3600"
    assert cache_control(no_cache=["set-cookie", "x-a"], private=False, no_store=True) == (
        'no-cache="set-cookie, x-a", no-store'
    )
    assert cache_control(max_stale=True, extensions={"x-a": "b c", "x-b": None}) == (
        'max-stale, x-a="b c", x-b'
    )
    with pytest.raises(ValueError, match="non-negative"):
        cache_control(max_age=-1)
    with pytest.raises(ValueError, match="field names"):
        cache_control(no_cache=["a b"])
    with pytest.raises(ValueError, match="not a token"):
        cache_control(extensions={"a b": None})
    with pytest.raises(TypeError, match="unexpected keyword"):
        cache_control(maxage=1)  # type: ignore[call-arg]


@given(
    st.integers(0, 2**31),
    st.booleans(),
    st.lists(st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True), min_size=1, max_size=3),
    st.dictionaries(
        st.from_regex(r"x-[a-z]{1,5}", fullmatch=True), st.none() | st.text(max_size=10)
    ),
)
def test_build_then_parse(
    age: int, public: bool, fields: list[str], extensions: dict[str, str | None]
) -> None:
    cc = parse_cache_control(
        cache_control(max_age=age, public=public, private=fields, extensions=extensions)
    )
    assert cc.max_age == age and cc.public == public and cc.private_fields == tuple(fields)
    assert {name: cc[name] for name in extensions} == extensions


TEXT = st.text(alphabet=st.sampled_from('ab=, "\\\t;-'), max_size=60) | st.text(max_size=60)


@given(TEXT)
def test_cache_control_round_trips_and_never_raises(value: str) -> None:
    cc = parse_cache_control(value)
    assert parse_cache_control(str(cc)) == cc
    assert isinstance(cc, CacheControl)
    for prop in ("max_age", "s_maxage", "max_stale", "min_fresh", "no_cache_fields"):
        getattr(cc, prop)


# -- Authorization and WWW-Authenticate ---------------------------------------------


def _basic(raw: bytes) -> str:
    return "Basic " + base64.b64encode(raw).decode()


def test_basic_rfc_7617_examples() -> None:
    # RFC 7617 §2 and §2.1 (the second with charset="UTF-8").
    assert parse_basic("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==") == ("Aladdin", "open sesame")
    assert parse_basic("Basic dGVzdDoxMjPCow==") == BasicCredentials("test", "123\u00a3")
    assert parse_basic("basic  dGVzdDoxMjPCow==") == ("test", "123\u00a3")  # scheme: any case
    assert parse_basic(_basic(b"user:pa:ss")) == ("user", "pa:ss")  # the first colon splits
    assert parse_basic(_basic(b":")) == ("", "")
    assert parse_basic(_basic("\u00e9:x".encode("latin-1")), encoding="latin-1") == ("\u00e9", "x")
    assert parse_basic(None) is None
    assert parse_basic("Bearer abc") is None


@pytest.mark.parametrize(
    "value",
    [
        "Basic",
        "Basic !!!!",
        "Basic QWxhZGRpbg",  # base64 without padding
        _basic(b"no colon"),
        _basic(b"\xff\xfe:x"),  # not UTF-8
        _basic(b"user:pa\x00ss"),  # a control character
        _basic("u:\u0085".encode()),  # a C1 control, in UTF-8
        _basic(b"us\x7fer:x"),
        'Basic realm="x"',
        "B@sic abc",
        "",
        "   ",
    ],
)
def test_malformed_basic_is_a_400(value: str) -> None:
    with pytest.raises(MalformedHeaderError) as raised:
        parse_basic(value)
    assert raised.value.status_code == 400


def test_bearer() -> None:
    # RFC 6750 §2.1
    assert parse_bearer("Bearer mF_9.B5f-4.1JqM") == "mF_9.B5f-4.1JqM"
    assert parse_bearer("bearer abc+/==") == "abc+/=="
    assert parse_bearer("Basic abc") is None
    for bad in ("Bearer", "Bearer a b", "Bearer a=b", 'Bearer "x"', "Bearer =abc"):
        with pytest.raises(MalformedHeaderError):
            parse_bearer(bad)


def test_generic_credentials() -> None:
    value = 'Digest username="Mufasa", realm="http-auth@example.org", nc=00000001, Q = "a\\"b"'
    assert parse_authorization(value) == Credentials(
        "digest",
        None,
        {"username": "Mufasa", "realm": "http-auth@example.org", "nc": "00000001", "q": 'a"b'},
    )
    assert parse_authorization("Negotiate") == Credentials("negotiate")
    assert parse_authorization(None) is None
    for bad in ('Digest a="unclosed', "Digest a=1, a=2", "Digest a=b c", "Digest =x", 'X a="b"c'):
        with pytest.raises(MalformedHeaderError):
            parse_authorization(bad)


def test_www_authenticate() -> None:
    # RFC 9110 §11.6.1's example.
    value = 'Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple"'
    assert parse_www_authenticate(value) == [
        Challenge("newauth", None, {"realm": "apps", "type": "1", "title": 'Login to "apps"'}),
        Challenge("basic", None, {"realm": "simple"}),
    ]
    assert parse_www_authenticate("Bearer, Foo abc==, Basic") == [
        Challenge("bearer"),
        Challenge("foo", "abc=="),
        Challenge("basic"),
    ]
    for bad in ("realm=x", "Foo abc==, realm=x", 'Basic realm="x'):
        with pytest.raises(MalformedHeaderError):
            parse_www_authenticate(bad)


def test_build_challenges() -> None:
    assert basic_challenge('My "API"') == 'Basic realm="My \\"API\\"", charset="UTF-8"'
    bearer = Challenge("Bearer", params={"realm": "api", "error": "invalid_token"})
    assert str(bearer) == 'Bearer realm="api", error="invalid_token"'
    assert str(Challenge("Foo", "abc==")) == "Foo abc=="
    for bad in (Challenge("a b"), Challenge("X", params={"a b": "c"}), Challenge("X", "a b")):
        with pytest.raises(HeaderValueError):
            str(bad)


TOKENS = st.from_regex(r"[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]{0,8}", fullmatch=True)
CHALLENGES = st.builds(
    Challenge,
    TOKENS,
    st.none(),
    st.dictionaries(TOKENS.map(str.lower), st.text(max_size=12), max_size=3),
) | st.builds(Challenge, TOKENS, st.from_regex(r"[A-Za-z0-9._~+/-]{1,10}=*", fullmatch=True))


@given(st.lists(CHALLENGES, min_size=1, max_size=3))
def test_challenges_round_trip(challenges: list[Challenge]) -> None:
    parsed = parse_www_authenticate(", ".join(map(str, challenges)))
    assert parsed == [Challenge(c.scheme.lower(), c.token68, c.params) for c in challenges]


@given(CHALLENGES)
def test_credentials_round_trip(challenge: Challenge) -> None:
    credentials = Credentials(challenge.scheme.lower(), challenge.token68, challenge.params)
    assert parse_authorization(str(credentials)) == credentials


@given(TEXT)
def test_auth_parsers_raise_only_our_error(value: str) -> None:
    for parse in (parse_authorization, parse_basic, parse_bearer, parse_www_authenticate):
        with contextlib.suppress(MalformedHeaderError):
            parse(value)


@given(st.text(max_size=20).filter(lambda s: ":" not in s), st.text(max_size=20))
def test_basic_round_trips_utf8(username: str, password: str) -> None:
    value = _basic(f"{username}:{password}".encode("utf-8", "surrogatepass"))
    try:
        assert parse_basic(value) == (username, password)
    except MalformedHeaderError:
        # Only for what RFC 7617 refuses: controls, or lone surrogates (not UTF-8).
        text = username + password
        assert any(ch < " " or "\x7f" <= ch <= "\x9f" or "\ud800" <= ch <= "\udfff" for ch in text)


# -- Vary ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (("Accept",), "Accept"),
        (
            ("Accept, accept-encoding", "ACCEPT", "Accept-Encoding, Cookie"),
            "Accept, accept-encoding, Cookie",
        ),
        (("Accept", "*", "Cookie"), "*"),  # * absorbs
        (("Accept, *",), "*"),
        (
            (
                "",
                " , ",
            ),
            "",
        ),
    ],
)
def test_merge_vary(values: tuple[str, ...], expected: str) -> None:
    assert merge_vary(*values) == expected


def test_merge_vary_refuses_non_tokens() -> None:
    with pytest.raises(HeaderValueError):
        merge_vary("Accept Language")


def test_add_vary_keeps_one_line() -> None:
    headers = MutableHeaders([("vary", "Cookie"), ("x", "1"), ("Vary", "accept")])
    add_vary(headers, "Accept", "Accept-Encoding")
    assert headers.get_all("vary") == ["Cookie, accept, Accept-Encoding"]
    empty = MutableHeaders()
    add_vary(empty)
    assert "vary" not in empty
    empty.freeze("response already started")
    with pytest.raises(ResponseStateError):
        add_vary(empty, "Accept")


# -- linear work ---------------------------------------------------------------------

HOSTILE: list[Callable[[int], str]] = [
    lambda n: "a=" * n,
    lambda n: 'x a="' + '\\"' * n,
    lambda n: ',"' * n,
    lambda n: "a=b, " * n,
    lambda n: "\\" * n,
    lambda n: "Basic " + "A" * n,
    lambda n: "x " + " =" * n,
]


def _quietly(parse: Callable[[str], object]) -> Callable[[str], object]:
    def run(value: str) -> object:
        try:
            return parse(value)
        except MalformedHeaderError:
            return None

    return run


@pytest.mark.parametrize("build", HOSTILE)
@pytest.mark.parametrize(
    "parse",
    [
        parse_cache_control,
        _quietly(parse_authorization),
        _quietly(parse_www_authenticate),
        _quietly(parse_basic),
    ],
)
def test_work_is_linear(
    build: Callable[[int], str], parse: Callable[[str], object], scan_cost: ScanCost
) -> None:
    small, large = build(2_000), build(16_000)
    per_char = [scan_cost(parse, text) / len(text) for text in (small, large)]
    assert per_char[1] <= 1.25 * per_char[0], per_char


@pytest.mark.parametrize("build", [lambda n: "Accept, " * n, lambda n: ",a" * n, lambda n: " " * n])
def test_merge_vary_is_linear(build: Callable[[int], str], scan_cost: ScanCost) -> None:
    small, large = build(2_000), build(16_000)
    per_char = [scan_cost(merge_vary, text) / len(text) for text in (small, large)]
    assert per_char[1] <= 1.25 * per_char[0], per_char
