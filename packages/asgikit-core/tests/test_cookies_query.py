from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asgikit.cookies import (
    Cookie,
    CookieAttributes,
    CookieOptions,
    ResponseCookies,
    parse_cookie_header,
)
from asgikit.errors import ContentTooLargeError, HeaderValueError, InvalidEncodingError
from asgikit.multivalue import MultiValueDict
from asgikit.query import parse_urlencoded
from asgikit.requests import Request
from asgikit.testing import Channel, http_scope

ScanCost = Callable[[Callable[[str], object], str], int]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("a=1", {"a": "1"}),
        ("a=1; b=2", {"a": "1", "b": "2"}),
        ("a=1;b=2", {"a": "1", "b": "2"}),
        ("a=1; a=2", {"a": ["1", "2"]}),
        ('a="quoted"', {"a": "quoted"}),
        ("a=x=y", {"a": "x=y"}),  # '=' inside a value
        ("  a  =  1  ;", {"a": "1"}),
        ("flag", {"": "flag"}),  # Mozilla's nameless cookie
        ("", {}),
        (";;;", {}),
        ("a=", {"a": ""}),
        ('json={"k": 1}', {"json": '{"k": 1}'}),
    ],
)
def test_parse_cookie_header(header: str, expected: dict[str, object]) -> None:
    assert parse_cookie_header(header) == expected


@given(st.text())
def test_parse_cookie_header_never_raises(header: str) -> None:
    assert isinstance(parse_cookie_header(header), dict)


def test_parse_cookie_header_is_linear(scan_cost: ScanCost) -> None:
    def header(n: int) -> str:
        return "; ".join(f"c{i}=v" for i in range(n))

    # Counted, not timed: the characters examined per character of input may not grow
    # with the input (a quadratic step makes them grow eightfold here).
    per_char = [
        scan_cost(parse_cookie_header, text) / len(text) for text in map(header, (2_000, 16_000))
    ]
    assert per_char[1] <= 1.25 * per_char[0], per_char


def test_set_cookie_with_every_attribute() -> None:
    expires = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    cookie = Cookie(
        "sid",
        "abc",
        expires=expires,
        max_age=60,
        domain="example.com",
        path="/app",
        secure=True,
        httponly=True,
        samesite="none",
        partitioned=True,
    )
    assert cookie.header_value() == (
        "sid=abc; Expires=Wed, 02 Jan 2030 03:04:05 GMT; Max-Age=60; Domain=example.com; "
        "Path=/app; Secure; HttpOnly; SameSite=None; Partitioned"
    )


def test_default_cookie() -> None:
    assert Cookie("a", "b").header_value() == "a=b; Path=/; SameSite=Lax"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"name": "a b", "value": "v"},
        {"name": "a;b", "value": "v"},
        {"name": "a", "value": "v;x"},
        {"name": "a", "value": "v x"},
        {"name": "a", "value": 'v"'},
        {"name": "a", "value": "v\r\nSet-Cookie: x=1"},
        {"name": "a", "value": "v", "domain": "example.com; SameSite=None; Secure"},
        {"name": "a", "value": "v", "path": "/\r\n"},
        {"name": "a", "value": "v", "max_age": "60"},
        {"name": "a", "value": "v", "max_age": 1.5},
        {"name": "a", "value": "v", "samesite": "sometimes"},
        {"name": "a", "value": "v", "samesite": "none"},  # without secure
        {"name": "a", "value": "v", "partitioned": True},  # without secure
        {"name": "a", "value": "v", "expires": "tomorrow"},
    ],
)
def test_bad_cookies_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(HeaderValueError):
        Cookie(**kwargs)  # type: ignore[arg-type]


def test_response_cookies_set_replace_delete() -> None:
    cookies = ResponseCookies()
    cookies.set("a", "1")
    cookies.set("a", "2")  # same name, domain, path: replaced
    cookies.set("a", "3", path="/other")
    cookies.delete("b")
    lines = [value.decode() for _, value in cookies.header_lines()]
    assert lines[0] == "a=2; Path=/; SameSite=Lax"
    assert lines[1] == "a=3; Path=/other; SameSite=Lax"
    assert lines[2].startswith("b=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0")
    assert len(cookies) == 3 and "a" in cookies and cookies.get("b") is not None


# Each "# type: ignore[...]" below asserts a type error as well: the tests are checked by
# mypy --strict, whose warn_unused_ignores fails the run if mypy no longer sees it.
def test_a_misspelled_cookie_option_is_a_type_error_and_a_typeerror() -> None:
    cookies = ResponseCookies()
    unexpected = r"^{}\(\) got an unexpected keyword argument '{}'$"
    with pytest.raises(TypeError, match=unexpected.format("set", "max_ag")):
        cookies.set("a", "1", max_ag=60)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=unexpected.format("Cookie", "http_only")):
        Cookie("a", "1", http_only=True)  # type: ignore[call-arg]
    # A deletion sets Max-Age and Expires itself: they are no options of delete().
    with pytest.raises(TypeError, match=unexpected.format("delete", "max_age")):
        cookies.delete("a", max_age=60)  # type: ignore[call-arg]
    with pytest.raises(HeaderValueError):
        cookies.set("a", "1", samesite="sometimes")  # type: ignore[arg-type]
    assert len(cookies) == 0


def test_every_declared_cookie_option_is_taken() -> None:
    attributes: CookieAttributes = {
        "domain": "example.com",
        "path": "/app",
        "secure": True,
        "httponly": True,
        "samesite": "strict",
        "partitioned": True,
    }
    options: CookieOptions = {
        "expires": datetime(2030, 1, 2, tzinfo=UTC),
        "max_age": 60,
        **attributes,
    }
    assert set(attributes) == CookieAttributes.__optional_keys__
    assert set(options) == CookieOptions.__optional_keys__
    cookies = ResponseCookies()
    cookies.set("a", "1", **options)
    cookies.delete("b", **attributes)
    set_line, delete_line = (value.decode() for _, value in cookies.header_lines())
    tail = "Domain=example.com; Path=/app; Secure; HttpOnly; SameSite=Strict; Partitioned"
    assert set_line == f"a=1; Expires=Wed, 02 Jan 2030 00:00:00 GMT; Max-Age=60; {tail}"
    assert delete_line == f"b=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; {tail}"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"a=1&b=2", {"a": "1", "b": "2"}),
        (b"a=1&a=2&a=3", {"a": ["1", "2", "3"]}),
        (b"a=1;b=2", {"a": "1;b=2"}),  # ';' is not a separator
        (b"q=hello+world&e=%C3%A9", {"q": "hello world", "e": "é"}),
        (b"a&b=", {"a": "", "b": ""}),
        (b"&&a=1&&", {"a": "1"}),
        (b"%20k%20=%2B", {" k ": "+"}),
        (b"", {}),
        (b"bad=%ZZ", {"bad": "%ZZ"}),
    ],
)
def test_parse_urlencoded(data: bytes, expected: dict[str, object]) -> None:
    assert parse_urlencoded(data) == expected


def test_urlencoded_field_limit_at_under_and_over() -> None:
    assert len(parse_urlencoded("&".join(f"f{i}=1" for i in range(10)), max_fields=10)) == 10
    assert len(parse_urlencoded("&".join(f"f{i}=1" for i in range(9)), max_fields=10)) == 9
    with pytest.raises(ContentTooLargeError) as info:
        parse_urlencoded("&".join(f"f{i}=1" for i in range(11)), max_fields=10)
    assert info.value.status_code == 413 and info.value.limit == 10
    assert "max_fields=10" in str(info.value)


def test_urlencoded_empty_items_do_not_count_against_the_limit() -> None:
    assert parse_urlencoded("&" * 50 + "a=1", max_fields=1) == {"a": "1"}


def test_urlencoded_strict_decoding() -> None:
    assert parse_urlencoded(b"a=%E9", errors="replace") == {"a": "\ufffd"}
    with pytest.raises(InvalidEncodingError):
        parse_urlencoded(b"a=%E9", errors="strict")
    assert parse_urlencoded(b"a=%E9", encoding="latin-1", errors="strict") == {"a": "é"}


@given(st.lists(st.tuples(st.text(), st.text()), max_size=20))
def test_urlencoded_round_trip(pairs: list[tuple[str, str]]) -> None:
    from urllib.parse import urlencode

    parsed = parse_urlencoded(urlencode(pairs), errors="strict")
    expected: MultiValueDict[str] = MultiValueDict()
    for name, value in pairs:
        expected.add(name, value)
    assert parsed == expected


@given(st.binary(max_size=200))
def test_urlencoded_raises_only_our_errors(data: bytes) -> None:
    with contextlib.suppress(InvalidEncodingError, ContentTooLargeError):
        parse_urlencoded(data, errors="strict", max_fields=5)


def test_multivalue_dict_accessors() -> None:
    values: MultiValueDict[str] = MultiValueDict()
    values.add("a", "1")
    values.add("b", "1")
    values.add("b", "2")
    assert values == {"a": "1", "b": ["1", "2"]}
    assert values.get_all("a") == ["1"] and values.get_all("b") == ["1", "2"]
    assert values.get_all("c") == []
    assert values.get_first("b") == "1" and values.get_first("c") is None
    assert values.get_first("c", "x") == "x"
    values.get_all("b").append("3")  # a copy: the dict is not changed
    assert values["b"] == ["1", "2"]


@pytest.mark.parametrize("charset", ["punycode", "undefined", "idna", "utf-8\x00", "zlib"])
def test_urlencoded_refuses_unsafe_charsets(charset: str) -> None:
    with pytest.raises(InvalidEncodingError):
        parse_urlencoded(b"a=%61%80", encoding=charset, errors="strict")


@pytest.mark.parametrize(
    "expires",
    [
        datetime.max.replace(tzinfo=timezone(-timedelta(hours=1))),  # past year 9999 in UTC
        datetime.min.replace(tzinfo=timezone(timedelta(hours=1))),  # before year 1 in UTC
    ],
)
async def test_an_expires_that_overflows_in_utc_is_refused_at_set(expires: datetime) -> None:
    channel = Channel.with_body()
    request = Request(http_scope(), channel.receive, channel.send)
    with pytest.raises(HeaderValueError, match="expires"):
        request.response.cookies.set("a", "1", expires=expires)
    # Refused at set(), so a response (an error page, say) still goes out.
    await request.respond_text("ok")
    assert channel.status == 200


_offsets = st.timedeltas(
    min_value=-timedelta(hours=23, minutes=59), max_value=timedelta(hours=23, minutes=59)
)
_expires = st.one_of(
    st.none(),
    st.datetimes(),
    st.datetimes(timezones=st.builds(timezone, _offsets)),
    st.builds(
        lambda when, offset: when.replace(tzinfo=timezone(offset)),
        st.sampled_from([datetime.min, datetime.max]),
        _offsets,
    ),
)


@given(_expires, st.one_of(st.none(), st.integers()))
def test_every_cookie_set_accepts_can_be_serialised(
    expires: datetime | None, max_age: int | None
) -> None:
    cookies = ResponseCookies()
    try:
        cookies.set("a", "1", expires=expires, max_age=max_age)
    except HeaderValueError:
        return
    [(name, value)] = cookies.header_lines()
    assert name == b"set-cookie" and value.startswith(b"a=1")
