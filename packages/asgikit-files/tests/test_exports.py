"""The public names of asgikit.files, pinned; the namespace portion; its errors."""

from __future__ import annotations

from pathlib import Path

import asgikit.files as files
from asgikit.testing import portion_problems

PUBLIC: dict[str, list[str]] = {
    "asgikit.files": [
        "ByteRange",
        "DEFAULT_CHUNK_SIZE",
        "DEFAULT_MAX_RANGES",
        "FileOptions",
        "StaticOptions",
        "DEFAULT_MEDIA_TYPE",
        "FileChangedError",
        "MEDIA_TYPES",
        "StaticFiles",
        "content_disposition",
        "evaluate_preconditions",
        "format_http_date",
        "guess_media_type",
        "if_range_allows",
        "make_etag",
        "negotiate_encoding",
        "parse_accept_encoding",
        "parse_http_date",
        "parse_range",
        "respond_file",
        "safe_path_segments",
        "serve_static",
    ],
}

SRC = Path(__file__).resolve().parent.parent / "src" / "asgikit"


def test_every_public_module_is_pinned_with_its_names() -> None:
    assert portion_problems(SRC, PUBLIC) == []


def test_the_namespace_has_no_init_of_ours() -> None:
    src = Path(files.__file__).parent.parent
    assert not (src / "__init__.py").exists()
    assert (src / "files" / "py.typed").exists()


def test_errors_are_in_the_tree() -> None:
    from asgikit.errors import AsgikitError

    assert issubclass(files.FileChangedError, AsgikitError)
    assert issubclass(files.FileChangedError, RuntimeError)


def test_header_parsers_are_core_s() -> None:
    # Moved to asgikit-core in 0.2; the names here stay, as the very same objects.
    from asgikit.headers import conditional, disposition
    from asgikit.headers import range as range_header

    for module, names in (
        (
            conditional,
            ["evaluate_preconditions", "format_http_date", "if_range_allows", "parse_http_date"],
        ),
        (disposition, ["content_disposition"]),
        (range_header, ["DEFAULT_MAX_RANGES", "ByteRange", "parse_range"]),
    ):
        for name in names:
            assert getattr(files, name) is getattr(module, name), name
