"""iter_parts(): the streaming API."""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path
from typing import Any

import pytest

from asgikit.errors import (
    BodyStateError,
    ClientDisconnectedError,
    ContentTooLargeError,
    InvalidEncodingError,
    UnsupportedMediaTypeError,
)
from asgikit.forms import Part, iter_parts

B = "asgikit-test-boundary-7f3a"
CT = f"multipart/form-data; boundary={B}"


def chunked(body: bytes, size: int = 65536) -> list[bytes]:
    return [body[i : i + size] for i in range(0, len(body), size)]


async def test_parts_in_order_with_data_as_it_arrives(encode: Any, make_request: Any) -> None:
    content = bytes(range(256)) * 1000
    body = encode([("a", "1"), ("f", ("x.bin", "application/x-thing", content)), ("a", "2")])
    seen: list[tuple[str | None, ...]] = []
    async for part in iter_parts(make_request(chunked(body, 1000), CT)):
        assert isinstance(part, Part)
        if part.is_file:
            sizes = [len(chunk) async for chunk in part]
            assert sum(sizes) == len(content) == part.size
            assert max(sizes) <= 1000  # never buffered beyond one network chunk
            seen.append((part.name, part.filename, part.content_type))
        else:
            seen.append((part.name, await part.text()))
    assert seen == [("a", "1"), ("f", "x.bin", "application/x-thing"), ("a", "2")]


async def test_unread_parts_are_skipped(encode: Any, make_request: Any) -> None:
    body = encode([("a", "1"), ("f", ("x.bin", "x/y", b"z" * 100_000)), ("b", "2")])
    parts = []
    async for part in iter_parts(make_request(chunked(body, 4096), CT)):
        parts.append(part)
    assert [p.name for p in parts] == ["a", "f", "b"]
    with pytest.raises(BodyStateError, match="moved past"):
        await parts[1].read()


async def test_half_read_part_is_skipped(encode: Any, make_request: Any) -> None:
    body = encode([("f", ("x.bin", "x/y", b"z" * 100_000)), ("b", "2")])
    names = []
    async for part in iter_parts(make_request(chunked(body, 4096), CT)):
        names.append(part.name)
        if part.is_file:
            async for _ in part:
                break
        else:
            assert await part.text() == "2"
    assert names == ["f", "b"]


async def test_save_streams_to_disk(encode: Any, make_request: Any, tmp_path: Path) -> None:
    content = b"0123456789abcdef" * 300_000
    body = encode([("f", ("big.bin", "x/y", content))])
    async for part in iter_parts(make_request(chunked(body), CT)):
        assert await part.save(tmp_path / "out.bin") == len(content)
    assert (
        hashlib.sha256((tmp_path / "out.bin").read_bytes()).digest()
        == hashlib.sha256(content).digest()
    )


async def test_save_removes_the_partial_file_on_error(
    encode: Any, make_request: Any, tmp_path: Path
) -> None:
    body = encode([("f", ("big.bin", "x/y", b"z" * 3_000_000))])
    request = make_request(chunked(body)[:20], CT, disconnect=True)
    target = tmp_path / "out.bin"
    with pytest.raises(ClientDisconnectedError):
        async for part in iter_parts(request):
            await part.save(target)
    assert not target.exists()


async def test_save_over_the_limit(encode: Any, make_request: Any, tmp_path: Path) -> None:
    body = encode([("f", ("big.bin", "x/y", b"z" * 3_000_000))])
    target = tmp_path / "out.bin"
    with pytest.raises(ContentTooLargeError, match="max_file_size=1000000"):
        async for part in iter_parts(make_request(chunked(body), CT), max_file_size=1_000_000):
            await part.save(target)
    assert not target.exists()


async def test_charset_field_applies_to_later_parts(encode: Any, make_request: Any) -> None:
    body = encode([("_charset_", "latin-1"), ("a", b"\xe9")])
    texts = [await p.text() async for p in iter_parts(make_request([body], CT))]
    assert texts == ["latin-1", "é"]


async def test_undecodable_text(encode: Any, make_request: Any) -> None:
    body = encode([("a", b"\xff")])
    with pytest.raises(InvalidEncodingError):
        async for part in iter_parts(make_request([body], CT)):
            await part.text()


async def test_urlencoded_fields_come_as_parts(make_request: Any) -> None:
    request = make_request([b"a=1&b=%C3%A9&a=3"], "application/x-www-form-urlencoded")
    got = []
    async for part in iter_parts(request):
        assert not part.is_file and part.filename is None
        got.append((part.name, await part.text()))
    assert got == [("a", "1"), ("a", "3"), ("b", "é")]


async def test_urlencoded_part_bytes_and_charset(make_request: Any) -> None:
    request = make_request([b"a=%E9"], "application/x-www-form-urlencoded; charset=latin-1")
    async for part in iter_parts(request):
        assert await part.read() == b"\xe9"
        assert await part.read() == b""


async def test_415(make_request: Any) -> None:
    with pytest.raises(UnsupportedMediaTypeError):
        async for _ in iter_parts(make_request([b"{}"], "application/json")):
            pass


async def test_stopping_early_closes_the_body(encode: Any, make_request: Any) -> None:
    body = encode([("a", "1"), ("b", "2")])
    request = make_request([body], CT)
    async with contextlib.aclosing(iter_parts(request)) as parts:
        async for part in parts:
            assert part.name == "a"
            break
    with pytest.raises(BodyStateError):
        await request.read_bytes()
