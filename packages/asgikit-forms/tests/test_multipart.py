"""multipart/form-data bodies: shape, filenames, charset, malformed bodies."""

from __future__ import annotations

from typing import Any

import pytest

from asgikit.errors import (
    ClientDisconnectedError,
    InvalidEncodingError,
    InvalidFormError,
    UnsupportedMediaTypeError,
)
from asgikit.forms import FormData, UploadedFile, read_form

B = "asgikit-test-boundary-7f3a"
CT = f"multipart/form-data; boundary={B}"


def part(headers: str, content: bytes = b"") -> bytes:
    return f"--{B}\r\n{headers}\r\n\r\n".encode() + content + b"\r\n"


END = f"--{B}--\r\n".encode()


async def test_fields_and_files_in_one_mapping(encode: Any, make_request: Any) -> None:
    body = encode(
        [
            ("title", "Hello"),
            ("doc", ("report.txt", "text/plain", b"content")),
            ("tag", "a"),
            ("tag", "b"),
            ("doc", ("second.bin", "application/octet-stream", b"\x00\x01")),
        ]
    )
    async with await read_form(make_request([body], CT)) as form:
        assert isinstance(form, FormData)
        assert form["title"] == "Hello"
        assert form["tag"] == ["a", "b"]
        docs = form.get_all("doc")
        assert [type(d) for d in docs] == [UploadedFile, UploadedFile]
        first, second = docs
        assert isinstance(first, UploadedFile) and isinstance(second, UploadedFile)
        assert (first.name, first.filename, first.content_type, first.size) == (
            "doc",
            "report.txt",
            "text/plain",
            7,
        )
        assert first.headers["content-type"] == "text/plain"
        assert str(first.headers["content-disposition"]).startswith("form-data")
        assert await first.read() == b"content"
        assert await second.read() == b"\x00\x01"
        assert form.files() == [first, second]
    assert first.closed and second.closed


@pytest.mark.parametrize(
    "content_type",
    [
        f"multipart/form-data; boundary={B}",
        f'Multipart/Form-Data; BOUNDARY="{B}"',
        f"MULTIPART/FORM-DATA;boundary={B};charset=utf-8",
    ],
)
async def test_media_type_in_any_case(content_type: str, encode: Any, make_request: Any) -> None:
    form = await read_form(make_request([encode([("a", "1")])], content_type))
    assert form == {"a": "1"}


async def test_multipart_mixed_is_415(encode: Any, make_request: Any) -> None:
    with pytest.raises(UnsupportedMediaTypeError):
        await read_form(make_request([encode([("a", "1")])], f"multipart/mixed; boundary={B}"))


@pytest.mark.parametrize(
    "content_type",
    ["multipart/form-data", "multipart/form-data; boundary=", 'multipart/form-data; boundary=""'],
)
async def test_missing_boundary_is_400(content_type: str, make_request: Any) -> None:
    with pytest.raises(InvalidFormError, match="boundary"):
        await read_form(make_request([b"--x--\r\n"], content_type))


async def test_boundary_with_control_characters_is_400(make_request: Any) -> None:
    with pytest.raises(InvalidFormError, match="control"):
        await read_form(make_request([b""], 'multipart/form-data; boundary="a\rb"'))


async def test_quoted_boundary_with_specials(encode: Any, make_request: Any) -> None:
    boundary = "----=_Part_0_12:34(5)?"
    body = encode([("a", "1")], boundary=boundary)
    form = await read_form(make_request([body], f'multipart/form-data; boundary="{boundary}"'))
    assert form == {"a": "1"}


async def test_empty_form(make_request: Any) -> None:
    assert await read_form(make_request([END], CT)) == {}


async def test_empty_body_is_400(make_request: Any) -> None:
    with pytest.raises(InvalidFormError, match="before the first boundary"):
        await read_form(make_request([b""], CT))


async def test_no_closing_boundary_is_400(make_request: Any) -> None:
    body = part('Content-Disposition: form-data; name="a"', b"1")
    with pytest.raises(InvalidFormError, match="malformed multipart body"):
        await read_form(make_request([body], CT))


@pytest.mark.parametrize(
    "headers",
    [
        "Content-Type: text/plain",
        'Content-Disposition: attachment; name="a"',
        'Content-Disposition: form-data; name="a"\r\nBad Header Line',
        'Content-Disposition: form-data; name="a"\nX-Bare-LF: 1',
    ],
)
async def test_malformed_part_headers_are_400(headers: str, make_request: Any) -> None:
    with pytest.raises(InvalidFormError):
        await read_form(make_request([part(headers, b"x") + END], CT))


async def test_missing_name_is_an_empty_name(make_request: Any) -> None:
    body = part("Content-Disposition: form-data", b"x") + END
    assert await read_form(make_request([body], CT)) == {"": "x"}


@pytest.mark.parametrize("encoding", ["base64", "quoted-printable", "x-uuencode"])
async def test_transfer_encodings_are_refused(encoding: str, make_request: Any) -> None:
    # Django CVE-2022-23833 / CVE-2026-33033: no part is ever decoded.
    headers = (
        'Content-Disposition: form-data; name="f"; filename="a"\r\n'
        f"Content-Transfer-Encoding: {encoding}"
    )
    with pytest.raises(InvalidFormError, match="Content-Transfer-Encoding"):
        await read_form(make_request([part(headers, b"YWJj") + END], CT))


@pytest.mark.parametrize("encoding", ["binary", "8bit", "7BIT"])
async def test_identity_transfer_encodings_pass(encoding: str, make_request: Any) -> None:
    headers = f'Content-Disposition: form-data; name="f"\r\nContent-Transfer-Encoding: {encoding}'
    assert await read_form(make_request([part(headers, b"abc") + END], CT)) == {"f": "abc"}


async def test_preamble_and_epilogue_are_ignored(make_request: Any) -> None:
    body = b"This is the preamble.\r\n" + part('Content-Disposition: form-data; name="a"', b"1")
    body += END + b"This is the epilogue." * 10
    assert await read_form(make_request([body], CT)) == {"a": "1"}


async def test_reading_stops_at_the_closing_boundary(encode: Any, make_built: Any) -> None:
    built = make_built([encode([("a", "1")]), *([b"epilogue" * 1000] * 50)], CT)
    assert await read_form(built.request) == {"a": "1"}
    assert built.channel.receive_calls <= 2


async def test_bytes_glued_before_the_first_boundary_are_400(make_request: Any) -> None:
    body = (
        b"junk--"
        + B.encode()
        + b"\r\n"
        + b'Content-Disposition: form-data; name="a"\r\n\r\n1\r\n'
        + END
    )
    with pytest.raises(InvalidFormError):
        await read_form(make_request([body], CT))


# -- names, filenames -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("../../etc/cron.d/x", "x"),
        ("..\\..\\windows\\system32\\evil.dll", "evil.dll"),
        ("C:\\Users\\ada\\photo.jpg", "photo.jpg"),
        ("/etc/passwd", "passwd"),
        ("..", ""),
        ("dir/..", ""),
        ("nul.txt", "_nul.txt"),
        ("evil\u202etxt.exe", "eviltxt.exe"),
        ("ok name.tar.gz", "ok name.tar.gz"),
    ],
)
async def test_filenames_are_safe_base_names(
    raw: str, safe: str, encode: Any, make_request: Any
) -> None:
    body = encode([("f", (raw, "text/plain", b"x"))])
    async with await read_form(make_request([body], CT)) as form:
        upload = form["f"]
        assert isinstance(upload, UploadedFile)
        assert upload.filename == safe


async def test_nul_in_a_part_header_is_400(encode: Any, make_request: Any) -> None:
    body = encode([("f", ("a\x00b.txt", "text/plain", b"x"))])
    with pytest.raises(InvalidFormError, match="NUL"):
        await read_form(make_request([body], CT))


async def test_filename_star_is_ignored(make_request: Any) -> None:
    # python-multipart CVE-2026-53537: RFC 7578 §4.2 forbids filename*; it must not win.
    headers = (
        'Content-Disposition: form-data; name="f"; filename="safe.txt"; '
        "filename*=UTF-8''evil.exe; name*=UTF-8''other"
    )
    async with await read_form(make_request([part(headers, b"x") + END], CT)) as form:
        upload = form["f"]
        assert isinstance(upload, UploadedFile) and upload.filename == "safe.txt"


async def test_filename_star_alone_does_not_make_a_file(make_request: Any) -> None:
    headers = "Content-Disposition: form-data; name=\"f\"; filename*=UTF-8''evil.exe"
    assert await read_form(make_request([part(headers, b"x") + END], CT)) == {"f": "x"}


async def test_decoy_inside_a_quoted_value_is_not_a_parameter(make_request: Any) -> None:
    # rwf2/multer #72: `note="x; filename=evil.exe "` holds no filename.
    headers = 'Content-Disposition: form-data; note="x; filename=evil.exe "; name="a"'
    assert await read_form(make_request([part(headers, b"v") + END], CT)) == {"a": "v"}


async def test_first_name_wins(make_request: Any) -> None:
    headers = 'Content-Disposition: form-data; name="first"; name="second"'
    assert await read_form(make_request([part(headers, b"v") + END], CT)) == {"first": "v"}


async def test_whatwg_escapes_in_names(encode: Any, make_request: Any) -> None:
    body = encode([('a"b\r\nc', "v"), ("f", ('x"y.txt', "text/plain", b""))])
    async with await read_form(make_request([body], CT)) as form:
        assert form['a"b\r\nc'] == "v"
        upload = form["f"]
        assert isinstance(upload, UploadedFile) and upload.filename == 'x"y.txt'


async def test_empty_filename_is_an_empty_file(make_request: Any) -> None:
    headers = (
        'Content-Disposition: form-data; name="f"; filename=""\r\n'
        "Content-Type: application/octet-stream"
    )
    async with await read_form(make_request([part(headers) + END], CT)) as form:
        upload = form["f"]
        assert isinstance(upload, UploadedFile)
        assert (upload.filename, upload.size) == ("", 0)


async def test_file_without_content_type_is_octet_stream(make_request: Any) -> None:
    headers = 'Content-Disposition: form-data; name="f"; filename="a"'
    async with await read_form(make_request([part(headers, b"x") + END], CT)) as form:
        upload = form["f"]
        assert isinstance(upload, UploadedFile)
        assert upload.content_type == "application/octet-stream"


async def test_header_that_is_not_utf8_is_400(make_request: Any) -> None:
    body = f"--{B}\r\n".encode() + b'Content-Disposition: form-data; name="\xff"\r\n\r\nx\r\n' + END
    with pytest.raises(InvalidEncodingError):
        await read_form(make_request([body], CT))


# -- charset of text fields -------------------------------------------------------------------


async def test_part_charset_is_honoured(make_request: Any) -> None:
    headers = (
        'Content-Disposition: form-data; name="a"\r\nContent-Type: text/plain; charset=iso-8859-1'
    )
    assert await read_form(make_request([part(headers, b"\xe9t\xe9") + END], CT)) == {"a": "été"}


async def test_charset_field_is_honoured_even_after_the_fields(
    encode: Any, make_request: Any
) -> None:
    body = encode([("a", b"\xe9t\xe9"), ("_charset_", "ISO-8859-1")])
    assert await read_form(make_request([body], CT)) == {"a": "été", "_charset_": "ISO-8859-1"}


async def test_part_charset_beats_charset_field(make_request: Any) -> None:
    body = part('Content-Disposition: form-data; name="_charset_"', b"iso-8859-1")
    body += part(
        'Content-Disposition: form-data; name="a"\r\nContent-Type: text/plain; charset=utf-8',
        "é".encode(),
    )
    body += part('Content-Disposition: form-data; name="b"', b"\xe9")
    assert await read_form(make_request([body + END], CT)) == {
        "_charset_": "iso-8859-1",
        "a": "é",
        "b": "é",
    }


async def test_charset_option(encode: Any, make_request: Any) -> None:
    body = encode([("a", b"\xe9")])
    assert await read_form(make_request([body], CT), charset="latin-1") == {"a": "é"}


async def test_files_are_never_decoded(encode: Any, make_request: Any) -> None:
    body = encode([("f", ("a.bin", "text/plain; charset=utf-8", b"\xff\xfe"))])
    async with await read_form(make_request([body], CT)) as form:
        upload = form["f"]
        assert isinstance(upload, UploadedFile) and await upload.read() == b"\xff\xfe"


async def test_undecodable_field_is_400(
    encode: Any, make_request: Any, spool_dir: Any, open_files: Any
) -> None:
    body = encode([("f", ("a.bin", "x/y", b"data" * 100)), ("a", b"\xff")])
    with pytest.raises(
        InvalidEncodingError, match="form field 'a' with text that is not valid utf-8"
    ):
        await read_form(make_request([body], CT), spool_threshold=0, spool_dir=spool_dir)
    assert open_files(spool_dir) == []


@pytest.mark.parametrize("charset", ["klingon", "base64"])
async def test_unknown_part_charset_is_400(charset: str, make_request: Any) -> None:
    headers = (
        f'Content-Disposition: form-data; name="a"\r\nContent-Type: text/plain; charset={charset}'
    )
    with pytest.raises(InvalidEncodingError, match=rf"unknown charset '{charset}'|is not accepted"):
        await read_form(make_request([part(headers, b"x") + END], CT))


async def test_non_ascii_charset_field_is_400(encode: Any, make_request: Any) -> None:
    with pytest.raises(InvalidEncodingError):
        await read_form(make_request([encode([("_charset_", "ütf-8"), ("a", "x")])], CT))


# -- a client that goes away --------------------------------------------------------------------


async def test_disconnect_mid_upload(
    encode: Any, make_request: Any, spool_dir: Any, open_files: Any
) -> None:
    body = encode([("a", "1"), ("f", ("big.bin", "x/y", b"z" * 300_000))])
    chunks = [body[i : i + 65536] for i in range(0, 200_000, 65536)]
    request = make_request(chunks, CT, disconnect=True)
    with pytest.raises(ClientDisconnectedError):
        await read_form(request, spool_threshold=1000, spool_dir=spool_dir)
    assert open_files(spool_dir) == []
