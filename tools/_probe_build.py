"""Print which build of each named asgikit module is loaded: ``compiled`` or ``pure``.

Run by check_wheels.py inside a wheel's venv: ``python -I _probe_build.py requests``.
"""

from __future__ import annotations

import importlib
import sys


def main(names: list[str]) -> int:
    for name in names:
        module = importlib.import_module(f"asgikit.{name}")
        print(f"{name}: {'compiled' if getattr(module, 'COMPILED', False) else 'pure'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
