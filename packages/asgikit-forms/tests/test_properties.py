"""Hypothesis: random forms survive a round trip, however the body is cut, and random
bytes never raise anything but asgikit's client errors."""

from __future__ import annotations

import itertools
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asgikit.errors import ClientError, ContentTooLargeError
from asgikit.forms import UploadedFile, iter_parts, read_form, safe_filename

B = "asgikit-test-boundary-7f3a"
CT = f"multipart/form-data; boundary={B}"

# A NUL in a part header is refused (tested elsewhere), so names hold none. Nor '%': the
# WHATWG encoding sends '"', CR and LF as %22, %0D, %0A but a literal "%0D" unchanged, so
# a name or filename holding '%' does not round-trip by the standard itself. Nor the name
# "_charset_", whose value names the form's charset (test_charsets.py), not any text.
names = st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00%"), max_size=20
).filter(lambda name: name != "_charset_")
texts = st.text(st.characters(blacklist_categories=["Cs"]), max_size=200)
files = st.tuples(
    st.text(
        st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="%"),
        min_size=1,
        max_size=30,
    ),
    st.sampled_from(["application/octet-stream", "text/plain", "image/png"]),
    st.binary(max_size=3000),
)
forms = st.lists(st.tuples(names, st.one_of(texts, files)), max_size=12)
cuts = st.lists(st.integers(min_value=0, max_value=100_000), max_size=6)
settings_ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def cut(body: bytes, offsets: list[int]) -> list[bytes]:
    points = sorted({o % (len(body) + 1) for o in offsets})
    edges = [0, *points, len(body)]
    return [body[a:b] for a, b in itertools.pairwise(edges)]


def expected_of(fields: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in fields:
        if isinstance(value, tuple):
            value = (safe_filename(value[0]), value[1], value[2])
        if name in out:
            current = out[name]
            out[name] = [*current, value] if isinstance(current, list) else [current, value]
        else:
            out[name] = value
    return out


@settings_
@given(fields=forms, offsets=cuts, threshold=st.sampled_from([0, 100, 1 << 20]))
async def test_multipart_round_trip(
    fields: list[tuple[str, Any]],
    offsets: list[int],
    threshold: int,
    encode: Any,
    make_request: Any,
    plain: Any,
) -> None:
    body = encode(fields)
    request = make_request(cut(body, offsets), CT)
    async with await read_form(request, spool_threshold=threshold) as form:
        assert await plain(form) == expected_of(fields)


@settings_
@given(fields=forms, offsets=cuts)
async def test_streaming_round_trip(
    fields: list[tuple[str, Any]], offsets: list[int], encode: Any, make_request: Any
) -> None:
    body = encode(fields)
    got: list[tuple[str, object]] = []
    async for part in iter_parts(make_request(cut(body, offsets), CT)):
        if part.is_file:
            got.append((part.name, (part.filename, part.content_type, await part.read())))
        else:
            got.append((part.name, await part.text()))
    assert got == [
        (name, (safe_filename(v[0]), v[1], v[2]) if isinstance(v, tuple) else v)
        for name, v in fields
    ]


@settings_
@given(fields=st.lists(st.tuples(names, texts), max_size=30), offsets=cuts)
async def test_urlencoded_round_trip(
    fields: list[tuple[str, str]], offsets: list[int], make_request: Any
) -> None:
    body = "&".join(f"{quote(n, safe='')}={quote(v, safe='')}" for n, v in fields).encode()
    form = await read_form(make_request(cut(body, offsets), "application/x-www-form-urlencoded"))
    assert form == expected_of(list(fields))


@settings_
@given(body=st.binary(max_size=2000), offsets=cuts)
async def test_random_bytes_raise_only_client_errors(
    body: bytes, offsets: list[int], make_request: Any
) -> None:
    try:
        form = await read_form(make_request(cut(body, offsets), CT), spool_threshold=10)
    except ClientError:
        return
    await form.close()


@settings_
@given(fields=forms, data=st.data())
async def test_mutated_bodies_raise_only_client_errors(
    fields: list[tuple[str, Any]], data: Any, encode: Any, make_request: Any
) -> None:
    body = bytearray(encode(fields))
    for _ in range(data.draw(st.integers(1, 5))):
        at = data.draw(st.integers(0, len(body) - 1))
        body[at] = data.draw(st.sampled_from(b'\r\n-"\\;=\x00a'))
    try:
        form = await read_form(make_request([bytes(body)], CT), spool_threshold=10)
    except ClientError:
        return
    for value in form.files():
        assert isinstance(value, UploadedFile)
    await form.close()


# -- read_form()'s memory budget, against a model -------------------------------------


def spooled_model(parts: list[tuple[bool, int]], limit: int, threshold: int) -> list[bool] | None:
    """Which files a form keeps in memory, in order (``None``: a 413). A file stays in
    memory while it is within ``threshold`` and fits in ``limit`` with the text read so
    far and the other files in memory; text that needs their room sends them all to
    disk. Since every count only grows, how the body is cut does not matter."""
    text = held = 0
    in_memory: list[bool] = []
    holders: list[int] = []
    for is_file, size in parts:
        if not is_file:
            text += size
            if text > limit:
                return None
            if text + held > limit:
                for index in holders:
                    in_memory[index] = False
                holders, held = [], 0
        elif size <= threshold and text + held + size <= limit:
            if size:
                holders.append(len(in_memory))
                held += size
            in_memory.append(True)
        else:
            in_memory.append(False)
    return in_memory


@settings_
@given(
    parts=st.lists(st.tuples(st.booleans(), st.integers(0, 300)), max_size=8),
    limit=st.integers(0, 1000),
    threshold=st.integers(0, 400),
    chunk=st.integers(1, 300),
)
async def test_memory_budget_matches_the_model(
    parts: list[tuple[bool, int]],
    limit: int,
    threshold: int,
    chunk: int,
    encode: Any,
    make_request: Any,
    plain: Any,
) -> None:
    fields: list[tuple[str, Any]] = [
        (f"f{i}", (f"f{i}.bin", "application/octet-stream", b"x" * size) if is_file else "t" * size)
        for i, (is_file, size) in enumerate(parts)
    ]
    body = encode(fields)
    # Small chunks, so that files and text fields arrive in pieces.
    request = make_request([body[i : i + chunk] for i in range(0, len(body), chunk)], CT)
    expected = spooled_model(parts, limit, threshold)
    if expected is None:
        with pytest.raises(ContentTooLargeError, match="max_memory_size"):
            await read_form(request, max_memory_size=limit, spool_threshold=threshold)
        return
    async with await read_form(request, max_memory_size=limit, spool_threshold=threshold) as form:
        assert [upload.in_memory for upload in form.files()] == expected
        assert await plain(form) == expected_of(fields)
