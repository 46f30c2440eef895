"""Bodies captured from curl and from Chromium 156 (headless, Debian's package), fed
whole, one byte at a time and split in two at every offset: the result never depends on
how the body was cut."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from asgikit.forms import iter_parts, read_form
from asgikit.requests import Request

MULTIPART = ["curl_mixed.http", "curl_filename.http", "chromium_156_form.http"]


async def parse(
    make_request: Callable[..., Request],
    plain: Callable[..., Any],
    captured: Any,
    chunks: list[bytes],
    **options: Any,
) -> dict[str, Any]:
    request = make_request(chunks, captured.content_type)
    async with await read_form(request, **options) as form:
        result: dict[str, Any] = await plain(form)
        return result


@pytest.mark.parametrize("name", MULTIPART)
async def test_whole(
    name: str, captured: Any, expected: Any, make_request: Any, plain: Any
) -> None:
    case = captured[name]
    assert await parse(make_request, plain, case, [case.body]) == expected[name]


@pytest.mark.parametrize("name", MULTIPART)
async def test_one_byte_at_a_time(
    name: str, captured: Any, expected: Any, make_request: Any, plain: Any
) -> None:
    case = captured[name]
    chunks = [case.body[i : i + 1] for i in range(len(case.body))]
    assert await parse(make_request, plain, case, chunks) == expected[name]


@pytest.mark.parametrize("name", MULTIPART)
async def test_split_at_every_offset(
    name: str, captured: Any, expected: Any, make_request: Any, plain: Any
) -> None:
    case = captured[name]
    body = case.body
    for offset in range(len(body) + 1):
        chunks = [body[:offset], body[offset:]]
        got = await parse(make_request, plain, case, chunks)
        assert got == expected[name], f"split at {offset}"


@pytest.mark.parametrize("name", MULTIPART)
async def test_split_at_every_offset_with_files_on_disk(
    name: str, captured: Any, expected: Any, make_request: Any, plain: Any
) -> None:
    # spool_threshold=0: every file goes to a temporary file on its first byte.
    case = captured[name]
    body = case.body
    for offset in range(0, len(body) + 1, 7):
        got = await parse(
            make_request, plain, case, [body[:offset], body[offset:]], spool_threshold=0
        )
        assert got == expected[name], f"split at {offset}"


@pytest.mark.parametrize("name", MULTIPART)
async def test_streaming_api_one_byte_at_a_time(
    name: str, captured: Any, expected: Any, make_request: Any
) -> None:
    case = captured[name]
    request = make_request([case.body[i : i + 1] for i in range(len(case.body))], case.content_type)
    seen: dict[str, Any] = {}
    async for part in iter_parts(request):
        if part.is_file:
            value: Any = (
                part.filename,
                part.content_type or "application/octet-stream",
                await part.read(),
            )
        else:
            value = await part.text()
        if part.name in seen:
            current = seen[part.name]
            seen[part.name] = [*current, value] if isinstance(current, list) else [current, value]
        else:
            seen[part.name] = value
    assert seen == expected[name]


@pytest.mark.parametrize("name", MULTIPART)
async def test_truncated_at_every_offset_is_an_error(
    name: str, captured: Any, make_request: Any
) -> None:
    """A body cut anywhere before its closing boundary is a 400 error, never a hang,
    never a partial form (aiohttp CVE-2024-30251)."""
    from asgikit.errors import InvalidFormError

    case = captured[name]
    body = case.body
    end = body.rindex(b"--\r\n")  # the closing boundary's "--"
    for offset in range(end):
        request = make_request([body[:offset]], case.content_type)
        with pytest.raises(InvalidFormError):
            await read_form(request)


async def test_curl_urlencoded(captured: Any, make_request: Any) -> None:
    case = captured["curl_urlencoded.http"]
    form = await read_form(make_request([case.body], case.content_type))
    assert form == {"q": "a&b=c ü", "x": ["1", "2"]}
    assert form.get_all("q") == ["a&b=c ü"]
    assert form.get_first("x") == "1"


async def test_curl_urlencoded_one_byte_at_a_time(captured: Any, make_request: Any) -> None:
    case = captured["curl_urlencoded.http"]
    chunks = [case.body[i : i + 1] for i in range(len(case.body))]
    form = await read_form(make_request(chunks, case.content_type))
    assert form == {"q": "a&b=c ü", "x": ["1", "2"]}
