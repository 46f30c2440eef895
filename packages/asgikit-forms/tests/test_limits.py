"""Every multipart limit at, just under and just over; each error names its option and
fires as soon as the limit is crossed."""

from __future__ import annotations

from typing import Any

import pytest

from asgikit.errors import ContentTooLargeError, InvalidFormError
from asgikit.forms import FormOptions, PartsOptions, iter_parts, read_form
from asgikit.requests import Request

B = "asgikit-test-boundary-7f3a"
CT = f"multipart/form-data; boundary={B}"
END = f"--{B}--\r\n".encode()


def part(headers: str, content: bytes = b"") -> bytes:
    return f"--{B}\r\n{headers}\r\n\r\n".encode() + content + b"\r\n"


def field(name: str, value: bytes = b"v") -> bytes:
    return part(f'Content-Disposition: form-data; name="{name}"', value)


def file(name: str, content: bytes = b"x") -> bytes:
    return part(f'Content-Disposition: form-data; name="{name}"; filename="{name}.bin"', content)


async def check(
    make_request: Any,
    body: bytes,
    ok: bool,
    message: str,
    option: str,
    limit: int,
    **options: Any,
) -> None:
    request = make_request([body], CT)
    if ok:
        async with await read_form(request, **options):
            return
    with pytest.raises(ContentTooLargeError) as info:
        await read_form(request, **options)
    assert str(info.value) == message
    assert (info.value.option, info.value.limit, info.value.status_code) == (option, limit, 413)
    # What a client may see names the limit, never the server's option.
    assert option not in info.value.message
    assert str(limit) in info.value.message
    assert info.value.hint == f"{option}={limit}"


@pytest.mark.parametrize(("count", "ok"), [(4, True), (5, True), (6, False)])
async def test_max_fields(make_request: Any, count: int, ok: bool) -> None:
    body = b"".join(field(f"f{i}") for i in range(count)) + file("doc") + END
    await check(
        make_request,
        body,
        ok,
        "form has more than 5 fields (max_fields=5)",
        "max_fields",
        5,
        max_fields=5,
    )


@pytest.mark.parametrize(("count", "ok"), [(2, True), (3, True), (4, False)])
async def test_max_files(make_request: Any, count: int, ok: bool) -> None:
    body = field("a") + b"".join(file(f"f{i}") for i in range(count)) + END
    await check(
        make_request,
        body,
        ok,
        "form has more than 3 files (max_files=3)",
        "max_files",
        3,
        max_files=3,
    )


@pytest.mark.parametrize(("size", "ok"), [(99, True), (100, True), (101, False)])
async def test_max_field_size(make_request: Any, size: int, ok: bool) -> None:
    body = field("a", b"x" * size) + file("big", b"y" * 1000) + END
    await check(
        make_request,
        body,
        ok,
        "form field 'a' is larger than 100 bytes (max_field_size=100)",
        "max_field_size",
        100,
        max_field_size=100,
    )


@pytest.mark.parametrize(("size", "ok"), [(99, True), (100, True), (101, False)])
async def test_max_file_size(make_request: Any, size: int, ok: bool) -> None:
    body = field("a", b"x" * 1000) + file("doc", b"y" * size) + END
    await check(
        make_request,
        body,
        ok,
        "uploaded file in field 'doc' is larger than 100 bytes (max_file_size=100)",
        "max_file_size",
        100,
        max_file_size=100,
        spool_threshold=10,
    )


@pytest.mark.parametrize("delta", [-1, 0, 1])
async def test_max_body_size(make_request: Any, delta: int) -> None:
    # delta > 0: the body is that many bytes over the limit.
    body = field("a", b"x" * 50) + END
    limit = len(body) - delta
    await check(
        make_request,
        body,
        delta <= 0,
        f"form body is larger than {limit} bytes (max_body_size={limit})",
        "max_body_size",
        limit,
        max_body_size=limit,
    )


async def test_declared_length_over_the_cap_fails_before_reading(make_built: Any) -> None:
    built = make_built([field("a") + END], CT, [("content-length", "10000")])
    with pytest.raises(ContentTooLargeError, match=r"\(max_body_size=1000\)"):
        await read_form(built.request, max_body_size=1000)
    assert built.channel.receive_calls == 0


async def test_default_multipart_cap_is_2_gib(make_built: Any) -> None:
    built = make_built([field("a") + END], CT, [("content-length", str(2 * 1024**3 + 1))])
    with pytest.raises(ContentTooLargeError, match=r"\(max_body_size=2147483648\)"):
        await read_form(built.request)


@pytest.mark.parametrize(("count", "ok"), [(3, True), (4, True), (5, False)])
async def test_max_part_headers(make_request: Any, count: int, ok: bool) -> None:
    extra = "".join(f"\r\nX-H{i}: v" for i in range(count - 1))
    body = part(f'Content-Disposition: form-data; name="a"{extra}', b"v") + END
    await check(
        make_request,
        body,
        ok,
        "form part has more than 4 headers (max_part_headers=4)",
        "max_part_headers",
        4,
        max_part_headers=4,
    )


@pytest.mark.parametrize(("pad", "ok"), [(48, True), (49, True), (50, False)])
async def test_max_part_header_size(make_request: Any, pad: int, ok: bool) -> None:
    # "Content-Disposition" + "form-data; name=\"a\"" + 4 = 42; "X-Pad" + pad + 4 = 9 + pad.
    headers = 'Content-Disposition: form-data; name="a"\r\nX-Pad: ' + "p" * pad
    await check(
        make_request,
        part(headers, b"v") + END,
        ok,
        "form part headers are larger than 100 bytes (max_part_header_size=100)",
        "max_part_header_size",
        100,
        max_part_header_size=100,
    )


async def test_one_endless_header_line(make_built: Any) -> None:
    # python-multipart CVE-2026-42561: a header that never ends is refused at the limit.
    start = f'--{B}\r\nContent-Disposition: form-data; name="a"; x="'.encode()
    built = make_built([start, *([b"y" * 4096] * 1000)], CT)
    with pytest.raises(ContentTooLargeError, match=r"max_part_header_size=8192"):
        await read_form(built.request)
    assert built.channel.receive_calls <= 4


async def test_endless_header_lines(make_built: Any) -> None:
    start = f'--{B}\r\nContent-Disposition: form-data; name="a"\r\n'.encode()
    built = make_built([start, *([b"X-A: b\r\n" * 100] * 1000)], CT)
    with pytest.raises(ContentTooLargeError, match=r"max_part_headers=8"):
        await read_form(built.request)
    assert built.channel.receive_calls <= 2


@pytest.mark.parametrize(("length", "ok"), [(69, True), (70, True), (71, False)])
async def test_max_boundary_length(make_request: Any, length: int, ok: bool, encode: Any) -> None:
    boundary = "b" * length
    body = encode([("a", "1")], boundary=boundary)
    request = make_request([body], f"multipart/form-data; boundary={boundary}")
    if ok:
        assert await read_form(request, max_boundary_length=70) == {"a": "1"}
    else:
        with pytest.raises(InvalidFormError) as info:
            await read_form(request, max_boundary_length=70)
        assert str(info.value) == (
            "the multipart boundary is longer than 70 characters (max_boundary_length=70)"
        )
        assert info.value.status_code == 400


async def test_default_boundary_limit_is_256(make_request: Any) -> None:
    request = make_request([b""], "multipart/form-data; boundary=" + "b" * 257)
    with pytest.raises(InvalidFormError, match=r"max_boundary_length=256"):
        await read_form(request)


async def test_big_field_is_refused_within_one_chunk_of_the_limit(make_built: Any) -> None:
    # Werkzeug CVE-2024-49767 / Starlette CVE-2024-47874: the size counts across chunks.
    head = f'--{B}\r\nContent-Disposition: form-data; name="a"\r\n\r\n'.encode()
    chunk = b"x" * 65536
    built = make_built([head, *([chunk] * 80)], CT)
    with pytest.raises(ContentTooLargeError, match=r"max_field_size=1048576"):
        await read_form(built.request)
    assert built.channel.receive_calls <= 1 + 1024 * 1024 // 65536 + 1


async def test_many_tiny_parts_are_refused_at_the_limit(make_request: Any) -> None:
    # The Feb 2023 batch (Starlette CVE-2023-30798 and friends): 50,000 empty parts.
    body = field("a", b"") * 50_000 + END
    with pytest.raises(ContentTooLargeError, match=r"max_fields=1000"):
        await read_form(make_request([body], CT), max_body_size=len(body))


async def test_many_tiny_files_keep_few_files_open(
    make_request: Any, spool_dir: Any, open_files: Any
) -> None:
    body = file("f", b"") * 5_000 + END
    with pytest.raises(ContentTooLargeError, match=r"max_files=100"):
        await read_form(make_request([body], CT), spool_threshold=0, spool_dir=spool_dir)
    assert open_files(spool_dir) == []


async def test_no_boundary_in_the_first_bytes(make_built: Any) -> None:
    # aiohttp #13652: a body that never shows its boundary is not read forever.
    built = make_built([b"\r\n" * 2048] * 1000, CT)
    with pytest.raises(InvalidFormError, match=r"no boundary in the first 8192 bytes"):
        await read_form(built.request)
    assert built.channel.receive_calls <= 4


async def test_a_short_preamble_is_fine(make_request: Any) -> None:
    body = b"\r\n" * 1000 + field("a") + END
    assert await read_form(make_request([body], CT)) == {"a": "v"}


async def test_streaming_api_has_the_same_limits(make_request: Any) -> None:
    body = field("a") + file("doc", b"y" * 101) + END
    request = make_request([body], CT)
    with pytest.raises(ContentTooLargeError, match=r"max_file_size=100"):
        async for p in iter_parts(request, max_file_size=100):
            await p.read()


# -- max_memory_size: what read_form() holds for one multipart body ----------------------


@pytest.mark.parametrize(("total", "ok"), [(299, True), (300, True), (301, False)])
async def test_max_memory_size(make_request: Any, total: int, ok: bool) -> None:
    body = field("a", b"x" * 100) + field("b", b"y" * 100) + field("c", b"z" * (total - 200))
    await check(
        make_request,
        body + file("doc", b"f" * 1000) + END,
        ok,
        "text fields of the form are larger than 300 bytes in total (max_memory_size=300)",
        "max_memory_size",
        300,
        max_memory_size=300,
        spool_threshold=0,
    )


async def test_default_max_memory_size_is_10_mib(make_request: Any) -> None:
    # The reviewer's case, scaled down: 1 MiB fields, each within max_field_size.
    body = b"".join(field(f"f{i}", b"x" * 1024 * 1024) for i in range(11)) + END
    with pytest.raises(ContentTooLargeError) as info:
        await read_form(make_request([body], CT))
    assert (info.value.option, info.value.limit) == ("max_memory_size", 10 * 1024 * 1024)


async def test_many_fields_are_refused_before_the_body_is_read(make_built: Any) -> None:
    chunks = [field(f"f{i}", b"x" * 1000) for i in range(1000)] + [END]
    built = make_built(chunks, CT)
    with pytest.raises(ContentTooLargeError, match=r"\(max_memory_size=10000\)"):
        await read_form(built.request, max_memory_size=10_000)
    assert built.channel.receive_calls <= 12


async def test_files_that_would_cross_it_go_to_disk(
    make_request: Any, spool_dir: Any, open_files: Any
) -> None:
    contents = [bytes([65 + i]) * 300 for i in range(5)]
    body = b"".join(file(f"f{i}", data) for i, data in enumerate(contents)) + END
    async with await read_form(
        make_request([body], CT), max_memory_size=1000, spool_threshold=10_000, spool_dir=spool_dir
    ) as form:
        uploads = form.files()
        assert [u.in_memory for u in uploads] == [True, True, True, False, False]
        assert [await u.read() for u in uploads] == contents
    assert open_files(spool_dir) == []


async def test_text_makes_room_by_moving_files_to_disk(make_request: Any, spool_dir: Any) -> None:
    body = file("f0", b"a" * 400) + file("f1", b"b" * 400) + field("t", b"t" * 600) + END
    async with await read_form(
        make_request([body], CT), max_memory_size=1000, spool_threshold=10_000, spool_dir=spool_dir
    ) as form:
        assert form["t"] == "t" * 600
        uploads = form.files()
        assert [u.in_memory for u in uploads] == [False, False]
        assert [await u.read() for u in uploads] == [b"a" * 400, b"b" * 400]


async def test_files_on_disk_do_not_count(make_request: Any, spool_dir: Any) -> None:
    body = file("big", b"b" * 5000) + field("t", b"t" * 1000) + END
    async with await read_form(
        make_request([body], CT), max_memory_size=1000, spool_threshold=100, spool_dir=spool_dir
    ) as form:
        assert form["t"] == "t" * 1000


async def test_urlencoded_bodies_are_capped_by_max_body_size_instead(make_request: Any) -> None:
    # An urlencoded form is one buffered body; max_memory_size is for multipart fields.
    async with await read_form(
        make_request([b"a=" + b"x" * 2000], "application/x-www-form-urlencoded"),
        max_memory_size=1000,
    ) as form:
        assert form["a"] == "x" * 2000


async def test_iter_parts_keeps_nothing_so_has_no_memory_cap(make_request: Any) -> None:
    body = b"".join(field(f"f{i}", b"x" * 1024 * 1024) for i in range(11)) + END
    sizes = [len(await p.text()) async for p in iter_parts(make_request([body], CT))]
    assert sizes == [1024 * 1024] * 11


@pytest.mark.parametrize("size", [100, 101])
async def test_part_text_is_bounded_by_max_field_size(make_request: Any, size: int) -> None:
    request = make_request([field("a", b"x" * size) + END], CT)
    parts = iter_parts(request, max_field_size=100)
    p = await anext(parts)
    if size <= 100:
        assert await p.text() == "x" * size
    else:
        with pytest.raises(ContentTooLargeError, match=r"\(max_field_size=100\)"):
            await p.text()
    await parts.aclose()


@pytest.mark.parametrize("value", [-1, 1.5, None])
async def test_max_memory_size_must_be_an_int(make_request: Any, value: Any) -> None:
    with pytest.raises(ValueError, match="max_memory_size"):
        await read_form(make_request([END], CT), max_memory_size=value)


# -- one set of options: FormOptions, PartsOptions ------------------------------------------
# Each "# type: ignore[...]" below asserts a type error as well: the tests are checked by
# mypy --strict, whose warn_unused_ignores fails the run if mypy no longer sees it.


async def test_a_misspelled_option_is_a_type_error_and_a_typeerror(make_built: Any) -> None:
    built = make_built([END], CT)
    request: Request = built.request
    unexpected = r"^{}\(\) got an unexpected keyword argument '{}'$"
    with pytest.raises(TypeError, match=unexpected.format("read_form", "max_filez")):
        await read_form(request, max_filez=10)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=unexpected.format("read_form", "max_filez")):
        await request.read_form(max_filez=10)  # type: ignore[call-arg]
    # iter_parts() refuses at the call, before anything is iterated; it has no spooling.
    with pytest.raises(TypeError, match=unexpected.format("iter_parts", "spool_dir")):
        iter_parts(request, spool_dir="/tmp")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=unexpected.format("iter_parts", "max_memory_size")):
        iter_parts(request, max_memory_size=1)  # type: ignore[call-arg]
    # A value of the wrong type is a type error too, and a ValueError when it runs.
    with pytest.raises(ValueError, match="max_files"):
        await read_form(request, max_files="10")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_fields"):
        await request.read_form(max_fields=None)  # type: ignore[arg-type]
    assert built.channel.receive_calls == 0


async def test_every_declared_option_is_taken(make_request: Any, spool_dir: Any) -> None:
    """Each key of FormOptions and PartsOptions reaches the read (the limits are built
    from the same names): none is refused, and none is left out."""
    streaming: PartsOptions = {
        "max_fields": 2,
        "max_files": 2,
        "max_field_size": 100,
        "max_file_size": 100,
        "max_body_size": 10_000,
        "max_part_headers": 4,
        "max_part_header_size": 1000,
        "max_boundary_length": 70,
        "charset": "latin-1",
    }
    options: FormOptions = {
        **streaming,
        "max_memory_size": 1000,
        "spool_threshold": 0,
        "spool_dir": spool_dir,
    }
    assert set(streaming) == PartsOptions.__optional_keys__
    assert set(options) == FormOptions.__optional_keys__
    body = field("a", "é".encode("latin-1")) + file("doc", b"x") + END
    async with await read_form(make_request([body], CT), **options) as form:
        assert form["a"] == "é"
        assert not form.files()[0].in_memory  # spool_threshold=0
    names = [part.name async for part in iter_parts(make_request([body], CT), **streaming)]
    assert names == ["a", "doc"]
