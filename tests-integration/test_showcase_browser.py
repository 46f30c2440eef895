"""The showcase's pages in headless Chromium (Debian's chromium, driven by Playwright).

Each example's page is checked for its header link back to the index, its source shown
as the file is, its commands printed with the server's real address, and its live demo
working; then a full-page screenshot is saved to ``tests-integration/.screenshots/``
(a folder git ignores; its path is printed at the end of the run).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, FrameLocator, Page, expect, sync_playwright

EXAMPLES = Path(__file__).parent.parent / "examples"
SCREENSHOTS = Path(__file__).parent / ".screenshots"

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
NAMES = [
    "hello",
    "json_echo",
    "headers_cookies",
    "streaming",
    "sse_clock",
    "upload",
    "download",
    "static_dir",
    "ws_echo",
    "ws_chat",
    "router",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def screenshots(request: pytest.FixtureRequest) -> Iterator[Path]:
    SCREENSHOTS.mkdir(exist_ok=True)
    (SCREENSHOTS / ".gitignore").write_text("*\n")
    yield SCREENSHOTS
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if capture is not None and reporter is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"\nshowcase screenshots: {SCREENSHOTS}")


@pytest.fixture
def showcase(serve: Callable[..., Any]) -> Any:
    return serve("showcase:app", "uvicorn", app_dir=EXAMPLES)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def test_index_links_every_example(showcase: Any, page: Page, screenshots: Path) -> None:
    page.goto(showcase.url + "/")
    expect(page.locator("h1")).to_have_text("asgikit showcase")
    links = page.locator(".cards h2 a")
    expect(links).to_have_count(len(NAMES))
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert hrefs == [f"/learn/{name}" for name in NAMES]
    for href in hrefs:
        assert httpx.get(f"{showcase.url}{href}").status_code == 200, href
    css = httpx.get(f"{showcase.url}/showcase.css")
    assert css.headers["content-type"].startswith("text/css")
    expect(page.locator("h1")).to_have_css("font-family", re.compile("system-ui"))
    page.screenshot(path=screenshots / "index.png", full_page=True)


# -- each page's live demo ---------------------------------------------------------------


def demo_hello(page: Page, demo: FrameLocator, showcase: Any, tmp_path: Path) -> None:
    expect(demo.locator("body")).to_have_text("Hello, world!")


def demo_json_echo(page: Page, demo: FrameLocator, showcase: Any, tmp_path: Path) -> None:
    demo.locator("#send").click()
    expect(demo.locator("#answer")).to_contain_text("200")
    expect(demo.locator("#answer")).to_contain_text('"hello": "world"')
    expect(demo.locator("#answer")).to_contain_text('"root_path": "/json_echo"')


def demo_headers_cookies(page: Page, demo: FrameLocator, showcase: Any, tmp_path: Path) -> None:
    expect(demo.locator("#visits")).to_have_text("1")
    page.click("#reload")
    expect(demo.locator("#visits")).to_have_text("2")


def demo_streaming(page: Page, demo: FrameLocator, showcase: Any, tmp_path: Path) -> None:
    expect(demo.locator("body")).to_contain_text("line 20 of 20", timeout=15_000)


def demo_sse_clock(page: Page, demo: FrameLocator, showcase: Any, tmp_path: Path) -> None:
    ticks = demo.locator("#ticks")
    expect(ticks).to_have_text(re.compile(r"^[1-9][0-9]*$"), timeout=10_000)
    seen, first = int(ticks.inner_text()), demo.locator("#clock").inner_text()
    # A loaded machine may show any count first; it only grows, so two more ticks are
    # "not seen" and then "not seen + 1".
    for count in (seen, seen + 1):
        expect(ticks).not_to_have_text(str(count), timeout=10_000)
    assert demo.locator("#clock").inner_text() != first


def demo_upload(page: Page, demo: FrameLocator, showcase: Any, tmp_path: Path) -> None:
    original = os.urandom(3 * 1024 * 1024 + 17)  # over the 1 MiB spool threshold
    source = tmp_path / "<img src=x onerror=alert(1)> upload.bin"
    source.write_bytes(original)
    demo.locator("input[name=title]").fill("from chromium")
    demo.locator("input[name=file]").set_input_files(str(source))
    demo.locator("button[type=submit]").click()
    expect(demo.locator("h1")).to_have_text("Uploaded")
    expect(demo.locator("#title")).to_have_text("from chromium")
    expect(demo.locator("#filename")).to_have_text(source.name)  # as text, not as markup
    expect(demo.locator("img")).to_have_count(0)
    expect(demo.locator("#size")).to_have_text(str(len(original)))
    expect(demo.locator("#sha256")).to_have_text(hashlib.sha256(original).hexdigest())
    stored = demo.locator("#stored").inner_text()
    assert re.fullmatch(r"[0-9a-f]{32}\.bin", stored), stored
    text = demo.locator("body").inner_text()
    assert "asgikit-uploads" not in text and "/tmp" not in text
    with page.expect_download() as download:
        demo.locator("#stored").click()
    assert Path(download.value.path()).read_bytes() == original


def demo_download(page: Page, demo: FrameLocator, showcase: Any, tmp_path: Path) -> None:
    url = f"{showcase.url}/download/file"
    expect(demo.locator("#range")).to_have_text(f"curl -r 0-99 -o part.bin {url}")
    part = httpx.get(url, headers={"range": "bytes=0-99"})
    assert part.status_code == 206 and len(part.content) == 100
    with page.expect_download() as download:
        demo.locator("#link").click()
    assert download.value.suggested_filename == "report-ü.bin"
    data = Path(download.value.path()).read_bytes()
    assert hashlib.sha256(data).hexdigest() == demo.locator("#sha256").inner_text()


def demo_static_dir(page: Page, demo: FrameLocator, showcase: Any, tmp_path: Path) -> None:
    expect(demo.locator("#title")).to_have_text("Served by StaticFiles")
    expect(demo.locator("#title")).to_have_css("color", "rgb(0, 102, 204)")


def demo_ws_echo(page: Page, demo: FrameLocator, showcase: Any, tmp_path: Path) -> None:
    expect(demo.locator("body")).to_have_attribute("data-open", "yes")
    demo.locator("#text").fill("ping ✓")
    demo.locator("button").click()
    expect(demo.locator("#log li")).to_have_text(["echo: ping ✓"])


def demo_ws_chat(page: Page, demo: FrameLocator, showcase: Any, tmp_path: Path) -> None:
    assert page.context.browser is not None
    other = page.context.browser.new_context()
    try:
        bob = other.new_page()
        bob.goto(showcase.url + "/ws_chat/")
        expect(bob.locator("body")).to_have_attribute("data-open", "yes")
        expect(demo.locator("body")).to_have_attribute("data-open", "yes")
        demo.locator("#name").fill("alice")
        demo.locator("#text").fill("hello bob")
        demo.locator("button").click()
        expect(bob.locator("#messages li")).to_have_text(["alice: hello bob"])
        bob.fill("#name", "bob")
        bob.fill("#text", "hi alice")
        bob.press("#text", "Enter")
        expect(demo.locator("#messages li")).to_have_text(["alice: hello bob", "bob: hi alice"])
    finally:
        other.close()


def demo_router(page: Page, demo: FrameLocator, showcase: Any, tmp_path: Path) -> None:
    answer = demo.locator("#answer")
    demo.locator("#text").fill("buy milk")
    demo.locator("#new button").click()
    expect(answer).to_contain_text("POST /router/notes\n201")
    expect(answer).to_contain_text("location: /router/notes/1")

    def press(label: str, *expected: str) -> None:
        demo.get_by_role("button", name=label, exact=True).click()
        expect(answer).to_contain_text(label.replace(" ", " /router/", 1))
        for text in expected:
            expect(answer).to_contain_text(text)

    press("GET notes/1", "200", '"text": "buy milk"')
    press("HEAD notes", "200", "content-length: ")
    assert answer.inner_text().endswith("\n\n")  # no body
    press("PUT notes", "405", "allow: GET, POST, HEAD")
    press("GET nowhere", "404", "nothing at /nowhere")
    press("DELETE notes/1", "204")
    press("GET notes/1", "404", "no note 1")
    press("GET notes", "200", "[]")


DEMOS: dict[str, Callable[[Page, FrameLocator, Any, Path], None]] = {
    name: globals()[f"demo_{name}"] for name in NAMES
}


@pytest.mark.parametrize("name", NAMES)
def test_example_page(
    name: str, showcase: Any, page: Page, screenshots: Path, tmp_path: Path
) -> None:
    page.goto(f"{showcase.url}/learn/{name}")
    # The source, exactly as the file is, with asgikit's calls marked.
    source = (EXAMPLES / f"{name}.py").read_text(encoding="utf-8")
    assert page.locator("#source").text_content() == source.rstrip("\n")
    line_links = page.locator("dl.calls dt a")
    assert line_links.count() > 0
    for i in range(line_links.count()):  # each explained call links to its marked line
        line = page.locator(str(line_links.nth(i).get_attribute("href")))
        expect(line).to_have_class("call")
    # Commands with this server's real address, not a placeholder.
    expect(page.locator("#try")).to_contain_text(f"{showcase.url[4:]}/{name}/")
    demo = page.frame_locator("#demo")
    DEMOS[name](page, demo, showcase, tmp_path)
    if name != "static_dir":  # the static page keeps its own stylesheet
        expect(demo.locator("html")).to_have_class(re.compile(r"\bdemo\b"))
    page.screenshot(path=screenshots / f"{name}.png", full_page=True)
    # The header leads back to the index.
    page.click("header a#home")
    expect(page).to_have_url(showcase.url + "/")
    expect(page.locator("h1")).to_have_text("asgikit showcase")
