"""Content negotiation on real servers: one app answers JSON or HTML by Accept, in the
client's language, with Vary naming both headers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest


@pytest.mark.parametrize("server_name", ["uvicorn", "granian", "hypercorn"])
def test_json_or_html_by_accept(serve: Callable[..., Any], server_name: str) -> None:
    running = serve("negotiation_app:app", server_name)
    with httpx.Client(base_url=running.url, timeout=30) as client:
        browser = client.get(
            "/",
            headers={
                "accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
                "accept-language": "fr-CH, fr;q=0.9, en;q=0.8",
            },
        )
        assert browser.status_code == 200
        assert browser.headers["content-type"] == "text/html; charset=utf-8"
        assert browser.text == "<p>Bonjour</p>"
        assert browser.headers["vary"] == "Accept, Accept-Language"
        assert browser.headers["content-language"] == "fr"

        api = client.get("/", headers={"accept": "application/json", "accept-language": "en-GB"})
        assert api.json() == {"greeting": "Good day"}
        assert api.headers["vary"] == "Accept, Accept-Language"

        # en-US falls back to en (RFC 4647 lookup); two Accept lines are read as one.
        lines = [("accept", "text/html;q=0.5"), ("accept", "application/json;q=0.6")]
        both = client.get("/", headers=httpx.Headers([*lines, ("accept-language", "en-US")]))
        assert both.json() == {"greeting": "Hello"}

        # No Accept: anything goes, the first offer wins.
        assert client.get("/", headers={"accept": ""}).json() == {"greeting": "Hello"}
        refused = client.get("/", headers={"accept": "image/png, application/json;q=0"})
        assert refused.status_code == 406
        assert refused.headers["vary"] == "Accept, Accept-Language"

        # A header with no valid element is no header: never a 500.
        hostile = 'text/html;q=2, a/;x="' + "\\" * 4000 + ", ;;;=,*/html"
        odd = client.get("/", headers={"accept": hostile, "accept-language": "-,*;q=x"})
        assert odd.status_code == 200
        assert odd.json() == {"greeting": "Hello"}
