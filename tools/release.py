"""Release one asgikit distribution: bump, changelog, check, commit, tag, build.

Python 3.11+ with ``packaging`` (the dev dependency group); needs ``uv`` and ``git`` on
PATH. Usage::

    uv run --no-sync python tools/release.py asgikit-forms minor --dry-run   # change nothing
    uv run --no-sync python tools/release.py asgikit-forms minor             # 0.1.0 -> 0.2.0
    uv run --no-sync python tools/release.py asgikit-core 0.2.0 --no-tag

Steps:

1. preconditions: ``<dist>`` is a workspace member; its pyproject.toml, CHANGELOG.md and
   uv.lock have no uncommitted changes; the ``## Unreleased`` section of its changelog
   has entries; the tag ``<dist>-v<version>`` does not exist yet;
2. ``uv version --package <dist> --bump <part>`` (or ``<X.Y.Z>``) with ``--no-sync``:
   rewrites pyproject.toml and uv.lock;
3. moves the ``## Unreleased`` entries under a new ``## <version> (<date>)`` heading,
   leaving an empty ``## Unreleased``;
4. re-runs ``tools/check_layout.py``: a sibling whose range now excludes the new version
   fails loudly, and the release is rolled back (files restored) so the tree stays clean;
5. ``git commit`` of exactly those three files: ``Release <dist> <version>``;
6. ``git tag -a <dist>-v<version>`` (unless ``--no-tag``);
7. ``uv build --package <dist> --no-sources -o dist/<dist>``.
"""

from __future__ import annotations

import argparse
import datetime
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from tools.check_layout import admits, load_members

TOOLS = Path(__file__).resolve().parent
ROOT = TOOLS.parent
BUMPS = ("major", "minor", "patch")
_UNRELEASED = re.compile(r"^##\s+\[?unreleased\]?\s*$", re.IGNORECASE | re.MULTILINE)
_HEADING2 = re.compile(r"^##\s", re.MULTILINE)


def is_release_version(text: str) -> bool:
    """Whether ``text`` is a version to release under: PEP 440, already in normal form
    (what ``uv version`` writes back), no epoch, no local label."""
    try:
        version = Version(text)
    except InvalidVersion:
        return False
    return str(version) == text and version.epoch == 0 and version.local is None


class ReleaseError(Exception):
    """The release cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class Step:
    """One step: a description and, for commands, the command line."""

    what: str
    cmd: list[str] | None = None


def move_unreleased(text: str, version: str, date: str) -> str:
    """Move the entries under ``## Unreleased`` to a new ``## <version> (<date>)`` section
    right below it, leaving ``## Unreleased`` empty.

    Raises :class:`ReleaseError` when there is no Unreleased section, it is empty, or the
    version already has a heading.
    """
    match = _UNRELEASED.search(text)
    if match is None:
        raise ReleaseError("the changelog has no '## Unreleased' heading")
    if re.search(rf"^##\s+\[?v?{re.escape(version)}\]?(?:\s|$)", text, re.MULTILINE):
        raise ReleaseError(f"the changelog already has a heading for {version}")
    start = match.end()
    following = _HEADING2.search(text, start)
    end = following.start() if following else len(text)
    entries = text[start:end].strip("\n")
    if not entries.strip():
        raise ReleaseError(
            "nothing under '## Unreleased' in the changelog; write the release notes first"
        )
    head = text[: match.start()]
    tail = text[end:]
    section = f"## Unreleased\n\n## {version} ({date})\n\n{entries}\n"
    return head + section + ("\n" + tail if tail else "")


def run(cmd: list[str], *, cwd: Path, capture: bool = True) -> str:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=capture, text=True, check=False)
    if proc.returncode != 0:
        output = ((proc.stdout or "") + (proc.stderr or "")).strip() if capture else ""
        raise ReleaseError(f"failed (exit {proc.returncode}): {' '.join(cmd)}\n{output}")
    return (proc.stdout or "").strip() if capture else ""


def member_version(root: Path, dist: str) -> str:
    """The member's current version, as ``uv version`` reads it."""
    return run(["uv", "version", "--package", dist, "--short"], cwd=root)


def next_version(root: Path, dist: str, target: str) -> str:
    """The version ``uv version`` would write (read-only: ``--dry-run``)."""
    if target in BUMPS:
        cmd = ["uv", "version", "--package", dist, "--bump", target, "--dry-run", "--short"]
    else:
        cmd = ["uv", "version", "--package", dist, target, "--dry-run", "--short"]
    out = run(cmd, cwd=root).splitlines()
    return out[-1].strip() if out else ""


def dependents_excluding(root: Path, dist: str, version: str) -> list[str]:
    """Members whose declared range on ``dist`` does not admit ``version``."""
    found = []
    for member in load_members(root):
        for where, text in member.requirements():
            try:
                req = Requirement(text)
                if canonicalize_name(req.name) != canonicalize_name(dist) or not req.specifier:
                    continue
                if not admits(req.specifier, version):
                    found.append(f"{member.name} {where}: {text!r} excludes {dist} {version}")
            except (InvalidRequirement, InvalidVersion) as exc:
                found.append(f"{member.name} {where}: {text!r}: {exc}")
    return found


def plan(root: Path, dist: str, target: str, version: str, *, tag: bool) -> list[Step]:
    bump = ["--bump", target] if target in BUMPS else [target]
    steps = [
        Step(
            f"bump {dist} to {version}",
            ["uv", "version", "--package", dist, *bump, "--no-sync"],
        ),
        Step(f"move '## Unreleased' entries under '## {version}' in packages/{dist}/CHANGELOG.md"),
        Step(
            "check layout and sibling ranges",
            [sys.executable, str(TOOLS / "check_layout.py"), "--root", str(root), "-q"],
        ),
        Step(
            "commit",
            [
                "git",
                "commit",
                "-m",
                f"Release {dist} {version}",
                "--",
                f"packages/{dist}/pyproject.toml",
                f"packages/{dist}/CHANGELOG.md",
                "uv.lock",
            ],
        ),
    ]
    if tag:
        steps.append(
            Step(
                "tag",
                ["git", "tag", "-a", f"{dist}-v{version}", "-m", f"{dist} {version}"],
            )
        )
    steps.append(
        Step(
            "build",
            ["uv", "build", "--package", dist, "--no-sources", "-o", f"dist/{dist}"],
        )
    )
    return steps


def release(root: Path, dist: str, target: str, *, dry_run: bool, tag: bool, date: str) -> str:
    """Run (or, with ``dry_run``, print) the release; return the new version."""
    pyproject = root / "packages" / dist / "pyproject.toml"
    changelog = root / "packages" / dist / "CHANGELOG.md"
    lock = root / "uv.lock"
    if not pyproject.is_file():
        members = sorted(p.parent.name for p in (root / "packages").glob("*/pyproject.toml"))
        raise ReleaseError(f"{dist} is not a workspace member; members: {', '.join(members)}")
    if target not in BUMPS and not is_release_version(target):
        raise ReleaseError(f"{target!r} is neither {'/'.join(BUMPS)} nor a version like 1.2.3")
    files = [pyproject, changelog, lock]
    rel = [p.relative_to(root).as_posix() for p in files]
    current = member_version(root, dist)
    version = next_version(root, dist, target)
    if not version or version == current:
        raise ReleaseError(f"{target!r} does not change {dist}'s version ({current})")
    try:
        if Version(version) <= Version(current):
            raise ReleaseError(f"{version} is not above {dist}'s current version {current}")
    except InvalidVersion as exc:
        raise ReleaseError(str(exc)) from None
    tag_name = f"{dist}-v{version}"

    # Every precondition, checked before anything changes (and reported by --dry-run).
    blockers = []
    dirty = run(["git", "status", "--porcelain", "--", *rel], cwd=root)
    if dirty:
        blockers.append(f"uncommitted changes in files the release rewrites:\n{dirty}")
    if tag and run(["git", "tag", "--list", tag_name], cwd=root):
        blockers.append(f"tag {tag_name} already exists")
    try:
        new_changelog = move_unreleased(changelog.read_text(encoding="utf-8"), version, date)
    except (ReleaseError, OSError) as exc:
        blockers.append(f"packages/{dist}/CHANGELOG.md: {exc}")
        new_changelog = ""
    excluding = dependents_excluding(root, dist, version)
    if excluding:
        blockers.append(
            "dependent ranges exclude the new version (widen them in the dependents' "
            "pyproject.toml and commit that first):\n  " + "\n  ".join(excluding)
        )
    original = {path: path.read_bytes() for path in files}

    print(f"release {dist}: {current} -> {version}" + (" (dry run)" if dry_run else ""))
    steps = plan(root, dist, target, version, tag=tag)
    commit_step = next(i for i, s in enumerate(steps, 1) if s.what == "commit")
    if blockers and not dry_run:
        raise ReleaseError("; ".join(blockers) + "\nnothing was changed")
    for number, step in enumerate(steps, 1):
        shown = f"  $ {shlex.join(step.cmd)}" if step.cmd else ""
        print(f"[{number}/{len(steps)}] {step.what}{shown}")
        if dry_run:
            if step.cmd is None and new_changelog:
                print(textwrap_section(new_changelog, version))
            continue
        if step.cmd is None:
            changelog.write_text(new_changelog, encoding="utf-8")
            continue
        try:
            if step.what.startswith("check"):
                run(step.cmd, cwd=root)
            else:
                output = run(step.cmd, cwd=root)
                if output:
                    print("    " + output.replace("\n", "\n    "))
        except ReleaseError as exc:
            if number < commit_step:  # nothing committed yet: put the files back
                for path, content in original.items():
                    path.write_bytes(content)
                raise ReleaseError(
                    f"{exc}\nrolled back: {', '.join(rel)} restored; fix what the step "
                    "reports, commit that, then release again."
                ) from None
            remaining = [shlex.join(s.cmd) for s in steps[number - 1 :] if s.cmd]
            raise ReleaseError(
                f"{exc}\nthe release commit is made; finish by hand:\n  " + "\n  ".join(remaining)
            ) from None
    if dry_run:
        if blockers:
            raise ReleaseError(
                "dry run: the release would stop before changing anything:\n- "
                + "\n- ".join(blockers)
            )
        print(f"dry run: nothing changed; would release {dist} {version}")
    else:
        built = sorted(p.name for p in (root / "dist" / dist).glob(f"*{version}*"))
        print(f"released {dist} {version}" + (f", tagged {tag_name}" if tag else ""))
        print(f"built dist/{dist}/: {', '.join(built)}")
    return version


def textwrap_section(changelog: str, version: str) -> str:
    """The new changelog section, indented, for the dry-run printout."""
    match = re.search(rf"^## {re.escape(version)} .*?(?=^## |\Z)", changelog, re.M | re.S)
    section = match.group(0).rstrip() if match else ""
    return "\n".join(f"    | {line}" for line in section.splitlines())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Release one distribution: bump its version with `uv version`, move the "
        "Unreleased changelog entries under the new version, check the workspace, commit, "
        "tag <dist>-v<version> and build it into dist/<dist>.",
    )
    parser.add_argument("dist", help="the distribution, e.g. asgikit-forms")
    parser.add_argument("version", help="major, minor, patch or an explicit version (1.2.3)")
    parser.add_argument("--dry-run", action="store_true", help="print every step, change nothing")
    parser.add_argument("--no-tag", action="store_true", help="commit but do not tag")
    parser.add_argument(
        "--date",
        default=datetime.date.today().isoformat(),
        help="date for the changelog heading (default: today)",
    )
    parser.add_argument(
        "--root", type=Path, default=ROOT, help="repository root (default: this repository)"
    )
    args = parser.parse_args(argv)
    try:
        release(
            args.root.resolve(),
            args.dist,
            args.version,
            dry_run=args.dry_run,
            tag=not args.no_tag,
            date=args.date,
        )
    except ReleaseError as exc:
        print(f"release: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
