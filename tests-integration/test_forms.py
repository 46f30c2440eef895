"""asgikit-forms through real uvicorn, with httpx and curl -F, up to a 1 GB upload."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

CURL = shutil.which("curl")
MiB = 1024 * 1024


@pytest.fixture
def server(serve: Callable[..., Any]) -> Any:
    return serve("forms_app:app", "uvicorn")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_httpx_multipart(server: Any) -> None:
    small = b"hello \x00\xff"
    big = os.urandom(3 * MiB)
    response = httpx.post(
        f"{server.url}/form",
        data={"title": "Grüße", "tag": ["a", "b"]},
        files=[
            ("doc", ("notes.txt", small, "text/plain")),
            ("doc", ("../../big.bin", big, "application/octet-stream")),
        ],
        timeout=60,
    )
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["fields"] == {"title": ["Grüße"], "tag": ["a", "b"]}
    assert data["files"]["doc"] == [
        {
            "filename": "notes.txt",
            "content_type": "text/plain",
            "size": len(small),
            "sha256": sha256(small),
            "on_disk": False,
        },
        {
            "filename": "big.bin",
            "content_type": "application/octet-stream",
            "size": len(big),
            "sha256": sha256(big),
            "on_disk": True,
        },
    ]


def test_httpx_urlencoded(server: Any) -> None:
    response = httpx.post(f"{server.url}/form", data={"q": "a&b=c ü", "x": ["1", "2"]})
    assert response.status_code == 200
    assert response.json() == {"fields": {"q": ["a&b=c ü"], "x": ["1", "2"]}, "files": {}}


def test_limit_is_413_naming_the_option(server: Any) -> None:
    response = httpx.post(
        f"{server.url}/form?max_file_size=1000",
        files={"f": ("a.bin", b"x" * 5000)},
    )
    assert response.status_code == 413
    assert (
        response.text == "uploaded file in field 'f' is larger than 1000 bytes (max_file_size=1000)"
    )


def test_other_media_type_is_415(server: Any) -> None:
    response = httpx.post(f"{server.url}/form", json={"a": 1})
    assert response.status_code == 415


def test_malformed_body_is_400(server: Any) -> None:
    response = httpx.post(
        f"{server.url}/form",
        content=b'--b\r\nContent-Disposition: form-data; name="a"\r\n\r\nunfinished',
        headers={"content-type": "multipart/form-data; boundary=b"},
    )
    assert response.status_code == 400
    assert response.text.startswith("malformed multipart body")


@pytest.mark.skipif(
    CURL is None, reason="curl is installed by .ci/run; absent only on a bare dev machine"
)
def test_curl_form(server: Any, tmp_path: Path) -> None:
    assert CURL is not None
    big = os.urandom(3 * MiB + 17)  # curl sends "Expect: 100-continue" for this one
    (tmp_path / "big.bin").write_bytes(big)
    (tmp_path / "small.csv").write_bytes(b"a,b\n1,2\n")
    result = subprocess.run(
        [
            CURL,
            "-sS",
            "--fail-with-body",
            "-F",
            "title=from curl",
            "-F",
            f"big=@{tmp_path / 'big.bin'}",
            "-F",
            f"csv=@{tmp_path / 'small.csv'};type=text/csv;filename=../../etc/x.csv",
            f"{server.url}/form",
        ],
        capture_output=True,
        check=True,
        timeout=60,
    )
    import json

    data = json.loads(result.stdout)
    assert data["fields"] == {"title": ["from curl"]}
    assert data["files"]["big"] == [
        {
            "filename": "big.bin",
            "content_type": "application/octet-stream",
            "size": len(big),
            "sha256": sha256(big),
            "on_disk": True,
        }
    ]
    assert data["files"]["csv"][0]["filename"] == "x.csv"
    assert data["files"]["csv"][0]["content_type"] == "text/csv"


@pytest.mark.skipif(
    CURL is None, reason="curl is installed by .ci/run; absent only on a bare dev machine"
)
def test_curl_streamed_to_disk(server: Any, tmp_path: Path) -> None:
    assert CURL is not None
    content = os.urandom(5 * MiB)
    (tmp_path / "in.bin").write_bytes(content)
    out = tmp_path / "out"
    out.mkdir()
    result = subprocess.run(
        [
            CURL,
            "-sS",
            "--fail-with-body",
            "-F",
            "note=hi",
            "-F",
            f"f=@{tmp_path / 'in.bin'}",
            f"{server.url}/stream?dir={out}",
        ],
        capture_output=True,
        check=True,
        timeout=60,
    )
    import json

    data = json.loads(result.stdout)
    assert data["fields"] == {"note": "hi"}
    [saved] = data["files"]
    assert (saved["size"], saved["sha256"]) == (len(content), sha256(content))
    assert Path(saved["path"]).read_bytes() == content


GB = 1_000_000_000


def test_one_gigabyte_streamed_to_disk(server: Any, tmp_path: Path) -> None:
    """1 GB through uvicorn and iter_parts() straight to disk: the content arrives whole
    and the server's peak RSS stays under 64 MiB."""
    boundary = "gigabyte-boundary-4c1d"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nbig one\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="blob"; filename="blob.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    block = os.urandom(MiB)
    digest = hashlib.sha256()

    def body() -> Iterator[bytes]:
        yield head
        remaining = GB
        while remaining:
            piece = block if remaining >= len(block) else block[:remaining]
            digest.update(piece)
            remaining -= len(piece)
            yield piece
        yield tail

    out = tmp_path / "out"
    out.mkdir()
    try:
        upload_gigabyte(server, out, boundary, body(), len(head) + GB + len(tail), digest)
    finally:
        shutil.rmtree(out, ignore_errors=True)  # pytest keeps tmp_path; not 1 GB of it


def upload_gigabyte(
    server: Any, out: Path, boundary: str, body: Iterator[bytes], length: int, digest: Any
) -> None:
    before = httpx.get(f"{server.url}/memory").json()
    started = time.monotonic()
    response = httpx.post(
        f"{server.url}/stream?dir={out}",
        content=body,
        headers={
            "content-type": f"multipart/form-data; boundary={boundary}",
            "content-length": str(length),
        },
        timeout=300,
    )
    elapsed = time.monotonic() - started
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["fields"] == {"note": "big one"}
    [saved] = data["files"]
    assert saved["size"] == GB
    assert saved["sha256"] == digest.hexdigest()
    assert os.path.getsize(saved["path"]) == GB
    after = httpx.get(f"{server.url}/memory").json()
    assert after["pid"] == server.process.pid
    peak_mib = after["vm_hwm_kib"] / 1024
    print(
        f"\n1 GB upload: {elapsed:.1f} s ({GB / elapsed / 1e6:.0f} MB/s); "
        f"uvicorn peak RSS (VmHWM) {before['vm_hwm_kib'] / 1024:.1f} MiB before, "
        f"{peak_mib:.1f} MiB after"
    )
    assert peak_mib < 64, f"peak RSS {peak_mib:.1f} MiB"
