"""respond_file through Request.respond_file, driven by a Channel."""

from __future__ import annotations

import asyncio
import os
import re
import sys
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from asgikit.asgi import Message
from asgikit.errors import ClientDisconnectedError, NotFoundError
from asgikit.files import FileChangedError, FileOptions, make_etag, respond_file
from asgikit.requests import Request
from asgikit.testing import Channel, http_scope

Respond = Callable[..., Awaitable[Channel]]
CHUNK = 64 * 1024
PATHSEND: dict[str, dict[str, object]] = {"http.response.pathsend": {}}


@pytest.fixture
def no_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if the file's bytes are read."""

    def refuse(*args: Any) -> bytes:
        raise AssertionError("the file was read")

    monkeypatch.setattr(os, "pread", refuse)
    monkeypatch.setattr(os, "read", refuse)


def body_messages(channel: Channel) -> list[Message]:
    return [m for m in channel.sent if m["type"] == "http.response.body"]


# -- whole files ----------------------------------------------------------------------------


async def test_small_file_headers_and_body(respond: Respond, text_file: Path) -> None:
    channel = await respond(text_file)
    assert channel.status == 200
    assert channel.body == b"Hello, world!\n"
    assert channel.header("content-type") == "text/plain; charset=utf-8"
    assert channel.header("content-length") == "14"
    assert channel.header("last-modified") == "Sun, 06 Nov 1994 08:49:37 GMT"
    assert channel.header("etag") == make_etag(os.stat(text_file))
    assert channel.header("accept-ranges") == "bytes"
    assert channel.header("content-disposition") is None
    assert len(body_messages(channel)) == 1  # read and sent in one go


async def test_large_file_is_sent_in_chunks(respond: Respond, big_file: Path, data: bytes) -> None:
    channel = await respond(big_file, chunk_size=CHUNK)
    assert channel.status == 200
    assert channel.header("content-type") == "application/octet-stream"
    assert channel.header("content-length") == str(len(data))
    assert channel.body == data
    messages = body_messages(channel)
    assert len(messages) >= len(data) // CHUNK
    assert all(len(m.get("body", b"")) <= CHUNK for m in messages)
    assert all(m.get("more_body") for m in messages[:-1]) and not messages[-1].get(
        "more_body", False
    )


async def test_empty_file(respond: Respond, tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    channel = await respond(path)
    assert (channel.status, channel.header("content-length"), channel.body) == (200, "0", b"")


async def test_options_media_type_status_and_download_name(
    respond: Respond, text_file: Path
) -> None:
    channel = await respond(
        text_file, media_type="application/x-custom", status=404, download_name="résumé.txt"
    )
    assert channel.status == 404
    assert channel.header("content-type") == "application/x-custom"
    assert channel.header("content-disposition") == (
        "attachment; filename=\"resume.txt\"; filename*=UTF-8''r%C3%A9sum%C3%A9.txt"
    )
    # Not a 2xx: no validators, and preconditions and ranges do not apply (RFC 9110 §13.2.1).
    assert channel.header("etag") is None
    assert channel.body == b"Hello, world!\n"


async def test_status_other_than_200_ignores_preconditions_and_range(
    respond: Respond, text_file: Path
) -> None:
    channel = await respond(
        text_file, status=404, headers=[("if-none-match", "*"), ("range", "bytes=0-1")]
    )
    assert (channel.status, channel.body) == (404, b"Hello, world!\n")


async def test_headers_set_by_the_app_are_kept(text_file: Path) -> None:
    scope = http_scope("GET", "/")
    channel = Channel.with_body()
    request = Request(scope, channel.receive, channel.send)
    request.response.headers.set("cache-control", "max-age=60")
    await respond_file(request, str(text_file))
    assert channel.header("cache-control") == "max-age=60"
    assert channel.body == b"Hello, world!\n"


async def test_pathlike_and_stat_result(
    respond: Respond, text_file: Path, fd_tracker: set[int]
) -> None:
    channel = await respond(text_file, stat_result=os.stat(text_file))
    assert channel.body == b"Hello, world!\n"
    assert not fd_tracker


# -- missing files ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["missing.txt", "dir", "dir/", "hello.txt/x", "bad\x00name", "x" * 300]
)
async def test_what_is_not_a_file_is_404(
    respond: Respond, tmp_path: Path, text_file: Path, name: str
) -> None:
    (tmp_path / "dir").mkdir()
    with pytest.raises(NotFoundError) as info:
        await respond(str(tmp_path / name))
    assert info.value.status_code == 404
    assert str(tmp_path) not in str(info.value)  # the server's paths stay private


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
async def test_a_fifo_is_404_and_does_not_hang(respond: Respond, tmp_path: Path) -> None:
    path = tmp_path / "pipe"
    os.mkfifo(path)
    with pytest.raises(NotFoundError):
        await asyncio.wait_for(respond(path), timeout=10)


async def test_directory_stat_result_is_404(respond: Respond, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        await respond(tmp_path, stat_result=os.stat(tmp_path))


async def test_bad_arguments(respond: Respond, text_file: Path) -> None:
    with pytest.raises(ValueError, match="chunk_size"):
        await respond(text_file, chunk_size=0)
    with pytest.raises(TypeError, match="path"):
        await respond(os.fsencode(text_file))


# -- HEAD ------------------------------------------------------------------------------------


@pytest.mark.usefixtures("no_reads")
async def test_head_has_the_headers_and_does_not_read(
    respond: Respond, big_file: Path, data: bytes
) -> None:
    channel = await respond(big_file, method="HEAD")
    assert channel.status == 200
    assert channel.header("content-length") == str(len(data))
    assert channel.header("etag") == make_etag(os.stat(big_file))
    assert channel.body == b""


@pytest.mark.usefixtures("no_reads")
async def test_head_with_a_stat_does_not_even_open(
    respond: Respond, big_file: Path, fd_tracker: set[int]
) -> None:
    opened: list[int] = []
    real_open = os.open

    def counting_open(*args: Any, **kwargs: Any) -> int:
        fd = real_open(*args, **kwargs)
        opened.append(fd)
        return fd

    os.open = counting_open  # restored by fd_tracker's monkeypatch
    channel = await respond(
        big_file, method="HEAD", stat_result=os.stat(big_file), headers=[("range", "bytes=0-1")]
    )
    assert channel.status == 200  # Range is for GET only
    assert channel.body == b"" and opened == []


# -- conditional requests ------------------------------------------------------------------------


@pytest.mark.usefixtures("no_reads")
@pytest.mark.parametrize("method", ["GET", "HEAD"])
async def test_if_none_match_gives_304(respond: Respond, text_file: Path, method: str) -> None:
    etag = make_etag(os.stat(text_file))
    channel = await respond(
        text_file, method=method, headers=[("if-none-match", f'"other", W/{etag}')]
    )
    assert channel.status == 304
    assert channel.body == b""
    assert channel.header("etag") == etag
    assert channel.header("last-modified") == "Sun, 06 Nov 1994 08:49:37 GMT"
    assert channel.header("content-length") is None


@pytest.mark.usefixtures("no_reads")
async def test_if_modified_since_gives_304(respond: Respond, text_file: Path) -> None:
    channel = await respond(
        text_file, headers=[("if-modified-since", "Sun, 06 Nov 1994 08:49:37 GMT")]
    )
    assert channel.status == 304


async def test_stale_etag_beats_a_matching_date(respond: Respond, text_file: Path) -> None:
    """Starlette #3052: If-Modified-Since is ignored when If-None-Match is present."""
    headers = [("if-none-match", '"stale"'), ("if-modified-since", "Sun, 06 Nov 1994 08:49:37 GMT")]
    channel = await respond(text_file, headers=headers)
    assert (channel.status, channel.body) == (200, b"Hello, world!\n")


async def test_two_if_modified_since_lines_are_ignored(respond: Respond, text_file: Path) -> None:
    date = "Sun, 06 Nov 1994 08:49:37 GMT"
    channel = await respond(
        text_file, headers=[("if-modified-since", date), ("if-modified-since", date)]
    )
    assert channel.status == 200


@pytest.mark.usefixtures("no_reads")
@pytest.mark.parametrize(
    "headers",
    [
        [("if-match", '"nope"')],
        [("if-match", 'W/"x"')],
        [("if-unmodified-since", "Sat, 05 Nov 1994 08:49:37 GMT")],
        [("if-match", '"nope"'), ("range", "bytes=0-1")],
    ],
)
async def test_failed_preconditions_give_412(
    respond: Respond, text_file: Path, headers: Any
) -> None:
    channel = await respond(text_file, headers=headers)
    assert channel.status == 412
    assert channel.body == b""


async def test_if_match_list_spread_over_lines(respond: Respond, text_file: Path) -> None:
    etag = make_etag(os.stat(text_file))
    channel = await respond(text_file, headers=[("if-match", '"a"'), ("if-match", etag)])
    assert channel.status == 200


# -- ranges ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-0", 0, 0),
        ("bytes=10-19", 10, 19),
        ("bytes=-5", None, None),
        ("bytes=1000000-", 1000000, None),
    ],
)
async def test_single_range_is_206(
    respond: Respond, big_file: Path, data: bytes, header: str, first: int | None, last: int | None
) -> None:
    size = len(data)
    if first is None:
        first = size - 5
    if last is None:
        last = size - 1
    channel = await respond(big_file, headers=[("range", header)], chunk_size=CHUNK)
    assert channel.status == 206
    assert channel.header("content-range") == f"bytes {first}-{last}/{size}"
    assert channel.header("content-length") == str(last - first + 1)
    assert channel.header("content-type") == "application/octet-stream"
    assert channel.body == data[first : last + 1]


async def test_large_single_range_streams(respond: Respond, big_file: Path, data: bytes) -> None:
    channel = await respond(big_file, headers=[("range", "bytes=100-900099")], chunk_size=CHUNK)
    assert channel.status == 206
    assert channel.body == data[100:900100]
    assert len(body_messages(channel)) > 10


def expected_multipart(
    boundary: str, part_type: str, data: bytes, ranges: list[tuple[int, int]]
) -> bytes:
    out = b""
    for first, last in ranges:
        out += (
            (
                f"--{boundary}\r\nContent-Type: {part_type}\r\n"
                f"Content-Range: bytes {first}-{last}/{len(data)}\r\n\r\n"
            ).encode()
            + data[first : last + 1]
            + b"\r\n"
        )
    return out + f"--{boundary}--\r\n".encode()


@pytest.mark.parametrize("chunk_size", [CHUNK, 7, 1 << 20])
async def test_multiple_ranges_are_multipart_byteranges(
    respond: Respond, big_file: Path, data: bytes, chunk_size: int
) -> None:
    header = "bytes=500-999, -10, 0-99, 50-150, 200000-399999"
    channel = await respond(big_file, headers=[("range", header)], chunk_size=chunk_size)
    assert channel.status == 206
    content_type = channel.header("content-type") or ""
    match = re.fullmatch(r"multipart/byteranges; boundary=([0-9a-f]{32})", content_type)
    assert match is not None, content_type
    assert channel.header("content-range") is None  # only the parts carry one
    size = len(data)
    ranges = [(0, 150), (500, 999), (200000, 399999), (size - 10, size - 1)]  # sorted, merged
    expected = expected_multipart(match.group(1), "application/octet-stream", data, ranges)
    assert channel.body == expected
    assert channel.header("content-length") == str(len(expected))


async def test_multipart_parts_of_a_text_file_carry_the_charset(
    respond: Respond, text_file: Path
) -> None:
    channel = await respond(text_file, headers=[("range", "bytes=0-0,7-11")])
    boundary = (channel.header("content-type") or "").rpartition("=")[2]
    expected = expected_multipart(
        boundary, "text/plain; charset=utf-8", b"Hello, world!\n", [(0, 0), (7, 11)]
    )
    assert channel.body == expected


@pytest.mark.usefixtures("no_reads")
@pytest.mark.parametrize(
    "header",
    [
        "bytes=14-",
        "bytes=5-4",
        "bytes=-0",
        "bytes=x",
        "bytes=" + "1-" * 10000,
        "bytes=0-,20000000000000000000-10000000000000000000",  # issue 10: was 206, whole file
    ],
)
async def test_unsatisfiable_range_is_416(respond: Respond, text_file: Path, header: str) -> None:
    channel = await respond(text_file, headers=[("range", header)])
    assert channel.status == 416
    assert channel.header("content-range") == "bytes */14"
    assert channel.body == b""


@pytest.mark.parametrize(
    "headers",
    [
        [("range", "items=0-1")],  # unknown unit
        [("range", "bytes=" + ",".join(f"{i}-{i}" for i in range(0, 2000, 2)))],  # > 100 ranges
        [("range", "bytes=0-1"), ("range", "bytes=2-3")],  # two fields
        [("range", "bytes=0-1"), ("if-range", '"stale"')],
        [("range", "bytes=0-1"), ("if-range", "Sat, 05 Nov 1994 08:49:37 GMT")],
    ],
)
async def test_ignored_range_sends_the_whole_file(
    respond: Respond, text_file: Path, headers: Any
) -> None:
    channel = await respond(text_file, headers=headers)
    assert (channel.status, channel.body) == (200, b"Hello, world!\n")


async def test_range_on_post_is_ignored(respond: Respond, text_file: Path) -> None:
    channel = await respond(text_file, method="POST", headers=[("range", "bytes=0-1")])
    assert (channel.status, channel.body) == (200, b"Hello, world!\n")


@pytest.mark.parametrize("if_range", ["etag", "Sun, 06 Nov 1994 08:49:37 GMT"])
async def test_if_range_that_matches_allows_the_range(
    respond: Respond, text_file: Path, if_range: str
) -> None:
    value = make_etag(os.stat(text_file)) if if_range == "etag" else if_range
    channel = await respond(text_file, headers=[("range", "bytes=0-4"), ("if-range", value)])
    assert (channel.status, channel.body) == (206, b"Hello")


async def test_range_on_an_empty_file(respond: Respond, tmp_path: Path) -> None:
    path = tmp_path / "empty"
    path.write_bytes(b"")
    channel = await respond(path, headers=[("range", "bytes=0-")])
    assert (channel.status, channel.header("content-range")) == (416, "bytes */0")
    channel = await respond(path, headers=[("range", "bytes=-5")])
    assert (channel.status, channel.body) == (200, b"")


# -- pathsend ----------------------------------------------------------------------------------


async def test_pathsend_is_used_when_offered(
    respond: Respond, big_file: Path, data: bytes, fd_tracker: set[int]
) -> None:
    opened_before = set(fd_tracker)
    relative = os.path.relpath(big_file)  # noqa: ASYNC240 - sent as absolute
    channel = await respond(relative, extensions=PATHSEND)
    assert channel.status == 200
    assert channel.header("content-length") == str(len(data))
    assert channel.sent[-1] == {"type": "http.response.pathsend", "path": str(big_file)}
    assert fd_tracker == opened_before  # the server opens it, we did not keep anything


@pytest.mark.usefixtures("no_reads")
async def test_pathsend_is_used_for_small_files_too(respond: Respond, text_file: Path) -> None:
    channel = await respond(text_file, extensions=PATHSEND)
    assert channel.sent[-1]["type"] == "http.response.pathsend"


async def test_pathsend_not_used_for_ranges_head_or_304(
    respond: Respond, big_file: Path, data: bytes
) -> None:
    channel = await respond(big_file, extensions=PATHSEND, headers=[("range", "bytes=1-2")])
    assert (channel.status, channel.body) == (206, data[1:3])
    channel = await respond(big_file, extensions=PATHSEND, method="HEAD")
    assert all(m["type"] != "http.response.pathsend" for m in channel.sent)
    etag = make_etag(os.stat(big_file))
    channel = await respond(big_file, extensions=PATHSEND, headers=[("if-none-match", etag)])
    assert channel.status == 304 and all(
        m["type"] != "http.response.pathsend" for m in channel.sent
    )


async def test_pathsend_of_a_missing_file_is_404(respond: Respond, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        await respond(tmp_path / "nope", extensions=PATHSEND)


# -- the file is always closed -----------------------------------------------------------------


async def test_file_closed_after_every_kind_of_answer(
    respond: Respond, big_file: Path, fd_tracker: set[int]
) -> None:
    etag = make_etag(os.stat(big_file))
    for method, headers in [
        ("GET", []),
        ("HEAD", []),
        ("GET", [("if-none-match", etag)]),
        ("GET", [("if-match", '"x"')]),
        ("GET", [("range", "bytes=0-10")]),
        ("GET", [("range", "bytes=0-10,20-30")]),
        ("GET", [("range", "bytes=99999999-")]),
    ]:
        await respond(big_file, method=method, headers=headers, chunk_size=CHUNK)
        assert not fd_tracker, (method, headers)


class FailingSend(Channel):
    """A channel whose send fails (as a gone client's does under ASGI 2.4) after
    ``good`` body messages."""

    def __init__(self, good: int) -> None:
        super().__init__([{"type": "http.request", "body": b"", "more_body": False}])
        self.good = good

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.body":
            if self.good == 0:
                raise OSError("connection reset")
            self.good -= 1
        await super().send(message)


@pytest.mark.parametrize("good", [0, 1, 3])
async def test_file_closed_when_send_fails(big_file: Path, fd_tracker: set[int], good: int) -> None:
    channel = FailingSend(good)
    request = Request(http_scope("GET", "/"), channel.receive, channel.send)
    with pytest.raises(ClientDisconnectedError):
        await request.respond_file(big_file, chunk_size=CHUNK)
    assert not fd_tracker
    assert len(body_messages(channel)) == good


@pytest.mark.parametrize("spec_version", ["2.3", "2.4"])
@pytest.mark.parametrize("stall_after", [0, 3])
async def test_file_closed_when_client_disconnects(
    big_file: Path, fd_tracker: set[int], spec_version: str, stall_after: int
) -> None:
    """The client stops reading (send blocks, as a server's does under back-pressure),
    then goes away: the disconnect stops the stream and the file is closed."""
    channel = Channel.with_body()
    sent_chunks = 0
    never: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def send(message: Message) -> None:
        nonlocal sent_chunks
        await channel.send(message)
        if message["type"] == "http.response.body":
            sent_chunks += 1
            if sent_chunks > stall_after:
                channel.disconnect()
                await never

    scope = http_scope("GET", "/", spec_version=spec_version)
    request = Request(scope, channel.receive, send)
    with pytest.raises(ClientDisconnectedError):
        await request.respond_file(big_file, chunk_size=CHUNK)
    assert not fd_tracker
    assert sent_chunks == stall_after + 1


async def test_file_that_shrinks_while_sent(tmp_path: Path, fd_tracker: set[int]) -> None:
    path = tmp_path / "shrinks.bin"
    path.write_bytes(b"x" * (CHUNK * 8))
    channel = Channel.with_body()

    async def send(message: Message) -> None:
        await channel.send(message)
        if message["type"] == "http.response.body":
            os.truncate(path, CHUNK)

    request = Request(http_scope("GET", "/"), channel.receive, send)
    with pytest.raises(FileChangedError, match="promised"):
        await request.respond_file(path, chunk_size=CHUNK)
    assert not fd_tracker


@pytest.mark.skipif(sys.platform != "linux", reason="counts descriptors in /proc/self/fd")
async def test_no_descriptor_leaks_over_many_requests(respond: Respond, big_file: Path) -> None:
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(50):
        await respond(big_file, headers=[("range", "bytes=0-1,5-6")])
    assert len(os.listdir("/proc/self/fd")) <= before


async def test_cancel_during_a_read_closes_the_file_before_returning(
    big_file: Path, fd_tracker: set[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cancel that lands while a worker thread reads: the call waits for that read and
    closes the file before it ends, instead of leaving the descriptor to the thread."""
    started, gate = threading.Event(), threading.Event()
    real_pread = os.pread

    def gated_pread(fd: int, count: int, offset: int) -> bytes:
        started.set()
        gate.wait()
        return real_pread(fd, count, offset)

    monkeypatch.setattr(os, "pread", gated_pread)
    channel = Channel.with_body()
    request = Request(http_scope("GET", "/"), channel.receive, channel.send)
    task = asyncio.ensure_future(request.respond_file(big_file, chunk_size=CHUNK))
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, started.wait)  # a read is blocked in a worker
    task.cancel()
    # However long the loop runs, the call is still waiting for that read (it returned
    # at once, leaving the descriptor to the thread, when the read's future was awaited
    # unshielded and nothing waited for the worker after the cancel).
    try:
        for _ in range(50):
            await asyncio.sleep(0)
        assert not task.done()
    finally:
        gate.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not fd_tracker


async def test_a_read_that_starts_after_the_cancel_finds_the_file_closed(
    big_file: Path, fd_tracker: set[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cancel that lands while a read's worker has started but not yet taken the
    file: the call closes the file before it ends, and that read reads nothing."""
    from asgikit.files import _respond

    started, gate, finished = threading.Event(), threading.Event(), threading.Event()
    outcomes: list[str] = []
    real_read = _respond._File.read

    def late_read(self: Any, pieces: Any) -> bytes:
        if started.is_set():
            return real_read(self, pieces)
        started.set()
        gate.wait()  # the worker runs, but has not taken the file's lock yet
        try:
            data = real_read(self, pieces)
        except FileChangedError:
            outcomes.append("found it closed")
            raise
        finally:
            finished.set()
        outcomes.append("read")
        return data

    monkeypatch.setattr(_respond._File, "read", late_read)
    channel = Channel.with_body()
    request = Request(http_scope("GET", "/"), channel.receive, channel.send)
    task = asyncio.ensure_future(request.respond_file(big_file, chunk_size=CHUNK))
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, started.wait)
    task.cancel()
    try:
        with pytest.raises(asyncio.CancelledError):
            await task
        assert not fd_tracker  # closed before the call ended
    finally:
        gate.set()
    await loop.run_in_executor(None, finished.wait)  # the late read ends in its worker
    assert outcomes == ["found it closed"]


@pytest.mark.parametrize("prefetch", [False, True])
async def test_cancel_during_the_open_closes_what_it_opened(
    big_file: Path, fd_tracker: set[int], monkeypatch: pytest.MonkeyPatch, prefetch: bool
) -> None:
    """A cancel that lands while a worker thread opens the file: the call ends at once,
    and the descriptor that worker opens is closed when it returns, not leaked."""
    from concurrent.futures import ThreadPoolExecutor

    started, gate = threading.Event(), threading.Event()
    real_fstat = os.fstat

    def gated_fstat(fd: int) -> os.stat_result:
        started.set()
        gate.wait()
        return real_fstat(fd)

    monkeypatch.setattr(os, "fstat", gated_fstat)
    loop = asyncio.get_running_loop()
    # One worker: a job submitted after the open runs once the open has returned.
    workers, waiter = ThreadPoolExecutor(1), ThreadPoolExecutor(1)
    loop.set_default_executor(workers)
    channel = Channel.with_body()
    request = Request(http_scope("GET", "/"), channel.receive, channel.send)
    # A file of at most chunk_size bytes is read whole in the opening call (prefetch).
    chunk_size = 1 << 30 if prefetch else CHUNK
    task = asyncio.ensure_future(request.respond_file(big_file, chunk_size=chunk_size))
    try:
        await loop.run_in_executor(waiter, started.wait)  # the open is blocked in a worker
        assert fd_tracker
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    finally:
        gate.set()
    await loop.run_in_executor(None, lambda: None)  # the open has returned
    assert not fd_tracker
    waiter.shutdown()


# -- one set of options: FileOptions ----------------------------------------------------------
# Each "# type: ignore[...]" below asserts a type error as well: the tests are checked by
# mypy --strict, whose warn_unused_ignores fails the run if mypy no longer sees it.


async def test_a_misspelled_option_is_a_type_error_and_a_typeerror(text_file: Path) -> None:
    channel = Channel.with_body()
    request = Request(http_scope("GET", "/file"), channel.receive, channel.send)
    unexpected = r"^respond_file\(\) got an unexpected keyword argument 'chunk_sise'$"
    with pytest.raises(TypeError, match=unexpected):
        await respond_file(request, text_file, chunk_sise=10)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=unexpected):
        await request.respond_file(text_file, chunk_sise=10)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        await request.respond_file(text_file, chunk_size="10")  # type: ignore[arg-type]
    assert channel.sent == []


async def test_every_declared_option_is_taken(text_file: Path, respond: Respond) -> None:
    options: FileOptions = {
        "status": 404,
        "media_type": "application/x-test",
        "download_name": "x.txt",
        "stat_result": await asyncio.to_thread(text_file.stat),
        "chunk_size": 4,
        "max_ranges": 1,
    }
    assert set(options) == FileOptions.__optional_keys__
    channel = await respond(text_file, **options)
    assert (channel.status, channel.body) == (404, b"Hello, world!\n")
    assert channel.header("content-type") == "application/x-test"
    assert channel.header("content-disposition") == 'attachment; filename="x.txt"'
    chunks = [m["body"] for m in body_messages(channel) if m["body"]]
    assert chunks == [b"Hell", b"o, w", b"orld", b"!\n"]  # chunk_size=4
