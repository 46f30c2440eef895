"""read_form(): a whole form, text fields decoded and files spooled, as one mapping."""

from __future__ import annotations

import asyncio
import os
from types import TracebackType
from typing import Any, cast

from asgikit.forms._files import UploadedFile
from asgikit.forms._limits import (
    DEFAULT_MAX_BOUNDARY_LENGTH,
    DEFAULT_MAX_FIELD_SIZE,
    DEFAULT_MAX_FILE_SIZE,
    DEFAULT_MAX_FILES,
    DEFAULT_MAX_MEMORY_SIZE,
    DEFAULT_MAX_PART_HEADER_SIZE,
    DEFAULT_MAX_PART_HEADERS,
    DEFAULT_SPOOL_THRESHOLD,
    Limits,
    charset_field,
    client_charset,
    decode_field,
    memory_too_large,
)
from asgikit.forms._source import (
    URLENCODED,
    MultipartSource,
    detect,
    multipart_engine,
    read_urlencoded,
)
from asgikit.forms.multipart import BodyEnd, PartData, PartEnd, PartStart
from asgikit.multivalue import MultiValueDict
from asgikit.query import DEFAULT_MAX_FIELDS
from asgikit.requests import Request


class FormData(MultiValueDict[str | UploadedFile]):
    """A parsed form: a ``dict`` where a name sent once maps to its value and a repeated
    name to a list of values, in arrival order. Text fields are ``str``; file fields are
    :class:`UploadedFile`. :meth:`get_all` always gives a list, :meth:`get_first` one value.

    Close the form (``await form.close()`` or ``async with form:``) to release the
    uploaded files and their temporary files at once.
    """

    __slots__ = ()

    def files(self) -> list[UploadedFile]:
        """Every uploaded file in the form, in arrival order of their names."""
        found: list[UploadedFile] = []
        for value in self.values():
            for item in value if type(value) is list else (value,):
                if isinstance(item, UploadedFile):
                    found.append(item)
        return found

    async def close(self) -> None:
        """Close every uploaded file; their temporary files are removed."""
        await discard(self.files())

    async def __aenter__(self) -> FormData:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


async def discard(files: list[UploadedFile]) -> None:
    """Close ``files``; the ones on disk are closed together in one worker thread, and
    are closed even if this coroutine is cancelled while it waits."""
    on_disk = []
    for file in files:
        if file.in_memory:
            file.close_now()
        else:
            on_disk.append(file)
    if on_disk:
        await asyncio.shield(asyncio.to_thread(_close_all, on_disk))


def _close_all(files: list[UploadedFile]) -> None:
    for file in files:
        file.close_now()


async def read_form(
    request: Request,
    *,
    max_fields: int = DEFAULT_MAX_FIELDS,
    max_files: int = DEFAULT_MAX_FILES,
    max_field_size: int = DEFAULT_MAX_FIELD_SIZE,
    max_file_size: int = DEFAULT_MAX_FILE_SIZE,
    max_body_size: int | None = None,
    max_memory_size: int = DEFAULT_MAX_MEMORY_SIZE,
    max_part_headers: int = DEFAULT_MAX_PART_HEADERS,
    max_part_header_size: int = DEFAULT_MAX_PART_HEADER_SIZE,
    max_boundary_length: int = DEFAULT_MAX_BOUNDARY_LENGTH,
    spool_threshold: int = DEFAULT_SPOOL_THRESHOLD,
    spool_dir: str | os.PathLike[str] | None = None,
    charset: str = "utf-8",
) -> FormData:
    """Read the request body as a form and return it as a :class:`FormData`.

    The body must be ``application/x-www-form-urlencoded`` or ``multipart/form-data``
    (Content-Type in any case, with parameters); anything else raises
    :class:`~asgikit.errors.UnsupportedMediaTypeError` (415).

    Limits (each raises :class:`~asgikit.errors.ContentTooLargeError` (413) naming the
    option as soon as it is crossed):

    - ``max_fields`` text fields (1000) and ``max_files`` file fields (100);
    - ``max_field_size`` bytes per text field (1 MiB), ``max_file_size`` per file (1 GiB);
    - ``max_body_size``: the whole body. ``None`` means ``request.max_body_size``
      (10 MiB) for urlencoded bodies and 2 GiB for multipart ones;
    - ``max_memory_size``: the bytes of a multipart body's text fields, all together,
      kept until the form is returned (10 MiB, the same as ``request.max_body_size``,
      which bounds a whole urlencoded body). Files held in memory count too, but a
      file that would cross the limit goes to its temporary file early instead, as do
      the files in memory when a text field needs their room;
    - ``max_part_headers`` headers per part (8), ``max_part_header_size`` bytes of
      headers per part (8 KiB; also the most bytes accepted before the first boundary);
    - ``max_boundary_length`` characters of boundary (256; RFC 2046 allows 70): over it
      is a 400 error.

    Files up to ``spool_threshold`` bytes (1 MiB) stay in memory; larger ones move to an
    unnamed temporary file in ``spool_dir`` (the system default when ``None``), created
    and written off the event loop. Text fields are decoded with the part's Content-Type
    charset, else the ``_charset_`` field, else ``charset`` (UTF-8); undecodable text
    and an unknown, non-text or unsafe charset (``punycode``, ``idna``, ...) raise
    :class:`~asgikit.errors.InvalidEncodingError` (400), a malformed body
    :class:`~asgikit.errors.InvalidFormError` (400), a client gone mid-body
    :class:`~asgikit.errors.ClientDisconnectedError`. On any error every file read so
    far is closed and nothing is returned.

    An urlencoded body is kept for later readers of the request; a multipart one is
    streamed and not kept. New in asgikit-forms 0.1; ``max_memory_size`` and the refusal
    of unsafe charsets are new in 0.1.0 as well.
    """
    limits = Limits(
        max_fields=max_fields,
        max_files=max_files,
        max_field_size=max_field_size,
        max_file_size=max_file_size,
        max_body_size=max_body_size,
        max_memory_size=max_memory_size,
        max_part_headers=max_part_headers,
        max_part_header_size=max_part_header_size,
        max_boundary_length=max_boundary_length,
        spool_threshold=spool_threshold,
        spool_dir=spool_dir,
        charset=charset,
    )
    media_type, params = detect(request)
    if media_type == URLENCODED:
        fields, _ = await read_urlencoded(request, params, limits)
        # Text values only: the same dict shape, so it is copied as it is.
        return FormData(cast("dict[str, Any]", fields))
    return await _read_multipart(request, params, limits)


async def _read_multipart(request: Request, params: dict[str, str], limits: Limits) -> FormData:
    source = MultipartSource(multipart_engine(request, params, limits), request.read_stream())
    entries: list[tuple[str, bytes | UploadedFile, str | None]] = []
    files: list[UploadedFile] = []
    # Bytes held until the form is returned: text fields, and files not yet on disk.
    budget = limits.max_memory_size
    text_size = 0
    file_memory = 0
    try:
        info: PartStart | None = None
        upload: UploadedFile | None = None
        buffer = bytearray()
        while type(event := await source.next_event()) is not BodyEnd:
            if type(event) is PartData:
                data = event.data
                if upload is None:
                    text_size += len(data)
                    if text_size > budget:
                        raise memory_too_large(budget)
                    if text_size + file_memory > budget:
                        await _to_disk(files)
                        file_memory = 0
                    buffer += data
                elif upload.in_memory:
                    before = upload.size
                    if text_size + file_memory + len(data) > budget:
                        await upload._move_to_disk()
                    await upload.write(data)
                    file_memory += (upload.size if upload.in_memory else 0) - before
                else:
                    await upload.write(data)
            elif type(event) is PartEnd:
                assert info is not None  # a part ends only after it started
                if upload is not None:
                    await upload.finish()
                    entries.append((info.name, upload, None))
                    upload = None
                else:
                    entries.append((info.name, bytes(buffer), info.charset))
                    buffer.clear()
            else:
                assert type(event) is PartStart
                info = event
                if info.filename is not None:
                    upload = UploadedFile(
                        info.name,
                        info.filename,
                        info.content_type,
                        info.headers,
                        spool_threshold=limits.spool_threshold,
                        spool_dir=limits.spool_dir,
                    )
                    files.append(upload)
        return _build(entries, limits.charset)
    except BaseException:
        await discard(files)
        raise
    finally:
        await source.aclose()


async def _to_disk(files: list[UploadedFile]) -> None:
    for file in files:
        if file.in_memory and file.size:
            await file._move_to_disk()


def _build(entries: list[tuple[str, bytes | UploadedFile, str | None]], default: str) -> FormData:
    # _charset_ may come after the fields it describes, so text is decoded at the end.
    form_charset = default
    for name, value, _ in entries:
        if name == "_charset_" and isinstance(value, bytes):
            form_charset = client_charset(charset_field(value))
            break
    form = FormData()
    # Popped from the end, so that each field's bytes are freed once it is decoded.
    entries.reverse()
    while entries:
        name, value, part_charset = entries.pop()
        if isinstance(value, UploadedFile):
            form.add(name, value)
            continue
        form.add(name, decode_field(name, value, part_charset, form_charset))
    return form
