"""Uploaded files: in memory while small, then in an anonymous temporary file.

Every disk operation (creating the file, the write that crosses the spool threshold,
later writes, reads, seeks, copies, close) runs in a worker thread, so the event loop
never waits on the disk (Starlette CVE-2025-54121). Writes after the spill are batched
into :data:`WRITE_BATCH`-sized (128 KiB) thread calls instead of one per chunk, and reads
fetch at least :data:`READ_BATCH` bytes per thread call, which smaller reads are then
served from.
The files of one form share its memory budget through a :class:`FormSpool`, which
decides when they move to disk to make room.
The temporary file has no name on disk (``tempfile.TemporaryFile``): nothing is left
behind when it is closed, when the form is garbage-collected, or when the process dies.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from typing import IO, Final

from asgikit.errors import StateError
from asgikit.forms._limits import DEFAULT_SPOOL_THRESHOLD, memory_too_large
from asgikit.multivalue import MultiValueDict

__all__ = ["FormSpool", "UploadedFile"]

# What a file on disk holds back before one thread call writes it out. Every concurrent
# upload holds up to this much between writes, so it is small: with 1 MiB, 200
# concurrent 10 MB uploads held about 2 MiB each. But a thread call costs the event
# loop about 135,000 instructions (asyncio's executor machinery, pure Python), far more
# than the write costs: at 32 KiB, every 64 KiB network chunk took one, and the 5 MB
# multipart benchmark spent two thirds of its instructions on them. At 128 KiB the
# number of calls halves for 64 KiB chunks (a chunk of 128 KiB or more still goes out
# at once) and benchmarks/upload_memory.py measures the same memory per upload as at
# 32 KiB (0.40 MiB, httpx client); at 256 KiB it grew to 0.54 MiB.
WRITE_BATCH: Final = 128 * 1024
READ_BATCH: Final = 1024 * 1024
READ_CHUNK: Final = 64 * 1024  # what chunks() hands out by default, sliced from a batch
_COPY_BUFFER: Final = 1024 * 1024


class UploadedFile:
    """A file that came in a multipart form.

    ``filename`` is the client's name reduced to a safe base name (see
    :func:`asgikit.forms.safe_filename`); ``content_type`` the part's media type
    (``application/octet-stream`` when the client gave none); ``headers`` the part's
    headers by lower-cased name. The content is read with :meth:`read`, iterated with
    ``async for chunk in file`` or :meth:`chunks`, and copied with :meth:`save`.

    Files larger than ``spool_threshold`` live in an unnamed temporary file that is
    removed by :meth:`close` (or by the garbage collector as a last resort).
    """

    __slots__ = (
        "_batch",
        "_batch_offset",
        "_closed",
        "_dir",
        "_file",
        "_memory",
        "_pending",
        "_pending_size",
        "_position",
        "_size",
        "_spool",
        "_threshold",
        "content_type",
        "filename",
        "headers",
        "name",
    )

    def __init__(
        self,
        name: str,
        filename: str,
        content_type: str | None = None,
        headers: MultiValueDict[str] | None = None,
        *,
        spool_threshold: int = DEFAULT_SPOOL_THRESHOLD,
        spool_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        self.name = name
        self.filename = filename
        self.content_type = content_type or "application/octet-stream"
        self.headers: MultiValueDict[str] = headers if headers is not None else MultiValueDict()
        self._threshold = spool_threshold
        self._dir = spool_dir
        # The memory budget this file shares with the rest of its form (FormSpool).
        self._spool: FormSpool | None = None
        # The chunks as they came: no copy per chunk and no over-allocation, so a file in
        # memory holds its size and no more. Joined into one on the first read.
        self._memory: list[bytes] | None = []
        self._file: IO[bytes] | None = None
        self._pending: list[bytes] = []
        self._pending_size = 0
        # The last batch read from disk and where it starts in the file.
        self._batch = b""
        self._batch_offset = 0
        self._size = 0
        self._position = 0
        self._closed = False

    def __repr__(self) -> str:
        return (
            f"<UploadedFile {self.name!r} filename={self.filename!r} "
            f"content_type={self.content_type!r} size={self._size}>"
        )

    @property
    def size(self) -> int:
        """The size in bytes."""
        return self._size

    @property
    def in_memory(self) -> bool:
        """Whether the content is held in memory (``False`` once spilled to disk)."""
        return self._file is None

    @property
    def closed(self) -> bool:
        return self._closed

    # -- writing (the form reader) -------------------------------------------------------

    async def write(self, data: bytes) -> None:
        """Append ``data``. The form reader calls this; applications rarely need to."""
        self._check_open()
        size = len(data)
        if not size:
            return
        memory = self._memory
        if memory is not None:
            after = self._size + size
            spool = self._spool
            if after <= self._threshold and (spool is None or spool.reserve(self, size)):
                memory.append(data if type(data) is bytes else bytes(data))
                self._size = after
                return
            # This write crosses the threshold, or the form's memory budget has no room
            # for it: the file is created and the memory copied in a worker thread,
            # never on the event loop.
            self._file = await asyncio.to_thread(self._spill, memory, data)
            self._memory = None
            if spool is not None:
                spool.release(self, self._size)
            self._size = after
            return
        self._pending.append(data)
        self._pending_size += size
        self._size += size
        if self._pending_size >= WRITE_BATCH:
            await self._flush()

    def _spill(self, memory: list[bytes], data: bytes) -> IO[bytes]:
        file = tempfile.TemporaryFile(dir=self._dir)  # noqa: SIM115 - closed by close()
        try:
            file.writelines(memory)
            file.write(data)
        except BaseException:
            file.close()
            raise
        return file

    async def _move_to_disk(self) -> None:
        # FormSpool.to_disk() calls this when a text field needs the room this file's
        # content takes in the form's memory budget, whatever its size.
        memory = self._memory
        if memory is not None:
            self._file = await asyncio.to_thread(self._spill, memory, b"")
            self._memory = None

    async def _flush(self) -> None:
        pending = self._pending
        if not pending:
            return
        self._pending = []
        self._pending_size = 0
        file = self._file
        assert file is not None  # pending data only exists after the spill
        await asyncio.to_thread(_append, file, pending)

    async def finish(self) -> None:
        """Write out what is still buffered and rewind; called when the part ends."""
        await self._flush()
        self._position = 0

    # -- reading -----------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise StateError(f"uploaded file {self.filename!r} is closed")

    async def read(self, size: int = -1) -> bytes:
        """Read up to ``size`` bytes from the current position (all of them if negative)."""
        self._check_open()
        if self._pending:
            await self._flush()
        start = self._position
        end = self._size if size < 0 else min(self._size, start + size)
        if end <= start:
            return b""
        memory = self._memory
        if memory is not None:
            data = _joined(memory)[start:end]
        else:
            data = await self._read_disk(start, end)
        self._position = start + len(data)
        return data

    async def _read_disk(self, start: int, end: int) -> bytes:
        # One thread hop per READ_BATCH bytes at least, however small the reads: the
        # batch is kept and the reads that fall inside it are sliced from it. Bytes once
        # written never change (writes append), so a kept batch stays true.
        batch, offset = self._batch, self._batch_offset
        if not offset <= start <= end <= offset + len(batch):
            batch = await asyncio.to_thread(self._read_at, start, max(end - start, READ_BATCH))
            offset = start
        if end - offset >= len(batch):  # used up: do not hold it any longer
            self._batch, self._batch_offset = b"", 0
        else:
            self._batch, self._batch_offset = batch, offset
        return batch[start - offset : end - offset]

    def _read_at(self, offset: int, size: int) -> bytes:
        file = self._file
        assert file is not None
        file.seek(offset)
        return file.read(size)

    async def seek(self, offset: int) -> int:
        """Move the read position to ``offset`` bytes from the start; return it."""
        self._check_open()
        if offset < 0:
            raise ValueError(f"negative seek position {offset}")
        self._position = min(offset, self._size)
        return self._position

    def tell(self) -> int:
        """The read position."""
        return self._position

    async def chunks(self, size: int = READ_CHUNK) -> AsyncIterator[bytes]:
        """Yield the content from the current position in chunks of ``size`` bytes
        (64 KiB by default). A file on disk is read 1 MiB or more per worker-thread call
        whatever ``size`` is."""
        if size <= 0:
            raise ValueError(f"chunk size must be positive, not {size}")
        while chunk := await self.read(size):
            yield chunk

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self.chunks()

    async def save(self, path: str | os.PathLike[str]) -> int:
        """Copy the whole content to ``path`` (created or truncated) in a worker thread;
        return the number of bytes written. The read position does not move."""
        self._check_open()
        if self._pending:
            await self._flush()
        memory = self._memory
        if memory is not None:
            return await asyncio.to_thread(_write_bytes, path, _joined(memory))
        return await asyncio.to_thread(self._copy_to, path)

    def _copy_to(self, path: str | os.PathLike[str]) -> int:
        file = self._file
        assert file is not None
        file.seek(0)
        with open(path, "wb") as out:
            shutil.copyfileobj(file, out, _COPY_BUFFER)
        return self._size

    # -- closing -------------------------------------------------------------------------

    async def close(self) -> None:
        """Release the content; a temporary file is closed (and so removed) in a worker
        thread. Closing twice is allowed."""
        file = self._release()
        if file is not None:
            await asyncio.to_thread(file.close)

    def _release(self) -> IO[bytes] | None:
        self._closed = True
        self._memory = None
        self._pending = []
        self._batch = b""
        file, self._file = self._file, None
        return file

    def close_now(self) -> None:
        """Close on the calling thread: for error paths that must not await."""
        file = self._release()
        if file is not None:
            file.close()

    async def __aenter__(self) -> UploadedFile:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def __del__(self) -> None:
        # Last resort for a form nobody closed: no ResourceWarning, no file left.
        file = self._file
        if file is not None:
            self._file = None
            file.close()


class FormSpool:
    """The files of one form being read, and the memory they share with its text fields.

    :func:`~asgikit.forms.read_form` holds a multipart form until it returns it: its
    text fields, and its files until they move to disk. Together they stay within
    ``limit`` (``max_memory_size``) bytes. A file whose next chunk would not fit moves
    to its temporary file before it takes the chunk, whatever its size (its
    :meth:`UploadedFile.write` asks :meth:`reserve`); a text field that needs the room
    moves every file in memory to disk (:meth:`add_text`, then :meth:`to_disk`); text
    alone over the limit is a 413.
    """

    __slots__ = ("_held", "_holders", "_text", "directory", "files", "limit", "threshold")

    def __init__(
        self, limit: int, threshold: int, directory: str | os.PathLike[str] | None
    ) -> None:
        self.limit = limit
        self.threshold = threshold
        self.directory = directory
        #: Every file opened for the form, in arrival order.
        self.files: list[UploadedFile] = []
        self._text = 0
        self._held = 0  # bytes of the files in memory
        self._holders: dict[UploadedFile, None] = {}  # the files in memory with content

    def open(
        self,
        name: str,
        filename: str,
        content_type: str | None,
        headers: MultiValueDict[str],
    ) -> UploadedFile:
        """A new, empty file of this form, spooled by its options and budget."""
        file = UploadedFile(
            name,
            filename,
            content_type,
            headers,
            spool_threshold=self.threshold,
            spool_dir=self.directory,
        )
        file._spool = self
        self.files.append(file)
        return file

    def add_text(self, size: int) -> bool:
        """Count ``size`` more bytes of text fields; a 413 once they alone are over the
        limit. True when they fit only if the files in memory go: call :meth:`to_disk`."""
        text = self._text + size
        self._text = text
        if text > self.limit:
            raise memory_too_large(self.limit)
        return text + self._held > self.limit

    async def to_disk(self) -> None:
        """Move every file that holds content in memory to its temporary file."""
        holders, self._holders = self._holders, {}
        self._held = 0
        for file in holders:
            await file._move_to_disk()

    def reserve(self, file: UploadedFile, size: int) -> bool:
        """Room for ``size`` more bytes of ``file`` in memory: True (and counted), or
        False, when the file must move to disk instead."""
        held = self._held + size
        if self._text + held > self.limit:
            return False
        self._held = held
        self._holders[file] = None
        return True

    def close(self) -> None:
        """The read is over: the files forget the spool. No reference cycle is left to
        keep a forgotten form's temporary files open until the garbage collector runs."""
        for file in self.files:
            file._spool = None
        self.files = []
        self._holders = {}

    def release(self, file: UploadedFile, size: int) -> None:
        """``file``, which held ``size`` bytes in memory, moved to disk on its own."""
        if file in self._holders:
            del self._holders[file]
            self._held -= size


def _joined(memory: list[bytes]) -> bytes:
    if len(memory) != 1:
        memory[:] = [b"".join(memory)]
    return memory[0]


def _append(file: IO[bytes], data: list[bytes]) -> None:
    # A read moved the file position: written bytes go at the end, not over the content.
    file.seek(0, os.SEEK_END)
    file.writelines(data)


def _write_bytes(path: str | os.PathLike[str], data: bytes) -> int:
    with open(path, "wb") as out:
        out.write(data)
    return len(data)
