"""Uploaded files: memory then disk, never on the event loop thread, never left behind."""

from __future__ import annotations

import gc
import hashlib
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from asgikit.errors import ContentTooLargeError, InvalidFormError, StateError
from asgikit.forms import UploadedFile, read_form
from asgikit.requests import Request
from asgikit.testing import http_scope

B = "asgikit-test-boundary-7f3a"
CT = f"multipart/form-data; boundary={B}"

MiB = 1024 * 1024


def chunked(body: bytes, size: int = 65536) -> list[bytes]:
    return [body[i : i + size] for i in range(0, len(body), size)]


async def upload_of(make_request: Any, encode: Any, content: bytes, **options: Any) -> Any:
    body = encode([("f", ("data.bin", "application/octet-stream", content))])
    form = await read_form(make_request(chunked(body), CT), **options)
    upload = form["f"]
    assert isinstance(upload, UploadedFile)
    return form, upload


@pytest.mark.parametrize(("size", "in_memory"), [(999, True), (1000, True), (1001, False)])
async def test_spool_threshold(
    make_request: Any, encode: Any, spool_dir: Path, size: int, in_memory: bool
) -> None:
    content = bytes(range(256)) * (size // 256) + b"z" * (size % 256)
    form, upload = await upload_of(
        make_request, encode, content, spool_threshold=1000, spool_dir=spool_dir
    )
    async with form:
        assert upload.in_memory is in_memory
        assert upload.size == size
        assert await upload.read() == content


async def test_spill_never_runs_on_the_event_loop(
    make_request: Any, encode: Any, thread_recorder: Any
) -> None:
    # Starlette CVE-2025-54121: the write that crosses the threshold rolled the file over
    # on the loop thread. Here creation and every write happen in a worker thread.
    loop_thread = threading.get_ident()
    content = b"a" * (5 * MiB + 123)
    form, upload = await upload_of(make_request, encode, content)
    async with form:
        assert not upload.in_memory
        assert thread_recorder.created_on and thread_recorder.writes_on
        assert loop_thread not in thread_recorder.created_on
        assert loop_thread not in thread_recorder.writes_on
        # At most one thread write per 64 KiB network chunk.
        assert len(thread_recorder.writes_on) <= 2 + 5 * MiB // (64 * 1024) + 1
        digest = hashlib.sha256()
        async for chunk in upload:
            digest.update(chunk)
        assert digest.digest() == hashlib.sha256(content).digest()


@pytest.mark.parametrize(
    "how", ["async for", "chunks(4096)", "chunks(3 MiB)", "read(1000)", "read(-1)"]
)
async def test_reads_from_disk_go_to_a_thread_in_1_mib_batches(
    make_request: Any, encode: Any, thread_recorder: Any, how: str
) -> None:
    """Small reads of a spooled file are served from 1 MiB batches, one thread hop each."""
    loop_thread = threading.get_ident()
    content = bytes(range(251)) * (8 * MiB // 251 + 1)
    content = content[: 8 * MiB]
    form, upload = await upload_of(make_request, encode, content)
    async with form:
        assert not upload.in_memory
        pieces = []
        if how == "async for":
            pieces = [chunk async for chunk in upload]
            assert {len(chunk) for chunk in pieces} == {64 * 1024}
        elif how.startswith("chunks"):
            size = 4096 if how == "chunks(4096)" else 3 * MiB
            pieces = [chunk async for chunk in upload.chunks(size)]
        else:
            size = 1000 if how == "read(1000)" else -1
            while piece := await upload.read(size):
                pieces.append(piece)
        assert b"".join(pieces) == content
        assert loop_thread not in thread_recorder.reads_on
        assert len(thread_recorder.reads_on) <= 8 + 1


async def test_reads_after_seek_and_writes_after_reads(spool_dir: Path) -> None:
    content = bytes(range(256)) * (3 * MiB // 256)
    async with UploadedFile("f", "a.bin", spool_threshold=0, spool_dir=spool_dir) as upload:
        await upload.write(content)
        await upload.finish()
        assert await upload.read(10) == content[:10]
        await upload.seek(2 * MiB)
        assert await upload.read(5) == content[2 * MiB : 2 * MiB + 5]
        await upload.seek(3)
        assert await upload.read(4) == content[3:7]
        # Written bytes go at the end, never over what a read moved past.
        await upload.write(b"tail")
        await upload.finish()
        assert await upload.read() == content + b"tail"
        await upload.seek(len(content) - 2)
        assert await upload.read(100) == content[-2:] + b"tail"


async def test_read_seek_tell_chunks(make_request: Any, encode: Any, spool_dir: Path) -> None:
    content = bytes(range(256)) * 40
    for threshold in (0, 1 * MiB):
        form, upload = await upload_of(
            make_request, encode, content, spool_threshold=threshold, spool_dir=spool_dir
        )
        async with form:
            assert await upload.read(10) == content[:10]
            assert upload.tell() == 10
            assert await upload.read(5) == content[10:15]
            assert await upload.seek(0) == 0
            assert b"".join([c async for c in upload.chunks(1000)]) == content
            assert await upload.read() == b""
            await upload.seek(len(content) - 3)
            assert await upload.read() == content[-3:]
            with pytest.raises(ValueError, match="negative"):
                await upload.seek(-1)


async def test_save(make_request: Any, encode: Any, spool_dir: Path, tmp_path: Path) -> None:
    content = b"0123456789" * 300_000
    for threshold in (0, 10 * MiB):
        form, upload = await upload_of(
            make_request, encode, content, spool_threshold=threshold, spool_dir=spool_dir
        )
        async with form:
            target = tmp_path / f"saved-{threshold}.bin"
            assert await upload.save(target) == len(content)
            assert target.read_bytes() == content
            assert await upload.read(3) == b"012"  # save() does not move the position


async def test_close_removes_the_temporary_file(
    make_request: Any, encode: Any, spool_dir: Path, open_files: Any
) -> None:
    form, upload = await upload_of(
        make_request, encode, b"x" * 5000, spool_threshold=10, spool_dir=spool_dir
    )
    assert len(open_files(spool_dir)) == 1
    assert os.listdir(spool_dir) == []  # the temporary file never had a name
    await form.close()
    assert open_files(spool_dir) == []
    assert upload.closed
    with pytest.raises(StateError, match="closed"):
        await upload.read()
    await upload.close()  # twice is fine


async def test_a_forgotten_form_leaves_nothing(
    make_request: Any, encode: Any, spool_dir: Path, open_files: Any
) -> None:
    form, upload = await upload_of(
        make_request, encode, b"x" * 5000, spool_threshold=10, spool_dir=spool_dir
    )
    del form, upload
    gc.collect()
    assert open_files(spool_dir) == []


@pytest.mark.parametrize(
    "failure",
    ["file too large", "field too large", "truncated", "too many files"],
)
async def test_errors_close_every_temporary_file(
    make_request: Any, encode: Any, spool_dir: Path, open_files: Any, failure: str
) -> None:
    files = [(f"f{i}", (f"{i}.bin", "x/y", b"z" * 5000)) for i in range(3)]
    options: dict[str, Any] = {"spool_threshold": 100, "spool_dir": spool_dir}
    error: type[Exception] = ContentTooLargeError
    if failure == "file too large":
        body = encode([*files, ("big", ("big.bin", "x/y", b"z" * 20000))])
        options["max_file_size"] = 10000
    elif failure == "field too large":
        body = encode([*files, ("text", "t" * 20000)])
        options["max_field_size"] = 10000
    elif failure == "truncated":
        body = encode(files)[:-10]
        error = InvalidFormError
    else:
        body = encode(files * 2)
        options["max_files"] = 4
    with pytest.raises(error):
        await read_form(make_request(chunked(body, 4096), CT), **options)
    assert open_files(spool_dir) == []


async def test_uploaded_file_as_context_manager(spool_dir: Path, open_files: Any) -> None:
    async with UploadedFile("f", "a.txt", spool_threshold=0, spool_dir=spool_dir) as upload:
        await upload.write(b"abc")
        await upload.write(b"def")
        await upload.finish()
        assert await upload.read() == b"abcdef"
        assert upload.content_type == "application/octet-stream"
        assert "a.txt" in repr(upload)
    assert open_files(spool_dir) == []


# -- memory per upload -------------------------------------------------------------------


def fresh_upload(size: int, chunk: int = 64 * 1024) -> Request:
    """A request whose body, a file of ``size`` bytes, arrives in new ``bytes`` objects
    per message, as from a socket, so that holding them costs memory."""
    head = f'--{B}\r\nContent-Disposition: form-data; name="f"; filename="f.bin"\r\n\r\n'
    pieces = [head.encode(), *([chunk] * (size // chunk)), f"\r\n--{B}--\r\n".encode()]
    queue = iter(pieces)

    async def receive() -> dict[str, Any]:
        piece = next(queue, b"")
        body = bytes(piece) if isinstance(piece, int) else piece
        return {"type": "http.request", "body": body, "more_body": bool(body)}

    async def send(message: Any) -> None:
        raise AssertionError("nothing is sent")

    scope = http_scope("POST", "/", headers=[("content-type", CT)])
    return Request(scope, receive, send)


async def peak_while(run: Any) -> int:
    """The most bytes Python held at once, above what it held before, while ``run`` ran."""
    import tracemalloc

    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        await run()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("threshold", [0, 64 * 1024, 1 * MiB])
async def test_an_upload_holds_little(spool_dir: Path, threshold: int) -> None:
    # 200 concurrent uploads held about 2 MiB each: a full 1 MiB write batch once on
    # disk, over-allocated bytearrays before. Now an upload holds its first
    # spool_threshold bytes, or a 128 KiB write batch, and a chunk or two: a fixed cost
    # measured on a small upload is taken off, and an 8 MiB one must add less than that
    # with room for what asyncio and the worker threads hold now and then (old: 2.1 MiB).
    async def run(size: int) -> None:
        request = fresh_upload(size)
        async with await read_form(request, spool_threshold=threshold, spool_dir=spool_dir):
            pass

    base = await peak_while(lambda: run(64 * 1024))
    assert await peak_while(lambda: run(8 * MiB)) - base < max(threshold, 64 * 1024) + 768 * 1024


async def test_part_save_holds_little(tmp_path: Path) -> None:
    from asgikit.forms import iter_parts

    async def run(size: int) -> None:
        async for part in iter_parts(fresh_upload(size)):
            await part.save(tmp_path / "out.bin")

    base = await peak_while(lambda: run(64 * 1024))
    assert await peak_while(lambda: run(8 * MiB)) - base < 64 * 1024 + 768 * 1024
    assert (tmp_path / "out.bin").stat().st_size == 8 * MiB


async def test_small_chunks_are_written_in_batches(
    make_request: Any, encode: Any, thread_recorder: Any
) -> None:
    # A slow client's 4 KiB chunks go to the disk 128 KiB at a time, not one thread call
    # each (a thread call costs the event loop far more than the write costs the disk).
    content = b"a" * (2 * MiB)
    body = encode([("f", ("data.bin", "application/octet-stream", content))])
    request = make_request(chunked(body, 4096), CT)
    async with await read_form(request, spool_threshold=0) as form:
        upload = form["f"]
        assert isinstance(upload, UploadedFile) and upload.size == len(content)
        assert len(thread_recorder.writes_on) <= 2 + 2 * MiB // (128 * 1024) + 1
