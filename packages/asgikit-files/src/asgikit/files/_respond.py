"""Sending a file: the executor of a :class:`~asgikit.files._plan.FilePlan`.

:func:`~asgikit.files._plan.plan_file` decides the status, the headers and the layout
of the body without touching the file; this module owns the I/O. Disk work runs in the
loop's default executor, one hop per large chunk (opening, stat and, for a small file,
the whole read share one hop). The file is read with ``pread`` by a :class:`_File`,
which a worker thread and the event loop share: it is closed on every path, and never
while a worker still reads it.
"""

from __future__ import annotations

import asyncio
import os
import stat
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar, Unpack

from asgikit.errors import AsgikitError, NotFoundError
from asgikit.files._content import guess_media_type
from asgikit.files._plan import HEAD, MULTIPART, STATUS, WHOLE, Piece, plan_file
from asgikit.files._plan import joined as joined  # serve_static imports it from here
from asgikit.headers.range import DEFAULT_MAX_RANGES

if TYPE_CHECKING:
    from asgikit.requests import Request

__all__ = ["DEFAULT_CHUNK_SIZE", "FileChangedError", "FileOptions", "respond_file"]

DEFAULT_CHUNK_SIZE = 1024 * 1024
PATHSEND = "http.response.pathsend"

_T = TypeVar("_T")

OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
    # A FIFO put where a file was expected would block open() for ever; a regular file
    # does not care.
    | getattr(os, "O_NONBLOCK", 0)
)
_CONDITIONAL_HEADERS = (
    "range",
    "if-match",
    "if-none-match",
    "if-modified-since",
    "if-unmodified-since",
)


class FileOptions(TypedDict, total=False):
    """The options of :func:`respond_file` and ``Request.respond_file()``. A misspelled
    option is a type error, and a ``TypeError`` when the call runs."""

    #: The status of a whole-file answer (200); any other sends the whole file with
    #: that status, without preconditions, ranges or validators.
    status: int
    #: The Content-Type (``None``: guessed from the extension, see
    #: :func:`~asgikit.files.guess_media_type`).
    media_type: str | None
    #: Sent as ``Content-Disposition: attachment`` with this name (``None``: inline).
    download_name: str | None
    #: A stat of the path the caller already has, so the file is not stat'ed again.
    stat_result: os.stat_result | None
    #: Bytes per read of the file, and the size read whole in one go (1 MiB).
    chunk_size: int
    #: The most Range specs honoured; more get the whole file with 200 (100).
    max_ranges: int


_FILE_OPTIONS: frozenset[str] = FileOptions.__optional_keys__


def check_options(options: Mapping[str, object], known: frozenset[str], caller: str) -> None:
    """Refuse a keyword that is not an option of ``caller`` with the ``TypeError`` that
    Python raises for a function with that signature."""
    if not options.keys() <= known:
        name = next(name for name in options if name not in known)
        raise TypeError(f"{caller}() got an unexpected keyword argument {name!r}")


class FileChangedError(AsgikitError, RuntimeError):
    """The file became shorter while it was being sent, after its length went out in
    Content-Length; the response cannot be completed and the connection should close."""


def _pread(fd: int, count: int, offset: int) -> bytes:
    if hasattr(os, "pread"):
        return os.pread(fd, count, offset)
    os.lseek(fd, offset, os.SEEK_SET)  # pragma: no cover - Windows; one reader at a time
    return os.read(fd, count)  # pragma: no cover


def read_exact(fd: int, offset: int, count: int) -> bytes:
    """``count`` bytes at ``offset``; :class:`FileChangedError` if the file ends first."""
    data = _pread(fd, count, offset)
    if len(data) == count:
        return data
    parts = [data]
    got = len(data)
    while got < count:
        more = _pread(fd, count - got, offset + got)
        if not more:
            raise FileChangedError(
                f"the file ended at byte {offset + got} while {offset + count} were promised"
            )
        parts.append(more)
        got += len(more)
    return b"".join(parts)


class _File:
    """An open file descriptor read by worker threads and closed by the event loop.

    ``close()`` never blocks the loop: if a worker is reading (the client went away
    while a read-ahead was in flight), the worker closes the descriptor when its read
    returns. Closing twice is harmless.
    """

    __slots__ = ("_closing", "_fd", "_lock")

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._lock = threading.Lock()
        self._closing = False

    def read(self, pieces: Sequence[Piece]) -> bytes:
        """Build one chunk of the body from ``pieces``; runs in a worker thread."""
        try:
            with self._lock:
                fd = self._fd
                if fd < 0:
                    raise FileChangedError("the file was closed while a read was pending")
                if len(pieces) == 1:
                    only = pieces[0]
                    if not isinstance(only, bytes):
                        return read_exact(fd, only[0], only[1])
                return b"".join(
                    piece if isinstance(piece, bytes) else read_exact(fd, piece[0], piece[1])
                    for piece in pieces
                )
        finally:
            # close() sets _closing before trying the lock, so reading the flag after
            # releasing the lock cannot miss a close() that found the lock taken.
            if self._closing:
                self._close_if_free()

    def close(self) -> None:
        self._closing = True
        self._close_if_free()

    def close_when_idle(self) -> None:
        """Close the descriptor once no worker reads it; runs in a worker thread. Holding
        the lock while it closes, it leaves no moment in which a read that has not taken
        the lock yet could begin on the open descriptor: that read finds it closed."""
        self._closing = True
        with self._lock:
            fd = self._fd
            if fd >= 0:
                self._fd = -1
                os.close(fd)

    def _close_if_free(self) -> None:
        if self._lock.acquire(blocking=False):
            try:
                fd = self._fd
                if fd >= 0:
                    self._fd = -1
                    os.close(fd)
            finally:
                self._lock.release()


class Opened:
    """What an open gives back: the descriptor (or none), its stat, maybe its bytes."""

    __slots__ = ("data", "fd", "stat")

    def __init__(self, fd: int | None, stat_result: os.stat_result, data: bytes | None) -> None:
        self.fd = fd
        self.stat = stat_result
        self.data = data

    def close(self) -> None:
        fd, self.fd = self.fd, None
        if fd is not None:
            os.close(fd)


def not_found(exc: BaseException | None = None) -> NotFoundError:
    error = NotFoundError("no such file")
    error.__cause__ = exc
    return error


def open_regular(
    path: str, *, dir_fd: int | None = None, nofollow: bool = False, prefetch: int = 0
) -> Opened:
    """Open ``path`` and fstat the descriptor: a regular file or :class:`NotFoundError`.

    The stat comes from the descriptor, so headers describe the very file that is read
    even if the path is replaced meanwhile. A file of at most ``prefetch`` bytes is read
    whole in the same call (one thread hop for the common small GET).
    """
    flags = OPEN_FLAGS | (getattr(os, "O_NOFOLLOW", 0) if nofollow else 0)
    try:
        fd = os.open(path, flags, dir_fd=dir_fd)
    except (OSError, ValueError) as exc:  # ValueError: NUL in the path
        raise not_found(exc) from exc
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise not_found()
        data = read_exact(fd, 0, st.st_size) if 0 < st.st_size <= prefetch else None
    except BaseException:
        os.close(fd)
        raise
    return Opened(fd, st, data)


def stat_regular(path: str) -> os.stat_result:
    try:
        st = os.stat(path)
    except (OSError, ValueError) as exc:
        raise not_found(exc) from exc
    if not stat.S_ISREG(st.st_mode):
        raise not_found()
    return st


class _Handoff:
    """A worker's result on its way to the event loop, which may stop waiting for it:
    whichever of the two comes second closes the descriptor of a result nobody takes."""

    __slots__ = ("_abandoned", "_lock", "_result")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._abandoned = False
        self._result: object = None

    def run(self, func: Callable[..., _T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> _T:
        """Call ``func``; runs in a worker thread."""
        result = func(*args, **kwargs)
        with self._lock:
            abandoned = self._abandoned
            if not abandoned:
                self._result = result
        if abandoned:
            _close_unclaimed(result)
        return result

    def abandon(self) -> None:
        """The caller was cancelled: close what the worker opened, now or when it returns."""
        with self._lock:
            self._abandoned = True
            result, self._result = self._result, None
        _close_unclaimed(result)


def _close_unclaimed(result: object) -> None:
    """Close the descriptor of a worker's result that nobody takes: an :class:`Opened`,
    or the one a static lookup found (``Found.opened``)."""
    opened = result if isinstance(result, Opened) else getattr(result, "opened", None)
    if isinstance(opened, Opened):
        opened.close()


async def in_thread(func: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    """Run ``func`` in the default executor. If we are cancelled meanwhile, whatever it
    opens is closed when it returns, instead of leaking. (Not with ``asyncio.shield``,
    which costs a loop iteration: the cancel cancels the future, and the worker and the
    cancelled caller hand the result over through a lock.)"""
    handoff = _Handoff()
    future = asyncio.get_running_loop().run_in_executor(None, handoff.run, func, args, kwargs)
    try:
        return await future
    except asyncio.CancelledError:
        handoff.abandon()
        raise


def _chunks(pieces: Sequence[Piece], chunk_size: int) -> Iterator[list[Piece]]:
    """Group ``pieces`` into reads of about ``chunk_size`` file bytes, splitting big spans."""
    batch: list[Piece] = []
    room = chunk_size
    for piece in pieces:
        if isinstance(piece, bytes):
            batch.append(piece)
            continue
        offset, count = piece
        while count > 0:
            take = min(count, room)
            batch.append((offset, take))
            offset += take
            count -= take
            room -= take
            if room == 0:
                yield batch
                batch, room = [], chunk_size
    if batch:
        yield batch


async def _send_pieces(
    request: Request,
    file: _File,
    pieces: Sequence[Piece],
    *,
    status: int,
    media_type: str,
    length: int,
    chunk_size: int,
) -> None:
    response = request.response
    if length <= chunk_size:
        # One read: answer without the disconnect watcher a long stream needs.
        data = await asyncio.get_running_loop().run_in_executor(None, file.read, pieces)
        await response.start(status=status, media_type=media_type, content_length=length)
        await response.end(data)
        return
    loop = asyncio.get_running_loop()
    batches = _chunks(pieces, chunk_size)
    pending: asyncio.Future[bytes] | None = loop.run_in_executor(None, file.read, next(batches))
    try:
        async with request.response_writer(
            status=status, media_type=media_type, content_length=length
        ) as write:
            while pending is not None:
                # Not shielded (a shield costs a loop iteration per chunk): a cancel that
                # lands here cancels this future, and the finally below waits for the
                # read that may still be running in its worker thread.
                data = await pending
                following = next(batches, None)
                # Read ahead: the next chunk comes off the disk while this one is sent.
                pending = (
                    None if following is None else loop.run_in_executor(None, file.read, following)
                )
                await write(data)
    finally:
        # Let the read in flight finish so that the file is closed when we return; if we
        # are cancelled again meanwhile, the reader closes it on its own.
        if pending is not None and not pending.done():
            await asyncio.wait((pending,))
        elif pending is not None and pending.cancelled():
            # Cancelled while awaited: its worker may be reading still, or about to (a
            # running read cannot be cancelled). Close the file once that read is done;
            # a read that comes later finds it closed.
            await loop.run_in_executor(None, file.close_when_idle)
        if pending is not None and not pending.cancelled():
            pending.exception()  # retrieved: no "exception never retrieved" at GC


async def send_file(
    request: Request,
    path: str,
    opened: Opened,
    *,
    status: int,
    media_type: str,
    download_name: str | None,
    chunk_size: int,
    content_encoding: str | None = None,
    etag_suffix: str = "",
    nofollow: bool = False,
    max_ranges: int = DEFAULT_MAX_RANGES,
) -> None:
    """Answer ``request`` with the file ``opened`` (whose descriptor we now own), as
    :func:`plan_file` decides: this only opens, reads and sends."""
    response = request.response
    headers = response.headers
    plan = plan_file(
        request.method,
        opened.stat,
        request.headers,
        status=status,
        media_type=media_type,
        content_type=headers.get("content-type"),
        encoding=response.encoding,
        download_name=download_name,
        content_encoding=content_encoding,
        etag_suffix=etag_suffix,
        max_ranges=max_ranges,
        pathsend=PATHSEND in (request.scope.get("extensions") or {}),
    )
    for name, value in plan.headers:
        headers.set(name, value)
    layout = plan.layout
    if layout is STATUS:
        await request.respond_status(plan.status)
        return
    if layout is HEAD:
        await response.start(
            status=plan.status, media_type=plan.media_type, content_length=plan.length
        )
        await response.end()
        return
    if layout is WHOLE and opened.data is not None:
        # A small file, read whole in the hop that opened it.
        await response.start(
            status=plan.status, media_type=plan.media_type, content_length=plan.length
        )
        await response.end(opened.data)
        return
    if plan.pathsend:
        opened.close()  # the server reads the file by its path
        await response.start(
            status=plan.status, media_type=plan.media_type, content_length=plan.length
        )
        # abspath only calls getcwd() for a relative path: no disk access.
        absolute = os.path.abspath(path)  # noqa: ASYNC240
        await response.end_with({"type": PATHSEND, "path": absolute})
        return
    if layout is MULTIPART:
        headers.remove("content-type")  # each part carries it; the whole is multipart
    if opened.fd is None:
        fresh = await in_thread(open_regular, path, nofollow=nofollow)
        opened.fd = fresh.fd
    assert opened.fd is not None
    file = _File(opened.fd)
    opened.fd = None
    try:
        await _send_pieces(
            request, file, plan.pieces, status=plan.status, media_type=plan.media_type,
            length=plan.length, chunk_size=chunk_size,
        )  # fmt: skip
    finally:
        file.close()


async def respond_file(
    request: Request, path: str | os.PathLike[str], **options: Unpack[FileOptions]
) -> None:
    """Respond with the file at ``path``, with the HTTP semantics of a static file.

    - Content-Type from the extension (:func:`guess_media_type`, ``; charset=`` added to
      text types) unless ``media_type`` is given; Content-Length; ``Last-Modified``; a
      strong ``ETag`` (:func:`make_etag`); ``Accept-Ranges: bytes``.
    - Conditional requests (RFC 9110 §13, see :func:`evaluate_preconditions`): 304 Not
      Modified or 412 Precondition Failed, with no body.
    - ``Range`` on GET (see :func:`parse_range`): one range → 206 with Content-Range;
      several → 206 ``multipart/byteranges``; invalid or unsatisfiable → 416 with
      ``Content-Range: bytes */size``; more than ``max_ranges`` (100) specs → the whole
      file with 200. ``If-Range`` is honoured.
    - HEAD: the same headers, and the file is not read.
    - ``download_name``: ``Content-Disposition: attachment`` with that name
      (:func:`content_disposition`).
    - ``status`` other than 200 (say 404 for an error page): the whole file with that
      status; preconditions, ranges and validators do not apply (§13.2.1).
    - When the server offers ``http.response.pathsend`` (granian does), a whole-file 200
      is handed to the server by path. Otherwise the file is read in ``chunk_size``
      (1 MiB) chunks in a worker thread, the next chunk read while the current one is
      sent; a file of at most ``chunk_size`` bytes is read in one go.
    - ``stat_result``: a stat of ``path`` the caller already has; the file is then not
      stat'ed again (and not opened at all for HEAD, 304, 412 or pathsend).

    Raises :class:`~asgikit.errors.NotFoundError` (404) when ``path`` is missing, is a
    directory or anything but a regular file, or cannot be opened: never a bare
    ``OSError`` (the ``OSError`` is kept as ``__cause__``).
    :class:`~asgikit.errors.ClientDisconnectedError` when the client goes away; the file
    is closed on every path. :class:`FileChangedError` when the file shrinks while sent.

    ``options`` are those of :class:`FileOptions`; one it does not name raises
    ``TypeError``.

    .. versionadded:: 0.1.0
    """
    check_options(options, _FILE_OPTIONS, "respond_file")
    fspath = os.fspath(path)
    if not isinstance(fspath, str):
        raise TypeError(f"path must be str or os.PathLike[str], not {type(fspath).__name__}")
    chunk_size = options.get("chunk_size", DEFAULT_CHUNK_SIZE)
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be positive, not {chunk_size}")
    media_type = options.get("media_type")
    if media_type is None:
        media_type = guess_media_type(fspath)
    stat_result = options.get("stat_result")
    if stat_result is not None:
        if not stat.S_ISREG(stat_result.st_mode):
            raise not_found()
        opened = Opened(None, stat_result, None)
    else:
        request_headers = request.headers
        # A GET that will surely get the whole file: a small one is read in the same hop.
        plain_get = request.method == "GET" and not any(
            name in request_headers for name in _CONDITIONAL_HEADERS
        )
        if plain_get and PATHSEND in (request.scope.get("extensions") or {}):
            opened = Opened(None, await in_thread(stat_regular, fspath), None)
        else:
            opened = await in_thread(open_regular, fspath, prefetch=chunk_size if plain_get else 0)
    try:
        await send_file(
            request,
            fspath,
            opened,
            status=options.get("status", 200),
            media_type=media_type,
            download_name=options.get("download_name"),
            chunk_size=chunk_size,
            max_ranges=options.get("max_ranges", DEFAULT_MAX_RANGES),
        )
    finally:
        opened.close()
