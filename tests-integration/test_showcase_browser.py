"""The showcase's pages in headless Chromium (Debian's chromium, driven by Playwright)."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

EXAMPLES = Path(__file__).parent.parent / "examples"

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def showcase(serve: Callable[..., Any]) -> Any:
    return serve("showcase:app", "uvicorn", app_dir=EXAMPLES)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()


def test_index_links_every_example(showcase: Any, page: Page) -> None:
    page.goto(showcase.url + "/")
    expect(page.locator("h1")).to_have_text("asgikit showcase")
    links = page.locator("li a")
    expect(links).to_have_count(10)
    for i in range(links.count()):
        href = links.nth(i).get_attribute("href")
        assert httpx.get(f"{showcase.url}/{href}").status_code == 200, href


def test_upload_form_stores_the_exact_bytes(showcase: Any, page: Page, tmp_path: Path) -> None:
    original = os.urandom(3 * 1024 * 1024 + 17)  # over the 1 MiB spool threshold
    source = tmp_path / "browser upload.bin"
    source.write_bytes(original)
    page.goto(showcase.url + "/upload/")
    page.fill("input[name=title]", "from chromium")
    page.set_input_files("input[name=file]", str(source))
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Uploaded")
    expect(page.locator("#title")).to_have_text("from chromium")
    stored = Path(page.locator("#path").inner_text())
    assert stored.name == "browser upload.bin"
    assert stored.read_bytes() == original
    assert page.locator("#size").inner_text() == str(len(original))
    assert page.locator("#sha256").inner_text() == hashlib.sha256(original).hexdigest()
    stored.unlink()


def test_websocket_chat_crosses_between_two_browsers(showcase: Any, browser: Browser) -> None:
    alice_context, bob_context = browser.new_context(), browser.new_context()
    try:
        alice, bob = alice_context.new_page(), bob_context.new_page()
        for person in (alice, bob):
            person.goto(showcase.url + "/ws_chat/")
            expect(person.locator("body")).to_have_attribute("data-open", "yes")
        alice.fill("#name", "alice")
        alice.fill("#text", "hello bob")
        alice.click("button")
        expect(bob.locator("#messages li")).to_have_text(["alice: hello bob"])
        bob.fill("#name", "bob")
        bob.fill("#text", "hi alice")
        bob.press("#text", "Enter")
        expect(alice.locator("#messages li")).to_have_text(["alice: hello bob", "bob: hi alice"])
    finally:
        alice_context.close()
        bob_context.close()


def test_sse_clock_ticks(showcase: Any, page: Page) -> None:
    page.goto(showcase.url + "/sse_clock/")
    expect(page.locator("#ticks")).to_have_text("1", timeout=10_000)
    first = page.locator("#clock").inner_text()
    expect(page.locator("#ticks")).to_have_text("3", timeout=10_000)
    assert page.locator("#clock").inner_text() != first


def test_websocket_echo(showcase: Any, page: Page) -> None:
    page.goto(showcase.url + "/ws_echo/")
    expect(page.locator("body")).to_have_attribute("data-open", "yes")
    page.fill("#text", "ping ✓")
    page.click("button")
    expect(page.locator("#log li")).to_have_text(["echo: ping ✓"])


def test_json_echo_page(showcase: Any, page: Page) -> None:
    page.goto(showcase.url + "/json_echo/")
    page.click("#send")
    expect(page.locator("#answer")).to_contain_text('"hello": "world"')
    expect(page.locator("#answer")).to_contain_text("200")


def test_static_directory_page_and_stylesheet(showcase: Any, page: Page) -> None:
    page.goto(showcase.url + "/static_dir/")
    expect(page.locator("#title")).to_have_text("Served by StaticFiles")
    expect(page.locator("#title")).to_have_css("color", "rgb(0, 102, 204)")


def test_headers_and_cookies_count_visits(showcase: Any, page: Page) -> None:
    page.goto(showcase.url + "/headers_cookies/")
    expect(page.locator("#visits")).to_have_text("1")
    page.reload()
    expect(page.locator("#visits")).to_have_text("2")
