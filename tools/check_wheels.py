"""Build every asgikit distribution and prove each wheel stands alone.

Python 3.11+ with ``packaging`` (the dev dependency group); needs ``uv`` on PATH and PyPI
for the wheels' third-party dependencies and mypy. Run from the dev environment::

    uv run --no-sync python tools/check_wheels.py                  # everything
    uv run --no-sync python tools/check_wheels.py --contents-only  # build and inspect only
    uv run --no-sync python tools/check_wheels.py --keep           # keep the temporary dir

Steps:

1. ``uv build --all-packages --no-sources -o <tmp>/dist``: one wheel and one sdist per
   member, at the version in its pyproject.toml.
2. Wheel contents, with zipfile: no file shipped by two wheels; everything lies under
   ``asgikit/<own subpackages>/`` or the wheel's dist-info; the same files as the
   member's ``src/asgikit``; every subpackage has ``__init__.py`` and ``py.typed``; no
   ``asgikit/__init__.py`` or ``asgikit/py.typed``. METADATA: name, version and
   Requires-Python match pyproject.toml; asgikit-core has no ``Requires-Dist``; every
   declared dependency is there with the same range (siblings keep their ranges).
   Sdists: hold pyproject.toml, README.md, the portion, no namespace ``__init__.py``.
3. For each wheel, a fresh venv holding only that wheel, the sibling wheels it needs (from
   the build directory, never the workspace) and its PyPI dependencies, plus mypy:
   ``uv pip check``; ``python -I tools/_probe_install.py`` imports its portions (from the
   venv; asgikit a namespace package); the smoke app ``tools/wheel_smoke/<dist>.py``
   drives the package's own API in-process and checks that the members not installed
   are absent; ``mypy --strict`` on ``tools/wheel_typing/<dist>_good.py`` (must pass)
   and ``<dist>_bad.py``, whose every ``# ERROR`` line must be reported (which proves the
   ``py.typed`` markers work). In the asgikit-core venv, ``read_form()``,
   ``respond_file()`` and ``websocket_accept()`` must raise
   ``asgikit.errors.MissingDistributionError`` naming the distribution to install.

4. The compiled build: each member whose pyproject.toml lists modules to compile (the
   ``compile`` key of its hatch build hook) is built again with ``ASGIKIT_COMPILE=1``
   (mypyc). Its wheel must be a platform wheel holding the pure wheel's files, one
   extension module beside each compiled module's source, and the group's shared
   library ``<group>__mypyc.*.so`` at the top; it is then installed alone as in step 3,
   with the compiled wheels of its compiled siblings, and ``COMPILED`` must say so.
   ``--pure-only`` skips this step.

The smoke apps and snippets are real files, linted by ruff and type-checked by the
project's mypy run (the ``_bad.py`` snippets excepted: their errors are the point).

Exit status: 0 when every check passes, 1 otherwise (each failure printed).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import email.parser
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import textwrap
import time
import zipfile
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from tools.check_layout import CORE, NAMESPACE, Member, load_members

TOOLS = Path(__file__).resolve().parent
ROOT = TOOLS.parent
STEP_TIMEOUT = 300
PROBE_BUILD = TOOLS / "_probe_build.py"


class CheckFailed(Exception):
    """A check failed; the message says which and why."""


@dataclass
class Outcome:
    dist: str
    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0


# -- helpers ---------------------------------------------------------------------------


def run(
    cmd: list[str], *, cwd: Path, timeout: float = STEP_TIMEOUT
) -> subprocess.CompletedProcess[str]:
    """Run ``cmd``; raise :class:`CheckFailed` with its output when it fails."""
    try:
        proc = subprocess.run(
            cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
        )
    except FileNotFoundError as exc:
        raise CheckFailed(f"cannot run {cmd[0]!r}: {exc}") from None
    except subprocess.TimeoutExpired:
        raise CheckFailed(f"timed out after {timeout:.0f}s: {' '.join(cmd)}") from None
    if proc.returncode != 0:
        output = (proc.stdout + proc.stderr).strip()
        raise CheckFailed(
            f"exit {proc.returncode}: {' '.join(cmd)}\n" + textwrap.indent(output, "      | ")
        )
    return proc


def dist_filename(name: str) -> str:
    """The distribution name as wheel and sdist file names spell it."""
    return canonicalize_name(name).replace("-", "_")


def sibling_closure(member: Member, by_name: dict[str, Member]) -> list[Member]:
    """The siblings ``member`` needs at run time, transitively (without itself)."""
    needed: dict[str, Member] = {}
    todo = [member]
    while todo:
        current = todo.pop()
        for text in current.project.get("dependencies", []):
            key = canonicalize_name(Requirement(str(text)).name)
            sibling = by_name.get(key)
            if sibling is not None and key not in needed and key != canonicalize_name(member.name):
                needed[key] = sibling
                todo.append(sibling)
    return [needed[k] for k in sorted(needed)]


def source_files(member: Member) -> set[str]:
    """Files under the member's ``src/asgikit``, as wheel paths (``asgikit/x/y.py``)."""
    base = member.directory / "src"
    return {
        p.relative_to(base).as_posix()
        for p in member.namespace_dir.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }


# -- wheel and sdist contents (pure functions over file lists) --------------------------


def wheel_problems(
    name: str, version: str, subpackages: list[str], files: list[str], expected: set[str]
) -> list[str]:
    """Problems with the file list of ``name``'s wheel.

    ``expected`` is the set of ``asgikit/...`` files the sources hold.
    """
    problems = []
    dist_info = f"{dist_filename(name)}-{version}.dist-info/"
    shipped = {f for f in files if not f.endswith("/")}
    for path in sorted(shipped):
        if path.startswith(dist_info):
            continue
        parts = path.split("/")
        if parts[0] != NAMESPACE:
            problems.append(f"{path}: outside {NAMESPACE}/ and {dist_info}")
        elif len(parts) == 2:
            problems.append(f"{path}: a file directly in the {NAMESPACE} namespace")
        elif parts[1] not in subpackages:
            problems.append(f"{path}: {NAMESPACE}.{parts[1]} is not one of this member's")
    for sub in subpackages:
        for marker in ("__init__.py", "py.typed"):
            if f"{NAMESPACE}/{sub}/{marker}" not in shipped:
                problems.append(f"{NAMESPACE}/{sub}/{marker}: missing")
    for required in ("METADATA", "WHEEL", "RECORD"):
        if f"{dist_info}{required}" not in shipped:
            problems.append(f"{dist_info}{required}: missing")
    ours = {f for f in shipped if f.startswith(f"{NAMESPACE}/")}
    for path in sorted(expected - ours):
        problems.append(f"{path}: in the sources but not in the wheel")
    for path in sorted(ours - expected):
        if path.split("/")[1:2] and path.split("/")[1] in subpackages:
            problems.append(f"{path}: in the wheel but not in the sources")
    return problems


def compile_config(member: Member) -> tuple[list[str], str] | None:
    """The modules a member compiles and its group name, or ``None`` (pure Python only)."""
    hooks = member.pyproject.get("tool", {}).get("hatch", {}).get("build", {})
    hook = hooks.get("targets", {}).get("wheel", {}).get("hooks", {}).get("custom", {})
    modules, group = hook.get("compile"), hook.get("group")
    if not isinstance(modules, list) or not isinstance(group, str):
        return None
    return [str(m) for m in modules], group


def compiled_wheel_problems(
    wheel_name: str, files: list[str], pure_files: list[str], modules: list[str], group: str
) -> list[str]:
    """Problems with a compiled wheel's file list, against the pure wheel's."""
    problems = []
    if wheel_name.endswith("-none-any.whl"):
        problems.append("a pure-Python tag: the compiled modules are missing")
    shipped = {f for f in files if not f.endswith("/") and ".dist-info/" not in f}
    pure = {f for f in pure_files if not f.endswith("/") and ".dist-info/" not in f}
    extensions = {f for f in shipped - pure if f.endswith((".so", ".pyd"))}
    for path in sorted(pure - shipped):
        problems.append(f"{path}: in the pure wheel but not in the compiled one")
    for path in sorted(shipped - pure - extensions):
        problems.append(f"{path}: neither in the pure wheel nor an extension module")
    stems = {e.split(".", 1)[0] for e in extensions}
    for module in modules:
        if module.removesuffix(".py") not in stems:
            problems.append(f"{module}: not compiled (no extension module beside it)")
    expected = {m.removesuffix(".py") for m in modules} | {f"{group}__mypyc"}
    for stem in sorted(stems - expected):
        problems.append(f"{stem}: an extension module that is not in the compile list")
    return problems


def overlap_problems(contents: dict[str, list[str]]) -> list[str]:
    """Files shipped by more than one wheel (``contents``: wheel name -> file list)."""
    owners: dict[str, list[str]] = {}
    for wheel, files in contents.items():
        for path in files:
            if not path.endswith("/"):
                owners.setdefault(path, []).append(wheel)
    return [
        f"{path}: shipped by {', '.join(sorted(wheels))}"
        for path, wheels in sorted(owners.items())
        if len(wheels) > 1
    ]


def metadata_problems(member: Member, metadata: str, siblings: AbstractSet[str]) -> list[str]:
    """Problems with a wheel's METADATA against the member's pyproject.toml."""
    problems = []
    message = email.parser.Parser().parsestr(metadata, headersonly=True)
    if canonicalize_name(message.get("Name", "")) != canonicalize_name(member.name):
        problems.append(f"METADATA Name is {message.get('Name')!r}, expected {member.name!r}")
    if message.get("Version") != member.version:
        problems.append(
            f"METADATA Version is {message.get('Version')!r}, expected {member.version!r}"
        )
    declared_python = member.project.get("requires-python")
    if declared_python and SpecifierSet(message.get("Requires-Python", "")) != SpecifierSet(
        str(declared_python)
    ):
        problems.append(
            f"METADATA Requires-Python is {message.get('Requires-Python')!r}, "
            f"expected {declared_python!r}"
        )
    shipped: dict[str, list[Requirement]] = {}
    for text in message.get_all("Requires-Dist") or []:
        req = Requirement(text)
        shipped.setdefault(canonicalize_name(req.name), []).append(req)
        is_extra = req.marker is not None and "extra" in str(req.marker)
        if canonicalize_name(member.name) == CORE and not is_extra:
            problems.append(f"METADATA: {CORE} must have no runtime Requires-Dist: {text!r}")
        if canonicalize_name(req.name) in siblings and not req.specifier:
            problems.append(f"METADATA: sibling requirement without a range: {text!r}")
    for text in member.project.get("dependencies", []):
        declared = Requirement(str(text))
        same_name = shipped.get(canonicalize_name(declared.name), [])
        found = [r for r in same_name if r.marker == declared.marker]
        if not found:
            problems.append(f"METADATA: declared dependency {text!r} has no Requires-Dist")
        elif found[0].specifier != declared.specifier:
            problems.append(
                f"METADATA: Requires-Dist {found[0].name}{found[0].specifier} differs from "
                f"the declared {text!r}"
            )
    return problems


def sdist_problems(name: str, version: str, subpackages: list[str], files: list[str]) -> list[str]:
    prefix = f"{dist_filename(name)}-{version}/"
    problems = [f"{path}: outside {prefix}" for path in files if not path.startswith(prefix)]
    inside = {path[len(prefix) :] for path in files if path.startswith(prefix)}
    for required in ("pyproject.toml", "PKG-INFO", "README.md"):
        if required not in inside:
            problems.append(f"{prefix}{required}: missing from the sdist")
    for forbidden in (f"src/{NAMESPACE}/__init__.py", f"src/{NAMESPACE}/py.typed"):
        if forbidden in inside:
            problems.append(f"{prefix}{forbidden}: must not exist")
    for sub in subpackages:
        if f"src/{NAMESPACE}/{sub}/py.typed" not in inside:
            problems.append(f"{prefix}src/{NAMESPACE}/{sub}/py.typed: missing from the sdist")
    return problems


# -- per-distribution smoke apps and typing snippets -----------------------------------
#
# They are real files, linted and type-checked with the rest of the project: the smoke
# apps in tools/wheel_smoke/ (one module per distribution, sharing harness.py), the
# typing snippets in tools/wheel_typing/ (<module>_good.py, <module>_bad.py).

SMOKE_DIR = TOOLS / "wheel_smoke"
TYPING_DIR = TOOLS / "wheel_typing"
PROBE = TOOLS / "_probe_install.py"


def module_name(dist: str) -> str:
    """``asgikit-forms`` -> ``asgikit_forms``: the smoke module and snippet file stem."""
    return canonicalize_name(dist).replace("-", "_")


def smoke_app(dist: str) -> Path:
    return SMOKE_DIR / f"{module_name(dist)}.py"


def typing_snippets(dist: str) -> tuple[Path, Path]:
    """The good and the bad (``# ERROR``-marked) typing snippet of ``dist``."""
    stem = module_name(dist)
    return TYPING_DIR / f"{stem}_good.py", TYPING_DIR / f"{stem}_bad.py"


# Lines marked "# ERROR" must each be reported by mypy --strict; nothing else may be.
_MYPY_LINE = re.compile(r"^(?P<file>[\w.]+\.py):(?P<line>\d+):(?:\d+:)? error: (?P<text>.*)$")


def typing_problems(good: str, bad: str, mypy_output: str) -> list[str]:
    """Compare mypy's output on ``good.py`` and ``bad.py`` with the ``# ERROR`` marks."""
    expected = {i for i, line in enumerate(bad.splitlines(), 1) if line.endswith("# ERROR")}
    reported: dict[str, set[int]] = {"good.py": set(), "bad.py": set()}
    problems = []
    for line in mypy_output.splitlines():
        match = _MYPY_LINE.match(line.strip())
        if match:
            reported.setdefault(match["file"], set()).add(int(match["line"]))
            if match["file"] == "good.py" or int(match["line"]) not in expected:
                problems.append(f"mypy reported an unexpected error: {line.strip()}")
    for number in sorted(expected - reported["bad.py"]):
        problems.append(
            f"mypy missed the deliberate error on bad.py line {number}: "
            f"{bad.splitlines()[number - 1].strip()!r} (is py.typed shipped?)"
        )
    return problems


def type_check_snippets(python: Path, dist: str, where: Path) -> str:
    """Run ``python -m mypy --strict`` in ``where`` on ``dist``'s good and bad snippets.

    Raise :class:`CheckFailed` unless the good one is clean and exactly the ``# ERROR``
    lines of the bad one are reported; return the line to print when they are.
    """
    good_path, bad_path = typing_snippets(dist)
    if not (good_path.is_file() and bad_path.is_file()):
        raise CheckFailed(
            f"no typing snippets for {dist}: write {good_path.relative_to(ROOT)} "
            f"and {bad_path.relative_to(ROOT)}"
        )
    good = good_path.read_text(encoding="utf-8")
    bad = bad_path.read_text(encoding="utf-8")
    (where / "good.py").write_text(good, encoding="utf-8")
    (where / "bad.py").write_text(bad, encoding="utf-8")
    (where / "mypy.ini").write_text("[mypy]\nstrict = True\n", encoding="utf-8")
    mypy = subprocess.run(
        [str(python), "-m", "mypy", "--config-file", "mypy.ini", "good.py", "bad.py"],
        cwd=where, capture_output=True, text=True, timeout=STEP_TIMEOUT, check=False,
    )  # fmt: skip
    found = typing_problems(good, bad, mypy.stdout)
    if mypy.returncode not in (0, 1) or "error:" not in mypy.stdout:
        found.append(f"mypy exited {mypy.returncode}: {(mypy.stdout + mypy.stderr).strip()}")
    if found:
        raise CheckFailed("; ".join(found))
    wrong = sum(line.endswith("# ERROR") for line in bad.splitlines())
    return (
        f"mypy --strict: {good_path.name} clean, {wrong} deliberate errors in "
        f"{bad_path.name} reported"
    )


# -- the steps -------------------------------------------------------------------------


def build(out: Path) -> None:
    run(["uv", "build", "--all-packages", "--no-sources", "-o", str(out)], cwd=ROOT)


def check_artifacts(members: list[Member], out: Path) -> tuple[dict[str, Path], list[str]]:
    """Inspect wheels and sdists; return each member's wheel and the problems found."""
    problems: list[str] = []
    wheels: dict[str, Path] = {}
    contents: dict[str, list[str]] = {}
    siblings = {canonicalize_name(m.name) for m in members}
    for member in members:
        stem = f"{dist_filename(member.name)}-{member.version}"
        found = sorted(out.glob(f"{stem}-*.whl"))
        sdists = sorted(out.glob(f"{stem}.tar.gz"))
        if len(found) != 1 or len(sdists) != 1:
            problems.append(
                f"{member.name}: expected one {stem}-*.whl and one {stem}.tar.gz in {out}, "
                f"found {[p.name for p in out.iterdir()]}"
            )
            continue
        wheel = wheels[member.name] = found[0]
        with zipfile.ZipFile(wheel) as zf:
            names = zf.namelist()
            metadata = zf.read(f"{stem}.dist-info/METADATA").decode()
        contents[wheel.name] = names
        own = [
            f"{wheel.name}: {p}"
            for p in wheel_problems(
                member.name, str(member.version), member.subpackages(), names, source_files(member)
            )
        ]
        own += [f"{wheel.name}: {p}" for p in metadata_problems(member, metadata, siblings)]
        with tarfile.open(sdists[0]) as tf:
            tar_names = [m.name for m in tf.getmembers() if m.isfile()]
        own += [
            f"{sdists[0].name}: {p}"
            for p in sdist_problems(
                member.name, str(member.version), member.subpackages(), tar_names
            )
        ]
        problems += own
        if not own:
            typed = ", ".join(f"{NAMESPACE}.{s}" for s in member.subpackages())
            print(f"  ok    {wheel.name}: {len(names)} files, py.typed in {typed}; metadata ok")
            print(f"  ok    {sdists[0].name}: sources, pyproject.toml, README.md")
    overlap = overlap_problems(contents)
    problems += overlap
    if not overlap and contents:
        print(f"  ok    no file shipped by two wheels ({len(contents)} wheels)")
    return wheels, problems


def build_compiled(members: list[Member], out: Path) -> dict[str, Path]:
    """Build the compiled wheel of each member that has modules to compile."""
    wheels: dict[str, Path] = {}
    env = {**os.environ, "ASGIKIT_COMPILE": "1"}
    for member in members:
        if compile_config(member) is None:
            continue
        cmd = ["uv", "build", "--wheel", "--no-sources", "-o", str(out), str(member.directory)]
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env, check=False)
        if proc.returncode != 0:
            raise CheckFailed(f"exit {proc.returncode}: {' '.join(cmd)}\n{proc.stderr[-3000:]}")
        stem = f"{dist_filename(member.name)}-{member.version}-"
        (wheels[member.name],) = sorted(out.glob(f"{stem}*.whl"))
    return wheels


def check_compiled_artifacts(
    members: list[Member], pure: dict[str, Path], compiled: dict[str, Path]
) -> list[str]:
    problems: list[str] = []
    for member in members:
        config = compile_config(member)
        if config is None or member.name not in compiled or member.name not in pure:
            continue
        wheel = compiled[member.name]
        with zipfile.ZipFile(wheel) as zf, zipfile.ZipFile(pure[member.name]) as pz:
            own = compiled_wheel_problems(wheel.name, zf.namelist(), pz.namelist(), *config)
        problems += [f"{wheel.name}: {p}" for p in own]
        if not own:
            size = wheel.stat().st_size / 1e6
            print(f"  ok    {wheel.name}: {len(config[0])} modules compiled ({size:.2f} MB)")
    return problems


def check_alone(
    member: Member, members: list[Member], wheels: dict[str, Path], work: Path
) -> Outcome:
    """Install ``member``'s wheel alone in a fresh venv; import, smoke, type-check."""
    started = time.monotonic()
    outcome = Outcome(member.name)
    compiled = not wheels[member.name].name.endswith("-none-any.whl")
    by_name: dict[str, Member] = {canonicalize_name(m.name): m for m in members}
    needs = sibling_closure(member, by_name)
    installed = sorted([member.name, *(m.name for m in needs)])
    own = member.subpackages()
    absent = sorted(
        {s for m in members if m.name not in installed for s in m.subpackages()} - set(own)
    )
    here = work / (member.name + ("-compiled" if compiled else ""))
    here.mkdir()
    venv = here / "venv"
    python = venv / "bin" / "python"
    try:
        run(["uv", "venv", "--quiet", "--python", sys.executable, str(venv)], cwd=here)
        missing = [m.name for m in needs if m.name not in wheels]
        if missing:
            raise CheckFailed(f"no wheel was built for {', '.join(missing)}")
        run(
            [
                "uv", "pip", "install", "--quiet", "--python", str(python),
                "--find-links", str(wheels[member.name].parent),
                str(wheels[member.name]), *(str(wheels[m.name]) for m in needs), "mypy",
            ],
            cwd=here,
        )  # fmt: skip
        run(["uv", "pip", "check", "--python", str(python)], cwd=here)
        outcome.lines.append(f"installed alone with {', '.join(installed)}; uv pip check ok")
        probe = run([str(python), "-I", str(PROBE), *own], cwd=here)
        checks = sum(line.startswith("ok:") for line in probe.stdout.splitlines())
        outcome.lines.append(f"python -I {PROBE.name} {' '.join(own)} ({checks} checks)")

        app = smoke_app(member.name)
        if not app.is_file():
            raise CheckFailed(f"no smoke app for {member.name}: write {app.relative_to(ROOT)}")
        # The smoke package is copied beside the venv and run with -m from there. Not
        # -I: that would drop the working directory from sys.path, and the package with
        # it. -E -s keep PYTHONPATH and user site-packages out; the harness checks that
        # every asgikit portion comes from the venv.
        smoke_root = here / "smoke"
        shutil.copytree(
            SMOKE_DIR, smoke_root / SMOKE_DIR.name, ignore=shutil.ignore_patterns("__pycache__")
        )
        info = {"dist": member.name, "version": member.version, "installed": installed}
        info |= {"own": own, "absent": absent}
        (here / "info.json").write_text(json.dumps(info), encoding="utf-8")
        module = f"{SMOKE_DIR.name}.{module_name(member.name)}"
        cmd = [str(python), "-E", "-s", "-m", module, str(here / "info.json")]
        proc = run(cmd, cwd=smoke_root, timeout=60)
        checks = sum(line.startswith("ok:") for line in proc.stdout.splitlines())
        outcome.lines.append(f"smoke app {app.relative_to(ROOT)} passed ({checks} checks)")

        outcome.lines.append(type_check_snippets(python, member.name, here))
        build = "compiled" if compiled else "pure"
        flagged = [name for name in own if name in ("requests", "websockets")]
        if flagged:
            loads = run([str(python), "-I", str(PROBE_BUILD), *flagged], cwd=here).stdout
            for line in loads.splitlines():
                name, _, loaded = line.partition(": ")
                if loaded != build:
                    raise CheckFailed(f"{NAMESPACE}.{name}.COMPILED: {loaded}; the wheel: {build}")
                outcome.lines.append(f"{NAMESPACE}.{name}.COMPILED says {loaded}")
    except CheckFailed as exc:
        outcome.problems.append(str(exc))
    except subprocess.TimeoutExpired as exc:
        outcome.problems.append(f"timed out: {exc}")
    outcome.seconds = time.monotonic() - started
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Build every asgikit distribution; check wheel and sdist contents; install "
        "each wheel alone in a fresh venv, import it, run a smoke app and type-check a snippet.",
    )
    parser.add_argument(
        "--contents-only", action="store_true", help="build and inspect only; no venvs"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument(
        "--pure-only", action="store_true", help="skip the compiled wheels (ASGIKIT_COMPILE=1)"
    )
    parser.add_argument(
        "-j", "--jobs", type=int, default=2, help="venvs checked at once (default: 2)"
    )
    parser.add_argument(
        "dists", nargs="*", metavar="DIST", help="only install these alone (default: all)"
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    if shutil.which("uv") is None:
        print("check_wheels: error: uv is not on PATH", file=sys.stderr)
        return 1
    members = load_members(ROOT)
    if not members:
        print(f"check_wheels: error: no members under {ROOT / 'packages'}", file=sys.stderr)
        return 1
    names = {m.name for m in members}
    unknown = sorted(set(args.dists) - names)
    if unknown:
        print(f"check_wheels: error: unknown distribution(s) {unknown}; members: {sorted(names)}")
        return 1
    work = Path(tempfile.mkdtemp(prefix="asgikit-wheels-"))
    problems: list[str] = []
    try:
        out = work / "dist"
        print(f"==> uv build --all-packages --no-sources -o {out}")
        try:
            build(out)
        except CheckFailed as exc:
            print(f"  FAIL  build: {exc}", file=sys.stderr)
            return 1
        print(f"==> wheel and sdist contents ({time.monotonic() - started:.1f}s)")
        wheels, problems = check_artifacts(members, out)
        for problem in problems:
            print(f"  FAIL  {problem}", file=sys.stderr)
        venv_ok = 0
        chosen = [m for m in members if not args.dists or m.name in args.dists]
        if not args.contents_only:
            print(f"==> each wheel alone in a fresh venv ({len(chosen)}; {args.jobs} at once)")
            with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
                futures = [
                    pool.submit(check_alone, member, members, wheels, work)
                    for member in chosen
                    if member.name in wheels
                ]
                for future in futures:
                    outcome = future.result()
                    for line in outcome.lines:
                        print(f"  ok    {outcome.dist}: {line}")
                    for problem in outcome.problems:
                        print(f"  FAIL  {outcome.dist}: {problem}", file=sys.stderr)
                    problems += [f"{outcome.dist}: {p}" for p in outcome.problems]
                    venv_ok += not outcome.problems
                    print(f"        {outcome.dist}: {outcome.seconds:.1f}s")
            for member in chosen:
                if member.name not in wheels:
                    problems.append(f"{member.name}: no wheel, not installed")
        if not args.pure_only:
            elapsed = time.monotonic() - started
            print(f"==> compiled wheels: ASGIKIT_COMPILE=1 uv build ({elapsed:.1f}s)")
            try:
                compiled = build_compiled(members, work / "compiled")
            except CheckFailed as exc:
                compiled = {}
                problems.append(f"compiled build: {exc}")
            found = check_compiled_artifacts(members, wheels, compiled)
            for problem in found:
                print(f"  FAIL  {problem}", file=sys.stderr)
            problems += found
            if not args.contents_only:
                mixed = {**wheels, **compiled}
                for member in chosen:
                    if member.name not in compiled:
                        continue
                    outcome = check_alone(member, members, mixed, work)
                    for line in outcome.lines:
                        print(f"  ok    {outcome.dist} (compiled): {line}")
                    for problem in outcome.problems:
                        print(f"  FAIL  {outcome.dist} (compiled): {problem}", file=sys.stderr)
                    problems += [f"{outcome.dist} (compiled): {p}" for p in outcome.problems]
                    print(f"        {outcome.dist} (compiled): {outcome.seconds:.1f}s")
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    elapsed = time.monotonic() - started
    venvs = "" if args.contents_only else f"; {venv_ok}/{len(chosen)} wheels stand alone"
    if problems:
        print(f"check_wheels: {len(problems)} problem(s){venvs} ({elapsed:.1f}s)", file=sys.stderr)
        return 1
    print(f"check_wheels: {len(members)} wheels and sdists ok{venvs} ({elapsed:.1f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
