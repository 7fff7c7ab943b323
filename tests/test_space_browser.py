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
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
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
    from support.space_fakes import serving

    from agent_flan.space.engine import ScriptedEngine

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


# --------------------------------------------------------------------------- hostile inputs, one page load

# Where untrusted text lands on the page, and the elements it must never turn into there.
SHOWN = [
    "#chat-tools",
    "#chat-none",
    "#chat-irrelevant",
    "#status",
    "#tools-check",
    "#irrelevant-check",
    "#badge-tools",
    "#badge-none",
    "#badge-irrelevant",
    "#verdicts",
]
FORBIDDEN = (
    "img, form, input, button:not(.copy_code_button), iframe, object, embed, video, audio, image, style, b, "
    "a, [style]:not(.af-badge > span)"
)
# Elements found in the message and status areas, minus Gradio's own chrome around them.
FOUND = """([areas, forbidden]) => areas.flatMap(area => Array.from(document.querySelectorAll(
    `${area} .message-content, ${area} [data-testid='bot'], ${area} [data-testid='user'], ${area} .md, `
    + `${area} .af-badge, ${area} .json-holder`)).flatMap(root => Array.from(root.querySelectorAll(forbidden))
    .map(e => `${area}: <${e.tagName.toLowerCase()}> ${e.outerHTML.slice(0, 120)}`)))"""
OVERLAYS = """() => Array.from(document.querySelectorAll('*')).filter(e => {
    const s = getComputedStyle(e), r = e.getBoundingClientRect();
    return s.position === 'fixed' && r.width * r.height > 0.1 * innerWidth * innerHeight;
}).map(e => e.outerHTML.slice(0, 160))"""


@pytest.fixture(scope="module")
def hostile_url():
    from support.space_fakes import beacon_server, hostile_reply, serving

    from agent_flan.space.engine import ScriptedEngine

    with beacon_server() as (beacon, hits), serving(ScriptedEngine(hostile_reply(beacon))) as url:
        yield url, beacon, hits


def _replace_editor(page, elem_id: str, text: str) -> None:
    page.locator(f"#{elem_id} .cm-content").click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(text)  # one insertion: no auto-closed brackets


def test_hostile_question_schemas_and_reply_render_as_text_and_fetch_nothing(browser, hostile_url):
    """Markup in the question, the tool schemas, a schema error and the model's reply (overlay, fake form,
    remote images carrying data, a tool named `<img …>`) is shown as text: no element, no overlay, no form,
    and the beacon every URL points at gets no request. Then a control image proves the beacon would have
    seen one."""
    from playwright.sync_api import expect
    from support.space_fakes import hostile_query, hostile_schema_error, hostile_tools

    from agent_flan.space.tool_schema import MAX_DEPTH, tools_to_json

    url, beacon, hits = hostile_url
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(url, wait_until="domcontentloaded")
        page.locator("#query textarea").fill(hostile_query(beacon))
        _replace_editor(page, "tools-json", tools_to_json(hostile_tools(beacon)))
        expect(page.locator("#tools-check")).to_contain_text("OK: 1 tool", timeout=20_000)
        page.locator("#observation textarea").fill(f'<img src="{beacon}/observation.png"> ![o]({beacon}/obs-md.png)')
        page.locator("#run").click()
        expect(page.locator("#status")).to_contain_text("Done", timeout=60_000)
        for key, kind in (("tools", "correct_call"), ("none", "plain_answer"), ("irrelevant", "unknown_tool")):
            expect(page.locator(f"#badge-{key} [data-kind='{kind}']")).to_be_visible()
        for step in page.get_by_text("Raw model output").all():  # open the collapsed steps: render everything
            step.click()
        page.get_by_text("Detector verdicts (JSON)").click()

        # the hostile text is on the page, as text
        expect(page.locator("#chat-none [data-testid='user']")).to_contain_text("<b data-hostile>Oslo</b> &amp;")
        expect(page.locator("#chat-none")).to_contain_text('<form data-hostile action="')
        expect(page.locator("#chat-none")).to_contain_text(f"![chart]({beacon}/md.png?secret=abc)")
        expect(page.locator("#chat-none pre code").first).to_contain_text('"answer": 42')  # a code block still
        expect(page.locator("#chat-irrelevant")).to_contain_text("Tool call: <img data-hostile")
        expect(page.locator("#badge-irrelevant code")).to_contain_text("<img data-hostile")
        expect(page.locator("#chat-tools")).to_contain_text(f"{beacon}/observation.png")

        # a schema error quoting markup, then tools nested 10,000 levels: inline errors, shown as text
        _replace_editor(page, "irrelevant-json", hostile_schema_error(beacon))
        expect(page.locator("#irrelevant-check")).to_contain_text(
            'parameters.properties["<img data-hostile', timeout=20_000
        )
        page.locator("#run").click()
        expect(page.locator("#status")).to_contain_text("Not run. Irrelevant tools:", timeout=30_000)
        expect(page.locator("#status")).to_contain_text("<img data-hostile")
        _replace_editor(page, "tools-json", "[" * 10_000 + "]" * 10_000)
        expect(page.locator("#tools-check")).to_contain_text(
            f"nested more than {MAX_DEPTH} levels deep", timeout=20_000
        )
        page.wait_for_timeout(1_500)  # give any image, CSS background or form a moment to load

        assert page.evaluate(FOUND, [SHOWN, FORBIDDEN]) == []
        assert page.evaluate("document.querySelectorAll('form').length") == 0
        assert page.evaluate(OVERLAYS) == []
        assert page.evaluate("document.querySelectorAll('[data-hostile], [onerror]').length") == 0
        assert page.title() == "Agent-FLAN tool hallucination"  # no onerror ran to change it
        assert hits == [], hits
        page.evaluate("src => { new Image().src = src; }", f"{beacon}/control.png")  # the check can fail
        page.wait_for_timeout(500)
        assert hits == ["/control.png"], hits
    finally:
        page.close()
