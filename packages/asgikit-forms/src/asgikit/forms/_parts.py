"""iter_parts(): the form one part at a time, each part's data streamed as it arrives.

Nothing is buffered or spooled: a part's bytes go from the network to the application
one chunk at a time, so an upload of any size can go straight to its storage. The same
limits as read_form() apply while streaming.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncGenerator, AsyncIterator
from typing import IO, Final, Unpack

from asgikit.errors import BodyStateError
from asgikit.forms._files import WRITE_BATCH
from asgikit.forms._limits import (
    PARTS_OPTIONS,
    PartsOptions,
    check_options,
    client_charset,
    decode_field,
    field_text,
    shorten,
)
from asgikit.forms._source import (
    URLENCODED,
    MultipartSource,
    multipart_engine,
    open_form,
    read_urlencoded,
)
from asgikit.forms.multipart import BodyEnd, PartData, PartStart
from asgikit.headers import decode_text
from asgikit.multivalue import MultiValueDict
from asgikit.requests import Request

_READING: Final = 0
_FINISHED: Final = 1
_PASSED: Final = 2  # iter_parts() moved on (or stopped) before the part was read


class _FormCharset:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class Part:
    """One field of a form being read by :func:`iter_parts`.

    ``name`` is the field name; ``filename`` the client's filename reduced to a safe base
    name, or ``None`` for a text field; ``content_type`` and ``charset`` come from the
    part's Content-Type; ``headers`` holds the part headers by lower-cased name.

    The data is read once, in order: ``async for chunk in part``, :meth:`read`,
    :meth:`text` or :meth:`save`. Data not read when the loop over :func:`iter_parts`
    moves on is skipped (still within the limits), and the part cannot be read any more.
    """

    __slots__ = (
        "_charset",
        "_data",
        "_source",
        "_state",
        "_text",
        "charset",
        "content_type",
        "filename",
        "headers",
        "name",
        "size",
    )

    def __init__(
        self,
        info: PartStart,
        source: MultipartSource | None,
        form_charset: _FormCharset,
        data: bytes | None = None,
        text: str | None = None,
    ) -> None:
        self.name = info.name
        self.filename = info.filename
        self.content_type = info.content_type
        self.charset = info.charset
        self.headers = info.headers
        #: Bytes of data delivered so far.
        self.size = 0
        self._source = source
        self._charset = form_charset
        self._data = data
        # An urlencoded field comes decoded by the one parse read_form() uses too.
        self._text = text
        self._state = _READING

    def __repr__(self) -> str:
        kind = f"filename={self.filename!r}" if self.filename is not None else "text"
        return f"<Part {self.name!r} {kind}>"

    @property
    def is_file(self) -> bool:
        """Whether the part is a file (it has a filename, even an empty one)."""
        return self.filename is not None

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        if self._state == _FINISHED:
            raise StopAsyncIteration
        if self._state == _PASSED:
            raise BodyStateError(
                f"cannot read form part {shorten(self.name)!r}: iter_parts() has moved past it"
            )
        source = self._source
        if source is None:
            data, self._data = self._data, None
            if not data:
                self._state = _FINISHED
                raise StopAsyncIteration
            self.size += len(data)
            return data
        event = await source.next_event()
        if type(event) is PartData:
            self.size += len(event.data)
            return event.data
        self._state = _FINISHED  # a PartEnd
        raise StopAsyncIteration

    async def read(self) -> bytes:
        """The rest of the part's data (within ``max_field_size`` / ``max_file_size``)."""
        chunks = [chunk async for chunk in self]
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    async def text(self) -> str:
        """The rest of the data as text: decoded with the part's charset, else the
        ``_charset_`` field read before it, else the ``charset`` option (UTF-8). A
        ``_charset_`` text field is read as ASCII whatever charset it names, and an
        urlencoded field gives the text :func:`read_form` gives: both share one rule.
        Undecodable bytes and an unknown, non-text or unsafe charset (``punycode``,
        ``idna``, ...) raise :class:`~asgikit.errors.InvalidEncodingError` (400).

        The data read is bounded by ``max_field_size`` for a text field and by
        ``max_file_size`` for a file (whose whole content is then held in memory)."""
        data = await self.read()
        if self._text is not None:
            return self._text
        if self.filename is not None:
            codec = client_charset(self.charset) if self.charset else self._charset.name
            return decode_text(data, codec, what=field_text(self.name))
        text = decode_field(self.name, data, self.charset, self._charset.name)
        if self.name == "_charset_":
            self._charset.name = client_charset(text)
        return text

    async def save(self, path: str | os.PathLike[str]) -> int:
        """Write the rest of the data to ``path`` (created or truncated) as it arrives,
        from a worker thread in large batches; return the number of bytes written.
        If reading fails midway (a limit, a malformed body, a client gone), the partial
        file is removed and the error raised."""
        out: IO[bytes] = await asyncio.to_thread(open, path, "wb")
        written = 0
        try:
            batch: list[bytes] = []
            pending = 0
            async for chunk in self:
                batch.append(chunk)
                pending += len(chunk)
                if pending >= WRITE_BATCH:
                    await asyncio.to_thread(out.writelines, batch)
                    written += pending
                    batch, pending = [], 0
            if batch:
                await asyncio.to_thread(out.writelines, batch)
                written += pending
            await asyncio.to_thread(out.close)
        except BaseException:
            await asyncio.shield(asyncio.to_thread(_remove, out, path))
            raise
        return written

    async def _skip(self) -> None:
        if self._state == _READING:
            async for _ in self:
                pass
        self._state = _PASSED


def _remove(out: IO[bytes], path: str | os.PathLike[str]) -> None:
    out.close()
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def iter_parts(request: Request, **options: Unpack[PartsOptions]) -> AsyncGenerator[Part, None]:
    """Yield the form's fields one :class:`Part` at a time::

        async with contextlib.aclosing(iter_parts(request)) as parts:
            async for part in parts:
                if part.is_file:
                    await part.save(storage_path)  # or: async for chunk in part: ...
                else:
                    fields[part.name] = await part.text()

    A multipart body is streamed: its parts come in arrival order, each part's data
    chunk by chunk, never buffered or spooled. An urlencoded body is small by nature
    (``max_body_size``) and is parsed whole; its fields come as parts too, grouped by
    name (every value of the first name, then of the next), names in order of first
    appearance. The options are those of :class:`PartsOptions`, the errors those of
    :func:`read_form` (nothing is spooled or held here, so there are no ``spool_*``
    options and no ``max_memory_size``). A misspelled option raises ``TypeError`` at
    the call; every other error is raised from the ``async for`` on the parts or on a
    part's data. New in 0.1.
    """
    check_options(options, PARTS_OPTIONS, "iter_parts")
    return _iter_parts(request, options)


async def _iter_parts(request: Request, options: PartsOptions) -> AsyncGenerator[Part, None]:
    media_type, params, limits = open_form(request, options)
    if media_type == URLENCODED:
        fields, used = await read_urlencoded(request, params, limits)
        form_charset = _FormCharset(used)
        no_headers: MultiValueDict[str] = MultiValueDict()
        for name, value in fields.items():
            for item in value if type(value) is list else (value,):
                assert isinstance(item, str)
                info = PartStart(name, None, None, None, no_headers)
                yield Part(info, None, form_charset, item.encode(used, "replace"), item)
        return
    source = MultipartSource(multipart_engine(request, params, limits), request.read_stream())
    form_charset = _FormCharset(limits.charset)
    part: Part | None = None
    try:
        while type(event := await source.next_event()) is not BodyEnd:
            assert type(event) is PartStart  # a part's data is read through the part
            part = Part(event, source, form_charset)
            yield part
            await part._skip()
            part = None
    finally:
        if part is not None:
            part._state = _PASSED
        await source.aclose()
