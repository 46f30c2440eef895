"""safe_filename(): a base name, never a path."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asgikit.forms import safe_filename


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("/abs/path.txt", "path.txt"),
        ("\\\\server\\share\\x.txt", "x.txt"),
        ("C:evil.txt", "C_evil.txt"),
        ("a:b", "a_b"),
        ("..", ""),
        (".", ""),
        ("...", ""),
        ("   ", ""),
        ("", ""),
        ("dir/", ""),
        ("a\x00b", "ab"),
        ("tab\there", "tabhere"),
        ("name. . .", "name"),
        ("  spaced.txt  ", "spaced.txt"),
        (".htaccess", ".htaccess"),
        ("CON", "_CON"),
        ("con.txt", "_con.txt"),
        ("Lpt1.tar.gz", "_Lpt1.tar.gz"),
        ("COM¹", "_COM¹"),
        ("clock$.txt", "_clock$.txt"),  # the same device list as asgikit-files
        ("CONOUT$", "_CONOUT$"),
        ("console.txt", "console.txt"),
        ("evil\u202egpj.exe", "evilgpj.exe"),
        ("日本語.txt", "日本語.txt"),
    ],
)
def test_examples(raw: str, safe: str) -> None:
    assert safe_filename(raw) == safe


def test_long_names_keep_their_extension() -> None:
    name = safe_filename("é" * 300 + ".jpeg")
    assert name.endswith(".jpeg")
    assert len(name.encode()) <= 255


def test_long_names_without_extension() -> None:
    assert len(safe_filename("x" * 1000).encode()) == 255


@given(st.text())
def test_never_a_path(raw: str) -> None:
    name = safe_filename(raw)
    assert "/" not in name and "\\" not in name and "\x00" not in name
    assert name not in (".", "..")
    assert not any(ord(c) < 0x20 for c in name)
    assert len(name.encode("utf-8", "surrogatepass")) <= 255
    assert safe_filename(name) == name
