"""Hostile bodies finish in time roughly linear in their size: doubling the input must
not quadruple the time. Bounds are generous (ratio under 3, plus a small absolute
allowance) so that a loaded machine does not fail them, while a quadratic parser does."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from asgikit.errors import ClientError
from asgikit.forms import read_form

B = "asgikit-test-boundary-7f3a"
CT = f"multipart/form-data; boundary={B}"
URLENCODED = "application/x-www-form-urlencoded"
END = f"--{B}--\r\n".encode()


async def best_time(run: Callable[[], Awaitable[Any]], repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        await run()
        best = min(best, time.perf_counter() - start)
    return best


async def assert_linear(make: Callable[[int], Callable[[], Awaitable[Any]]], n: int) -> None:
    await make(n // 4)()  # warm up
    small = await best_time(make(n // 2))
    large = await best_time(make(2 * n))
    # Four times the input: linear is about 4x, quadratic about 16x. The 8x bound leaves
    # room for a noisy machine on both sides.
    assert large < 8 * small + 0.01, f"n/2: {small:.4f}s, 2n: {large:.4f}s"


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

    await assert_linear(make, 4_000_000)


async def test_crlf_runs_in_file_data_arrive_intact(make_request: Any) -> None:
    content = b"\r\n" * 100_000 + b"\r"
    form = await read_form(make_request(chunked(file_part(content), 1000), CT))
    async with form:
        assert await form["f"].read() == content  # type: ignore[union-attr]


async def test_preamble_of_crlf(make_request: Any) -> None:
    def make(n: int) -> Callable[[], Awaitable[Any]]:
        body = b"\r\n" * (n // 2) + file_part(b"x")
        return reader(make_request, chunked(body, 8192), max_part_header_size=n + 100)

    await assert_linear(make, 4_000_000)


async def test_epilogue(make_request: Any) -> None:
    def make(n: int) -> Callable[[], Awaitable[Any]]:
        return reader(make_request, chunked(file_part(b"x") + b"\r\n-" * (n // 3), 8192))

    await assert_linear(make, 4_000_000)


async def test_huge_quoted_boundary_parameter(make_request: Any) -> None:
    # python-multipart CVE-2024-24762: an unterminated quoted boundary of backslashes.
    def make(n: int) -> Callable[[], Awaitable[Any]]:
        content_type = 'multipart/form-data; boundary="' + "\\" * n
        return reader(make_request, [b"--x--\r\n"], content_type)

    await assert_linear(make, 400_000)


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

    await assert_linear(make, 300_000)


async def test_urlencoded_semicolons(make_request: Any) -> None:
    # python-multipart CVE-2026-53539: "a;a;a;..." with no '&'.
    def make(n: int) -> Callable[[], Awaitable[Any]]:
        return reader(
            make_request, chunked(b"a;" * (n // 2)), URLENCODED, max_body_size=n, max_field_size=n
        )

    await assert_linear(make, 4_000_000)


async def test_urlencoded_many_pairs(make_request: Any) -> None:
    def make(n: int) -> Callable[[], Awaitable[Any]]:
        return reader(make_request, [b"a=1&" * (n // 4)], URLENCODED, max_body_size=n)

    await assert_linear(make, 4_000_000)


async def test_many_parts(make_request: Any) -> None:
    part = f'--{B}\r\nContent-Disposition: form-data; name="a"\r\n\r\n\r\n'.encode()

    def make(n: int) -> Callable[[], Awaitable[Any]]:
        count = n // len(part)
        return reader(make_request, chunked(part * count + END), max_fields=count)

    await assert_linear(make, 2_000_000)
