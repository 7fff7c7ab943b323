"""Parse one AgentInstruct assistant turn into (thought, action, arguments) by its task grammar.

The aligned `tflan` rendering needs the action and its arguments as data, so each of the
six AgentBench environments' output grammars is read here (agent_tuning.md §1.4). A turn
that does not follow its task's grammar gives None: the caller reports it instead of
guessing, so nothing is silently dropped or rewritten wrongly.

Parsers are strict about the *structure* (labels, code fences, nothing after the action)
and lenient only about the whitespace between parts, which varies across upstream rows
(the os one-shot uses one newline, the task turns two).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

FINAL_ACTION = "final_answer"
THINK_ONLY = ""


@dataclass(frozen=True)
class ParsedStep:
    """One assistant step. For a final answer: action "final_answer", arguments = the answer text.

    A think-only step (alfworld `THOUGHT:` without `ACTION:`) has action "" and arguments {}.
    """

    thought: str
    action: str
    arguments: dict[str, Any] | str
    final: bool
    # (start, end, capability) tiling the turn as written: where its thought, tool name, arguments
    # and answer are, so the native (react) rendering can carry capability spans too.
    parts: tuple[tuple[int, int, str], ...] = field(default=(), compare=False)


def _tile(match: re.Match, length: int, groups: dict[str, str]) -> tuple[tuple[int, int, str], ...]:
    """Capability spans over the whole turn from the named groups that matched (empty ones left out):
    the labels between groups go with the group that follows them, trailing text with the last one."""
    found = sorted(
        (match.start(g), match.end(g), capability)
        for g, capability in groups.items()
        if match.group(g) is not None and match.end(g) > match.start(g)
    )
    if not found:
        return ((0, length, "answer"),) if length else ()
    parts, cursor = [], 0
    for _, end, capability in found:
        if end > cursor:
            parts.append((cursor, end, capability))
            cursor = end
    if cursor < length:
        start, _, capability = parts[-1]
        parts[-1] = (start, length, capability)
    return tuple(parts)


def _located(step: ParsedStep, match: re.Match, groups: dict[str, str]) -> ParsedStep:
    return replace(step, parts=_tile(match, len(match.string), groups))


def _labelled(text: str | None, *labels: str) -> bool:
    """A thought that itself holds an action label means two steps in one turn: not the grammar."""
    return bool(text) and re.search(r"(?m)^[ \t]*(?:" + "|".join(map(re.escape, labels)) + ")", text) is not None


def _final(thought: str, answer: str) -> ParsedStep:
    return ParsedStep(thought, FINAL_ACTION, answer, True)


# ---- os ------------------------------------------------------------------------------------
# `Think: ...\n\nAct: bash\n\n```bash\n<cmd>\n```` | `Act: finish` | `Act: answer(<x>)`
_OS = re.compile(
    r"\A\s*(?:Think:[ \t]*(?P<thought>.*?)\s*\n)?\s*Act:[ \t]*"
    r"(?:(?P<bash>bash)\s*\n```bash\n(?P<cmd>.*?)\n```"
    r"|(?P<finish>finish)"
    r"|answer\((?P<answer>.*)\))\s*\Z",
    re.DOTALL,
)


def _parse_os(content: str) -> ParsedStep | None:
    match = _OS.match(content)
    if not match or _labelled(match["thought"], "Act:", "Think:"):
        return None
    thought = match["thought"] or ""
    groups = {
        "thought": "reasoning",
        "bash": "retrieval",
        "cmd": "understanding",
        "finish": "answer",
        "answer": "answer",
    }
    if match["bash"]:
        if "\n```" in match["cmd"]:  # two code blocks: the env runs only the first, the rest would be lost
            return None
        return _located(ParsedStep(thought, "bash", {"command": match["cmd"]}, False), match, groups)
    if match["finish"]:
        return _located(_final(thought, ""), match, groups)
    return _located(_final(thought, match["answer"]), match, groups)


# ---- db ------------------------------------------------------------------------------------
# free text, then `Action: Operation\n```sql\n<sql>\n```` or `Action: Answer\nFinal Answer: [...]`
_DB_OPERATION = re.compile(
    r"\A(?P<thought>.*?)\s*^Action:[ \t]*(?P<name>Operation)[ \t]*\n```sql\n(?P<sql>.*?)\n```\s*\Z",
    re.DOTALL | re.MULTILINE,
)
_DB_ANSWER = re.compile(
    r"\A(?P<thought>.*?)\s*^Action:[ \t]*Answer[ \t]*\nFinal Answer:[ \t]*(?P<answer>.*?)\s*\Z",
    re.DOTALL | re.MULTILINE,
)


def _parse_db(content: str) -> ParsedStep | None:
    match = _DB_OPERATION.match(content)
    if match and "```" not in match["sql"] and not _labelled(match["thought"], "Action:", "Final Answer:"):
        return _located(
            ParsedStep(match["thought"].strip(), "execute_sql", {"sql": match["sql"]}, False),
            match,
            {"thought": "reasoning", "name": "retrieval", "sql": "understanding"},
        )
    match = _DB_ANSWER.match(content)
    if match and match["answer"] and not _labelled(match["thought"], "Action:", "Final Answer:"):
        return _located(
            _final(match["thought"].strip(), match["answer"]), match, {"thought": "reasoning", "answer": "answer"}
        )
    return None


# ---- kg ------------------------------------------------------------------------------------
# `Thought: ...\nAction: get_neighbors(#0, people.person.profession)` | `Thought: ...\nFinal Answer: #3`
_KG_ACTION = re.compile(
    r"\A\s*(?:Thought:[ \t]*(?P<thought>.*?)\s*\n)?\s*Action:[ \t]*(?P<name>[A-Za-z_]\w*)[ \t]*\((?P<args>[^\n]*)\)\s*\Z",
    re.DOTALL,
)
_KG_FINAL = re.compile(
    r"\A\s*(?:Thought:[ \t]*(?P<thought>.*?)\s*\n)?\s*Final Answer:[ \t]*(?P<answer>#\d+)\s*\Z", re.DOTALL
)
_OPEN, _CLOSE = "([{", ")]}"


def split_top_level(text: str) -> list[str] | None:
    """Split `a, f(b, c), d` on commas outside brackets; None when brackets do not balance."""
    parts, depth, current = [], 0, []
    for char in text:
        if char in _OPEN:
            depth += 1
        elif char in _CLOSE:
            depth -= 1
            if depth < 0:
                return None
        if char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    if depth:
        return None
    last = "".join(current).strip()
    if not parts and not last:
        return []
    parts.append(last)
    return parts


def _parse_kg(content: str) -> ParsedStep | None:
    match = _KG_FINAL.match(content)
    if match and not _labelled(match["thought"], "Action:", "Thought:"):
        return _located(
            _final(match["thought"] or "", match["answer"]), match, {"thought": "reasoning", "answer": "answer"}
        )
    match = _KG_ACTION.match(content)
    if not match or _labelled(match["thought"], "Action:", "Final Answer:", "Thought:"):
        return None
    args = split_top_level(match["args"])
    if args is None or any(not arg for arg in args):
        return None
    return _located(
        ParsedStep(match["thought"] or "", match["name"], {"args": args}, False),
        match,
        {"thought": "reasoning", "name": "retrieval", "args": "understanding"},
    )


# ---- alfworld ------------------------------------------------------------------------------
# `THOUGHT: ...\n ACTION: go to cabinet 1` | `ACTION: ...` | `THOUGHT: ...` (think only)
_ALF = re.compile(
    r"\A\s*(?:THOUGHT:[ \t]*(?P<thought>.*?))?\s*(?:(?<![^\s])ACTION:[ \t]*(?P<action>[^\n]*?))?\s*\Z", re.DOTALL
)


def _parse_alfworld(content: str) -> ParsedStep | None:
    match = _ALF.match(content)
    if not match:
        return None
    thought, action = match["thought"], match["action"]
    if _labelled(thought, "ACTION:", "THOUGHT:"):
        return None
    groups = {"thought": "reasoning", "action": "understanding"}
    if action:
        return _located(ParsedStep(thought or "", "act", {"command": action}, False), match, groups)
    if thought and action is None:
        return _located(ParsedStep(thought, THINK_ONLY, {}, False), match, groups)
    return None


# ---- webshop -------------------------------------------------------------------------------
# `Thought:\nI think ...\n\nAction:\nsearch[keywords]` | `...click[value]`
_WEBSHOP = re.compile(
    r"\A\s*(?:Thought:\s*(?P<thought>.*?)\s*\n)?\s*Action:\s*(?P<verb>search|click)\[(?P<arg>[^\n]*)\]\s*\Z", re.DOTALL
)
_WEBSHOP_KEY = {"search": "query", "click": "target"}


def _parse_webshop(content: str) -> ParsedStep | None:
    match = _WEBSHOP.match(content)
    if not match or _labelled(match["thought"], "Action:", "Thought:"):
        return None
    return _located(
        ParsedStep(match["thought"] or "", match["verb"], {_WEBSHOP_KEY[match["verb"]]: match["arg"]}, False),
        match,
        {"thought": "reasoning", "verb": "retrieval", "arg": "understanding"},
    )


# ---- mind2web ------------------------------------------------------------------------------
# `Thought: ...\nAnswer: C.\nAction: SELECT\nValue: Pickup` | `Answer: A.` (none of the above)
_M2W = re.compile(
    r"\A\s*(?:Thought:[ \t]*(?P<thought>.*?)\s*\n)?\s*Answer:[ \t]*(?P<choice>[A-Z])\.?"
    r"(?:[ \t]*\n\s*Action:[ \t]*(?P<operation>CLICK|SELECT|TYPE)"
    r"(?:[ \t]*\n\s*Value:[ \t]*(?P<value>[^\n]*?))?)?\s*\Z",
    re.DOTALL,
)


def _parse_mind2web(content: str) -> ParsedStep | None:
    match = _M2W.match(content)
    if not match or _labelled(match["thought"], "Answer:", "Action:", "Thought:"):
        return None
    arguments: dict[str, Any] = {"choice": match["choice"]}
    if match["operation"]:
        arguments["operation"] = match["operation"]
    if match["value"] is not None:
        arguments["value"] = match["value"]
    return _located(
        ParsedStep(match["thought"] or "", "select_element", arguments, False),
        match,
        {"thought": "reasoning", "choice": "understanding", "operation": "understanding", "value": "understanding"},
    )


_PARSERS: dict[str, Callable[[str], ParsedStep | None]] = {
    "os": _parse_os,
    "db": _parse_db,
    "kg": _parse_kg,
    "alfworld": _parse_alfworld,
    "webshop": _parse_webshop,
    "mind2web": _parse_mind2web,
}


def parse_agentinstruct_turn(task: str, content: str) -> ParsedStep | None:
    """The step of one trained assistant turn, or None when it does not follow the task's grammar."""
    parser = _PARSERS.get(task)
    if parser is None:
        raise ValueError(f"unknown AgentInstruct task {task!r} (expected one of {', '.join(_PARSERS)})")
    step = parser(content)
    if step is None:
        return None
    return replace(step, thought=step.thought.strip())
