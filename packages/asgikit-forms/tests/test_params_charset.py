"""Part parameters round-trip (quoted or not); ``read_form()`` and ``iter_parts()`` agree
on every form, ``_charset_`` naming any charset included; ``safe_filename`` drops the
whole Bidi_Control set."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote_from_bytes

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asgikit.errors import ClientError
from asgikit.forms import iter_parts, read_form, safe_filename

B = "XyZ"
CT = f"multipart/form-data; boundary={B}"
URLENCODED = "application/x-www-form-urlencoded"
slow = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def body_with(disposition: str, data: bytes = b"v") -> bytes:
    head = f"--{B}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
    return head + data + f"\r\n--{B}--\r\n".encode()


# -- part parameters -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("disposition", "name"),
    [
        ("form-data; name=a\\b", "a\\b"),
        ("form-data; name=a\\\\b", "a\\\\b"),
        ('form-data; name="a\\b"', "a\\b"),
        ('form-data; name="a\\"', "a\\"),
        ('form-data; x="q\\"; name=c\\d', "c\\d"),
    ],
)
async def test_backslashes_are_kept_as_sent(make_request: Any, disposition: str, name: str) -> None:
    assert await read_form(make_request([body_with(disposition)], CT)) == {name: "v"}


# RFC 9110 tchar, what a token parameter may hold, plus the backslash: not a tchar, but
# clients send it unquoted all the same (Windows paths), and there it means itself.
token_chars = st.sampled_from(list("!#$%&'*+-.^_`|~azAZ09\\"))
tokens = st.text(token_chars, min_size=1, max_size=20).filter(lambda t: "%" not in t)
quoted_names = st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00%"), max_size=20
)


def whatwg_quoted(text: str) -> str:
    return '"' + text.replace("\r", "%0D").replace("\n", "%0A").replace('"', "%22") + '"'


@slow
@given(name=tokens, filename=tokens)
async def test_token_params_round_trip(make_request: Any, name: str, filename: str) -> None:
    body = body_with(f"form-data; name={name}; filename={filename}")
    async with await read_form(make_request([body], CT)) as form:
        (got,) = form.files()
        assert got.name == name
        assert got.filename == safe_filename(filename)


@slow
@given(name=quoted_names)
async def test_quoted_params_round_trip(make_request: Any, name: str) -> None:
    body = body_with(f"form-data; name={whatwg_quoted(name)}")
    assert await read_form(make_request([body], CT)) == {name: "v"}


# -- read_form() and iter_parts() share one rule ---------------------------------------


async def via_read_form(make_request: Any, body: bytes, content_type: str) -> object:
    try:
        form = await read_form(make_request([body], content_type))
    except ClientError as exc:
        return type(exc).__name__
    return sorted((name, value) for name in form for value in form.get_all(name))


async def via_iter_parts(make_request: Any, body: bytes, content_type: str) -> object:
    try:
        got = [
            (part.name, await part.text())
            async for part in iter_parts(make_request([body], content_type))
        ]
    except ClientError as exc:
        return type(exc).__name__
    return sorted(got)


@pytest.mark.parametrize(
    "body",
    [
        b"_charset_=cp500&a=%C1",
        b"a=%C1&_charset_=cp500",
        b"_charset_=utf-16&a=%FF%FE%41%00",
        b"_charset_=cp037&a=%C1%C2",
    ],
)
async def test_ascii_incompatible_charset_field_urlencoded(make_request: Any, body: bytes) -> None:
    by_form = await via_read_form(make_request, body, URLENCODED)
    assert by_form == await via_iter_parts(make_request, body, URLENCODED)
    assert (
        isinstance(by_form, list)
        and ("_charset_", body.split(b"_charset_=")[1].split(b"&")[0].decode()) in by_form
    )


charsets = st.sampled_from(["utf-8", "latin-1", "cp500", "utf-16", "shift_jis", "cp1252", "x"])
values = st.text(max_size=6)


def text_part(name: str, data: bytes) -> bytes:
    return (
        f'--{B}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + data + b"\r\n"
    )


@slow
@given(
    charset=charsets,
    fields=st.lists(st.tuples(st.sampled_from(["a", "b"]), values), max_size=3),
    first=st.booleans(),
    encode_with=charsets,
)
async def test_read_form_and_iter_parts_agree(
    make_request: Any, charset: str, fields: list[tuple[str, str]], first: bool, encode_with: str
) -> None:
    def encoded(value: str) -> bytes:
        try:
            return value.encode(encode_with)
        except (UnicodeError, LookupError):
            return value.encode("utf-8")

    special = ("_charset_", charset.encode())
    pairs = [(name, encoded(value)) for name, value in fields]
    pairs = [special, *pairs] if first else [*pairs, special]
    urlencoded = b"&".join(n.encode() + b"=" + quote_from_bytes(v).encode() for n, v in pairs)
    multipart = b"".join(text_part(n, v) for n, v in pairs) + f"--{B}--\r\n".encode()
    for body, content_type in ((urlencoded, URLENCODED), (multipart, CT)):
        by_form = await via_read_form(make_request, body, content_type)
        by_parts = await via_iter_parts(make_request, body, content_type)
        if first or content_type == URLENCODED:
            assert by_form == by_parts
        elif isinstance(by_form, list) and isinstance(by_parts, list):
            # _charset_ after the fields: iter_parts() has decoded them already, with
            # the charset it had then; the _charset_ field itself still agrees.
            assert [p for p in by_form if p[0] == "_charset_"] == [
                p for p in by_parts if p[0] == "_charset_"
            ]


# -- safe_filename and Bidi_Control ----------------------------------------------------

# UAX #9 Table 4 / PropList.txt Bidi_Control: every one of them.
BIDI_CONTROL = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


@pytest.mark.parametrize("char", list(BIDI_CONTROL))
def test_every_bidi_control_is_dropped(char: str) -> None:
    assert safe_filename(f"evil{char}txt.exe") == "eviltxt.exe"


@given(st.text(st.sampled_from([*BIDI_CONTROL, "a", ".", " ", "/", "é"]), max_size=30))
def test_no_bidi_control_survives(name: str) -> None:
    assert not set(safe_filename(name)) & set(BIDI_CONTROL)
