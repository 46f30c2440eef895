"""Hostile bodies cost work linear in their size. Counted, not timed: the work per byte
of body may not grow when the body grows fourfold (a quadratic step makes it grow
about fourfold), so a busy machine cannot fail these tests. Timings of the same shapes
are in ``benchmarks/hostile.py``."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from types import FrameType
from typing import Any

import pytest

from asgikit.errors import ClientError
from asgikit.forms import read_form

B = "asgikit-test-boundary-7f3a"
CT = f"multipart/form-data; boundary={B}"
URLENCODED = "application/x-www-form-urlencoded"
END = f"--{B}--\r\n".encode()

_SCANNED = (bytes, bytearray, memoryview)
# Methods that add to their receiver cost what they add, not the receiver's length.
_APPENDS = frozenset({"append", "extend", "write", "writelines", "join"})


async def work(run: Callable[[], Awaitable[Any]]) -> int:
    """The work of ``run()``: one unit per call, and per call of a C method on bytes as
    many units as its receiver holds, so a buffer that keeps growing and is searched
    again costs quadratic units. Deterministic: no clock is read. Blind spots: what a C
    function does with an argument (``pattern.search(buffer)``), and text methods, one
    unit each: they serve the header grammar (``parse_parameters``), whose characters
    asgikit-core's tests count, and a search from an offset would be overcharged."""
    units = 0

    def profile(frame: FrameType, event: str, arg: object) -> None:
        nonlocal units
        if event == "call":
            units += 1
        elif event == "c_call":
            receiver = getattr(arg, "__self__", None)
            if isinstance(receiver, _SCANNED) and getattr(arg, "__name__", "") not in _APPENDS:
                units += max(len(receiver), 1)
            else:
                units += 1

    sys.setprofile(profile)
    try:
        await run()
    finally:
        sys.setprofile(None)
    return units


async def assert_linear(make: Callable[[int], Callable[[], Awaitable[Any]]], n: int) -> None:
    await make(n // 4)()  # imports and caches: the first run does work the others do not
    per_byte = [await work(make(size)) / size for size in (n, 4 * n)]
    assert per_byte[1] <= 1.25 * per_byte[0], per_byte


def chunked(body: bytes, size: int = 65536) -> list[bytes]:
    return [body[i : i + size] for i in range(0, len(body), size)]


def file_part(content: bytes) -> bytes:
    return (
        f'--{B}\r\nContent-Disposition: form-data; name="f"; filename="a"\r\n\r\n'.encode()
        + content
        + b"\r\n"
        + END
    )


def reader(
    make_request: Any, chunks: list[bytes], content_type: str = CT, **options: Any
) -> Callable[[], Awaitable[Any]]:
    async def run() -> Any:
        try:
            form = await read_form(make_request(chunks, content_type), **options)
        except ClientError:
            return None
        await form.close()
        return form

    return run


@pytest.mark.parametrize(
    "content",
    [
        lambda n: b"\r\n" * (n // 2),  # dense CRLF pairs (python-multipart PR #300)
        lambda n: b"\r" + b"a" * n,  # CR then no CR/LF (Werkzeug CVE-2023-46136)
        lambda n: (b"\r\n--" + B[:-1].encode() + b"x") * (n // (len(B) + 4)),  # near-boundaries
        lambda n: b"\r" * n,
    ],
    ids=["crlf-runs", "cr-then-letters", "almost-boundaries", "cr-runs"],
)
async def test_file_data_patterns(make_request: Any, content: Callable[[int], bytes]) -> None:
    def make(n: int) -> Callable[[], Awaitable[Any]]:
        body = file_part(content(n))
        return reader(make_request, chunked(body, 8192), spool_threshold=1 << 30)

    await assert_linear(make, 250_000)


async def test_crlf_runs_in_file_data_arrive_intact(make_request: Any) -> None:
    content = b"\r\n" * 100_000 + b"\r"
    form = await read_form(make_request(chunked(file_part(content), 1000), CT))
    async with form:
        assert await form["f"].read() == content  # type: ignore[union-attr]


async def test_preamble_of_crlf(make_request: Any) -> None:
    def make(n: int) -> Callable[[], Awaitable[Any]]:
        body = b"\r\n" * (n // 2) + file_part(b"x")
        return reader(make_request, chunked(body, 8192), max_part_header_size=n + 100)

    await assert_linear(make, 250_000)


async def test_epilogue(make_request: Any) -> None:
    def make(n: int) -> Callable[[], Awaitable[Any]]:
        return reader(make_request, chunked(file_part(b"x") + b"\r\n-" * (n // 3), 8192))

    await assert_linear(make, 250_000)


async def test_huge_quoted_boundary_parameter(make_request: Any) -> None:
    # python-multipart CVE-2024-24762: an unterminated quoted boundary of backslashes.
    def make(n: int) -> Callable[[], Awaitable[Any]]:
        content_type = 'multipart/form-data; boundary="' + "\\" * n
        return reader(make_request, [b"--x--\r\n"], content_type)

    await assert_linear(make, 50_000)


@pytest.mark.parametrize(
    "disposition",
    [
        lambda n: 'form-data; name="' + "\\" * n,
        lambda n: 'form-data; name="x"' + '; a="' * (n // 5),
        lambda n: "form-data" + "; a" * (n // 3),
        lambda n: "form-data; name=a" + "; filename*0=x" * (n // 14),
        lambda n: 'form-data; note="' + "x; filename=evil.exe " * (n // 21) + '"; name="a"',
    ],
    ids=["backslashes", "open-quotes", "semicolons", "filename-star-pieces", "decoys"],
)
async def test_huge_content_disposition(
    make_request: Any, disposition: Callable[[int], str]
) -> None:
    # CVE-2026-28356 (defnull), Tornado CVE-2025-67726: parameter parsing stays linear.
    def make(n: int) -> Callable[[], Awaitable[Any]]:
        body = f"--{B}\r\nContent-Disposition: {disposition(n)}\r\n\r\nv\r\n".encode() + END
        return reader(make_request, [body], max_part_header_size=n + 1000)

    await assert_linear(make, 40_000)


async def test_urlencoded_semicolons(make_request: Any) -> None:
    # python-multipart CVE-2026-53539: "a;a;a;..." with no '&'.
    def make(n: int) -> Callable[[], Awaitable[Any]]:
        return reader(
            make_request, chunked(b"a;" * (n // 2)), URLENCODED, max_body_size=n, max_field_size=n
        )

    await assert_linear(make, 250_000)


@pytest.mark.parametrize("parsed", [False, True], ids=["refused", "parsed"])
async def test_urlencoded_many_pairs(make_request: Any, parsed: bool) -> None:
    def make(n: int) -> Callable[[], Awaitable[Any]]:
        fields = {"max_fields": n} if parsed else {}
        body = [b"a=1&" * (n // 4)]
        return reader(make_request, body, URLENCODED, max_body_size=n, **fields)

    await assert_linear(make, 250_000 if not parsed else 25_000)


async def test_many_parts(make_request: Any) -> None:
    part = f'--{B}\r\nContent-Disposition: form-data; name="a"\r\n\r\n\r\n'.encode()

    def make(n: int) -> Callable[[], Awaitable[Any]]:
        count = n // len(part)
        return reader(make_request, chunked(part * count + END), max_fields=count)

    await assert_linear(make, 200_000)
