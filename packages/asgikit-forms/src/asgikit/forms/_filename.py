"""Reducing a client's filename to a safe base name."""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, and the whole Bidi_Control set of UAX #9 (U+061C, U+200E,
# U+200F, U+202A-U+202E, U+2066-U+2069), which make "evil\u202etxt.exe" display as
# "evilexe.txt".
_UNSAFE_CHARS = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# The same list as asgikit-files' _DEVICES (asgikit/files/_static.py); the two
# distributions do not depend on each other, so each keeps its copy: change both.
_WINDOWS_DEVICES = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$"]
    + [f"{prefix}{n}" for prefix in ("COM", "LPT") for n in "0123456789\u00b9\u00b2\u00b3"]
)
_MAX_NAME_BYTES = 255


def safe_filename(filename: str) -> str:
    """Reduce a client's filename to a base name that is safe to show and to store.

    Only the last component after any ``/`` or ``\\`` is kept; control and bidi
    characters are removed; ``:`` becomes ``_``; leading and trailing spaces and
    trailing dots are stripped; Windows device names (``CON``, ``NUL.txt``, ``COM1``,
    ...) get a ``_`` prefix; the result is cut to 255 UTF-8 bytes, keeping the
    extension. A name that is nothing but dots or spaces gives ``""``. The result never
    contains a path separator, NUL or ``..`` as a whole name.

    It is still client data: store uploads under names the application chooses.
    """
    name = _UNSAFE_CHARS.sub("", filename)
    name = name[max(name.rfind("/"), name.rfind("\\")) + 1 :]
    name = name.replace(":", "_").strip(" ").rstrip(". ")
    if not name.strip("."):
        return ""
    stem = name.split(".", 1)[0].rstrip(" ").upper()
    if stem in _WINDOWS_DEVICES:
        name = "_" + name
    if len(name.encode("utf-8", "surrogatepass")) > _MAX_NAME_BYTES:
        name = _truncate(name)
    return name


def _truncate(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or len(ext) > 16:
        stem, ext = name, ""
    suffix = f".{ext}" if ext else ""
    budget = _MAX_NAME_BYTES - len(suffix.encode("utf-8", "surrogatepass"))
    cut = stem.encode("utf-8", "surrogatepass")[:budget].decode("utf-8", "ignore")
    return cut.rstrip(". ") + suffix
