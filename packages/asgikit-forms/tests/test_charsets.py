"""Charsets named by the client (part Content-Type, ``_charset_``, urlencoded Content-Type)
that Python can decode but a client must not pick: punycode (quadratic: 1 MB stalled the
event loop for minutes), idna, undefined, and names with a NUL. Each is a typed 400, from
read_form() and iter_parts() alike, before any decoding is attempted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from asgikit.errors import InvalidEncodingError, InvalidFormError
from asgikit.forms import iter_parts, read_form
from asgikit.requests import Request

B = "asgikit-test-boundary-7f3a"
MULTIPART = f"multipart/form-data; boundary={B}"
URLENCODED = "application/x-www-form-urlencoded"
END = f"--{B}--\r\n".encode()

# 200 KB that punycode decodes in quadratic time: a long ASCII base and as many
# insertions, each of which copies the string built so far.
PUNYCODE_BOMB = b"a" * 100_000 + b"-" + b"a" * 99_999

CHARSETS = ["punycode", "undefined", "idna", "utf-8\0", "unicode-escape", "raw_unicode_escape"]


def part(headers: str, content: bytes) -> bytes:
    return f"--{B}\r\n{headers}\r\n\r\n".encode() + content + b"\r\n"


def text_part(name: str, content: bytes, charset: str | None = None) -> bytes:
    headers = f'Content-Disposition: form-data; name="{name}"'
    if charset is not None:
        headers += f"\r\nContent-Type: text/plain; charset={charset}"
    return part(headers, content)


def percent(text: str) -> bytes:
    return "".join(c if c.isalnum() or c in "-_" else f"%{ord(c):02X}" for c in text).encode()


async def with_read_form(request: Request) -> Any:
    async with await read_form(request) as form:
        return form


async def with_iter_parts(request: Request) -> Any:
    fields = {}
    async for p in iter_parts(request):
        fields[p.name] = await p.text()
    return fields


READERS: list[Callable[[Request], Any]] = [with_read_form, with_iter_parts]


def body_for(via: str, charset: str) -> tuple[bytes, str]:
    """A body naming ``charset`` in the way ``via`` says, with a text field that would
    take minutes to decode as punycode; and its Content-Type."""
    if via == "part content-type":
        return text_part("a", PUNYCODE_BOMB, charset) + END, MULTIPART
    if via == "multipart _charset_ first":
        body = text_part("_charset_", charset.encode()) + text_part("a", PUNYCODE_BOMB)
        return body + END, MULTIPART
    if via == "multipart _charset_ last":
        body = text_part("a", PUNYCODE_BOMB) + text_part("_charset_", charset.encode())
        return body + END, MULTIPART
    if via == "urlencoded _charset_":
        return b"_charset_=" + percent(charset) + b"&a=" + PUNYCODE_BOMB, URLENCODED
    assert via == "urlencoded content-type"
    return b"a=" + PUNYCODE_BOMB, f"{URLENCODED}; charset={charset}"


VIAS = [
    "part content-type",
    "multipart _charset_ first",
    "multipart _charset_ last",
    "urlencoded _charset_",
    "urlencoded content-type",
]


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("via", VIAS)
@pytest.mark.parametrize("charset", CHARSETS)
async def test_refused_charset_is_a_400(
    make_request: Any, reader: Callable[[Request], Any], via: str, charset: str
) -> None:
    body, content_type = body_for(via, charset)
    if via == "part content-type" and "\0" in charset:
        # A NUL in a part header is a malformed body before any charset is looked at.
        with pytest.raises(InvalidFormError) as malformed:
            await reader(make_request([body], content_type))
        assert malformed.value.status_code == 400
        return
    with pytest.raises(InvalidEncodingError) as info:
        await reader(make_request([body], content_type))
    assert info.value.status_code == 400
    assert repr(charset) in str(info.value)


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("charset", ["utf-8\0", "UTF-8\0garbage", "utf-8%00"])
async def test_charset_field_with_a_nul_is_a_400(
    make_request: Any, reader: Callable[[Request], Any], charset: str
) -> None:
    # "%00" is percent-decoded in an urlencoded body; a raw NUL is sent as it is.
    encoded = charset.encode() if "%" in charset else percent(charset)
    request = make_request([b"a=x&_charset_=" + encoded], URLENCODED)
    with pytest.raises(InvalidEncodingError) as info:
        await reader(request)
    assert info.value.status_code == 400
    body = text_part("_charset_", charset.encode()) + text_part("a", b"x") + END
    with pytest.raises(InvalidEncodingError) as info:
        await reader(make_request([body], MULTIPART))
    assert info.value.status_code == 400


@pytest.mark.parametrize("reader", READERS)
async def test_long_charset_name_is_a_short_400(
    make_request: Any, reader: Callable[[Request], Any]
) -> None:
    body = text_part("_charset_", b"x" * 500_000) + text_part("a", b"x") + END
    with pytest.raises(InvalidEncodingError) as info:
        await reader(make_request([body], MULTIPART))
    assert info.value.status_code == 400
    assert len(str(info.value)) < 200


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("charset", ["utf-16", "shift_jis", "koi8-r", "windows-1252"])
async def test_real_charsets_still_work(
    make_request: Any, reader: Callable[[Request], Any], charset: str
) -> None:
    text = "été" if charset != "koi8-r" else "привет"
    if charset == "shift_jis":
        text = "日本"
    raw = text.encode(charset)
    body = text_part("a", raw, charset) + text_part("_charset_", charset.encode())
    body += text_part("b", raw) + END
    fields = await reader(make_request([body], MULTIPART))
    assert (fields["a"], fields["b"]) == (text, text)


@pytest.mark.parametrize("reader", READERS)
async def test_text_that_does_not_decode_names_the_field(
    make_request: Any, reader: Callable[[Request], Any]
) -> None:
    body = text_part("a", b"\xff", "utf-8") + END
    with pytest.raises(InvalidEncodingError) as info:
        await reader(make_request([body], MULTIPART))
    assert str(info.value) == "form field 'a' with text that is not valid utf-8"


@pytest.mark.parametrize("charset", ["punycode", "idna", "no-such-charset"])
async def test_charset_option_refuses_them_too(make_request: Any, charset: str) -> None:
    with pytest.raises(ValueError, match=repr(charset)):
        await read_form(make_request([b"a=1"], URLENCODED), charset=charset)
    with pytest.raises(ValueError, match=repr(charset)):
        await anext(iter_parts(make_request([b"a=1"], URLENCODED), charset=charset))
