"""Check the layout and consistency of the asgikit uv workspace.

Standard library only (Python 3.11+). Run from anywhere::

    python tools/check_layout.py            # the workspace this file lives in
    python tools/check_layout.py --root DIR

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
  current version.

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

NAMESPACE = "asgikit"
CORE = "asgikit-core"
WHEEL_PACKAGES = [f"src/{NAMESPACE}"]
BUILD_BACKEND = "hatchling.build"

# -- PEP 440 versions and specifiers (the subset this project uses) -----------------------

_VERSION_RE = re.compile(
    r"""
    ^\s*v?
    (?:(?P<epoch>\d+)!)?
    (?P<release>\d+(?:\.\d+)*)
    (?:[-_.]?(?P<pre_l>a|b|c|rc|alpha|beta|pre|preview)[-_.]?(?P<pre_n>\d+)?)?
    (?:-(?P<post_n1>\d+)|[-_.]?(?P<post_l>post|rev|r)[-_.]?(?P<post_n2>\d+)?)?
    (?:[-_.]?(?P<dev_l>dev)[-_.]?(?P<dev_n>\d+)?)?
    (?:\+(?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?
    \s*$
    """,
    re.VERBOSE | re.IGNORECASE,
)
_PRE_NAMES = {"a": "a", "alpha": "a", "b": "b", "beta": "b", "c": "rc", "rc": "rc"}
_PRE_NAMES |= {"pre": "rc", "preview": "rc"}
_PRE_ORDER = {"a": 0, "b": 1, "rc": 2}


class InvalidVersion(ValueError):
    """A string that is not a PEP 440 version."""


class InvalidSpecifier(ValueError):
    """A version specifier this checker does not understand."""


@dataclass(frozen=True)
class Version:
    """A parsed PEP 440 version (local labels are kept but ignored when comparing)."""

    epoch: int
    release: tuple[int, ...]
    pre: tuple[str, int] | None = None
    post: int | None = None
    dev: int | None = None
    local: str | None = None

    @classmethod
    def parse(cls, text: str) -> Version:
        match = _VERSION_RE.match(text)
        if match is None:
            raise InvalidVersion(f"not a PEP 440 version: {text!r}")
        pre = None
        if match["pre_l"]:
            pre = (_PRE_NAMES[match["pre_l"].lower()], int(match["pre_n"] or 0))
        post = None
        if match["post_n1"]:
            post = int(match["post_n1"])
        elif match["post_l"]:
            post = int(match["post_n2"] or 0)
        dev = int(match["dev_n"] or 0) if match["dev_l"] else None
        return cls(
            epoch=int(match["epoch"] or 0),
            release=tuple(int(part) for part in match["release"].split(".")),
            pre=pre,
            post=post,
            dev=dev,
            local=match["local"],
        )

    @property
    def is_prerelease(self) -> bool:
        return self.pre is not None or self.dev is not None

    @property
    def public(self) -> Version:
        return Version(self.epoch, self.release, self.pre, self.post, self.dev)

    @property
    def base(self) -> Version:
        return Version(self.epoch, self.release)

    def key(self) -> tuple[Any, ...]:
        """A sort key following PEP 440's ordering (release padded with zeros)."""
        release = list(self.release)
        while len(release) > 1 and release[-1] == 0:
            release.pop()
        # dev-only release (1.0.dev1) sorts before its pre-releases (1.0a1).
        if self.pre is None and self.post is None and self.dev is not None:
            pre_key: tuple[int, int] = (-1, 0)
        elif self.pre is None:
            pre_key = (3, 0)
        else:
            pre_key = (_PRE_ORDER[self.pre[0]], self.pre[1])
        post_key = -1 if self.post is None else self.post
        dev_key = float("inf") if self.dev is None else self.dev
        return (self.epoch, tuple(release), pre_key, post_key, dev_key)

    def __lt__(self, other: Version) -> bool:
        return self.key() < other.key()

    def __le__(self, other: Version) -> bool:
        return self.key() <= other.key()

    def __gt__(self, other: Version) -> bool:
        return self.key() > other.key()

    def __ge__(self, other: Version) -> bool:
        return self.key() >= other.key()

    def same(self, other: Version) -> bool:
        """PEP 440 equality (``1.0 == 1.0.0``), local labels ignored."""
        return self.public.key() == other.public.key()

    def __str__(self) -> str:
        text = ".".join(str(part) for part in self.release)
        if self.epoch:
            text = f"{self.epoch}!{text}"
        if self.pre is not None:
            text += f"{self.pre[0]}{self.pre[1]}"
        if self.post is not None:
            text += f".post{self.post}"
        if self.dev is not None:
            text += f".dev{self.dev}"
        if self.local:
            text += f"+{self.local}"
        return text


_CLAUSE_RE = re.compile(r"^\s*(===|~=|==|!=|<=|>=|<|>)\s*([^\s,;]+)\s*$")


@dataclass(frozen=True)
class Clause:
    """One ``<operator><version>`` clause of a specifier set."""

    operator: str
    version: str

    def __str__(self) -> str:
        return f"{self.operator}{self.version}"


def _prefix_match(candidate: Version, prefix_text: str) -> bool:
    prefix = Version.parse(prefix_text)
    if prefix.pre or prefix.post is not None or prefix.dev is not None:
        raise InvalidSpecifier(f"a '.*' prefix must be a plain release: {prefix_text}.*")
    width = len(prefix.release)
    padded = candidate.release + (0,) * max(0, width - len(candidate.release))
    return candidate.epoch == prefix.epoch and padded[:width] == prefix.release


def clause_contains(clause: Clause, candidate: Version) -> bool:
    """Whether ``candidate`` satisfies one clause (pre-release policy aside)."""
    op, text = clause.operator, clause.version
    if op == "===":
        return str(candidate) == text
    if text.endswith(".*"):
        if op not in ("==", "!="):
            raise InvalidSpecifier(f"'.*' is only allowed with == and !=: {clause}")
        matched = _prefix_match(candidate.public, text[:-2])
        return matched if op == "==" else not matched
    spec = Version.parse(text)
    if spec.local and op not in ("==", "!="):
        raise InvalidSpecifier(f"a local version is only allowed with == and !=: {clause}")
    cand = candidate if spec.local else candidate.public
    if op == "==":
        return cand.key() == spec.key() and (spec.local is None or cand.local == spec.local)
    if op == "!=":
        return not clause_contains(Clause("==", text), candidate)
    if op == ">=":
        return cand >= spec
    if op == "<=":
        return cand <= spec
    if op == ">":
        if not cand > spec:
            return False
        # >V excludes post-releases of V unless V is itself a post-release.
        return not (spec.post is None and cand.post is not None and cand.base.same(spec.base))
    if op == "<":
        if not cand < spec:
            return False
        # <V excludes pre-releases of V unless V is itself a pre-release.
        return not (not spec.is_prerelease and cand.is_prerelease and cand.base.same(spec.base))
    if op == "~=":
        if len(spec.release) < 2:
            raise InvalidSpecifier(f"~= needs at least two release parts: {clause}")
        prefix = ".".join(str(part) for part in spec.release[:-1])
        if spec.epoch:
            prefix = f"{spec.epoch}!{prefix}"
        return cand >= spec and _prefix_match(cand, prefix)
    raise InvalidSpecifier(f"unknown operator in {clause}")  # pragma: no cover


def parse_specifier(text: str) -> list[Clause]:
    """``">=0.1, <0.2"`` -> clauses; an empty string gives no clauses."""
    text = text.strip()
    if text.startswith("(") and text.endswith(")"):
        text = text[1:-1]
    if not text.strip():
        return []
    clauses = []
    for part in text.split(","):
        match = _CLAUSE_RE.match(part)
        if match is None:
            raise InvalidSpecifier(f"not a version clause: {part.strip()!r} in {text!r}")
        clause = Clause(match[1], match[2])
        if clause.operator != "===" and not clause.version.endswith(".*"):
            Version.parse(clause.version)  # raises InvalidVersion early
        clauses.append(clause)
    return clauses


def specifier_contains(clauses: list[Clause], version: str | Version) -> bool:
    """Whether ``version`` satisfies every clause, with PEP 440's pre-release rule: a
    pre-release only matches when some clause names a pre-release itself."""
    candidate = version if isinstance(version, Version) else Version.parse(version)
    if candidate.is_prerelease:
        allows_pre = any(
            c.operator != "===" and not c.version.endswith(".*") and _names_prerelease(c)
            for c in clauses
        )
        if not allows_pre:
            return False
    return all(clause_contains(clause, candidate) for clause in clauses)


def _names_prerelease(clause: Clause) -> bool:
    return Version.parse(clause.version).is_prerelease


# -- requirements ----------------------------------------------------------------------

_REQ_RE = re.compile(
    r"""
    ^\s*(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*
    (?:\[(?P<extras>[^\]]*)\])?\s*
    (?P<rest>[^;]*?)\s*
    (?:;\s*(?P<marker>.*?))?\s*$
    """,
    re.VERBOSE,
)


def normalize(name: str) -> str:
    """PEP 503 name normalization."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Requirement:
    name: str
    extras: tuple[str, ...]
    specifier: str
    url: str | None
    marker: str | None

    @classmethod
    def parse(cls, text: str) -> Requirement:
        match = _REQ_RE.match(text)
        if match is None:
            raise ValueError(f"not a requirement: {text!r}")
        rest = match["rest"]
        url = None
        if rest.startswith("@"):
            url, rest = rest[1:].strip(), ""
        extras = tuple(e.strip() for e in (match["extras"] or "").split(",") if e.strip())
        return cls(match["name"], extras, rest, url, match["marker"] or None)

    @property
    def key(self) -> str:
        return normalize(self.name)


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
    normalized_sources = {normalize(k): v for k, v in sources.items()}
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
        source = normalized_sources.get(normalize(member.name or member.dirname))
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
            Version.parse(member.version)
        except InvalidVersion as exc:
            report.fail(f"{name}: {exc}")
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
    versions = {normalize(m.name): m.version for m in members if m.name}
    for member in members:
        name = member.dirname
        if normalize(member.name) == CORE:
            deps = member.project.get("dependencies", [])
            report.expect(
                deps == [],
                f"{name}: declares no runtime dependency",
                f"{name}: must declare no runtime dependency (standard library only); "
                f"found {deps!r}",
            )
        for where, text in member.requirements():
            try:
                req = Requirement.parse(text)
            except ValueError as exc:
                report.fail(f"{name}: {where}: {exc}")
                continue
            if req.key not in versions:
                continue
            if req.key == normalize(member.name):
                report.fail(f"{name}: {where}: depends on itself ({text!r})")
                continue
            current = versions[req.key]
            if req.url is not None:
                report.fail(f"{name}: {where}: {text!r} is a direct URL; use a version range")
                continue
            try:
                clauses = parse_specifier(req.specifier)
            except ValueError as exc:
                report.fail(f"{name}: {where}: {text!r}: {exc}")
                continue
            if not clauses:
                report.fail(
                    f"{name}: {where}: sibling dependency {text!r} has no version range; "
                    f"write e.g. '{req.name}>=X.Y,<X.Z' (uv does not check ranges in a "
                    "workspace)"
                )
                continue
            if current is None:
                continue  # reported by the metadata check
            try:
                satisfied = specifier_contains(clauses, current)
            except ValueError as exc:
                report.fail(f"{name}: {where}: {text!r}: {exc}")
                continue
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
        declared = {normalize(member.name)}
        for _, text in member.requirements():
            with contextlib.suppress(ValueError):  # reported by check_dependencies
                declared.add(Requirement.parse(text).key)
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
                elif normalize(owner) not in declared:
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
