"""The compiled build: with ASGIKIT_COMPILE=1, the wheel's hot modules are compiled by mypyc.

Without the variable this hook does nothing and the wheel is pure Python (``py3-none-any``),
as is the sdist. With ``ASGIKIT_COMPILE=1`` it asks for mypy and setuptools in the build
environment, compiles the modules listed under ``compile`` in this hook's table of
pyproject.toml, and adds the extension modules beside their ``.py`` sources (Python
imports an extension before a source of the same name), which makes the wheel a
platform wheel (``cp311-cp311-linux_x86_64``). The shared library that mypyc writes for
the group, ``<group>__mypyc.*.so``, goes at the top of site-packages (the compiled
modules find their packages' paths from it); ``group`` names it after the distribution,
so that two compiled distributions never ship one file.

mypyc needs the types of the sibling distributions that the modules name under
``TYPE_CHECKING`` (the options of forms, files and websockets), so a compiled wheel is
built from the repository (``scripts/compiled-venv``), not from an sdist alone.
The same file is in every compiled distribution: ``tools/check_layout.py`` keeps the
copies identical.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

# The mypy release whose mypyc compiles the modules, as in uv.lock.
MYPY = "mypy==2.4.1"


def _enabled() -> bool:
    return os.environ.get("ASGIKIT_COMPILE", "") == "1"


class CompileHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def dependencies(self) -> list[str]:
        return [MYPY, "setuptools>=70"] if _enabled() else []

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable" or not _enabled():
            return
        modules: list[str] = self.config["compile"]
        group: str = self.config["group"]
        root = Path(self.root)
        src = root / "src"
        work = self._work = Path(tempfile.mkdtemp(prefix="asgikit-mypyc-"))
        built = _compile(src, modules, group, work, root.parent)
        for path in built:
            build_data["force_include"][str(path)] = str(path.relative_to(work / "lib"))
        build_data["pure_python"] = False
        build_data["infer_tag"] = True

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        work: Path | None = getattr(self, "_work", None)
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)


def _compile(src: Path, modules: list[str], group: str, work: Path, siblings: Path) -> list[Path]:
    from mypyc.build import mypycify
    from setuptools import Distribution
    from setuptools.command.build_ext import build_ext

    # Other distributions of the workspace, for the types named under TYPE_CHECKING.
    mypy_path = [str(p) for p in sorted(siblings.glob("asgikit-*/src")) if p != src]
    old_cwd, old_path = Path.cwd(), os.environ.get("MYPYPATH")
    os.environ["MYPYPATH"] = os.pathsep.join(mypy_path)
    os.chdir(src)
    try:
        extensions = mypycify(
            [
                "--explicit-package-bases",
                "--config-file",
                "",
                "--cache-dir",
                str(work / "cache"),
                *modules,
            ],
            opt_level="3",
            target_dir=str(work / "c"),
            group_name=group,
        )
        distribution = Distribution({"name": group, "ext_modules": extensions})
        command = build_ext(distribution)
        command.build_lib = str(work / "lib")
        command.build_temp = str(work / "tmp")
        command.parallel = os.cpu_count() or 1
        command.ensure_finalized()
        command.run()
    finally:
        os.chdir(old_cwd)
        if old_path is None:
            del os.environ["MYPYPATH"]
        else:
            os.environ["MYPYPATH"] = old_path
    built = sorted((work / "lib").rglob("*.so")) + sorted((work / "lib").rglob("*.pyd"))
    if not built:
        sys.exit("mypyc built no extension module")
    return built
