"""The public names of asgikit.compression, pinned."""

from __future__ import annotations

from pathlib import Path

from asgikit.testing import portion_problems

PUBLIC: dict[str, list[str]] = {
    "asgikit.compression": [
        "DEFAULT_CODINGS",
        "DEFAULT_MINIMUM_SIZE",
        "DEFAULT_THREAD_THRESHOLDS",
        "CompressionMiddleware",
        "CompressionOptions",
        "Plan",
        "available_codings",
        "compressed_headers",
        "is_already_compressed",
        "is_compressible",
        "plan_response",
        "varied_headers",
    ],
}

SRC = Path(__file__).resolve().parent.parent / "src" / "asgikit"


def test_every_public_module_is_pinned_with_its_names() -> None:
    assert portion_problems(SRC, PUBLIC) == []
