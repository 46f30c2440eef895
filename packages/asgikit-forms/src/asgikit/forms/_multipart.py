"""The Request-level limits on top of the public sans-IO parser (:mod:`.multipart`).

:class:`MultipartEngine` passes the parser's events through and counts what the form
readers bound: the whole body, the text fields and files, and each part's size. Every
limit is checked on the event that crosses it, so nothing is buffered past a limit by
more than one chunk.
"""

from __future__ import annotations

from asgikit.errors import InvalidFormError
from asgikit.forms._limits import (
    Limits,
    body_too_large,
    field_too_large,
    file_too_large,
    too_many_fields,
    too_many_files,
)
from asgikit.forms.multipart import Event, MultipartParser, PartData, PartStart


def parse_boundary(params: dict[str, str]) -> str:
    """The boundary parameter of a multipart Content-Type (the parser validates it)."""
    boundary = params.get("boundary")
    if not boundary:
        raise InvalidFormError("multipart/form-data without a boundary parameter")
    return boundary


class MultipartEngine:
    """A multipart/form-data body in, limit-checked events out. No I/O."""

    __slots__ = (
        "_fields",
        "_files",
        "_limits",
        "_parser",
        "_part",
        "_part_limit",
        "_part_size",
        "_received",
    )

    def __init__(self, boundary: str, limits: Limits) -> None:
        self._limits = limits
        # Bytes before the first boundary (RFC 2046 "preamble") are skipped, but only a
        # few: a body that never shows its boundary is refused early (aiohttp #13652).
        self._parser = MultipartParser(
            boundary,
            max_part_headers=limits.max_part_headers,
            max_part_header_size=limits.max_part_header_size,
            max_boundary_length=limits.max_boundary_length,
        )
        self._received = 0
        self._fields = 0
        self._files = 0
        self._part: PartStart | None = None
        self._part_size = 0
        self._part_limit = 0

    def feed(self, chunk: bytes) -> None:
        """Give the engine the next chunk of the body."""
        limit = self._limits.max_body_size
        self._received += len(chunk)
        if limit is not None and self._received > limit and not self._parser.is_done:
            raise body_too_large(limit)
        self._parser.feed(chunk)

    def feed_eof(self) -> None:
        """Say that the body ended."""
        self._parser.feed_eof()

    def next_event(self) -> Event:
        """The parser's next event, once the limits it crosses are checked."""
        event = self._parser.next_event()
        if type(event) is PartData:
            self._part_size += len(event.data)
            if self._part_size > self._part_limit:
                part = self._part
                assert part is not None  # data only comes inside a part
                if part.filename is None:
                    raise field_too_large(part.name, self._part_limit)
                raise file_too_large(part.name, self._part_limit)
        elif type(event) is PartStart:
            self._on_part(event)
        return event

    def _on_part(self, part: PartStart) -> None:
        limits = self._limits
        if part.filename is None:
            self._fields += 1
            if self._fields > limits.max_fields:
                raise too_many_fields(limits.max_fields)
            self._part_limit = limits.max_field_size
        else:
            self._files += 1
            if self._files > limits.max_files:
                raise too_many_files(limits.max_files)
            self._part_limit = limits.max_file_size
        self._part = part
        self._part_size = 0

    def close(self) -> None:
        """Drop the parser's buffers; the engine cannot be used any more."""
        self._parser.close()
