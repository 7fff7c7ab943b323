"""Untrusted text in the Space is shown as text: questions, tool schemas, validation messages and model
replies never become HTML elements, images or links, and hostile JSON never crashes a request.

Markdown is checked the way a browser would meet it: the app's Markdown goes through markdown-it (a
CommonMark renderer with raw HTML *enabled*, like Gradio's `marked`), and the HTML that comes out may
only hold the tags plain text and code blocks need. The real browser check (Gradio's own renderer, a
beacon server, the DOM) is in tests/test_space_browser.py.
"""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.space_fakes import (
    beacon_server,
    hostile_prose,
    hostile_query,
    hostile_reply,
    hostile_schema_error,
    hostile_tools,
    serving,
)

from agent_flan.space.engine import ScriptedEngine
from agent_flan.space.panes import PANES, check_request, run_comparison
from agent_flan.space.presets import TOOL_PRESETS
from agent_flan.space.tool_schema import MAX_DEPTH, ToolSchemaError, parse_tools, tools_to_json
from agent_flan.space.ui import tools_status
from agent_flan.space.untrusted import as_text, code_block, reply_markdown

markdown_it = pytest.importorskip("markdown_it", reason="markdown-it-py (installed with gradio's rich)")

BEACON = "http://127.0.0.1:9"  # nothing is served here; these tests read the Markdown, not a page
WEATHER = tools_to_json(TOOL_PRESETS["Weather"])
OTHER = tools_to_json(TOOL_PRESETS["Password and BMI"])
TEXT_TAGS = {"p", "br"}  # what text alone may turn into
CODE_TAGS = TEXT_TAGS | {"pre", "code"}
HOSTILE_STRINGS = [
    '<img src="http://127.0.0.1:9/x.png" onerror="alert(1)">',
    "![x](http://127.0.0.1:9/md.png?secret=abc) and [link](javascript:alert(1))",
    '<div style="position:fixed;inset:0">overlay</div>\n\n<form action="/x"><input name="pw"></form>',
    "# heading\n- item\n1. one\n> quote\n    indented code\n---\n| a | b |\n|---|---|\n",
    "```html\n<b>fence</b>\n```\n~~~\ntilde\n~~~",
    "&lt;b&gt; &amp; &#60;img&#62; <!-- comment --> <http://127.0.0.1:9/auto>",
    "see https://127.0.0.1:9/x www.example.com me@example.com $$x^2$$ ~~strike~~ **bold** _em_",
    "trailing backslash \\\nline\\\\ two  \nthree\t\ttabs\r\nwindows",
    "<svg><image href=http://127.0.0.1:9/s.png /></svg><style>body{display:none}</style><script>x()</script>",
    "[ref]: http://127.0.0.1:9/ref.png\n![ref]\n\nSetext\n===",
]


def render(markdown: str) -> str:
    """Markdown -> HTML with raw HTML passed through (the dangerous setting), tables and strikethrough on."""
    return (
        markdown_it.MarkdownIt("commonmark", {"html": True, "breaks": True})
        .enable(["table", "strikethrough"])
        .render(markdown)
    )


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append(tag)
        self.attributes.extend(attrs)


def tags_of(fragment: str) -> _Tags:
    parser = _Tags()
    parser.feed(fragment)
    return parser


def assert_renders_as_text(markdown: str, allowed: set[str] = TEXT_TAGS) -> str:
    """The Markdown renders to `allowed` tags only, with no attribute but a code block's language."""
    rendered = render(markdown)
    found = tags_of(rendered)
    assert set(found.tags) <= allowed, (markdown, rendered)
    assert all(name == "class" and (value or "").startswith("language-") for name, value in found.attributes), rendered
    return rendered


def visible_text(rendered: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", rendered))


def squash(text: str) -> str:
    return "".join(text.split())  # whitespace-insensitive (paragraphs, line breaks, no-break spaces)


# --------------------------------------------------------------------------- the escaping itself


@pytest.mark.parametrize("text", HOSTILE_STRINGS)
def test_as_text_renders_exactly_the_text_and_no_element(text):
    rendered = assert_renders_as_text(as_text(text))
    assert squash(visible_text(rendered)) == squash(text.replace("\r\n", "\n"))


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list("<>/=\"'!*_`~[]()#-+.:|\\&;$@ \n\t\u00a0abc123"))
        | st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"]),
        max_size=80,
    )
)
def test_as_text_never_lets_markup_through(text):
    rendered = assert_renders_as_text(as_text(text))
    assert squash(visible_text(rendered)) == squash(text.replace("\r\n", "\n").replace("\r", "\n"))


def test_as_text_breaks_bare_urls_and_addresses_so_no_link_forms():
    escaped = as_text("https://a.example/x http://b.example ftp://c.example www.d.example me@e.example")
    assert "https\\:" in escaped and "http\\:" in escaped and "ftp\\:" in escaped
    assert "www\\." in escaped and "me\\@e" in escaped
    assert as_text("What's the weather like in Seattle, WA right now?") == (
        "What's the weather like in Seattle, WA right now?"
    )  # ordinary questions come back unchanged


def test_reply_markdown_keeps_code_blocks_as_code_and_the_rest_as_text():
    rendered = assert_renders_as_text(reply_markdown(hostile_prose(BEACON)), CODE_TAGS)
    code = "{&quot;answer&quot;: 42, &quot;unit&quot;: &quot;&lt;b&gt;C&lt;/b&gt;&quot;}"
    assert f'<pre><code class="language-json">{code}' in rendered
    assert "position:fixed" in visible_text(rendered) and "<form" in visible_text(rendered)
    # a reply that is one JSON value is a JSON code block, not a paragraph
    echoed = reply_markdown('{"temperature_c": 11, "note": "<img src=x>"}')
    assert echoed.startswith("```json\n") and "<pre><code" in assert_renders_as_text(echoed, CODE_TAGS)
    # still streaming: the open fence is closed for display, the cursor sits after it
    streaming = reply_markdown("Look:\n```python\nprint('<b>')", cursor="▌")
    assert streaming.endswith("```\n\n▌")
    assert "<pre><code" in assert_renders_as_text(streaming, CODE_TAGS)
    # a fence that holds backticks, and an info string that is not a language
    tricky = reply_markdown("````\n```\n<img src=x>\n```\n````\n```<img src=y onerror=alert(1)>\nz\n```")
    assert_renders_as_text(tricky, CODE_TAGS)
    assert code_block("a ``` b").startswith("````\n")


# --------------------------------------------------------------------------- schemas and messages


def test_tools_nested_ten_thousand_levels_are_refused_inline():
    deep = "[" * 10_000 + "]" * 10_000
    with pytest.raises(ToolSchemaError, match=f"nested more than {MAX_DEPTH} levels deep"):
        parse_tools(deep, "Relevant tools")
    with pytest.raises(ToolSchemaError, match=f"nested 40 levels deep; the limit is {MAX_DEPTH}"):
        parse_tools("[" * 40 + "]" * 40, "Relevant tools")
    status = tools_status(deep, "Relevant tools")
    assert status.startswith("**Error.** Relevant tools: the JSON is nested more than")
    assert parse_tools(tools_to_json(hostile_tools(BEACON)))[0]["name"] == "get_weather"  # ordinary depth is fine


def test_schema_messages_quote_what_they_name_and_render_as_text():
    with pytest.raises(ToolSchemaError) as info:
        parse_tools(hostile_schema_error(BEACON), "Irrelevant tools")
    message = str(info.value)
    assert 'parameters.properties["<img data-hostile src=' in message and "…" in message  # quoted, cut short
    status = tools_status(hostile_schema_error(BEACON), "Irrelevant tools")
    rendered = assert_renders_as_text(status, TEXT_TAGS | {"strong"})
    assert "<img data-hostile" in visible_text(rendered)
    for text in (
        '[{"name": "a", "parameters": {"type": "<b>x</b>"}}]',
        '[{"name": "a", "parameters": {"properties": {"p": {"type": "<i>t</i>"}}, "required": ["<u>"]}}]',
        '[{"name": "<img src=x>"}]',
        '[{"type": "<img src=x>", "function": {"name": "a"}}]',
        '[{"name": "a", "parameters": {"properties": {}, "required": ["<img src=x>"]}}]',
    ):
        assert_renders_as_text(tools_status(text, "Tools"), TEXT_TAGS | {"strong"})


def test_request_refusals_quote_client_values_as_text():
    from agent_flan.space.ui import _error

    for args in (("<img src=x>", "general", 8), ("base", "<img src=x>", 8), ("base", "general", "<img src=x>")):
        with pytest.raises(Exception) as info:
            check_request("q", WEATHER, OTHER, True, args[0], args[1], args[2], "", ["base"])
        assert_renders_as_text(_error(str(info.value)), TEXT_TAGS | {"strong"})


# --------------------------------------------------------------------------- the comparison's output


def _assert_state_is_text(chats, badges, status) -> None:
    for chat in chats:
        for message in chat:
            content = message["content"]
            if isinstance(content, list):  # as gradio_client returns it
                content = "".join(part.get("text", "") for part in content)
            assert_renders_as_text(content, CODE_TAGS | {"em"})
            title = (message.get("metadata") or {}).get("title") or ""
            assert_renders_as_text(title)
    for badge in badges:  # gr.HTML: our own markup around escaped text
        assert set(tags_of(badge).tags) <= {"div", "span", "code"}, badge
    assert_renders_as_text(status, TEXT_TAGS | {"strong"})


def test_a_hostile_comparison_renders_as_text_in_every_pane():
    request = check_request(
        hostile_query(BEACON),
        tools_to_json(hostile_tools(BEACON)),
        OTHER,
        True,
        "base",
        "general",
        200,
        '<img src="http://127.0.0.1:9/obs.png">',
        ["base"],
    )
    states = list(run_comparison(ScriptedEngine(hostile_reply(BEACON)), request))
    for state in states:  # every streamed update, not only the last one
        _assert_state_is_text(state.chats, state.badges, state.status)
    final = states[-1]
    assert [final.verdicts[p.key]["badge"] for p in PANES] == ["correct_call", "plain_answer", "unknown_tool"]
    titles = [m["metadata"]["title"] for m in final.chats[2] if m.get("metadata")]
    assert "<img data-hostile" in visible_text(render(titles[0]))  # the markup is there, as text
    assert "&lt;img data-hostile" in final.badges[2]


# --------------------------------------------------------------------------- through gradio_client


def _deep_or_hostile(beacon: str):
    """The hostile reply, except that a question asking for DEEP gets arguments nested 300 levels."""
    hostile = hostile_reply(beacon)

    def reply(messages):
        if "DEEP" in messages[-1]["content"] and "get_weather" in messages[0]["content"]:
            return '{"name": "get_weather", "arguments": {"location": ' + "[" * 300 + "]" * 300 + "}}"
        return hostile(messages)

    return reply


@pytest.fixture(scope="module")
def hostile_app():
    with beacon_server() as (beacon, hits), serving(ScriptedEngine(_deep_or_hostile(beacon))) as url:
        from gradio_client import Client

        yield Client(url, verbose=False), beacon, hits


def test_hostile_inputs_through_the_api_come_back_as_text(hostile_app):
    client, beacon, hits = hostile_app
    result = client.predict(
        hostile_query(beacon),
        tools_to_json(hostile_tools(beacon)),
        OTHER,
        True,
        "base",
        "general",
        200,
        f"![o]({beacon}/obs.png)",
        api_name="/compare",
    )
    chats, badges, verdicts, status = result[:3], result[3:6], result[6], result[7]
    assert status.startswith("Done · "), status
    _assert_state_is_text(chats, badges, status)
    assert verdicts["none"]["reply"] == hostile_prose(beacon)  # the raw reply is kept, as data
    assert hits == []  # the server itself never fetched anything


def test_hostile_and_deep_json_through_the_api_is_refused_inline_and_the_app_keeps_serving(hostile_app):
    client, beacon, _ = hostile_app

    def compare(query="What's the weather in Oslo?", tools=WEATHER, observation=""):
        return client.predict(query, tools, OTHER, True, "base", "general", 50, observation, api_name="/compare")

    cases = [
        ("[" * 10_000 + "]" * 10_000, f"nested more than {MAX_DEPTH} levels deep"),
        (hostile_schema_error(beacon), "parameters.properties\\["),
    ]
    for tools, message in cases:
        result = compare(tools=tools)
        assert result[7].startswith("**Not run.** Relevant tools:") and message in result[7], result[7][:300]
        assert all(value.get("__type__") == "update" for value in result[:7])  # refused: the panes stay as they were
        _assert_state_is_text([], [], result[7])
    # a simulated observation nested 2,000 levels deep (within the 4,000-character limit) is shown as typed
    deep_observation = "[" * 2_000 + "]" * 2_000
    result = compare(observation=deep_observation)
    assert result[7].startswith("Done · "), result[7][:300]
    # a reply whose arguments nest 300 levels (past orjson's 255) still gives a verdict
    result = compare(query="DEEP: what's the weather in Oslo?")
    assert result[7].startswith("Done · "), result[7][:300]
    arguments = result[6]["tools"]["calls"][0]["arguments"]
    assert '"[[[[' in json.dumps(arguments)  # past MAX_SHOWN_DEPTH the rest is compact JSON text
    assert next(m["metadata"]["title"] for m in result[0] if m.get("metadata")) == "Tool call: get\\_weather"
    assert compare()[7].startswith("Done · ")  # and the app keeps serving
