"""Shared fixtures for asgikit-forms: captured requests, a multipart encoder, requests
built over complete ASGI scopes, and a view of the temporary files a test left open."""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from asgikit.forms import FormData, UploadedFile
from asgikit.requests import Request
from asgikit.testing import Channel, http_scope

# No wall clock in the unit run: Hypothesis' per-example deadline fails a test that is
# merely slow on a busy machine.
settings.register_profile("asgikit", deadline=None)
settings.load_profile("asgikit")

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass
class Captured:
    """A request captured from a real client: its headers and its body."""

    name: str
    headers: list[tuple[bytes, bytes]]
    body: bytes

    @property
    def content_type(self) -> str:
        for name, value in self.headers:
            if name.lower() == b"content-type":
                return value.decode("latin-1")
        raise KeyError("content-type")


def _load(name: str) -> Captured:
    raw = (FIXTURES / name).read_bytes()
    head, _, body = raw.partition(b"\r\n\r\n")
    headers = []
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        headers.append((key.strip().lower(), value.strip()))
    return Captured(name, headers, body)


# What each captured multipart request must parse to. Files are (filename, media type,
# content); text fields are str; repeated names are lists.
EXPECTED: dict[str, dict[str, Any]] = {
    "curl_mixed.http": {
        "title": "Hello asgikit",
        "comment": "line1\nline2 ünïcode",
        "file": ("upload.bin", "application/octet-stream", b"hello\r\nworld\n\x00\xff binary"),
        "csv": ("people.csv", "text/csv", b"name,age\nada,36\n"),
        "tag": ["a", "b"],
    },
    "curl_filename.http": {
        "name with space": "value",
        "doc": ('pässwd "q".txt', "text/plain", b"name,age\nada,36\n"),
        "empty": "",
    },
    "chromium_156_form.http": {
        "username": "ada lovelace",
        "bio": "First line\r\nSecond line — with a dash\r\n",
        'note "quoted"': "x",
        "avatar": (
            "résumé photo.png",
            "image/png",
            bytes.fromhex(
                "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154"
                "789c6360000002000001e221bc330000000049454e44ae426082"
            ),
        ),
        "attachments": ("", "application/octet-stream", b""),
    },
}


@pytest.fixture(scope="session")
def captured() -> dict[str, Captured]:
    return {path.name: _load(path.name) for path in sorted(FIXTURES.glob("*.http"))}


@pytest.fixture(scope="session")
def expected() -> dict[str, dict[str, Any]]:
    return EXPECTED


@dataclass
class Built:
    request: Request
    channel: Channel


def build_request(
    chunks: Iterable[bytes],
    content_type: str | None,
    headers: Iterable[tuple[str, str]] = (),
    *,
    disconnect: bool = False,
) -> Built:
    """A request over a complete ASGI scope whose body arrives as ``chunks``; with
    ``disconnect`` the client goes away after the last chunk instead of ending the body."""
    all_headers = list(headers)
    if content_type is not None:
        all_headers.append(("content-type", content_type))
    parts = list(chunks)
    if disconnect:
        channel = Channel(
            {"type": "http.request", "body": part, "more_body": True} for part in parts
        )
        channel.disconnect()
    else:
        channel = Channel.with_body(*parts)
    request = Request(
        http_scope("POST", "/form", headers=all_headers), channel.receive, channel.send
    )
    return Built(request, channel)


@pytest.fixture(scope="session")
def make_request() -> Callable[..., Request]:
    def make(
        chunks: Iterable[bytes],
        content_type: str | None,
        headers: Iterable[tuple[str, str]] = (),
        *,
        disconnect: bool = False,
    ) -> Request:
        return build_request(chunks, content_type, headers, disconnect=disconnect).request

    return make


@pytest.fixture(scope="session")
def make_built() -> Callable[..., Built]:
    return build_request


def encode_multipart(
    fields: Iterable[tuple[str, str | bytes | tuple[str, str, bytes]]],
    boundary: str = "asgikit-test-boundary-7f3a",
) -> bytes:
    """Encode ``(name, value)`` pairs the way a browser does: text fields as UTF-8, files
    as ``(filename, media type, content)``; names and filenames escape CR, LF and '"' as
    %0D, %0A and %22 (WHATWG HTML)."""

    def escape(text: str) -> bytes:
        return text.replace("\r", "%0D").replace("\n", "%0A").replace('"', "%22").encode()

    out = bytearray()
    for name, value in fields:
        out += b"--" + boundary.encode() + b"\r\n"
        out += b'Content-Disposition: form-data; name="' + escape(name) + b'"'
        if isinstance(value, tuple):
            filename, media_type, content = value
            out += b'; filename="' + escape(filename) + b'"\r\n'
            out += b"Content-Type: " + media_type.encode() + b"\r\n\r\n" + content
        else:
            out += b"\r\n\r\n" + (value.encode() if isinstance(value, str) else value)
        out += b"\r\n"
    out += b"--" + boundary.encode() + b"--\r\n"
    return bytes(out)


@pytest.fixture(scope="session")
def encode() -> Callable[..., bytes]:
    return encode_multipart


async def normalise(form: FormData) -> dict[str, Any]:
    """A form as plain data: files become (filename, media type, content)."""

    async def plain(value: Any) -> Any:
        if isinstance(value, UploadedFile):
            await value.seek(0)
            return (value.filename, value.content_type, await value.read())
        return value

    out: dict[str, Any] = {}
    for name, value in form.items():
        if isinstance(value, list):
            out[name] = [await plain(item) for item in value]
        else:
            out[name] = await plain(value)
    return out


@pytest.fixture(scope="session")
def plain() -> Callable[[FormData], Any]:
    return normalise


@pytest.fixture
def spool_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "spool"
    directory.mkdir()
    return directory


def open_files_in(directory: Path) -> list[str]:
    """Files this process holds open under ``directory`` (unnamed temporary files
    included: they show as "<dir>/#123 (deleted)" or "<dir>/tmpXXX (deleted)")."""
    found = []
    prefix = str(directory)
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(prefix):
            found.append(target)
    return found


@pytest.fixture(scope="session")
def open_files() -> Callable[[Path], list[str]]:
    if not os.path.isdir("/proc/self/fd"):
        pytest.fail("these tests read /proc/self/fd; run them on Linux")
    return open_files_in


class ThreadRecorder:
    """Stands in for tempfile.TemporaryFile and records which thread touches the file."""

    def __init__(self) -> None:
        self.created_on: list[int] = []
        self.writes_on: list[int] = []
        self.reads_on: list[int] = []
        self.real = tempfile.TemporaryFile

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.created_on.append(threading.get_ident())
        return _RecordingFile(self.real(*args, **kwargs), self)


class _RecordingFile:
    def __init__(self, file: Any, recorder: ThreadRecorder) -> None:
        self._file = file
        self._recorder = recorder

    def write(self, data: Any) -> int:
        self._recorder.writes_on.append(threading.get_ident())
        written: int = self._file.write(data)
        return written

    def writelines(self, lines: Any) -> None:
        self._recorder.writes_on.append(threading.get_ident())
        self._file.writelines(lines)

    def read(self, *args: Any) -> bytes:
        self._recorder.reads_on.append(threading.get_ident())
        data: bytes = self._file.read(*args)
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)


@pytest.fixture
def thread_recorder(monkeypatch: pytest.MonkeyPatch) -> ThreadRecorder:
    recorder = ThreadRecorder()
    monkeypatch.setattr(tempfile, "TemporaryFile", recorder)
    return recorder
