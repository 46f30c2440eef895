"""read_form(): a whole form, text fields decoded and files spooled, as one mapping."""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Any, Unpack, cast

from asgikit.forms._files import FormSpool, UploadedFile
from asgikit.forms._limits import (
    FORM_OPTIONS,
    FormOptions,
    Limits,
    charset_field,
    check_options,
    client_charset,
    decode_field,
)
from asgikit.forms._source import (
    URLENCODED,
    MultipartSource,
    multipart_engine,
    open_form,
    read_urlencoded,
)
from asgikit.forms.multipart import BodyEnd, PartData, PartEnd, PartStart
from asgikit.multivalue import MultiValueDict
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


async def read_form(request: Request, **options: Unpack[FormOptions]) -> FormData:
    """Read the request body as a form and return it as a :class:`FormData`.

    The body must be ``application/x-www-form-urlencoded`` or ``multipart/form-data``
    (Content-Type in any case, with parameters); anything else raises
    :class:`~asgikit.errors.UnsupportedMediaTypeError` (415).

    ``options`` are those of :class:`FormOptions`: limits, each with a safe default,
    that raise :class:`~asgikit.errors.ContentTooLargeError` (413) naming the option as
    soon as one is crossed (``max_boundary_length``: a 400), and the spooling options.
    ``max_memory_size`` bounds what the form holds until it is returned: its text
    fields, and its files while in memory. A file that would cross it goes to its
    temporary file early instead, as do the files in memory when a text field needs
    their room. A misspelled option raises ``TypeError``.

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
    check_options(options, FORM_OPTIONS, "read_form")
    media_type, params, limits = open_form(request, options)
    if media_type == URLENCODED:
        fields, _ = await read_urlencoded(request, params, limits)
        # Text values only: the same dict shape, so it is copied as it is.
        return FormData(cast("dict[str, Any]", fields))
    return await _read_multipart(request, params, limits)


async def _read_multipart(request: Request, params: dict[str, str], limits: Limits) -> FormData:
    source = MultipartSource(multipart_engine(request, params, limits), request.read_stream())
    entries: list[tuple[str, bytes | UploadedFile, str | None]] = []
    spool = FormSpool(limits.max_memory_size, limits.spool_threshold, limits.spool_dir)
    try:
        info: PartStart | None = None
        upload: UploadedFile | None = None
        buffer = bytearray()
        while type(event := await source.next_event()) is not BodyEnd:
            if type(event) is PartData:
                data = event.data
                if upload is not None:
                    await upload.write(data)  # it moves to disk when it must
                else:
                    if spool.add_text(len(data)):
                        await spool.to_disk()
                    buffer += data
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
                    upload = spool.open(info.name, info.filename, info.content_type, info.headers)
        return _build(entries, limits.charset)
    except BaseException:
        await discard(spool.files)
        raise
    finally:
        spool.close()
        await source.aclose()


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
