"""Noticing a regular package named ``asgikit`` where the namespace package should be.

``asgikit`` is a namespace package (PEP 420): no distribution ships
``asgikit/__init__.py``, so the namespace itself cannot run code. An unrelated project
on PyPI is also named ``asgikit`` and ships a regular ``asgikit/__init__.py``; installed
in the same environment, it takes the name, and our modules then load only by accident,
inside its package. Core checks for that when ``asgikit.errors`` is first imported
(every core module imports it) and says what to do instead of failing obscurely later.
"""

from __future__ import annotations

import sys
from types import ModuleType


def shadowing_file(namespace: ModuleType | None) -> str | None:
    """The ``__init__`` file of a regular package standing in for the namespace, or None.

    A namespace package has no ``__file__`` (or ``None``); a regular package has one.
    """
    if namespace is None:
        return None
    found = getattr(namespace, "__file__", None)
    return found if isinstance(found, str) else None


def shadowing_message(path: str) -> str:
    return (
        f"a regular package named asgikit (from {path}) shadows the asgikit namespace "
        "package that asgikit-core, -forms, -files and -websockets share; it is probably "
        "the unrelated PyPI project 'asgikit': pip uninstall asgikit"
    )


def check_namespace() -> None:
    """Raise ``ImportError`` when a regular package has taken the ``asgikit`` name."""
    path = shadowing_file(sys.modules.get("asgikit"))
    if path is not None:
        raise ImportError(shadowing_message(path), name="asgikit", path=path)
