"""The limits every form read obeys, and the errors raised when one is crossed.

One set of limits serves urlencoded and multipart bodies alike, so that no encoding
skips a limit the other one has (Starlette CVE-2026-54283).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypedDict

from asgikit.errors import ContentTooLargeError, InvalidEncodingError, InvalidFormError
from asgikit.headers import decode_text, lookup_charset
from asgikit.query import DEFAULT_MAX_FIELDS
from asgikit.requests import DEFAULT_MAX_BODY_SIZE

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB

DEFAULT_MAX_FILES = 100
DEFAULT_MAX_FIELD_SIZE = 1 * MiB
DEFAULT_MAX_FILE_SIZE = 1 * GiB
DEFAULT_MAX_MULTIPART_SIZE = 2 * GiB
DEFAULT_MAX_PART_HEADERS = 8
DEFAULT_MAX_PART_HEADER_SIZE = 8 * KiB
DEFAULT_MAX_BOUNDARY_LENGTH = 256
DEFAULT_SPOOL_THRESHOLD = 1 * MiB
# What read_form() keeps in memory for one multipart body: its text fields, and its files
# until they go to disk. The most a buffered read (read_bytes, read_json, an urlencoded
# form) holds: without it, 1000 fields of 1 MiB under the 2 GiB multipart cap would hold
# 2 GiB.
DEFAULT_MAX_MEMORY_SIZE = DEFAULT_MAX_BODY_SIZE

# Longest charset name accepted from a client; real ones are under 20 characters.
_MAX_CHARSET_NAME = 40


class PartsOptions(TypedDict, total=False):
    """The options of :func:`~asgikit.forms.iter_parts`, each a limit with a safe
    default; :class:`FormOptions` adds the ones of :func:`~asgikit.forms.read_form`.
    A misspelled option is a type error, and a ``TypeError`` when the call runs.
    """

    #: Text fields, urlencoded or multipart (1000); over it: 413.
    max_fields: int
    #: File fields of a multipart form (100); over it: 413.
    max_files: int
    #: Bytes of one text field (1 MiB); over it: 413.
    max_field_size: int
    #: Bytes of one file (1 GiB); over it: 413.
    max_file_size: int
    #: The whole body, counted as it arrives (a larger Content-Length fails before any
    #: byte is read). ``None``: ``request.max_body_size`` (10 MiB) for urlencoded
    #: bodies, 2 GiB for multipart ones.
    max_body_size: int | None
    #: Header lines of one part (8); over it: 413.
    max_part_headers: int
    #: Bytes of one part's headers, and the most bytes read before the first boundary
    #: (8 KiB); over it: 413 (400 before the first boundary).
    max_part_header_size: int
    #: Characters of the multipart boundary (256; RFC 2046 allows 70); over it: 400.
    max_boundary_length: int
    #: The charset of text fields whose part names none ("utf-8").
    charset: str


class FormOptions(PartsOptions, total=False):
    """The options of :func:`~asgikit.forms.read_form` and ``Request.read_form()``:
    those of :class:`PartsOptions`, and the three that bound what a whole form holds.
    """

    #: Bytes of a multipart form held in memory until it is returned: its text fields,
    #: and its files not yet on disk (10 MiB); text over it: 413, files go to disk.
    max_memory_size: int
    #: A file larger than this many bytes moves to a temporary file (1 MiB).
    spool_threshold: int
    #: Where temporary files go (``None``: the system's temporary directory).
    spool_dir: str | os.PathLike[str] | None


PARTS_OPTIONS: frozenset[str] = PartsOptions.__optional_keys__
FORM_OPTIONS: frozenset[str] = FormOptions.__optional_keys__


def check_options(options: Mapping[str, object], known: frozenset[str], caller: str) -> None:
    """Refuse a keyword that is not an option of ``caller`` with the ``TypeError`` that
    Python raises for a function with that signature."""
    if not options.keys() <= known:
        name = next(name for name in options if name not in known)
        raise TypeError(f"{caller}() got an unexpected keyword argument {name!r}")


@dataclass(frozen=True, slots=True)
class Limits:
    """The options of one form read (:class:`FormOptions`), checked once when the read
    starts; ``max_body_size`` is resolved (not ``None``) for a form read."""

    max_fields: int = DEFAULT_MAX_FIELDS
    max_files: int = DEFAULT_MAX_FILES
    max_field_size: int = DEFAULT_MAX_FIELD_SIZE
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    max_body_size: int | None = None
    max_memory_size: int = DEFAULT_MAX_MEMORY_SIZE
    max_part_headers: int = DEFAULT_MAX_PART_HEADERS
    max_part_header_size: int = DEFAULT_MAX_PART_HEADER_SIZE
    max_boundary_length: int = DEFAULT_MAX_BOUNDARY_LENGTH
    spool_threshold: int = DEFAULT_SPOOL_THRESHOLD
    spool_dir: str | os.PathLike[str] | None = None
    charset: str = "utf-8"

    def __post_init__(self) -> None:
        for name in (
            "max_fields",
            "max_files",
            "max_field_size",
            "max_file_size",
            "max_memory_size",
            "max_part_headers",
            "max_part_header_size",
            "max_boundary_length",
            "spool_threshold",
        ):
            value = getattr(self, name)
            if type(value) is not int or value < 0:
                raise ValueError(f"{name} must be an int >= 0, not {value!r}")
        if self.max_body_size is not None and (
            type(self.max_body_size) is not int or self.max_body_size < 0
        ):
            raise ValueError(
                f"max_body_size must be an int >= 0 or None, not {self.max_body_size!r}"
            )
        try:
            lookup_charset(self.charset)
        except InvalidEncodingError as exc:
            raise ValueError(str(exc)) from None


def form_limits(options: PartsOptions, default_body_size: int) -> Limits:
    """The limits of one form read, built and checked once: an unset (or ``None``)
    ``max_body_size`` becomes ``default_body_size``, which depends on the encoding."""
    if options.get("max_body_size") is None:
        options = options.copy()
        options["max_body_size"] = default_body_size
    return Limits(**options)


def too_large(what: str, limit: int, option: str) -> ContentTooLargeError:
    """A 413 error whose message names the limit; its hint names the keyword that lifts it."""
    return ContentTooLargeError(what, limit=limit, option=option)


def too_many_fields(limit: int) -> ContentTooLargeError:
    return too_large(f"form has more than {limit} fields", limit, "max_fields")


def too_many_files(limit: int) -> ContentTooLargeError:
    return too_large(f"form has more than {limit} files", limit, "max_files")


def body_too_large(limit: int) -> ContentTooLargeError:
    return too_large(f"form body is larger than {limit} bytes", limit, "max_body_size")


def field_too_large(name: str, limit: int) -> ContentTooLargeError:
    return too_large(
        f"form field {shorten(name)!r} is larger than {limit} bytes", limit, "max_field_size"
    )


def memory_too_large(limit: int) -> ContentTooLargeError:
    return too_large(
        f"text fields of the form are larger than {limit} bytes in total",
        limit,
        "max_memory_size",
    )


def part_headers_too_large(limit: int) -> ContentTooLargeError:
    return too_large(
        f"form part headers are larger than {limit} bytes", limit, "max_part_header_size"
    )


def file_too_large(name: str, limit: int) -> ContentTooLargeError:
    return too_large(
        f"uploaded file in field {shorten(name)!r} is larger than {limit} bytes",
        limit,
        "max_file_size",
    )


def shorten(text: str, size: int = 60) -> str:
    """Client text quoted in an error message, cut so that messages stay short."""
    return text if len(text) <= size else text[:size] + "..."


def client_charset(name: str) -> str:
    """The codec for a charset the client named (:func:`asgikit.headers.lookup_charset`):
    unknown, non-text and unsafe codecs (``punycode``, ``idna``, ...) are a 400 error.
    Names longer than any real one are refused first, so that the message stays short."""
    if len(name) > _MAX_CHARSET_NAME:
        raise InvalidEncodingError(f"unknown charset {shorten(name)!r}")
    return lookup_charset(name)


def charset_field(data: bytes) -> str:
    """The value of a ``_charset_`` field, which must be ASCII (a 400 error otherwise)."""
    try:
        return data.decode("ascii").strip()
    except UnicodeDecodeError:
        raise InvalidEncodingError("the _charset_ form field is not ASCII") from None


def decode_field(name: str, data: bytes, part_charset: str | None, form_charset: str) -> str:
    """The text of a multipart text field, by the one rule that :func:`read_form` and
    :meth:`Part.text` share: a ``_charset_`` field is ASCII (:func:`charset_field`),
    whatever charset it names; any other field is decoded with its part's charset, else
    ``form_charset`` (InvalidEncodingError, 400, when it does not decode)."""
    if name == "_charset_":
        return charset_field(data)
    codec = client_charset(part_charset) if part_charset else form_charset
    return decode_text(data, codec, what=field_text(name))


def field_text(name: str) -> str:
    """How a decode error names a text field: "form field 'a' with text that is not
    valid utf-8" (the ``what`` of :func:`asgikit.headers.decode_text`)."""
    return f"form field {shorten(name)!r} with text"


def malformed(message: str, *, hint: str | None = None) -> InvalidFormError:
    return InvalidFormError(f"malformed multipart body: {message}", hint=hint)
