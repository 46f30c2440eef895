"""The multipart framing (RFC 2046 §5.1.1): the same bytes give the same answer however
they are split into ASGI messages; a delimiter starts a line; transport padding after a
boundary is accepted; the preamble limit counts across the whole body."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asgikit.errors import ClientError, InvalidFormError
from asgikit.forms import UploadedFile, read_form

B = "XyZ"
CT = f"multipart/form-data; boundary={B}"
PART_A = b'Content-Disposition: form-data; name="a"\r\n\r\n1'
PART_B = b'Content-Disposition: form-data; name="b"\r\n\r\n2'


async def outcome(make_request: Any, chunks: list[bytes], **options: Any) -> object:
    """What read_form answers: the form as plain data, or the error's type and message."""
    try:
        async with await read_form(make_request(chunks, CT), **options) as form:
            out: dict[str, object] = {}
            for name, value in form.items():
                values = value if isinstance(value, list) else [value]
                plain: list[object] = []
                for item in values:
                    if isinstance(item, UploadedFile):
                        plain.append((item.filename, await item.read()))
                    else:
                        plain.append(item)
                out[name] = plain
            return out
    except ClientError as exc:
        return (type(exc).__name__, str(exc))


def splits(body: bytes) -> list[list[bytes]]:
    """The body whole, cut in two at every offset, and one byte at a time."""
    out = [[body]]
    out += [[body[:i], body[i:]] for i in range(1, len(body))]
    out.append([body[i : i + 1] for i in range(len(body))])
    return out


def pieces(body: bytes, size: int) -> list[bytes]:
    return [body[i : i + size] for i in range(0, len(body), size)]


# -- a delimiter starts a line (the case) -------------------------------------------

GLUED = b"junk--XyZ\r\n" + PART_A + b"\r\n--XyZ\r\n" + PART_B + b"\r\n--XyZ--\r\n"


@pytest.mark.parametrize("size", [len(GLUED), 1, 2, 3, 5, 7, 11, 64])
async def test_a_first_boundary_not_at_line_start_is_400_however_split(
    make_request: Any, size: int
) -> None:
    with pytest.raises(InvalidFormError) as info:
        await read_form(make_request(pieces(GLUED, size), CT))
    assert info.value.status_code == 400
    assert "does not start a line" in str(info.value)


async def test_glued_first_boundary_same_answer_at_every_split(make_request: Any) -> None:
    answers = {repr(await outcome(make_request, chunks)) for chunks in splits(GLUED)}
    assert len(answers) == 1


# -- the preamble limit counts across the body ---------------------------------------------


@pytest.mark.parametrize("size", [None, 1000, 1, 4096])
@pytest.mark.parametrize(("preamble", "ok"), [(8000, True), (8192, True), (9000, False)])
async def test_preamble_limit_counts_across_messages(
    make_request: Any, size: int | None, preamble: int, ok: bool
) -> None:
    body = b"p" * (preamble - 2) + b"\r\n--XyZ\r\n" + PART_A + b"\r\n--XyZ--\r\n"
    chunks = [body] if size is None else pieces(body, size)
    if ok:
        assert await read_form(make_request(chunks, CT)) == {"a": "1"}
    else:
        with pytest.raises(InvalidFormError, match=r"no boundary in the first 8192 bytes"):
            await read_form(make_request(chunks, CT))


# -- transport padding (RFC 2046 §5.1.1: "receivers must be prepared to find it") ----------


@pytest.mark.parametrize("pad", [b" ", b"\t", b" \t \t", b"  " * 50])
async def test_transport_padding_after_every_boundary(make_request: Any, pad: bytes) -> None:
    body = (
        b"--XyZ" + pad + b"\r\n" + PART_A + b"\r\n--XyZ" + pad + b"\r\n" + PART_B
        + b"\r\n--XyZ--" + pad + b"\r\n"
    )  # fmt: skip
    for chunks in splits(body):
        assert await read_form(make_request(chunks, CT)) == {"a": "1", "b": "2"}


@pytest.mark.parametrize(
    "line",
    [b"--XyZ x\r\n", b"--XyZx\r\n", b"--XyZ \n", b"--XyZ\n"],
)
async def test_other_bytes_after_a_boundary_are_400(make_request: Any, line: bytes) -> None:
    body = line + PART_A + b"\r\n--XyZ--\r\n"
    for chunks in splits(body):
        with pytest.raises(InvalidFormError):
            await read_form(make_request(chunks, CT))


async def test_padding_is_bounded(make_request: Any) -> None:
    body = b"--XyZ" + b" " * 10_000 + b"\r\n" + PART_A + b"\r\n--XyZ--\r\n"
    with pytest.raises(InvalidFormError, match="padding"):
        await read_form(make_request(pieces(body, 100), CT))


# -- the class: split independence ----------------------------------------------------------

# Bodies made of the pieces that matter to the framing: boundaries at and off line
# starts, padding, CR and LF alone, header lines, data that looks like a boundary.
vocabulary = st.sampled_from(
    [
        b"--XyZ", b"--XyZ--", b"\r\n--XyZ", b"\r\n", b"\r", b"\n", b" ", b"\t", b"-", b"--",
        b"XyZ", b"x", b"junk", b'Content-Disposition: form-data; name="a"\r\n\r\n',
        b'Content-Disposition: form-data; name="f"; filename="f.txt"\r\n\r\n',
        b"Content-Type: text/plain\r\n", b"\r\n--XyZ\r\n", b"\r\n--XyZ--\r\n",
    ]
)  # fmt: skip
bodies = st.lists(vocabulary, max_size=25).map(b"".join)
slow = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@slow
@given(body=bodies, cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=8))
async def test_outcome_does_not_depend_on_the_split(
    make_request: Any, body: bytes, cuts: list[int]
) -> None:
    whole = await outcome(make_request, [body], max_part_header_size=64)
    points = sorted({c % (len(body) + 1) for c in cuts})
    random_cut = [body[a:b] for a, b in itertools.pairwise([0, *points, len(body)])]
    for chunks in [*splits(body), random_cut]:
        assert await outcome(make_request, chunks, max_part_header_size=64) == whole


junk = st.lists(
    st.sampled_from([b"x", b"\r\n", b"--XyZ", b"-", b" ", b"\r", b"\n"]), max_size=8
).map(b"".join)


@slow
@given(preamble=junk, size=st.integers(min_value=1, max_value=40))
async def test_a_part_never_vanishes(
    make_request: Any, encode: Any, preamble: bytes, size: int
) -> None:
    # Whatever comes before a good form, the answer is the whole form or a 400.
    body = preamble + encode([("a", "1"), ("b", "2")], boundary=B)
    for chunks in ([body], pieces(body, size)):
        got = await outcome(make_request, chunks)
        assert got == {"a": ["1"], "b": ["2"]} or (
            isinstance(got, tuple) and got[0] == "InvalidFormError"
        )
