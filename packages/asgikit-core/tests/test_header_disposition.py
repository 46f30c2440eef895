"""Content-Disposition: parsing (RFC 6266 and RFC 8187; the WHATWG form-data rules) and
building for downloads."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asgikit.headers import encode_header_value, parse_parameters
from asgikit.headers.disposition import (
    ContentDisposition,
    content_disposition,
    decode_ext_value,
    parse_content_disposition,
)

ScanCost = Callable[[Callable[[str], object], str], int]

# -- parsing a response's field (RFC 6266) -------------------------------------------------

RFC: list[tuple[str, str, dict[str, str], str | None]] = [
    # RFC 6266 §5 examples
    (
        "Attachment; filename=example.html",
        "attachment",
        {"filename": "example.html"},
        "example.html",
    ),
    (
        'INLINE; FILENAME= "an example.html"',
        "inline",
        {"filename": "an example.html"},
        "an example.html",
    ),
    (
        "attachment; filename*= UTF-8''%e2%82%ac%20rates",
        "attachment",
        {"filename*": "€ rates"},
        "€ rates",
    ),
    (
        "attachment; filename=\"EURO rates\"; filename*=utf-8''%e2%82%ac%20rates",
        "attachment",
        {"filename": "EURO rates", "filename*": "€ rates"},
        "€ rates",  # §4.3: filename* wins, wherever it stands
    ),
    (
        "attachment; filename*=UTF-8''a.txt; filename=\"b.txt\"",
        "attachment",
        {"filename*": "a.txt", "filename": "b.txt"},
        "a.txt",
    ),
    # RFC 8187 §3.2.2: ISO-8859-1 too, and a language
    (
        "attachment; filename*=iso-8859-1'en'%A3%20rates",
        "attachment",
        {"filename*": "£ rates"},
        "£ rates",
    ),
    # an ext-value that does not decode is left out, and filename answers
    ("attachment; filename=a; filename*=UTF-8''%FF", "attachment", {"filename": "a"}, "a"),
    ("attachment; filename=a; filename*=KOI8-R''%C1", "attachment", {"filename": "a"}, "a"),
    ("attachment; filename=a; filename*=a.txt", "attachment", {"filename": "a"}, "a"),
    # quoted strings: escapes (RFC 9110 §5.6.4), a ';' inside, the first of a name wins
    ('attachment; filename="a\\"b.txt"', "attachment", {"filename": 'a"b.txt'}, 'a"b.txt'),
    ('attachment; filename="x;y"; filename="z"', "attachment", {"filename": "x;y"}, "x;y"),
    ("inline", "inline", {}, None),
    ("", "", {}, None),
]


@pytest.mark.parametrize(("value", "kind", "params", "filename"), RFC)
def test_parse_response_field(
    value: str, kind: str, params: dict[str, str], filename: str | None
) -> None:
    parsed = parse_content_disposition(value)
    assert parsed == ContentDisposition(kind, params)
    assert parsed.filename == filename


EXT_VALUES = [
    ("UTF-8''%e2%82%ac", "€"),
    ("utf-8'de-DE'a%20b", "a b"),
    ("ISO-8859-1''%E9", "é"),
    ("UTF-8''!#$&+-.^_`|~", "!#$&+-.^_`|~"),  # attr-char as itself
    ("UTF-8''", ""),
    ("UTF-8''a b", None),  # a space is not an attr-char
    ("UTF-8''%", None),
    ("UTF-8''%4", None),
    ("UTF-8''%zz", None),
    ("UTF-8''%C3", None),  # not UTF-8
    ("UTF-8'a", None),
    ("''a", None),  # a charset is required
    ("US-ASCII''a", None),
    ("UTF-8''é", None),
]


@pytest.mark.parametrize(("value", "expected"), EXT_VALUES)
def test_decode_ext_value(value: str, expected: str | None) -> None:
    assert decode_ext_value(value) == expected


# -- parsing a multipart part header (WHATWG HTML form-data encoding) ---------------------

FORM: list[tuple[str, str, dict[str, str]]] = [
    ('form-data; name="a"', "form-data", {"name": "a"}),
    ('form-data; name="a"; filename="b.txt"', "form-data", {"name": "a", "filename": "b.txt"}),
    # a backslash is itself: Windows paths from old browsers, and no escape of a quote
    (
        'form-data; name="f"; filename="C:\\dir\\a.txt"',
        "form-data",
        {"name": "f", "filename": "C:\\dir\\a.txt"},
    ),
    ('form-data; name="a\\"; filename="b"', "form-data", {"name": "a\\", "filename": "b"}),
    # %22, %0D and %0A stand for '"', CR and LF in name and filename, and nothing else does
    (
        'form-data; name="a%22b%0D%0Ac"; filename="%22.txt"',
        "form-data",
        {"name": 'a"b\r\nc', "filename": '".txt'},
    ),
    ('form-data; name="100%25"', "form-data", {"name": "100%25"}),
    ('form-data; name="x"; note="%22"', "form-data", {"name": "x", "note": "%22"}),
    # RFC 7578 §4.2: filename* is not for form-data
    ("form-data; name=\"f\"; filename*=UTF-8''evil.exe", "form-data", {"name": "f"}),
    # a decoy inside another parameter's quoted string is not a parameter
    (
        'form-data; note="x; filename=evil.exe "; name="a"',
        "form-data",
        {"note": "x; filename=evil.exe ", "name": "a"},
    ),
    ('form-data; name="first"; name="second"', "form-data", {"name": "first"}),
    ("Form-Data; NAME=a", "form-data", {"name": "a"}),
    ('form-data; name="unterminated', "form-data", {"name": "unterminated"}),
]


@pytest.mark.parametrize(("value", "kind", "params"), FORM)
def test_parse_form_data_part_header(value: str, kind: str, params: dict[str, str]) -> None:
    assert parse_content_disposition(value, form_data=True) == ContentDisposition(kind, params)


def test_form_data_filename_is_the_plain_parameter() -> None:
    parsed = parse_content_disposition('form-data; name="f"; filename=""', form_data=True)
    assert parsed.name == "f" and parsed.filename == ""  # an empty filename: still a file
    assert parse_content_disposition('form-data; name="f"', form_data=True).filename is None


# The rules asgikit-forms 0.1 applied to a part's Content-Disposition, kept as the model
# the form-data mode must agree with on any input: backslashes inside a quoted string
# doubled for parse_parameters (which then undoes them), %22/%0D/%0A read in name and
# filename, filename* ignored.
_model_quoted = re.compile('; *[^;=]*=[ \t]*"[^"]*"?')


def _model(value: str) -> tuple[str, str | None, str | None]:
    if "\\" in value:
        value = _model_quoted.sub(lambda m: m.group().replace("\\", "\\\\"), value)
    kind, params = parse_parameters(value)

    def unescape(text: str | None) -> str | None:
        if text is None:
            return None
        return text.replace("%0D", "\r").replace("%0A", "\n").replace("%22", '"')

    return kind, unescape(params.get("name")), unescape(params.get("filename"))


form_noise = st.text(alphabet='form-dat;name=fil*"\\ \t%0D2AC', max_size=60)


@given(st.one_of(form_noise, st.text(max_size=60)))
def test_form_data_mode_agrees_with_the_forms_model(value: str) -> None:
    parsed = parse_content_disposition(value, form_data=True)
    assert (parsed.type, parsed.name, parsed.filename) == _model(value)


@given(st.text(max_size=100), st.booleans())
def test_parser_never_raises(value: str, form_data: bool) -> None:
    parsed = parse_content_disposition(value, form_data=form_data)
    assert all(isinstance(v, str) for v in parsed.params.values())


@pytest.mark.parametrize("form_data", [False, True])
@pytest.mark.parametrize(
    "build",
    [
        lambda n: "form-data" + '; a="\\\\"' * n,
        lambda n: "form-data;" + " " * n,
        lambda n: "form-data" + ";a" * n + "=",
        lambda n: 'form-data; name="' + "\\" * n,
        lambda n: "attachment; filename*=UTF-8''" + "%41" * n,
    ],
    ids=["backslashes", "spaces", "no-equals", "unterminated", "ext-value"],
)
def test_parser_is_linear(
    build: Callable[[int], str], form_data: bool, scan_cost: ScanCost
) -> None:
    def parse(text: str) -> object:
        return parse_content_disposition(text, form_data=form_data)

    per_char = [scan_cost(parse, text) / len(text) for text in map(build, (2_000, 16_000))]
    assert per_char[1] <= 1.25 * per_char[0], per_char


# -- building a download's field (RFC 6266 §4.3) --------------------------------------------

DISPOSITIONS = [
    ("report.pdf", 'attachment; filename="report.pdf"'),
    ("my report.pdf", 'attachment; filename="my report.pdf"'),
    ("résumé.pdf", "attachment; filename=\"resume.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf"),
    ("日本.txt", "attachment; filename=\"__.txt\"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.txt"),
    # Django CVE-2022-36359: breaking out of the quoted name
    (
        'report";filename=evil.cmd',
        "attachment; filename=\"report_;filename=evil.cmd\"; "
        "filename*=UTF-8''report%22%3Bfilename%3Devil.cmd",
    ),
    ("a\\b.txt", 'attachment; filename="a_b.txt"'),  # path separators never reach the client
    ("../../etc/passwd", 'attachment; filename=".._.._etc_passwd"'),
    ("x\r\nSet-Cookie: a=1", 'attachment; filename="x__Set-Cookie: a=1"'),
    ("100%.txt", "attachment; filename=\"100_.txt\"; filename*=UTF-8''100%25.txt"),
    ("", 'attachment; filename="download"'),
    ("\x00", 'attachment; filename="_"'),
]  # fmt: skip


@pytest.mark.parametrize(("name", "expected"), DISPOSITIONS)
def test_content_disposition(name: str, expected: str) -> None:
    assert content_disposition(name) == expected


def test_inline_and_bad_disposition() -> None:
    assert content_disposition("a.txt", disposition="inline") == 'inline; filename="a.txt"'
    with pytest.raises(ValueError, match="disposition"):
        content_disposition("a.txt", disposition="attachment; x=1")


@given(st.text(max_size=100))
def test_content_disposition_is_always_one_safe_header(name: str) -> None:
    value = content_disposition(name)
    encode_header_value(value)  # no control character, latin-1 only
    assert value.isascii()
    main, params = parse_parameters(value)
    assert main == "attachment"
    assert set(params) <= {"filename", "filename*"}  # no parameter smuggled in
    assert "/" not in params["filename"] and "\\" not in params["filename"]


download_names = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Cf", "Zl", "Zp"), blacklist_characters="/\\"),
    min_size=1,
    max_size=60,
).filter(lambda name: name == name.strip())


@given(download_names, st.sampled_from(["attachment", "inline"]))
def test_content_disposition_round_trips(name: str, disposition: str) -> None:
    parsed = parse_content_disposition(content_disposition(name, disposition=disposition))
    assert parsed.type == disposition
    assert parsed.filename == name  # through filename* when the ASCII fallback differs
    fallback = parsed.params["filename"]
    assert fallback.isascii() and len(fallback) <= len(unicodedata.normalize("NFKD", name))
