"""Forms for asgikit: ``application/x-www-form-urlencoded`` and ``multipart/form-data``.

:func:`read_form` reads a whole form into a :class:`FormData` (what
``Request.read_form()`` returns); :func:`iter_parts` streams it one :class:`Part` at a
time. Both take the same keyword-only limits (:class:`FormOptions`,
:class:`PartsOptions`), each with a safe default, and raise the
errors of :mod:`asgikit.errors` (400, 413, 415) with messages that name the option
that lifts the limit.

Under both lies :mod:`asgikit.forms.multipart`, the multipart framing as a public sans-IO
layer: a :class:`~asgikit.forms.multipart.MultipartParser` fed with bytes that returns
events, whose answer does not depend on how the body is split.
"""

from __future__ import annotations

from asgikit.forms import multipart
from asgikit.forms._filename import safe_filename
from asgikit.forms._files import UploadedFile
from asgikit.forms._limits import (
    DEFAULT_MAX_BOUNDARY_LENGTH,
    DEFAULT_MAX_FIELD_SIZE,
    DEFAULT_MAX_FILE_SIZE,
    DEFAULT_MAX_FILES,
    DEFAULT_MAX_MEMORY_SIZE,
    DEFAULT_MAX_MULTIPART_SIZE,
    DEFAULT_MAX_PART_HEADER_SIZE,
    DEFAULT_MAX_PART_HEADERS,
    DEFAULT_SPOOL_THRESHOLD,
    FormOptions,
    PartsOptions,
)
from asgikit.forms._parts import Part, iter_parts
from asgikit.forms._read import FormData, read_form
from asgikit.query import DEFAULT_MAX_FIELDS

__all__ = [
    "DEFAULT_MAX_BOUNDARY_LENGTH",
    "DEFAULT_MAX_FIELDS",
    "DEFAULT_MAX_FIELD_SIZE",
    "DEFAULT_MAX_FILES",
    "DEFAULT_MAX_FILE_SIZE",
    "DEFAULT_MAX_MEMORY_SIZE",
    "DEFAULT_MAX_MULTIPART_SIZE",
    "DEFAULT_MAX_PART_HEADERS",
    "DEFAULT_MAX_PART_HEADER_SIZE",
    "DEFAULT_SPOOL_THRESHOLD",
    "FormData",
    "FormOptions",
    "Part",
    "PartsOptions",
    "UploadedFile",
    "iter_parts",
    "multipart",
    "read_form",
    "safe_filename",
]
