"""asgikit.forms.multipart, the sans-IO layer, driven directly: no Request, no Channel.

Every case goes through :func:`tr`, which feeds the body whole, one byte at a time, cut
in two at every offset, and followed by an epilogue, and requires the same events (or
the same error) from each (h11's ``tests/test_io.py`` does this for its readers)."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from asgikit.errors import (
    AsgikitError,
    ClientError,
    ContentTooLargeError,
    InvalidEncodingError,
    InvalidFormError,
    StateError,
)
from asgikit.forms import safe_filename
from asgikit.forms.multipart import (
    NEED_DATA,
    BodyEnd,
    Event,
    MultipartParser,
    PartData,
    PartEnd,
    PartStart,
)
from asgikit.multivalue import MultiValueDict

B = "XyZ"
# RFC 2046: close-delimiter transport-padding [CRLF epilogue]
EPILOGUES = [b"\r\n", b"\r\nepilogue --XyZ\r\n--XyZ--\r\n", b"\r\n\x00\xff junk"]

# A plain tuple per event, data of one part joined, so that two splits compare equal.
Plain = tuple[Any, ...]


def plain(events: list[Event]) -> list[Plain]:
    out: list[Plain] = []
    for event in events:
        if type(event) is PartData:
            assert event.data, "a data event is never empty"
            if out and out[-1][0] == "data":
                out[-1] = ("data", out[-1][1] + event.data)
                continue
            out.append(("data", event.data))
        elif type(event) is PartStart:
            headers = [(k, v) for k in event.headers for v in event.headers.get_all(k)]
            out.append(("start", event.name, event.filename, event.content_type,
                        event.charset, headers))  # fmt: skip
        elif type(event) is PartEnd:
            out.append(("end",))
        else:
            assert type(event) is BodyEnd
            out.append(("body-end",))
    return out


def drain(parser: MultipartParser) -> Iterator[Event]:
    while (event := parser.next_event()) is not NEED_DATA:
        yield event
        if type(event) is BodyEnd:
            return


def run(chunks: list[bytes], eof: bool = True, **options: Any) -> list[Plain] | tuple[str, str]:
    """The plain events for ``chunks`` (draining after each, up to the first BodyEnd),
    or the error raised."""
    events: list[Event] = []
    try:
        parser = MultipartParser(B, **options)
        for chunk in chunks:
            parser.feed(chunk)
            if not parser.is_done:
                events += drain(parser)
        if eof:
            parser.feed_eof()
            if not parser.is_done:
                events += drain(parser)
    except ClientError as exc:
        return (type(exc).__name__, str(exc))
    return plain(events)


def feedings(body: bytes) -> Iterator[list[bytes]]:
    yield [body]
    yield [body[i : i + 1] for i in range(len(body))]
    for i in range(1, len(body)):
        yield [body[:i], body[i:]]


def tr(body: bytes, expected: list[Plain] | tuple[type[Exception], str], **options: Any) -> None:
    """Feed ``body`` every way; each must give ``expected``: the plain events, or an
    error type and a piece of its message. A complete body gives the same events with
    any epilogue after it."""
    for chunks in feedings(body):
        got = run(chunks, **options)
        if isinstance(expected, tuple):
            kind, message = expected
            assert isinstance(got, tuple), chunks
            assert got[0] == kind.__name__ and message in got[1], (chunks, got)
        else:
            assert got == expected, chunks
    if isinstance(expected, list):
        for epilogue in EPILOGUES:
            for chunks in feedings(body + epilogue):
                assert run(chunks, **options) == expected, chunks


def start(
    name: str,
    filename: str | None = None,
    content_type: str | None = None,
    charset: str | None = None,
    headers: list[tuple[str, str]] | None = None,
) -> Plain:
    if headers is None:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        headers = [("content-disposition", disposition)]
    return ("start", name, filename, content_type, charset, headers)


DATA_A = b'--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n'
END = b"--XyZ--"
CD_A = [("content-disposition", 'form-data; name="a"')]


# -- well-formed bodies ---------------------------------------------------------------------


def test_one_field() -> None:
    tr(DATA_A + END, [start("a"), ("data", b"1"), ("end",), ("body-end",)])


def test_the_closing_boundary_may_end_the_body_without_crlf_or_with_padding() -> None:
    expected = [start("a"), ("data", b"1"), ("end",), ("body-end",)]
    tr(DATA_A + END + b"\r\n", expected)
    tr(DATA_A + END + b" \t\r\n", expected)


def test_a_file_with_type_charset_and_data_that_looks_like_boundaries() -> None:
    data = b"\r\n--XyY\r--XyZ\n--XyZ\r\n-\r\n\r\r\n-\r"
    body = (
        b"--XyZ\r\n"
        b'Content-Disposition: form-data; name="f"; filename="dir/r\xc3\xa9sum\xc3\xa9.txt"\r\n'
        b"Content-Type: Text/Plain; charset=latin-1\r\n\r\n" + data + b"\r\n" + END
    )
    headers = [
        ("content-disposition", 'form-data; name="f"; filename="dir/résumé.txt"'),
        ("content-type", "Text/Plain; charset=latin-1"),
    ]
    tr(body, [start("f", "résumé.txt", "text/plain", "latin-1", headers), ("data", data),
              ("end",), ("body-end",)])  # fmt: skip


def test_empty_parts_preamble_padding_and_a_folded_header() -> None:
    body = (
        b"preamble\r\n--XyZ \t\r\n"
        b"Content-Disposition: form-data;\r\n"
        b' name="e"\r\n\r\n'
        b"\r\n--XyZ\r\n"
        b'Content-Disposition: form-data; name="f"; filename=""\r\n\r\n'
        b"\r\n--XyZ--"
    )
    tr(body, [
        start("e", headers=[("content-disposition", 'form-data; name="e"')]), ("end",),
        start("f", ""), ("end",), ("body-end",),
    ])  # fmt: skip


def test_names_are_read_as_browsers_send_them() -> None:
    body = (
        b'--XyZ\r\nContent-Disposition: form-data; name="a%22b%0D%0A"; filename="x\\y.txt"'
        b"\r\n\r\nz\r\n" + END
    )
    got = run([body])
    assert isinstance(got, list)
    assert got[0][1:3] == ('a"b\r\n', "y.txt")


def test_filename_star_is_ignored() -> None:
    body = (
        b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"; filename*=UTF-8''evil.exe"
        b"\r\n\r\nz\r\n" + END
    )
    got = run([body])
    assert isinstance(got, list) and got[0][2] is None


def test_a_boundary_given_as_bytes_is_the_same() -> None:
    parser = MultipartParser(B.encode())
    parser.feed(DATA_A + END)
    parser.feed_eof()
    assert plain(list(drain(parser))) == run([DATA_A + END])


# -- malformed bodies -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "error", "message"),
    [
        (DATA_A, InvalidFormError, "ended before the closing boundary"),
        (b"", InvalidFormError, "ended before the first boundary"),
        (b"junk--XyZ\r\n" + DATA_A[7:] + END, InvalidFormError, "does not start a line"),
        (b"--XyZx\r\n" + DATA_A[7:] + END, InvalidFormError, "unexpected bytes after a boundary"),
        (DATA_A + b"--XyZ--x", InvalidFormError, "unexpected bytes after the closing"),
        (b"--XyZ\r\nContent-Disposition: form-data\nx\r\n\r\n\r\n" + END,
         InvalidFormError, "bare LF"),
        (b"--XyZ\r\nContent-Disposition: attachment\r\n\r\n\r\n" + END,
         InvalidFormError, "not form-data"),
        (b"--XyZ\r\nContent-Type: text/plain\r\n\r\n\r\n" + END,
         InvalidFormError, "no Content-Disposition"),
        (b"--XyZ\r\nContent-Disposition form-data\r\n\r\n\r\n" + END,
         InvalidFormError, "not 'Name: value'"),
        (b"--XyZ\r\n Content-Disposition: form-data\r\n\r\n\r\n" + END,
         InvalidFormError, "starts with a space"),
        (b"--XyZ\r\nContent-Disposition: form-data; name=\"\xff\"\r\n\r\n\r\n" + END,
         InvalidEncodingError, "not valid UTF-8"),
        (b"--XyZ\r\nContent-Disposition: form-data; name=a\r\n"
         b"Content-Transfer-Encoding: base64\r\n\r\n\r\n" + END,
         InvalidFormError, "Content-Transfer-Encoding"),
        (b"--XyZ\r\nContent-Disposition: form-data; name=a\x00\r\n\r\n\r\n" + END,
         InvalidFormError, "bare CR, LF or NUL"),
    ],
)  # fmt: skip
def test_malformed_bodies(body: bytes, error: type[Exception], message: str) -> None:
    tr(body, (error, message))


def test_part_header_limits_at_and_over() -> None:
    lines = b"".join(b"X-%d: v\r\n" % i for i in range(3))
    body = b"--XyZ\r\nContent-Disposition: form-data; name=a\r\n" + lines + b"\r\n\r\n" + END
    assert isinstance(run([body], max_part_headers=4), list)
    tr(body, (ContentTooLargeError, "more than 3 headers"), max_part_headers=3)
    size = len(body) - len(b"--XyZ\r\n") - len(b"\r\n\r\n" + END)  # the header lines
    assert isinstance(run([body], max_part_header_size=size), list)
    tr(body, (ContentTooLargeError, f"larger than {size - 1} bytes"),
       max_part_header_size=size - 1)  # fmt: skip
    parser = MultipartParser(B, max_part_headers=3)
    parser.feed(body)
    with pytest.raises(ContentTooLargeError) as info:
        parser.next_event()
    assert (info.value.limit, info.value.option) == (3, "max_part_headers")


@pytest.mark.parametrize("max_preamble_size", [None, 100])
def test_preamble_limit_at_and_over(max_preamble_size: int | None) -> None:
    limit = 60 if max_preamble_size is None else max_preamble_size
    options: dict[str, Any] = {"max_part_header_size": 60, "max_preamble_size": max_preamble_size}
    ok = b"p" * (limit - 2) + b"\r\n" + DATA_A + END
    assert run([ok], **options) == [start("a"), ("data", b"1"), ("end",), ("body-end",)]
    over = b"p" * (limit - 1) + b"\r\n" + DATA_A + END
    tr(over, (InvalidFormError, f"no boundary in the first {limit} bytes"), **options)
    option = "max_part_header_size" if max_preamble_size is None else "max_preamble_size"
    parser = MultipartParser(B, **options)
    parser.feed(over)
    with pytest.raises(InvalidFormError) as info:
        parser.next_event()
    assert info.value.hint == f"{option}={limit}"


@pytest.mark.parametrize(
    ("boundary", "message"),
    [
        ("", "empty"),
        (b"", "empty"),
        ("a" * 71, "longer than 70"),
        ("a\r\nb", "control characters"),
        (b"a\x00", "control characters"),
        ("é", "not ASCII"),
    ],
)
def test_bad_boundaries(boundary: str | bytes, message: str) -> None:
    with pytest.raises(InvalidFormError, match=message):
        MultipartParser(boundary, max_boundary_length=70)
    MultipartParser("a" * 70, max_boundary_length=70)


@pytest.mark.parametrize(
    "option", ["max_part_headers", "max_part_header_size", "max_boundary_length",
               "max_preamble_size"]
)  # fmt: skip
def test_a_negative_limit_is_a_value_error(option: str) -> None:
    with pytest.raises(ValueError, match=option):
        MultipartParser(B, **{option: -1})


# -- the object's states --------------------------------------------------------------------


def test_need_data_until_fed_and_body_end_from_then_on() -> None:
    parser = MultipartParser(B)
    assert parser.next_event() is NEED_DATA
    parser.feed(b"")  # an empty ASGI message body: nothing happens
    assert parser.next_event() is NEED_DATA
    parser.feed(DATA_A)
    assert parser.next_event() == PartStart("a", None, None, None, MultiValueDict(CD_A))
    assert parser.next_event() == PartData(b"1")
    assert parser.next_event() is NEED_DATA  # is "\r\n--XyZ" a delimiter? not known yet
    assert [parser.is_done] == [False]
    parser.feed(END + b"\r\nepilogue")
    assert parser.next_event() == PartEnd()
    assert parser.next_event() == BodyEnd()
    assert parser.is_done
    parser.feed(b"more epilogue")  # ignored
    assert parser.next_event() == BodyEnd()
    parser.feed_eof()
    assert parser.next_event() == BodyEnd()
    with pytest.raises(StateError, match=r"cannot feed: feed_eof\(\) was called"):
        parser.feed(b"x")
    with pytest.raises(StateError):
        parser.feed_eof()


def test_bytes_fed_while_events_are_pending_wait_their_turn() -> None:
    body = DATA_A + END
    parser = MultipartParser(B)
    for i in range(len(body)):
        parser.feed(body[i : i + 1])
    parser.feed_eof()
    assert plain(list(drain(parser))) == run([body])


def test_after_an_error_or_close_every_call_is_a_state_error() -> None:
    parser = MultipartParser(B)
    parser.feed(b"--XyZx\r\n")
    with pytest.raises(InvalidFormError):
        parser.next_event()
    for call in (parser.next_event, lambda: parser.feed(b"x"), parser.feed_eof):
        with pytest.raises(StateError, match="failed or was closed"):
            call()
    closed = MultipartParser(B)
    closed.feed(DATA_A)
    closed.close()
    with pytest.raises(StateError, match="failed or was closed"):
        closed.next_event()


def test_events_are_frozen_values() -> None:
    assert PartEnd() == PartEnd() and BodyEnd() == BodyEnd()
    assert PartData(b"x") == PartData(b"x") != PartData(b"y")
    assert repr(NEED_DATA) == "NEED_DATA"
    with pytest.raises(AttributeError):
        PartData(b"x").data = b"y"  # type: ignore[misc]


def test_data_in_pieces_of_every_size_up_to_past_the_delimiter() -> None:
    # A chunk of a part's data that holds no delimiter is handed on whole; one whose
    # tail may begin a delimiter is not. Pieces shorter than the delimiter ("\r\n--XyZ",
    # 7 bytes) put a CR anywhere in them, not only within the last 7 bytes.
    head = b'--XyZ\r\nContent-Disposition: form-data; name="f"; filename="f"\r\n\r\n'
    data = b"ab\r\n-\rcd\r\n--XyYz\r"
    body = head + data + b"\r\n--XyZ--\r\n"
    expected = [start("f", "f"), ("data", data), ("end",), ("body-end",)]
    for size in range(1, 10):
        for shift in range(size):
            pieces = [head + data[:shift]]
            rest = data[shift:] + b"\r\n--XyZ--\r\n"
            pieces += [rest[i : i + size] for i in range(0, len(rest), size)]
            assert b"".join(pieces) == body
            assert run(pieces) == expected, (size, shift)


# -- Hypothesis -----------------------------------------------------------------------------

slow = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# The pieces that matter to the framing: boundaries at and off line starts, padding, CR
# and LF alone, header lines, data that looks like a boundary.
vocabulary = st.sampled_from(
    [
        b"--XyZ", b"--XyZ--", b"\r\n--XyZ", b"\r\n", b"\r", b"\n", b" ", b"\t", b"-", b"--",
        b"XyZ", b"x", b"\xff", b"junk", b'Content-Disposition: form-data; name="a"\r\n\r\n',
        b'Content-Disposition: form-data; name="f"; filename="f.txt"\r\n\r\n',
        b"Content-Type: text/plain\r\n", b"\r\n--XyZ\r\n", b"\r\n--XyZ--\r\n",
    ]
)  # fmt: skip
bodies = st.lists(vocabulary, max_size=25).map(b"".join)
cuts = st.lists(st.integers(min_value=0, max_value=10_000), max_size=8)


def cut(body: bytes, offsets: list[int]) -> list[bytes]:
    points = sorted({o % (len(body) + 1) for o in offsets})
    return [body[a:b] for a, b in itertools.pairwise([0, *points, len(body)])]


@slow
@given(body=bodies, offsets=cuts)
# The headers exactly at the limit: the CR of the empty line after them, arriving alone,
# once counted toward it.
@example(
    body=b'\r\n--XyZ\r\njunkContent-Disposition: form-data; name="f"; filename="f.txt"\r\n\r\n',
    offsets=[],
)
def test_the_answer_does_not_depend_on_the_split(body: bytes, offsets: list[int]) -> None:
    whole = run([body], max_part_header_size=64)
    for chunks in (cut(body, offsets), [body[i : i + 1] for i in range(len(body))]):
        assert run(chunks, max_part_header_size=64) == whole


# A simple serializer of parts, the way browsers write them.
names = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00%"),
                max_size=12)  # fmt: skip
filenames = st.none() | st.text(
    st.characters(blacklist_categories=["Cs", "Cc"], blacklist_characters="%"), max_size=12
)
media_types = st.none() | st.sampled_from(["text/plain", "image/png", "application/json"])
contents = st.binary(max_size=300) | st.sampled_from([b"\r\n--XyZ", b"--XyZ--\r\n", b"\r"])
parts = st.lists(st.tuples(names, filenames, media_types, contents), max_size=6)


def quote(text: str) -> str:
    return text.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def serialize(fields: list[tuple[str, str | None, str | None, bytes]], boundary: str) -> bytes:
    out = b""
    for name, filename, media_type, content in fields:
        disposition = f'form-data; name="{quote(name)}"'
        if filename is not None:
            disposition += f'; filename="{quote(filename)}"'
        out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
        if media_type is not None:
            out += f"Content-Type: {media_type}\r\n".encode()
        out += b"\r\n" + content + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


@slow
@given(fields=parts, offsets=cuts, boundary=st.sampled_from(["XyZ", "-" * 40, "a'()+_,-./:=? "]))
def test_parts_round_trip_through_a_serializer(
    fields: list[tuple[str, str | None, str | None, bytes]], offsets: list[int], boundary: str
) -> None:
    # A client picks a boundary that no content holds (RFC 2046 §5.1.1).
    delimiter = f"\r\n--{boundary}".encode()
    assume(all(delimiter not in b"\r\n" + content for _, _, _, content in fields))
    body = serialize(fields, boundary)
    parser = MultipartParser(boundary)
    got: list[tuple[str, str | None, str | None, bytes]] = []
    for chunk in cut(body, offsets):
        parser.feed(chunk)
        for event in drain(parser):
            if type(event) is PartStart:
                got.append((event.name, event.filename, event.content_type, b""))
            elif type(event) is PartData:
                name, filename, media_type, data = got[-1]
                got[-1] = (name, filename, media_type, data + event.data)
    parser.feed_eof()
    assert list(drain(parser)) == [BodyEnd()]
    assert got == [
        (name, None if f is None else safe_filename(f), m, c) for name, f, m, c in fields
    ]


@slow
@given(body=st.binary(max_size=400) | bodies, offsets=cuts)
def test_random_bytes_raise_only_asgikit_client_errors(body: bytes, offsets: list[int]) -> None:
    parser = MultipartParser(B, max_part_header_size=50, max_part_headers=2)
    error: Exception | None = None
    try:
        for chunk in cut(body, offsets):
            parser.feed(chunk)
            list(drain(parser))
        parser.feed_eof()
        list(drain(parser))
    except Exception as exc:  # anything at all: the assertion below sorts it out
        error = exc
    assert error is None or (
        isinstance(error, ClientError)
        and isinstance(error, AsgikitError)
        and error.status_code in (400, 413)
    ), repr(error)


# -- work is linear in the input: counted, not timed -------------------------------------------


def work(chunks: list[bytes]) -> int:
    """Operations spent parsing ``chunks``: every call made (Python or built-in), a
    built-in method of bytes weighted by the length of the bytes it runs on. Chunks are
    small, so that a parser that re-scans what it keeps shows as growing weights."""
    total = 0

    def count(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal total
        if event == "call":
            total += 1
        elif event == "c_call":
            receiver = getattr(arg, "__self__", None)
            total += 1 + (len(receiver) if isinstance(receiver, bytes) else 0)

    parser = MultipartParser(B)
    sys.setprofile(count)
    try:
        for chunk in chunks:
            parser.feed(chunk)
            for _ in drain(parser):
                pass
        parser.feed_eof()
        for _ in drain(parser):
            pass
    except ClientError:
        pass
    finally:
        sys.setprofile(None)
    return total


def pieces(body: bytes, size: int) -> list[bytes]:
    return [body[i : i + size] for i in range(0, len(body), size)]


HEAD = b'--XyZ\r\nContent-Disposition: form-data; name="f"; filename="a"\r\n\r\n'
SHAPES: dict[str, Callable[[int], bytes]] = {
    "crlf-runs": lambda n: HEAD + b"\r\n" * n + b"\r\n" + END,
    "cr-runs": lambda n: HEAD + b"\r" * n + b"\r\n" + END,
    "near-boundaries": lambda n: HEAD + b"\r\n--XyY" * n + b"\r\n" + END,
    "tiny-parts": lambda n: DATA_A * n + END,
    "preamble": lambda n: b"\r\n-" * n,
    "long-header": lambda n: b"--XyZ\r\nX: " + b"v" * n,
    "padding": lambda n: b"--XyZ" + b" " * n,
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("size", [1, 7, 64])
def test_work_is_linear_in_the_input(shape: str, size: int) -> None:
    make = SHAPES[shape]
    n = 1500
    single, double = work(pieces(make(n), size)), work(pieces(make(2 * n), size))
    # Linear: double the input, double the work (plus the same fixed cost). Quadratic
    # would be four times.
    assert double <= 2.1 * single, (single, double)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(unit=bodies.filter(bool), size=st.sampled_from([1, 3, 16]))
def test_work_on_any_repeated_shape_is_linear(unit: bytes, size: int) -> None:
    # Whatever the body repeats, at most twice the work for twice the repeats.
    prefix = HEAD
    n = max(1, 600 // len(unit))
    single = work(pieces(prefix + unit * n, size))
    double = work(pieces(prefix + unit * (2 * n), size))
    assert double <= 2 * single + 200, (single, double)


def test_a_bare_lf_before_the_header_limit_is_the_error_however_split() -> None:
    # Found by test_the_answer_does_not_depend_on_the_split: whole, the line was first
    # measured against the limit; in pieces, its bare LF was seen first. Byte order decides.
    body = b'\r\n--XyZ\r\n--XyZ\nContent-Disposition: form-data; name="f"; filename="f.txt"\r\n\r\n'
    tr(body, (InvalidFormError, "bare LF"), max_part_header_size=64)
    long_line = b"--XyZ\r\nX-Long: " + b"a" * 80 + b"\nmore\r\n\r\n"
    tr(long_line, (ContentTooLargeError, "larger than 64 bytes"), max_part_header_size=64)
