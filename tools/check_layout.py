"""Check the layout and consistency of the asgikit uv workspace.

Python 3.11+ with ``packaging`` (in the dev dependency group; PEP 440 versions and
specifiers, PEP 508 requirements). Run from the dev environment::

    uv run --no-sync python tools/check_layout.py            # this workspace
    uv run --no-sync python tools/check_layout.py --root DIR

What it checks (DESIGN.md section 1, monorepo-anchors.md section 3):

- the root ``pyproject.toml`` is a virtual workspace root (no ``[project]``), lists every
  member under ``[tool.uv.workspace] members`` and as ``{ workspace = true }`` in
  ``[tool.uv.sources]``;
- every ``packages/<dir>`` has ``project.name == <dir>``, a static PEP 440 ``version``,
  the same ``requires-python`` as every other member, hatchling as build backend and the
  wheel target ``packages = ["src/asgikit"]``;
- ``src/asgikit/`` is a namespace portion: no ``__init__.py``, no ``py.typed``, no file
  directly in it; every folder in it is a subpackage with ``__init__.py`` and ``py.typed``;
  no two members ship the same subpackage;
- every dependency on a sibling carries a version range and the sibling's current version
  satisfies it; asgikit-core declares no runtime dependency; a member imports (at run
  time, outside ``if TYPE_CHECKING:``) only its own subpackages and those of siblings it
  depends on;
- each member has README.md and CHANGELOG.md, and the changelog has a heading for the
  current version;
- the compiled build's hook (``hatch_build.py``) is one file in every member, and no
  coroutine in a module it compiles awaits in a ``finally`` (mypyc miscompiles that).

Exit status: 0 when everything holds, 1 with one line per problem otherwise.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import fnmatch
import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

NAMESPACE = "asgikit"
CORE = "asgikit-core"
WHEEL_PACKAGES = [f"src/{NAMESPACE}"]
BUILD_BACKEND = "hatchling.build"


def admits(specifier: SpecifierSet, version: str | Version) -> bool:
    """Whether an installer would take ``version`` for ``specifier``.

    PEP 440: "Pre-releases of any kind ... are implicitly excluded from all version
    specifiers, unless they are already present on the system, explicitly requested by
    the user, or if the only available version that satisfies the version specifier is a
    pre-release." A workspace sibling at ``0.4.0a1`` is therefore only admitted by a
    range that names a pre-release itself (``>=0.4.0a1``), as uv resolves it; packaging's
    own default for a single version is more lenient.
    """
    return specifier.contains(version, prereleases=bool(specifier.prereleases))


# -- the workspace ---------------------------------------------------------------------


@dataclass
class Member:
    directory: Path
    pyproject: dict[str, Any]

    @property
    def dirname(self) -> str:
        return self.directory.name

    @property
    def project(self) -> dict[str, Any]:
        project = self.pyproject.get("project")
        return project if isinstance(project, dict) else {}

    @property
    def name(self) -> str:
        return str(self.project.get("name", ""))

    @property
    def version(self) -> str | None:
        version = self.project.get("version")
        return version if isinstance(version, str) else None

    @property
    def namespace_dir(self) -> Path:
        return self.directory / "src" / NAMESPACE

    def subpackages(self) -> list[str]:
        """Top-level folders of ``src/asgikit`` (the import packages this member ships)."""
        if not self.namespace_dir.is_dir():
            return []
        return sorted(
            p.name
            for p in self.namespace_dir.iterdir()
            if p.is_dir() and p.name != "__pycache__" and not p.name.startswith(".")
        )

    def requirements(self) -> list[tuple[str, str]]:
        """(where, requirement string) for runtime and optional dependencies."""
        found = [("dependencies", str(r)) for r in self.project.get("dependencies", [])]
        optional = self.project.get("optional-dependencies", {})
        if isinstance(optional, dict):
            for extra, reqs in optional.items():
                found += [(f"optional-dependencies.{extra}", str(r)) for r in reqs]
        return found


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    def fail(self, message: str) -> None:
        self.problems.append(message)

    def ok(self, message: str) -> None:
        self.checked.append(message)

    def expect(self, condition: bool, ok: str, problem: str) -> bool:
        if condition:
            self.ok(ok)
        else:
            self.fail(problem)
        return condition


def _load_toml(path: Path, report: Report) -> dict[str, Any] | None:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        report.fail(f"{path}: missing")
    except tomllib.TOMLDecodeError as exc:
        report.fail(f"{path}: invalid TOML: {exc}")
    return None


def _get(table: dict[str, Any], *keys: str) -> Any:
    node: Any = table
    for key in keys:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def find_members(root: Path) -> list[Path]:
    """Every ``packages/<dir>`` that holds a ``pyproject.toml``."""
    packages = root / "packages"
    if not packages.is_dir():
        return []
    return sorted(p for p in packages.iterdir() if (p / "pyproject.toml").is_file())


def load_members(root: Path, report: Report | None = None) -> list[Member]:
    report = report if report is not None else Report()
    members = []
    for directory in find_members(root):
        data = _load_toml(directory / "pyproject.toml", report)
        if data is not None:
            members.append(Member(directory, data))
    return members


def check_root(root: Path, members: list[Member], report: Report) -> None:
    data = _load_toml(root / "pyproject.toml", report)
    if data is None:
        return
    report.expect(
        "project" not in data,
        "root pyproject.toml is a virtual workspace root (no [project])",
        "root pyproject.toml: has a [project] table; the root must be a virtual workspace "
        "root (DESIGN section 1)",
    )
    globs = _get(data, "tool", "uv", "workspace", "members") or []
    excludes = _get(data, "tool", "uv", "workspace", "exclude") or []
    sources = _get(data, "tool", "uv", "sources") or {}
    if not isinstance(sources, dict):
        sources = {}
    normalized_sources = {canonicalize_name(k): v for k, v in sources.items()}
    for member in members:
        rel = member.directory.relative_to(root).as_posix()
        listed = any(fnmatch.fnmatchcase(rel, g.rstrip("/")) for g in globs)
        excluded = any(fnmatch.fnmatchcase(rel, g.rstrip("/")) for g in excludes)
        report.expect(
            listed and not excluded,
            f"{rel}: in [tool.uv.workspace] members",
            f"root pyproject.toml: {rel} is not matched by [tool.uv.workspace] members "
            f"{globs}" + (f" (excluded by {excludes})" if excluded else ""),
        )
        source = normalized_sources.get(canonicalize_name(member.name or member.dirname))
        report.expect(
            source == {"workspace": True},
            f"{member.dirname}: in [tool.uv.sources] with workspace = true",
            f"root pyproject.toml: [tool.uv.sources] needs "
            f"{member.name or member.dirname} = {{ workspace = true }} (found {source!r})",
        )


def check_member_metadata(member: Member, report: Report) -> None:
    name = member.dirname
    project = member.pyproject.get("project")
    if not isinstance(project, dict):
        report.fail(f"{name}: pyproject.toml has no [project] table")
        return
    report.expect(
        member.name == name,
        f"{name}: project.name matches its folder",
        f"{name}: project.name is {member.name!r}, must equal the folder name {name!r}",
    )
    dynamic = project.get("dynamic", [])
    report.expect(
        "version" not in dynamic and member.version is not None,
        f"{name}: static version {member.version}",
        f"{name}: version must be static in [project] (found dynamic={dynamic!r}, "
        f"version={project.get('version')!r}); `uv version` cannot bump dynamic versions",
    )
    if member.version is not None:
        try:
            Version(member.version)
        except InvalidVersion:
            report.fail(f"{name}: version {member.version!r} is not a PEP 440 version")
    backend = _get(member.pyproject, "build-system", "build-backend")
    report.expect(
        backend == BUILD_BACKEND,
        f"{name}: built with hatchling",
        f"{name}: [build-system] build-backend is {backend!r}, expected {BUILD_BACKEND!r}",
    )
    target = _get(member.pyproject, "tool", "hatch", "build", "targets", "wheel", "packages")
    report.expect(
        target == WHEEL_PACKAGES,
        f"{name}: wheel target packages = {WHEEL_PACKAGES}",
        f"{name}: [tool.hatch.build.targets.wheel] packages is {target!r}, "
        f"must be exactly {WHEEL_PACKAGES!r}",
    )
    for doc in ("README.md", "CHANGELOG.md"):
        report.expect(
            (member.directory / doc).is_file(),
            f"{name}: has {doc}",
            f"{name}: {doc} is missing",
        )
    if member.version is not None and (member.directory / "CHANGELOG.md").is_file():
        text = (member.directory / "CHANGELOG.md").read_text(encoding="utf-8")
        report.expect(
            changelog_has_version(text, member.version),
            f"{name}: CHANGELOG.md has a heading for {member.version}",
            f"{name}: CHANGELOG.md has no '## {member.version}' heading for the current version",
        )


def changelog_has_version(text: str, version: str) -> bool:
    """Whether a changelog has a ``## <version>`` heading (``[...]``, ``v`` and a trailing
    date or other text allowed)."""
    pattern = re.compile(rf"^##\s+\[?v?{re.escape(version)}\]?(?:\s|$)", re.MULTILINE)
    return pattern.search(text) is not None


def check_requires_python(members: list[Member], report: Report) -> None:
    values = {m.dirname: m.project.get("requires-python") for m in members}
    missing = sorted(name for name, value in values.items() if not value)
    for name in missing:
        report.fail(f"{name}: requires-python is not set")
    distinct = {v for v in values.values() if v}
    if len(distinct) > 1:
        listing = ", ".join(f"{k}: {v}" for k, v in sorted(values.items()))
        report.fail(f"requires-python differs between members ({listing})")
    elif distinct and not missing:
        report.ok(f"requires-python {next(iter(distinct))!r} in every member")


def check_namespace(member: Member, report: Report) -> None:
    name = member.dirname
    ns = member.namespace_dir
    if not ns.is_dir():
        report.fail(f"{name}: src/{NAMESPACE}/ does not exist")
        return
    rel = f"{name}/src/{NAMESPACE}"
    stray = sorted(p.name for p in ns.iterdir() if not p.is_dir())
    for forbidden in ("__init__.py", "py.typed"):
        if forbidden in stray:
            report.fail(
                f"{rel}/{forbidden}: must not exist ({NAMESPACE} is a PEP 420 namespace "
                "shared by every distribution)"
            )
    others = [s for s in stray if s not in ("__init__.py", "py.typed")]
    for other in others:
        report.fail(
            f"{rel}/{other}: no file may sit directly in the namespace; make it a folder "
            f"{NAMESPACE}/<name>/ with __init__.py and py.typed"
        )
    if not stray:
        report.ok(f"{name}: src/{NAMESPACE}/ holds folders only")
    subpackages = member.subpackages()
    if not subpackages:
        report.fail(f"{rel}: ships no subpackage")
    for sub in subpackages:
        folder = ns / sub
        if not sub.isidentifier():
            report.fail(f"{rel}/{sub}: not a valid import name")
        missing = [f for f in ("__init__.py", "py.typed") if not (folder / f).is_file()]
        report.expect(
            not missing,
            f"{name}: {NAMESPACE}.{sub} has __init__.py and py.typed",
            f"{rel}/{sub}/: missing {' and '.join(missing)}",
        )
        for nested in sorted(folder.rglob("*")):
            if not nested.is_dir() or "__pycache__" in nested.parts:
                continue
            has_python = any(nested.glob("*.py"))
            if has_python and not (nested / "__init__.py").is_file():
                report.fail(
                    f"{rel}/{nested.relative_to(ns).as_posix()}/: holds Python files but no "
                    "__init__.py"
                )


def check_overlap(members: list[Member], report: Report) -> dict[str, str]:
    """Map subpackage -> owning distribution; report subpackages shipped twice."""
    owners: dict[str, list[str]] = {}
    for member in members:
        for sub in member.subpackages():
            owners.setdefault(sub, []).append(member.name or member.dirname)
    clash = {sub: names for sub, names in owners.items() if len(names) > 1}
    for sub, names in sorted(clash.items()):
        report.fail(f"{NAMESPACE}.{sub} is shipped by more than one member: {', '.join(names)}")
    if not clash:
        report.ok(f"no subpackage shipped twice ({len(owners)} subpackages)")
    return {sub: names[0] for sub, names in owners.items()}


def check_dependencies(members: list[Member], report: Report) -> None:
    versions = {canonicalize_name(m.name): m.version for m in members if m.name}
    for member in members:
        name = member.dirname
        if canonicalize_name(member.name) == CORE:
            deps = member.project.get("dependencies", [])
            report.expect(
                deps == [],
                f"{name}: declares no runtime dependency",
                f"{name}: must declare no runtime dependency (standard library only); "
                f"found {deps!r}",
            )
        for where, text in member.requirements():
            try:
                req = Requirement(text)
            except InvalidRequirement as exc:
                report.fail(f"{name}: {where}: {text!r} is not a PEP 508 requirement: {exc}")
                continue
            key = canonicalize_name(req.name)
            if key not in versions:
                continue
            if key == canonicalize_name(member.name):
                report.fail(f"{name}: {where}: depends on itself ({text!r})")
                continue
            current = versions[key]
            if req.url is not None:
                report.fail(f"{name}: {where}: {text!r} is a direct URL; use a version range")
                continue
            if not req.specifier:
                report.fail(
                    f"{name}: {where}: sibling dependency {text!r} has no version range; "
                    f"write e.g. '{req.name}>=X.Y,<X.Z' (uv does not check ranges in a "
                    "workspace)"
                )
                continue
            if current is None:
                continue  # reported by the metadata check
            try:
                satisfied = admits(req.specifier, current)
            except InvalidVersion:
                continue  # reported by the metadata check
            report.expect(
                satisfied,
                f"{name}: {req.name}{req.specifier} admits the workspace's {current}",
                f"{name}: {where}: {text!r} excludes {req.name} {current}, the version in the "
                f"workspace; widen the range in packages/{name}/pyproject.toml",
            )


def _type_checking_test(node: ast.expr) -> bool:
    if isinstance(node, ast.Name):
        return node.id == "TYPE_CHECKING"
    return isinstance(node, ast.Attribute) and node.attr == "TYPE_CHECKING"


class _ImportCollector(ast.NodeVisitor):
    def __init__(self) -> None:
        self.found: set[str] = set()

    def visit_If(self, node: ast.If) -> None:
        if _type_checking_test(node.test):
            for stmt in node.orelse:
                self.visit(stmt)
        else:
            self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            parts = alias.name.split(".")
            if parts[0] == NAMESPACE and len(parts) > 1:
                self.found.add(parts[1])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level or not node.module:
            return
        parts = node.module.split(".")
        if parts[0] != NAMESPACE:
            return
        if len(parts) > 1:
            self.found.add(parts[1])
        else:
            self.found.update(alias.name for alias in node.names)


def runtime_namespace_imports(source: str) -> set[str]:
    """Subpackages of the namespace that ``source`` imports outside ``if TYPE_CHECKING:``."""
    collector = _ImportCollector()
    collector.visit(ast.parse(source))
    return collector.found


def check_imports(members: list[Member], owners: dict[str, str], report: Report) -> None:
    for member in members:
        name = member.dirname
        declared = {canonicalize_name(member.name)}
        for _, text in member.requirements():
            with contextlib.suppress(InvalidRequirement):  # reported by check_dependencies
                declared.add(canonicalize_name(Requirement(text).name))
        bad: dict[str, set[str]] = {}
        if not member.namespace_dir.is_dir():
            continue
        for path in sorted(member.namespace_dir.rglob("*.py")):
            try:
                subs = runtime_namespace_imports(path.read_text(encoding="utf-8"))
            except SyntaxError as exc:
                report.fail(f"{path}: does not parse: {exc}")
                continue
            for sub in subs:
                owner = owners.get(sub)
                if owner is None:
                    bad.setdefault(f"{NAMESPACE}.{sub} (no member ships it)", set()).add(
                        path.relative_to(member.directory).as_posix()
                    )
                elif canonicalize_name(owner) not in declared:
                    bad.setdefault(f"{NAMESPACE}.{sub} (from {owner})", set()).add(
                        path.relative_to(member.directory).as_posix()
                    )
        for what, paths in sorted(bad.items()):
            report.fail(
                f"{name}: imports {what} at run time without depending on it "
                f"({', '.join(sorted(paths))}); declare the dependency or move the import "
                "under `if TYPE_CHECKING:` / load it lazily"
            )
        if not bad:
            report.ok(f"{name}: imports only its own and declared siblings' subpackages")


def check_compile_hooks(members: list[Member], report: Report) -> None:
    """Every member's hatch_build.py (the compiled build's hook) is the same file."""
    hooks = {
        m.dirname: (m.directory / "hatch_build.py").read_bytes()
        for m in members
        if (m.directory / "hatch_build.py").is_file()
    }
    if len(set(hooks.values())) > 1:
        report.fail(
            "hatch_build.py differs between "
            + ", ".join(sorted(hooks))
            + ": copy one over the others"
        )
    elif hooks:
        report.ok(f"hatch_build.py identical in {', '.join(sorted(hooks))}")


def _nested_nodes(nodes: list[ast.AST]) -> list[ast.AST]:
    """``nodes`` and every node under them, except the functions and lambdas they define
    (the code of another function)."""
    found: list[ast.AST] = []
    for node in nodes:
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            found.append(node)
            found += _nested_nodes(list(ast.iter_child_nodes(node)))
    return found


def awaits_in_finally(source: str) -> list[str]:
    """``line name()`` of each coroutine in ``source`` that awaits in a ``finally``.

    mypyc (2.4) compiles such a ``finally`` by keeping the pending error in the handled
    exception state (``sys.exc_info()``), which it does not restore, and re-raises what
    it finds there when the ``finally`` ends, even after a ``try`` that succeeded: an
    error the caller is handling, or one an earlier call left behind. A compiled module
    catches the error and awaits after the block instead (see
    ``asgikit.requests._close_then_raise``).
    """
    found = []
    for function in ast.walk(ast.parse(source)):
        if not isinstance(function, ast.AsyncFunctionDef):
            continue
        for node in _nested_nodes(list(function.body)):
            if isinstance(node, ast.Try | ast.TryStar) and any(
                isinstance(inner, ast.Await | ast.AsyncWith | ast.AsyncFor)
                for inner in _nested_nodes(list(node.finalbody))
            ):
                found.append(f"{node.lineno} {function.name}()")
    return found


def check_compiled_modules(members: list[Member], report: Report) -> None:
    """No coroutine in a module of the compiled build awaits in a ``finally``."""
    for member in members:
        hooks = member.pyproject.get("tool", {}).get("hatch", {}).get("build", {})
        hook = hooks.get("targets", {}).get("wheel", {}).get("hooks", {}).get("custom", {})
        modules = hook.get("compile", []) if isinstance(hook, dict) else []
        bad = []
        for module in modules:
            path = member.directory / "src" / module
            try:
                hits = awaits_in_finally(path.read_text(encoding="utf-8"))
            except (OSError, SyntaxError) as exc:
                report.fail(f"{member.dirname}: compiled module {module}: {exc}")
                continue
            bad += [f"{module}:{hit}" for hit in hits]
        if bad:
            report.fail(
                f"{member.dirname}: a compiled coroutine awaits in a finally, which mypyc "
                f"miscompiles ({', '.join(bad)}); catch the error, await after the block, "
                "then raise it"
            )
        elif modules:
            report.ok(f"{member.dirname}: no compiled coroutine awaits in a finally")


def check_workspace(root: Path) -> Report:
    """Run every check on the workspace at ``root``."""
    report = Report()
    members = load_members(root, report)
    if not members:
        report.fail(f"{root}: no packages/<dir>/pyproject.toml found")
        return report
    report.ok(f"members: {', '.join(m.dirname for m in members)}")
    check_root(root, members, report)
    for member in members:
        check_member_metadata(member, report)
        check_namespace(member, report)
    check_requires_python(members, report)
    owners = check_overlap(members, report)
    check_dependencies(members, report)
    check_imports(members, owners, report)
    check_compile_hooks(members, report)
    check_compiled_modules(members, report)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Check the layout and version consistency of the asgikit workspace "
        "(namespace portions, py.typed markers, static versions, sibling ranges, changelogs).",
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=Path(__file__).resolve().parent.parent,
        help="workspace root (default: the repository holding this script)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    args = parser.parse_args(argv)
    root: Path = args.root.resolve()
    report = check_workspace(root)
    if not args.quiet:
        for line in report.checked:
            print(f"  ok    {line}")
    for line in report.problems:
        print(f"  FAIL  {line}", file=sys.stderr)
    if report.problems:
        print(
            f"check_layout: {len(report.problems)} problem(s), "
            f"{len(report.checked)} check(s) passed in {root}",
            file=sys.stderr,
        )
        return 1
    print(f"check_layout: all {len(report.checked)} checks passed in {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
