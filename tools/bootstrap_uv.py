"""Find or install uv for the repository scripts, on any machine with a Python 3.

Standard library only, and runs on old Pythons too (3.8+): a stock machine may have an
older ``python3`` than the project needs, and uv then fetches the right one itself.
``scripts/_uv.sh`` runs it when ``uv`` is not on PATH::

    python3 tools/bootstrap_uv.py ~/.cache/asgikit/uv

It prints what it does on stderr and the path of a working ``uv`` as the last line on
stdout. It tries, in order, and stops at the first that works:

1. a ``uv`` already installed: the private folder given, then the user's and this
   Python's script folders (``pip install --user uv`` puts it there);
2. ``pip install --user uv``, only where pip allows it: pip is present, this Python is
   not a virtual environment, and it is not "externally managed" (PEP 668, as Debian's
   and Ubuntu's system Python are);
3. a private virtual environment in the folder given, and pip inside it
   (needs ``ensurepip``, which Debian ships apart, in ``python3-venv``);
4. the uv wheel from the package index (``$UV_DEFAULT_INDEX``, ``$UV_INDEX_URL``,
   ``$PIP_INDEX_URL`` or PyPI), checked against the index's SHA-256, and its ``uv``
   binary unpacked into ``<folder>/bin``. This needs nothing but the standard library,
   which is what a stock Debian or Ubuntu ``python3`` (no pip, no venv) offers.

Exit status: 0 with the path printed; 1 with a sentence that says what to do.
"""

from __future__ import annotations

import hashlib
import html.parser
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

PYPI = "https://pypi.org/simple/"
EXE = ".exe" if os.name == "nt" else ""
BIN = "Scripts" if os.name == "nt" else "bin"
# Legacy manylinux tags and the glibc version each one means (PEP 600).
LEGACY_MANYLINUX = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}
HELP = (
    "install uv yourself (https://docs.astral.sh/uv/getting-started/installation/, "
    "for example `curl -LsSf https://astral.sh/uv/install.sh | sh`) and put it on PATH, "
    "or on Debian/Ubuntu `sudo apt install python3-venv`, then run the script again"
)


class BootstrapError(Exception):
    """A way of getting uv failed; the message says why."""


def say(message: str) -> None:
    print(f"    {message}", file=sys.stderr, flush=True)


def works(uv: Path) -> bool:
    """Whether ``uv`` exists and runs."""
    if not uv.is_file():
        return False
    try:
        proc = subprocess.run(
            [str(uv), "--version"], capture_output=True, text=True, timeout=60, check=False
        )
    except OSError:
        return False
    return proc.returncode == 0


# -- 1 and 2: already installed, pip --user ----------------------------------------------


def script_dirs() -> list[Path]:
    """Where ``pip install [--user] uv`` puts the binary for this Python."""
    dirs = [Path(sysconfig.get_path("scripts"))]
    for scheme in (f"{os.name}_user", "osx_framework_user"):
        if scheme in sysconfig.get_scheme_names():
            dirs.append(Path(sysconfig.get_path("scripts", scheme)))
    dirs.append(Path.home() / ".local" / "bin")
    return dirs


def externally_managed() -> bool:
    """PEP 668: the distribution manages this Python; pip refuses to install into it."""
    return (Path(sysconfig.get_path("stdlib")) / "EXTERNALLY-MANAGED").is_file()


def pip_user_refusal() -> str | None:
    """Why ``pip install --user`` is not for this Python, or None when it is."""
    if sys.prefix != sys.base_prefix:
        return "this python3 is a virtual environment"
    if externally_managed():
        return "this python3 is externally managed (PEP 668)"
    if not has_module("pip"):
        return "this python3 has no pip"
    return None


def has_module(name: str) -> bool:
    proc = subprocess.run(
        [sys.executable, "-c", f"import {name}"], capture_output=True, timeout=60, check=False
    )
    return proc.returncode == 0


def run_quietly(cmd: list[str]) -> None:
    """Run ``cmd``; on failure raise with the last lines of its output."""
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-3:]
        raise BootstrapError(f"`{' '.join(cmd)}` failed: " + " / ".join(tail))


def pip_user() -> Path:
    run_quietly([sys.executable, "-m", "pip", "install", "--user", "--quiet", "uv"])
    for folder in script_dirs():
        if works(folder / f"uv{EXE}"):
            return folder / f"uv{EXE}"
    raise BootstrapError("pip installed uv, but in none of " + ", ".join(map(str, script_dirs())))


# -- 3: a private virtual environment --------------------------------------------------


def private_venv(home: Path) -> Path:
    if not has_module("ensurepip"):
        # Checked first: without it venv leaves a half-made folder behind.
        raise BootstrapError(
            "this python3 cannot make a virtual environment with pip: it has no ensurepip "
            "(Debian and Ubuntu ship it in python3-venv)"
        )
    shutil.rmtree(home, ignore_errors=True)
    try:
        run_quietly([sys.executable, "-m", "venv", str(home)])
        python = home / BIN / f"python{EXE}"
        run_quietly([str(python), "-m", "pip", "install", "--quiet", "uv"])
    except BootstrapError:
        shutil.rmtree(home, ignore_errors=True)
        raise
    uv = home / BIN / f"uv{EXE}"
    if not works(uv):
        raise BootstrapError(f"pip installed uv into {home}, but {uv} does not run")
    return uv


# -- 4: the wheel, straight from the index ---------------------------------------------


def platform_facts() -> tuple[str, str, tuple[int, int] | None]:
    """``(system, machine, libc or macOS version)`` for :func:`wheel_fits`.

    system is ``linux-gnu``, ``linux-musl``, ``macos`` or ``windows``.
    """
    system = platform.system()
    machine = platform.machine().lower()
    if system == "Darwin":
        release = platform.mac_ver()[0].split(".")
        return "macos", machine, (int(release[0]), int(release[1]) if len(release) > 1 else 0)
    if system == "Windows":
        return "windows", machine, None
    libc, version = platform.libc_ver()
    if libc == "glibc":
        major, minor = version.split(".")[:2]
        return "linux-gnu", machine, (int(major), int(minor))
    return "linux-musl", machine, None


def platform_fits(tag: str, system: str, machine: str, have: tuple[int, int] | None) -> bool:
    """Whether one platform tag (``manylinux_2_17_x86_64``, ...) runs here."""
    arches = {machine, {"arm64": "aarch64", "amd64": "x86_64"}.get(machine, machine)}
    if system == "windows":
        windows = {"amd64": "win_amd64", "x86_64": "win_amd64", "arm64": "win_arm64"}
        return tag == windows.get(machine)
    for legacy, glibc in LEGACY_MANYLINUX.items():
        if tag.startswith(legacy + "_"):
            tag = f"manylinux_{glibc[0]}_{glibc[1]}_{tag[len(legacy) + 1 :]}"
    found = re.fullmatch(r"(manylinux|musllinux|macosx)_(\d+)_(\d+)_(.+)", tag)
    if not found:
        return False
    kind, version, arch = found[1], (int(found[2]), int(found[3])), found[4]
    if system == "linux-gnu" and kind == "manylinux":
        return arch in arches and have is not None and version <= have
    if system == "linux-musl" and kind == "musllinux":
        # The musl version is not easy to learn; every musl of recent years is 1.2.
        return arch in arches and version <= (1, 2)
    if system == "macos" and kind == "macosx":
        return arch in {*arches, "universal2"} and have is not None and version <= have
    return False


def wheel_fits(filename: str, system: str, machine: str, have: tuple[int, int] | None) -> bool:
    """Whether a uv wheel file name has a platform tag that runs here."""
    found = re.fullmatch(r"uv-[^-]+-py3-none-(.+)\.whl", filename)
    if not found:
        return False
    return any(platform_fits(tag, system, machine, have) for tag in found[1].split("."))


def wheel_version(filename: str) -> tuple[int, ...] | None:
    """The release version of a uv wheel (``uv-0.9.5-...``); None for pre-releases."""
    found = re.match(r"uv-(\d+(?:\.\d+)*)-", filename)
    return tuple(int(part) for part in found[1].split(".")) if found else None


class _Links(html.parser.HTMLParser):
    """The anchors of a PEP 503 simple index page."""

    def __init__(self) -> None:
        super().__init__()
        self.files: list[dict[str, object]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "a":
            return
        found = dict(attrs)
        href = found.get("href") or ""
        url, _, fragment = href.partition("#")
        algo, _, digest = fragment.partition("=")
        self.files.append(
            {
                "filename": urllib.parse.unquote(url.rsplit("/", 1)[-1]),
                "url": url,
                "hashes": {algo: digest} if digest else {},
                "yanked": "data-yanked" in found,
            }
        )


def index_files(index: str) -> list[dict[str, object]]:
    """The files the index lists for ``uv`` (PEP 691 JSON, or PEP 503 HTML)."""
    page = index.rstrip("/") + "/uv/"
    request = urllib.request.Request(
        page,
        headers={"Accept": "application/vnd.pypi.simple.v1+json, text/html;q=0.1"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            kind = response.headers.get("content-type", "")
            body = response.read()
    except OSError as exc:
        raise BootstrapError(f"cannot read {page}: {exc}") from None
    if "json" in kind:
        files: list[dict[str, object]] = json.loads(body)["files"]
    else:
        links = _Links()
        links.feed(body.decode("utf-8", "replace"))
        files = links.files
    for entry in files:
        entry["url"] = urllib.parse.urljoin(page, str(entry["url"]))
    return files


def choose_wheel(
    files: list[dict[str, object]], system: str, machine: str, have: tuple[int, int] | None
) -> dict[str, object]:
    """The newest release wheel with a SHA-256 that runs here."""
    fitting = []
    for entry in files:
        name = str(entry["filename"])
        version = wheel_version(name)
        hashes = entry.get("hashes")
        if (
            version is not None
            and not entry.get("yanked")
            and isinstance(hashes, dict)
            and hashes.get("sha256")
            and wheel_fits(name, system, machine, have)
        ):
            fitting.append((version, name, entry))
    if not fitting:
        raise BootstrapError(f"the index has no uv wheel for {system} on {machine}")
    return max(fitting, key=lambda item: (item[0], item[1]))[2]


def download(url: str, sha256: str, target: Path) -> None:
    """Download ``url`` to ``target``, printing progress, and check its SHA-256."""
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=60) as response, target.open("wb") as out:
            total = int(response.headers.get("content-length") or 0)
            done, shown = 0, 0
            while chunk := response.read(1 << 16):
                out.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                if total and done * 4 // total > shown:
                    shown = done * 4 // total
                    say(f"{done / 1e6:.0f} of {total / 1e6:.0f} MB")
    except OSError as exc:
        raise BootstrapError(f"cannot download {url}: {exc}") from None
    if digest.hexdigest() != sha256:
        raise BootstrapError(f"{url}: SHA-256 {digest.hexdigest()} differs from the index's")


def index_url() -> str:
    for name in ("UV_DEFAULT_INDEX", "UV_INDEX_URL", "PIP_INDEX_URL"):
        value = os.environ.get(name)
        if value and value.startswith(("http://", "https://")):
            return value
    return PYPI


def wheel_from_index(home: Path) -> Path:
    index = index_url()
    system, machine, have = platform_facts()
    wheel = choose_wheel(index_files(index), system, machine, have)
    name = str(wheel["filename"])
    say(f"downloading {name} from {urllib.parse.urlsplit(index).netloc}")
    shutil.rmtree(home, ignore_errors=True)
    (home / BIN).mkdir(parents=True)
    uv = home / BIN / f"uv{EXE}"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        hashes = wheel["hashes"]
        assert isinstance(hashes, dict)
        download(str(wheel["url"]), str(hashes["sha256"]), path)
        with zipfile.ZipFile(path) as archive:
            member = next(
                (n for n in archive.namelist() if re.fullmatch(rf"[^/]+\.data/scripts/uv{EXE}", n)),
                None,
            )
            if member is None:
                raise BootstrapError(f"{name} holds no uv binary")
            partial = uv.with_name(uv.name + ".partial")
            with archive.open(member) as src, partial.open("wb") as dst:
                shutil.copyfileobj(src, dst)
    partial.chmod(0o755)
    os.replace(partial, uv)
    if not works(uv):
        raise BootstrapError(f"{uv} (from {name}) does not run on this machine")
    return uv


# -- main ------------------------------------------------------------------------------


def bootstrap(home: Path) -> Path:
    for candidate in [home / BIN, *script_dirs()]:
        if works(candidate / f"uv{EXE}"):
            say(f"found {candidate / ('uv' + EXE)}")
            return candidate / f"uv{EXE}"
    reasons = []
    refusal = pip_user_refusal()
    if refusal is None:
        say("pip install --user uv")
        try:
            return pip_user()
        except BootstrapError as exc:
            reasons.append(str(exc))
    else:
        reasons.append(f"no `pip install --user`: {refusal}")
    say(f"{reasons[-1]}; installing uv into a private virtual environment, {home}")
    try:
        return private_venv(home)
    except BootstrapError as exc:
        reasons.append(str(exc))
    say(f"no virtual environment with pip here ({reasons[-1][:160]})")
    say("fetching the uv wheel from the package index instead")
    try:
        return wheel_from_index(home)
    except BootstrapError as exc:
        reasons.append(str(exc))
    raise BootstrapError("; ".join(reasons))


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(f"usage: {argv[0]} FOLDER  (where to install a private uv)", file=sys.stderr)
        return 2
    try:
        uv = bootstrap(Path(argv[1]).expanduser())
    except BootstrapError as exc:
        print(f"error: could not install uv: {exc}", file=sys.stderr)
        print(f"error: {HELP}", file=sys.stderr)
        return 1
    print(uv)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
