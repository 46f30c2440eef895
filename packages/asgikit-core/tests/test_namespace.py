"""The diagnosis for a regular ``asgikit`` package hiding the namespace.

The real case (a fake regular package installed beside core in a fresh venv) is run by
``tools/check_install.py``; these tests cover the decision itself.
"""

from __future__ import annotations

import sys
from types import ModuleType

import pytest

import asgikit
from asgikit.errors import _namespace


def test_the_installed_asgikit_is_a_namespace() -> None:
    assert _namespace.shadowing_file(asgikit) is None
    _namespace.check_namespace()


def test_a_regular_package_is_named_with_its_file() -> None:
    regular = ModuleType("asgikit")
    regular.__file__ = "/site-packages/asgikit/__init__.py"
    assert _namespace.shadowing_file(regular) == "/site-packages/asgikit/__init__.py"
    namespace = ModuleType("asgikit")
    namespace.__file__ = None
    assert _namespace.shadowing_file(namespace) is None
    assert _namespace.shadowing_file(None) is None


def test_check_namespace_raises_an_import_error_that_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    regular = ModuleType("asgikit")
    regular.__file__ = "/elsewhere/asgikit/__init__.py"
    monkeypatch.setitem(sys.modules, "asgikit", regular)
    with pytest.raises(ImportError) as caught:
        _namespace.check_namespace()
    message = str(caught.value)
    assert "(from /elsewhere/asgikit/__init__.py) shadows the asgikit namespace" in message
    assert "pip uninstall asgikit" in message
    assert caught.value.path == "/elsewhere/asgikit/__init__.py"
