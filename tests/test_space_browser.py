"""The Space in a real browser: Playwright driving Debian's headless Chromium against the app on 127.0.0.1.

The model is the scripted stand-in (space.engine.ScriptedEngine): it always calls the first offered
tool, so the outcome is known (correct call, plain answer, hallucinated call) while everything else
(the Blocks layout, the queue, streaming, the detector, the rendering) is the real app.

A screenshot goes to the test's tmp folder. With AGENT_FLAN_UPDATE_SCREENSHOT=1 the test also
refreshes docs/images/space.png, the README's picture (the tests never write into the tree otherwise).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("AGENT_FLAN_CHROMIUM", "/usr/bin/chromium"))
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
REPO = Path(__file__).resolve().parents[1]
QUERY = "What's the weather like in Seattle, WA right now?"
OBSERVATION = '{"location": "Seattle, WA", "temperature_c": 11, "condition": "light rain"}'

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (the test extra)")
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium (Playwright's own download is not used)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def app_url():
    from space.engine import ScriptedEngine
    from space.testing import serving

    with serving(ScriptedEngine(delay=0.01)) as url:  # a small delay: the panes visibly stream
        yield url


def test_compare_in_the_browser_fills_every_pane_and_renders_the_call(browser, app_url, tmp_path):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1400, "height": 1060})
    try:
        page.goto(app_url, wait_until="domcontentloaded")
        page.locator("#query textarea").fill(QUERY)
        page.locator("#observation textarea").fill(OBSERVATION)
        page.locator("#run").click()
        expect(page.locator("#status")).to_contain_text("Done", timeout=60_000)

        for key, kind in (("tools", "correct_call"), ("none", "plain_answer"), ("irrelevant", "hallucinated_call")):
            expect(page.locator(f"#badge-{key} [data-kind='{kind}']")).to_be_visible()
            chat = page.locator(f"#chat-{key}")
            expect(chat).to_contain_text(QUERY)
            expect(chat.locator(".message-row, .message").last).to_be_visible()
        tools_pane = page.locator("#chat-tools")
        expect(tools_pane).to_contain_text("Tool call: get_weather")
        expect(tools_pane).to_contain_text('"location": "Seattle, WA"')  # the parsed arguments, inside the step
        expect(tools_pane).to_contain_text("Simulated observation (not a real tool result)")
        expect(page.locator("#chat-none")).not_to_contain_text("Tool call")
        expect(page.locator("#chat-irrelevant")).to_contain_text("Tool call: generate_password")
        page.wait_for_timeout(800)  # let the step accordions finish opening before the picture

        shot = tmp_path / "space.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 20_000
        if os.environ.get("AGENT_FLAN_UPDATE_SCREENSHOT") == "1":
            readme_shot = REPO / "docs" / "images" / "space.png"
            readme_shot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(tmp_path / "top.png"), clip={"x": 0, "y": 0, "width": 1400, "height": 1060})
            shutil.copyfile(tmp_path / "top.png", readme_shot)
    finally:
        page.close()


def test_bad_tool_json_shows_an_inline_error_in_the_browser(browser, app_url):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(app_url, wait_until="domcontentloaded")
        editor = page.locator("#tools-json .cm-content")
        editor.click()
        page.keyboard.press("Control+A")
        page.keyboard.type('[{"name": "get_weather",')
        expect(page.locator("#tools-check")).to_contain_text("not valid JSON at line 1", timeout=20_000)
        page.locator("#query textarea").fill(QUERY)
        page.locator("#run").click()
        expect(page.locator("#status")).to_contain_text("Not run. Relevant tools: not valid JSON", timeout=30_000)
        # the app keeps serving: with valid tools (none) the comparison runs
        page.locator("#tools-json .cm-content").click()
        page.keyboard.press("Control+A")
        page.keyboard.press("Delete")  # an empty editor means "no tools" (typing "[]" fights auto-closing)
        expect(page.locator("#tools-check")).to_contain_text("OK: no tools", timeout=20_000)
        page.locator("#run").click()
        expect(page.locator("#status")).to_contain_text("Done", timeout=60_000)
    finally:
        page.close()
