"""application/x-www-form-urlencoded bodies: shape, charset, limits."""

from __future__ import annotations

from typing import Any

import pytest

from asgikit.errors import (
    BadRequestError,
    ContentTooLargeError,
    InvalidEncodingError,
    MalformedHeaderError,
    UnsupportedMediaTypeError,
)
from asgikit.forms import iter_parts, read_form
from asgikit.requests import Request

URLENCODED = "application/x-www-form-urlencoded"


async def test_single_and_repeated_names(make_request: Any) -> None:
    form = await read_form(make_request([b"a=1&b=2&a=3&c="], URLENCODED))
    assert form == {"a": ["1", "3"], "b": "2", "c": ""}
    assert form.get_all("b") == ["2"]
    assert form.get_first("a") == "1"
    assert form.get_first("missing", "x") == "x"
    assert form.files() == []


async def test_request_read_form_delegates(make_request: Any) -> None:
    request: Request = make_request([b"a=1"], URLENCODED)
    assert await request.read_form() == {"a": "1"}


async def test_request_read_form_passes_options(make_request: Any) -> None:
    request: Request = make_request([b"a=1&b=2"], URLENCODED)
    with pytest.raises(ContentTooLargeError, match=r"\(max_fields=1\)"):
        await request.read_form(max_fields=1)


@pytest.mark.parametrize(
    "content_type",
    [
        "application/x-www-form-urlencoded",
        "Application/X-WWW-Form-URLEncoded",
        "application/x-www-form-urlencoded; charset=UTF-8",
        'APPLICATION/X-WWW-FORM-URLENCODED ; Charset="utf-8"',
    ],
)
async def test_media_type_in_any_case_with_parameters(make_request: Any, content_type: str) -> None:
    assert await read_form(make_request([b"x=%C3%BC"], content_type)) == {"x": "ü"}


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "text/plain",
        "application/json",
        "multipart/mixed; boundary=x",
        "application/x-www-form",
    ],
)
async def test_other_media_types_are_415(make_request: Any, content_type: str | None) -> None:
    with pytest.raises(UnsupportedMediaTypeError) as info:
        await read_form(make_request([b"a=1"], content_type))
    assert info.value.status_code == 415


async def test_semicolon_is_not_a_separator(make_request: Any) -> None:
    # CVE-2021-23336, python-multipart CVE-2026-53538: only '&' separates fields.
    form = await read_form(make_request([b"x=1;admin=true"], URLENCODED))
    assert form == {"x": "1;admin=true"}


async def test_plus_and_percent(make_request: Any) -> None:
    form = await read_form(make_request([b"q=a+b%2Bc%26d&%3D=%25"], URLENCODED))
    assert form == {"q": "a b+c&d", "=": "%"}


async def test_empty_body_is_an_empty_form(make_request: Any) -> None:
    assert await read_form(make_request([b""], URLENCODED)) == {}


async def test_body_is_kept_for_later_readers(make_request: Any) -> None:
    request: Request = make_request([b"a=", b"1"], URLENCODED)
    assert await read_form(request) == {"a": "1"}
    assert await request.read_bytes() == b"a=1"
    assert await read_form(request) == {"a": "1"}


# -- charset ---------------------------------------------------------------------------


async def test_charset_field_is_honoured(make_request: Any) -> None:
    body = b"name=%E9t%E9&_charset_=iso-8859-1"  # "été" in latin-1
    assert await read_form(make_request([body], URLENCODED)) == {
        "name": "été",
        "_charset_": "iso-8859-1",
    }


async def test_charset_field_first(make_request: Any) -> None:
    body = b"_charset_=windows-1252&q=%80"
    assert (await read_form(make_request([body], URLENCODED)))["q"] == "€"


async def test_content_type_charset_is_honoured(make_request: Any) -> None:
    form = await read_form(make_request([b"q=%E9"], URLENCODED + "; charset=latin-1"))
    assert form == {"q": "é"}


async def test_charset_option_is_the_default(make_request: Any) -> None:
    form = await read_form(make_request([b"q=%E9"], URLENCODED), charset="latin-1")
    assert form == {"q": "é"}


async def test_undecodable_is_400(make_request: Any) -> None:
    with pytest.raises(InvalidEncodingError) as info:
        await read_form(make_request([b"q=%FF%FE"], URLENCODED))
    assert info.value.status_code == 400


@pytest.mark.parametrize("charset", ["no-such-charset", "base64", "rot13", "x" * 200])
async def test_unknown_or_non_text_charset_is_400(make_request: Any, charset: str) -> None:
    with pytest.raises(InvalidEncodingError):
        await read_form(make_request([b"_charset_=" + charset.encode() + b"&q=1"], URLENCODED))


async def test_unknown_charset_option_is_a_programming_error(make_request: Any) -> None:
    with pytest.raises(ValueError, match="unknown charset"):
        await read_form(make_request([b"q=1"], URLENCODED), charset="nope")


# -- limits ----------------------------------------------------------------------------


@pytest.mark.parametrize(("count", "ok"), [(9, True), (10, True), (11, False)])
async def test_max_fields(make_request: Any, count: int, ok: bool) -> None:
    body = "&".join(f"f{i}=v" for i in range(count)).encode()
    request = make_request([body], URLENCODED)
    if ok:
        assert len(await read_form(request, max_fields=10)) == count
    else:
        with pytest.raises(ContentTooLargeError) as info:
            await read_form(request, max_fields=10)
        assert str(info.value) == "form has more than 10 fields (max_fields=10)"
        assert (info.value.limit, info.value.option, info.value.status_code) == (
            10,
            "max_fields",
            413,
        )


async def test_default_max_fields_is_1000(make_request: Any) -> None:
    body = b"&".join(b"a=1" for _ in range(1001))
    with pytest.raises(ContentTooLargeError, match=r"\(max_fields=1000\)"):
        await read_form(make_request([body], URLENCODED))
    assert len((await read_form(make_request([body[:-4]], URLENCODED))).get_all("a")) == 1000


@pytest.mark.parametrize(("size", "ok"), [(99, True), (100, True), (101, False)])
async def test_max_field_size(make_request: Any, size: int, ok: bool) -> None:
    body = b"a=" + b"x" * size
    request = make_request([body], URLENCODED)
    if ok:
        assert await read_form(request, max_field_size=100) == {"a": "x" * size}
    else:
        with pytest.raises(ContentTooLargeError) as info:
            await read_form(request, max_field_size=100)
        assert str(info.value) == "form field 'a' is larger than 100 bytes (max_field_size=100)"


async def test_max_field_size_counts_decoded_bytes(make_request: Any) -> None:
    # 40 x "é" is 80 bytes of UTF-8 (240 bytes percent-encoded).
    body = b"a=" + b"%C3%A9" * 40
    assert await read_form(make_request([body], URLENCODED), max_field_size=80) == {"a": "é" * 40}
    with pytest.raises(ContentTooLargeError):
        await read_form(make_request([body], URLENCODED), max_field_size=79)


@pytest.mark.parametrize(("size", "ok"), [(99, True), (100, True), (101, False)])
async def test_max_body_size(make_request: Any, size: int, ok: bool) -> None:
    body = b"a=" + b"x" * (size - 2)
    request = make_request([body], URLENCODED)
    if ok:
        assert await read_form(request, max_body_size=100) == {"a": "x" * (size - 2)}
    else:
        with pytest.raises(ContentTooLargeError) as info:
            await read_form(request, max_body_size=100)
        assert str(info.value) == "the body is larger than 100 bytes (max_body_size=100)"


async def test_default_body_cap_is_the_requests(make_request: Any) -> None:
    request: Request = make_request([b"a=" + b"x" * 200], URLENCODED)
    request.max_body_size = 100
    with pytest.raises(ContentTooLargeError, match=r"\(max_body_size=100\)"):
        await read_form(request)


async def test_lying_content_length_is_400(make_request: Any) -> None:
    # Django CVE-2026-33034: bytes past a declared length are an error, not trusted.
    chunks = [b"a=" + b"x" * 60, b"x" * 60]
    request = make_request(chunks, URLENCODED, [("content-length", "10")])
    with pytest.raises(BadRequestError, match="longer than its Content-Length"):
        await read_form(request, max_body_size=1000)


async def test_body_cap_counts_received_bytes_without_content_length(make_built: Any) -> None:
    built = make_built([b"a=" + b"x" * 60] + [b"x" * 60] * 100, URLENCODED)
    with pytest.raises(ContentTooLargeError, match=r"\(max_body_size=100\)"):
        await read_form(built.request, max_body_size=100)
    assert built.channel.receive_calls == 2  # refused as soon as the cap was crossed


async def test_malformed_content_length_is_400(make_request: Any) -> None:
    request = make_request([b"a=1"], URLENCODED, [("content-length", "-1")])
    with pytest.raises(MalformedHeaderError):
        await read_form(request)


async def test_declared_length_over_cap_fails_before_reading(make_built: Any) -> None:
    built = make_built([b"a=1"], URLENCODED, [("content-length", "1000")])
    with pytest.raises(ContentTooLargeError):
        await read_form(built.request, max_body_size=100)
    assert built.channel.receive_calls == 0


async def test_a_million_pairs_are_refused_before_decoding(make_request: Any) -> None:
    # Starlette CVE-2026-54283: the urlencoded path has the limits too.
    body = b"a=1&" * 1_000_000
    with pytest.raises(ContentTooLargeError, match=r"max_fields=1000"):
        await read_form(make_request([body], URLENCODED), max_body_size=len(body))


@pytest.mark.parametrize("option", ["max_fields", "max_field_size", "max_body_size"])
async def test_negative_limits_are_programming_errors(make_request: Any, option: str) -> None:
    with pytest.raises(ValueError, match=option):
        options: dict[str, Any] = {option: -1}
        await read_form(make_request([b"a=1"], URLENCODED), **options)


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (b"a=\xc3\xa9%20x", URLENCODED, "é x"),
        (b"q=Jos\xc3\xa9%20D\xc3\xadaz", URLENCODED, "José Díaz"),  # curl -d 'q=José%20Díaz'
        (b"a=\xe9%20x", f"{URLENCODED}; charset=iso-8859-1", "é x"),
    ],
)
async def test_raw_bytes_and_escapes_are_decoded_once(
    make_request: Any, body: bytes, content_type: str, expected: str
) -> None:
    form = await read_form(make_request([body], content_type))
    assert list(form.values()) == [expected]
    parts = [await part.text() async for part in iter_parts(make_request([body], content_type))]
    assert parts == [expected]


async def test_raw_non_utf8_next_to_an_escape_is_400(make_request: Any) -> None:
    with pytest.raises(InvalidEncodingError) as info:
        await read_form(make_request([b"a=\xe9%00"], URLENCODED))
    assert info.value.status_code == 400
