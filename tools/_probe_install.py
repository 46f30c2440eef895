"""Run by tools/check_install.py with a venv's Python: is asgikit installed as it should be?

    python -I _probe_install.py MODULE...

Imports each ``asgikit.<module>`` given, checks that ``asgikit`` is a namespace package
whose portions all come from this venv, and that no distribution named ``asgikit`` (the
unrelated PyPI project) is installed. Prints one line per check; exit 1 on the first
failure. Standard library only.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import sys


def check(condition: bool, message: str) -> None:
    if not condition:
        print(f"FAILED: {message}")
        raise SystemExit(1)
    print(f"ok: {message}")


def main(modules: list[str]) -> None:
    prefix = os.path.realpath(sys.prefix)
    for name in modules:
        module = importlib.import_module(f"asgikit.{name}")
        where = os.path.realpath(str(module.__file__))
        check(where.startswith(prefix), f"asgikit.{name} imports from the venv ({where})")
    namespace = sys.modules["asgikit"]
    check(getattr(namespace, "__file__", None) is None, "asgikit is a namespace package")
    try:
        other = importlib.metadata.distribution("asgikit")
    except importlib.metadata.PackageNotFoundError:
        other = None
    check(other is None, "no distribution named 'asgikit' (the unrelated project) is installed")


if __name__ == "__main__":
    main(sys.argv[1:])
