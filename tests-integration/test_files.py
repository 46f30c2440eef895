"""asgikit-files through real uvicorn and granian, fetched with httpx and curl.

Every body is compared byte for byte with the file on disk. Granian offers
``http.response.pathsend``: the app counts the pathsend messages it sends, and the
tests check that granian's whole-file answers take that path while uvicorn's stream.
"""

from __future__ import annotations

import email.utils
import gzip
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

CURL = shutil.which("curl")
needs_curl = pytest.mark.skipif(
    CURL is None, reason="curl is installed by .ci/run; absent only on a bare dev machine"
)
SERVERS = ["uvicorn", "granian"]
SIZE = 5 * 1024 * 1024 + 123  # several chunks, and not a round number


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("files")
    (root / "big.bin").write_bytes(os.urandom(SIZE))
    (root / "hello.txt").write_bytes(b"Hello, world!\n")
    (root / "app.js").write_bytes(b"console.log(1);\n" * 100)
    (root / "app.js.gz").write_bytes(gzip.compress((root / "app.js").read_bytes(), mtime=0))
    (root / "r\u00e9sum\u00e9.txt").write_bytes(b"CV")
    (root / "index.html").write_bytes(b'<link rel="stylesheet" href="style.css">')
    (root / "style.css").write_bytes(b"body{}")
    (root.parent / "secret.txt").write_bytes(b"top secret")
    # A large sparse file: reads as zeros, costs no disk.
    with open(root / "sparse.bin", "wb") as f:
        f.truncate(256 * 1024 * 1024)
    return root


@pytest.fixture(params=SERVERS)
def server(request: pytest.FixtureRequest, serve: Callable[..., Any], root: Path) -> Any:
    return serve("files_app:app", request.param, env={"FILES_ROOT": str(root)})


def stats(server: Any) -> dict[str, Any]:
    data: dict[str, Any] = httpx.get(f"{server.url}/stats").json()
    return data


def curl(*args: str) -> subprocess.CompletedProcess[bytes]:
    assert CURL is not None
    return subprocess.run([CURL, "-sS", *args], capture_output=True, check=True, timeout=60)


# -- httpx -------------------------------------------------------------------------------


def test_whole_file_with_httpx(server: Any, root: Path) -> None:
    before = stats(server)
    response = httpx.get(f"{server.url}/file/big.bin", timeout=30)
    assert response.status_code == 200
    assert response.content == (root / "big.bin").read_bytes()
    assert response.headers["content-length"] == str(SIZE)
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["etag"].startswith('"')
    after = stats(server)
    if server.server == "granian":
        assert "http.response.pathsend" in after["offered"]
        assert after["pathsend"] == before["pathsend"] + 1  # the server sent the file
        assert after["body_messages"] == before["body_messages"]
    else:
        assert "http.response.pathsend" not in after["offered"]
        assert after["pathsend"] == 0
        assert after["body_messages"] >= before["body_messages"] + SIZE // (1024 * 1024)


def test_ranges_with_httpx(server: Any, root: Path) -> None:
    data = (root / "big.bin").read_bytes()
    response = httpx.get(f"{server.url}/file/big.bin", headers={"Range": "bytes=1000-1999999"})
    assert response.status_code == 206
    assert response.headers["content-range"] == f"bytes 1000-1999999/{SIZE}"
    assert response.content == data[1000:2000000]

    response = httpx.get(f"{server.url}/file/big.bin", headers={"Range": "bytes=0-9, -10"})
    assert response.status_code == 206
    boundary = response.headers["content-type"].partition("boundary=")[2]
    assert len(boundary) == 32
    expected = (
        f"--{boundary}\r\nContent-Type: application/octet-stream\r\n"
        f"Content-Range: bytes 0-9/{SIZE}\r\n\r\n".encode()
        + data[:10]
        + f"\r\n--{boundary}\r\nContent-Type: application/octet-stream\r\n"
        f"Content-Range: bytes {SIZE - 10}-{SIZE - 1}/{SIZE}\r\n\r\n".encode()
        + data[-10:]
        + f"\r\n--{boundary}--\r\n".encode()
    )
    assert response.content == expected

    response = httpx.get(f"{server.url}/file/big.bin", headers={"Range": f"bytes={SIZE}-"})
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{SIZE}"


def test_conditional_with_httpx(server: Any) -> None:
    first = httpx.get(f"{server.url}/file/hello.txt")
    etag, last_modified = first.headers["etag"], first.headers["last-modified"]
    response = httpx.get(f"{server.url}/file/hello.txt", headers={"If-None-Match": etag})
    assert (response.status_code, response.content) == (304, b"")
    assert response.headers["etag"] == etag
    response = httpx.get(
        f"{server.url}/file/hello.txt", headers={"If-Modified-Since": last_modified}
    )
    assert response.status_code == 304
    response = httpx.get(f"{server.url}/file/hello.txt", headers={"If-Match": '"other"'})
    assert response.status_code == 412
    response = httpx.get(
        f"{server.url}/file/hello.txt", headers={"Range": "bytes=0-4", "If-Range": etag}
    )
    assert (response.status_code, response.content) == (206, b"Hello")
    response = httpx.get(
        f"{server.url}/file/hello.txt", headers={"Range": "bytes=0-4", "If-Range": '"old"'}
    )
    assert (response.status_code, response.content) == (200, b"Hello, world!\n")


def test_head_and_missing(server: Any) -> None:
    response = httpx.head(f"{server.url}/file/big.bin")
    assert response.status_code == 200
    assert response.headers["content-length"] == str(SIZE)
    assert response.content == b""
    assert httpx.get(f"{server.url}/file/nope.txt").status_code == 404


def test_download_name(server: Any) -> None:
    response = httpx.get(f"{server.url}/download/r%C3%A9sum%C3%A9.txt")
    assert response.content == b"CV"
    assert response.headers["content-disposition"] == (
        "attachment; filename=\"resume.txt\"; filename*=UTF-8''r%C3%A9sum%C3%A9.txt"
    )


def test_static_with_httpx(server: Any, root: Path) -> None:
    response = httpx.get(f"{server.url}/static/app.js", headers={"Accept-Encoding": "gzip"})
    assert response.content == (root / "app.js").read_bytes()  # decoded by httpx
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "Accept-Encoding"
    assert response.headers["cache-control"] == "no-cache"
    with httpx.stream(
        "GET", f"{server.url}/static/app.js", headers={"Accept-Encoding": "gzip"}
    ) as streamed:
        raw = b"".join(streamed.iter_raw())
    assert raw == (root / "app.js.gz").read_bytes()
    response = httpx.get(f"{server.url}/static/app.js", headers={"Accept-Encoding": "identity"})
    assert response.content == (root / "app.js").read_bytes()
    assert httpx.post(f"{server.url}/static/app.js").status_code == 405
    assert httpx.get(f"{server.url}/static/missing.js").status_code == 404


def test_static_mount_root_is_redirected_to_its_slash(server: Any) -> None:
    """Issue 10: ``/static`` served index.html, whose relative link then resolved to
    ``/style.css`` (RFC 3986 §5.2). The mount root must get the 307 directories get."""
    with httpx.Client(base_url=server.url) as client:
        response = client.get("/static?v=1%202")
        assert response.status_code == 307
        assert response.headers["location"] == "/static/?v=1%202"
        page = client.get(response.headers["location"])
        assert page.status_code == 200
        link = page.text.split('href="')[1].split('"')[0]
        stylesheet = client.get(str(page.url.join(link)))
        assert stylesheet.url.path == "/static/style.css"
        assert (stylesheet.status_code, stylesheet.content) == (200, b"body{}")


def test_client_that_leaves_mid_download(server: Any) -> None:
    """A client reads a little of a 256 MiB file and closes: the app sees the disconnect
    and the file is closed (descriptor count back where it was)."""
    # Granian takes a whole file by pathsend, and the app is done before the client
    # leaves; a range makes the app stream the file itself.
    headers = {"Range": "bytes=0-"} if server.server == "granian" else {}
    baseline = stats(server)["descriptors"]
    with (
        httpx.Client(timeout=30) as client,
        client.stream("GET", f"{server.url}/file/sparse.bin", headers=headers) as response,
    ):
        assert response.status_code in (200, 206)
        for _ in response.iter_raw(65536):
            break  # leave after the first piece
    result = httpx.get(f"{server.url}/wait-disconnect", timeout=30).json()
    assert result["disconnects"] >= 1
    assert result["descriptors"] <= baseline + 1  # the /wait-disconnect socket itself


# -- curl ----------------------------------------------------------------------------------


@needs_curl
def test_curl_whole_and_range(server: Any, root: Path, tmp_path: Path) -> None:
    data = (root / "big.bin").read_bytes()
    out = tmp_path / "out.bin"
    curl("-o", str(out), f"{server.url}/file/big.bin")
    assert out.read_bytes() == data
    result = curl("-r", "100-199", f"{server.url}/file/big.bin")
    assert result.stdout == data[100:200]
    result = curl("-r", "-1000", f"{server.url}/file/big.bin")
    assert result.stdout == data[-1000:]


@needs_curl
def test_curl_time_condition(server: Any, root: Path, tmp_path: Path) -> None:
    mtime = int(os.stat(root / "big.bin").st_mtime)
    later = email.utils.formatdate(mtime + 60, usegmt=True)
    earlier = email.utils.formatdate(mtime - 60, usegmt=True)
    out = tmp_path / "z.bin"
    result = curl("-z", later, "-o", str(out), "-w", "%{http_code}", f"{server.url}/file/big.bin")
    assert result.stdout == b"304"
    assert not out.exists() or out.read_bytes() == b""
    result = curl("-z", earlier, "-o", str(out), "-w", "%{http_code}", f"{server.url}/file/big.bin")
    assert result.stdout == b"200"
    assert out.read_bytes() == (root / "big.bin").read_bytes()


@needs_curl
def test_curl_resumes_a_download(server: Any, root: Path, tmp_path: Path) -> None:
    data = (root / "big.bin").read_bytes()
    out = tmp_path / "partial.bin"
    out.write_bytes(data[:1234567])  # an interrupted earlier download
    result = curl("-C", "-", "-o", str(out), "-w", "%{http_code}", f"{server.url}/file/big.bin")
    assert result.stdout == b"206"
    assert out.read_bytes() == data


@needs_curl
def test_curl_head_and_traversal(server: Any) -> None:
    head = curl("-I", f"{server.url}/file/hello.txt").stdout.decode()
    assert "content-length: 14" in head.lower()
    for path in [
        "/static/../secret.txt",
        "/static/%2e%2e/secret.txt",
        "/static/..%2fsecret.txt",
        "/static/%2e%2e%2fsecret.txt",
    ]:
        result = curl("--path-as-is", "-w", "\n%{http_code}", f"{server.url}{path}")
        body, _, status = result.stdout.rpartition(b"\n")
        assert b"top secret" not in body
        assert status in (b"400", b"404"), (path, status)


@needs_curl
def test_curl_compressed_static(server: Any, root: Path) -> None:
    result = curl("-H", "Accept-Encoding: gzip", f"{server.url}/static/app.js")
    assert result.stdout == (root / "app.js.gz").read_bytes()
