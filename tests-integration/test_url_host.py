"""request.url, base_url, host and port on real servers, alone and behind a simulated
proxy chain (the client on 127.0.0.1 sends the X-Forwarded-* or Forwarded headers a
proxy would, and the app trusts 127.0.0.1)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

SERVERS = ("uvicorn", "granian", "hypercorn")
ROOT_PATH_OPTION = {
    "uvicorn": "--root-path",
    "granian": "--url-path-prefix",
    "hypercorn": "--root-path",
}
# uvicorn applies X-Forwarded-For/-Proto itself by default (from 127.0.0.1): turned off
# here so that apply_forwarded sees the real peer; see test_uvicorn_proxy_headers_first.
NO_SERVER_PROXY = {"uvicorn": ["--no-proxy-headers"], "granian": [], "hypercorn": []}


def _start(serve: Callable[..., Any], server: str, *args: str) -> Any:
    return serve("url_app:app", server, args=[*NO_SERVER_PROXY[server], *args])


@pytest.mark.parametrize("server", SERVERS)
def test_url_of_a_direct_request(serve: Callable[..., Any], server: str) -> None:
    running = _start(serve, server)
    target = "/caf%C3%A9/a%2Fb/x%20y?q=a%20b&z=%C3%A9&e="
    view = httpx.get(running.url + target, timeout=30).json()
    assert view["url"] == running.url + target
    assert view["base_url"] == running.url + "/"
    assert (view["host"], view["port"], view["scheme"]) == ("127.0.0.1", running.port, "http")
    assert view["path"] == "/café/a/b/x y"


@pytest.mark.parametrize("server", SERVERS)
def test_host_header_decides_host_and_port(serve: Callable[..., Any], server: str) -> None:
    running = _start(serve, server)
    view = httpx.get(
        running.url + "/p?x=1", headers={"Host": "Shop.Example:8080"}, timeout=30
    ).json()
    assert (view["host"], view["port"]) == ("shop.example", 8080)
    assert view["url"] == "http://shop.example:8080/p?x=1"
    view = httpx.get(running.url + "/", headers={"Host": "[::1]"}, timeout=30).json()
    assert (view["host"], view["port"], view["url"]) == ("[::1]", 80, "http://[::1]/")


@pytest.mark.parametrize("server", SERVERS)
@pytest.mark.parametrize("host", ["bad host", "example.com:99999", "a/b"])
def test_a_malformed_host_is_a_400(serve: Callable[..., Any], server: str, host: str) -> None:
    running = _start(serve, server)
    response = httpx.get(running.url + "/", headers={"Host": host}, timeout=30)
    assert response.status_code == 400
    assert "Host" in response.json()["error"]


@pytest.mark.parametrize("server", SERVERS)
def test_check_host(serve: Callable[..., Any], server: str) -> None:
    running = _start(serve, server)
    allowed = [("x-test-allowed", "*.example.com"), ("x-test-allowed", "example.org")]
    ok = httpx.get(running.url + "/", headers=[("host", "api.example.com"), *allowed], timeout=30)
    assert ok.status_code == 200 and ok.json()["host"] == "api.example.com"
    refused = httpx.get(running.url + "/", headers=[("host", "evil.test"), *allowed], timeout=30)
    assert refused.status_code == 400
    assert refused.json() == {"error": "host 'evil.test' is not served here"}


@pytest.mark.parametrize("server", SERVERS)
def test_url_under_a_root_path(serve: Callable[..., Any], server: str) -> None:
    # The proxy in front strips /api and the server is told so: uvicorn puts it back in
    # front of path, hypercorn and granian do not; the URL is the same on all three.
    running = _start(serve, server, ROOT_PATH_OPTION[server], "/api")
    view = httpx.get(running.url + "/items/%C3%A9t%C3%A9?page=2", timeout=30).json()
    origin = running.url
    assert view["root_path"] == "/api"
    assert view["url"] == f"{origin}/api/items/%C3%A9t%C3%A9?page=2"
    assert view["base_url"] == f"{origin}/api/"


PROXIED = {
    "x-test-proxy": "x-forwarded",
    # the client, then a second proxy of ours on 127.0.0.1
    "x-forwarded-for": "203.0.113.7, 127.0.0.1",
    "x-forwarded-proto": "https",
    "x-forwarded-host": "shop.example",
    "x-forwarded-prefix": "/store",
}


@pytest.mark.parametrize("server", SERVERS)
def test_behind_a_trusted_x_forwarded_chain(serve: Callable[..., Any], server: str) -> None:
    running = _start(serve, server)
    view = httpx.get(running.url + "/items/a%20b?q=%C3%A9", headers=PROXIED, timeout=30).json()
    assert view["client"] == ["203.0.113.7", 0]
    assert (view["scheme"], view["host"], view["port"]) == ("https", "shop.example", 443)
    assert view["url"] == "https://shop.example/store/items/a%20b?q=%C3%A9"
    assert view["base_url"] == "https://shop.example/store/"
    assert view["root_path"] == "/store"


@pytest.mark.parametrize("server", SERVERS)
def test_a_spoofed_entry_beyond_an_untrusted_hop_is_ignored(
    serve: Callable[..., Any], server: str
) -> None:
    running = _start(serve, server)
    headers = {**PROXIED, "x-forwarded-for": "6.6.6.6, 203.0.113.7, 127.0.0.1"}
    view = httpx.get(running.url + "/", headers=headers, timeout=30).json()
    assert view["client"] == ["203.0.113.7", 0]


@pytest.mark.parametrize("server", SERVERS)
def test_behind_a_trusted_forwarded_chain(serve: Callable[..., Any], server: str) -> None:
    running = _start(serve, server)
    headers = {
        "x-test-proxy": "forwarded",
        "forwarded": 'for="[2001:db8::7]:4711";proto=https;host="shop.example:8443", for=127.0.0.1',
        # the family not chosen is ignored
        "x-forwarded-host": "evil.test",
    }
    view = httpx.get(running.url + "/items?x=1", headers=headers, timeout=30).json()
    assert view["client"] == ["2001:db8::7", 4711]
    assert view["url"] == "https://shop.example:8443/items?x=1"


@pytest.mark.parametrize("server", SERVERS)
def test_malformed_forwarded_values_are_ignored(serve: Callable[..., Any], server: str) -> None:
    running = _start(serve, server)
    headers = {
        "x-test-proxy": "x-forwarded",
        "x-forwarded-for": "not-an-ip",
        "x-forwarded-proto": "gopher",
        "x-forwarded-host": "bad host",
        "x-forwarded-port": "99999",
        "x-forwarded-prefix": "no-slash",
    }
    response = httpx.get(running.url + "/x", headers=headers, timeout=30)
    assert response.status_code == 200
    view = response.json()
    assert view["client"][0] == "127.0.0.1"
    assert view["url"] == running.url + "/x"


@pytest.mark.parametrize("server", SERVERS)
def test_websocket_url_behind_a_proxy(serve: Callable[..., Any], server: str) -> None:
    running = _start(serve, server)
    with connect(running.ws_url + "/chat?room=%C3%A9") as ws:
        view = json.loads(ws.recv(timeout=30))
    assert view["url"] == running.ws_url + "/chat?room=%C3%A9"
    with connect(running.ws_url + "/chat?room=1", additional_headers=PROXIED) as ws:
        view = json.loads(ws.recv(timeout=30))
    assert view["url"] == "wss://shop.example/store/chat?room=1"
    assert view["client"] == ["203.0.113.7", 0]


def test_uvicorn_proxy_headers_first(serve: Callable[..., Any]) -> None:
    # uvicorn's own --proxy-headers (on by default, trusting 127.0.0.1) has already put
    # the client from X-Forwarded-For in the scope, so apply_forwarded starts its walk
    # from an address it does not trust and applies nothing: X-Forwarded-Host is lost.
    running = serve("url_app:app", "uvicorn")
    view = httpx.get(running.url + "/", headers=PROXIED, timeout=30).json()
    assert view["client"][0] == "203.0.113.7"
    assert view["scheme"] == "https"
    assert view["host"] == "127.0.0.1"
