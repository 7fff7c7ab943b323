"""Untrusted text (questions, tool names, schema messages, model replies) as Markdown that renders as
that same text: no HTML element, no image, no link can come out of it.

Why this exists rather than a Gradio option: every Markdown surface in the app (gr.Chatbot messages and
step titles, gr.Markdown) goes through Gradio's `marked` pipeline, and none of its switches turns raw HTML
off. `sanitize_html=True` (the default) only strips scripts and event handlers: `<img src=URL>`, `<form>`,
`<input>`, `<svg><image>` and `style="position:fixed"` all survive it, and Markdown images `![](URL)` fetch
as soon as they render. `render_markdown=False` does not help either: the message is then set as HTML
(sanitised the same way), not as text. What Markdown does guarantee is that a backslash before any ASCII
punctuation character prints that character, and that a fenced code block prints its content verbatim.
So text is escaped, never filtered: nothing is removed, and what the user sees is what was sent.

- `as_text(s)`: every character that can open a Markdown or HTML construct is backslash-escaped, leading
  indentation becomes no-break spaces (so no line turns into a code block, heading or list), and the
  starts of bare URLs and e-mail addresses are escaped so they do not become links.
- `code_block(s, lang)`: a fenced block longer than any backtick run inside `s`.
- `reply_markdown(s)`: a model reply. Its own fenced code blocks stay code blocks (re-fenced, with the
  language reduced to a safe word); everything else goes through `as_text`. A reply that is one JSON
  value is shown as a JSON code block.

Only the stdlib, so the checks that use it stay cheap.
"""

from __future__ import annotations

import json
import re

# Inline openers (escape, code, emphasis, links/images, HTML/autolinks, entities, strikethrough, tables,
# LaTeX, e-mail autolinks), and the `:`/`.` that would start a bare-URL autolink (GFM: http:// https://
# ftp:// www.). Any ASCII punctuation may be backslash-escaped in CommonMark, so escaping is always safe.
_INLINE = re.compile(r"[\\`*_\[\]<>&!~|$@]|(?i:(?<=http):|(?<=https):|(?<=ftp):|(?<=www)\.)")
# Block openers at the start of a line: ATX heading, list items, setext underlines, ordered lists.
_LINE_START = re.compile(r"^([#+=-])|^(\d{1,9})([.)])", re.MULTILINE)
_INDENT = re.compile(r"^[ \t]+", re.MULTILINE)
_FENCE_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
_LANG = re.compile(r"[A-Za-z0-9_+#.-]{1,32}")
NBSP = "\u00a0"


def as_text(text: str | None) -> str:
    """Markdown source that renders as `text` itself (line breaks kept, nothing interpreted)."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    text = _INLINE.sub(lambda m: "\\" + m.group(), text)
    text = _LINE_START.sub(lambda m: f"\\{m.group(1)}" if m.group(1) else f"{m.group(2)}\\{m.group(3)}", text)
    return _INDENT.sub(lambda m: NBSP * len(m.group().expandtabs(4)), text)


def code_block(text: str, lang: str = "") -> str:
    """A fenced code block that survives backticks inside `text` (its content is shown verbatim)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    lang = lang if _LANG.fullmatch(lang or "") else ""
    return f"{ticks}{lang}\n{text}\n{ticks}"


def _segments(text: str) -> list[tuple[str, str | None]]:
    """Split a reply into (prose, None) and (code, lang) parts at its fenced code blocks.

    A fence opens on a line of 3+ backticks or tildes and closes on a line of the same character, at
    least as long; an unclosed fence runs to the end (as in CommonMark, and as a reply still streaming
    looks). Anything the split gets "wrong" only moves text between as_text and a code block: both
    render text.
    """
    parts: list[tuple[str, str | None]] = []
    prose: list[str] = []
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        opened = _FENCE_OPEN.match(lines[index])
        if not opened or (opened.group(1)[0] == "`" and "`" in opened.group(2)):
            prose.append(lines[index])
            index += 1
            continue
        marker, info = opened.group(1), opened.group(2).strip()
        closing = re.compile(rf"^ {{0,3}}{re.escape(marker[0])}{{{len(marker)},}}[ \t]*$")
        end = next((j for j in range(index + 1, len(lines)) if closing.match(lines[j])), len(lines))
        if prose:
            parts.append(("\n".join(prose), None))
            prose = []
        language = _LANG.match(info)
        parts.append(("\n".join(lines[index + 1 : end]), language.group() if language else ""))
        index = end + 1
    if prose:
        parts.append(("\n".join(prose), None))
    return parts


def reply_markdown(text: str | None, cursor: str = "") -> str:
    """A model reply as safe Markdown; `cursor` (e.g. "▌") is appended after the last part."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    stripped = text.strip()
    if stripped and stripped[0] in "{[":
        try:
            json.loads(stripped)
        except (ValueError, RecursionError):
            pass
        else:
            return code_block(stripped, "json") + (f"\n\n{cursor}" if cursor else "")
    rendered: list[str] = []
    last_was_code = False
    for part, lang in _segments(text):
        if lang is None:
            if part.strip():
                rendered.append(as_text(part.strip("\n")))
            last_was_code = False
        else:
            rendered.append(code_block(part, lang))
            last_was_code = True
    body = "\n\n".join(rendered)
    if not cursor:
        return body
    return f"{body}\n\n{cursor}" if last_was_code or not body else f"{body} {cursor}"


def shorten(text: str, limit: int = 80) -> str:
    """`text` cut to `limit` characters with an ellipsis (for names quoted in titles and messages)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
