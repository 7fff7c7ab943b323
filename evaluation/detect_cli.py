"""Command line front end for the tool-call detector (`agent-flan detect`).

Why: lets people check one model reply by hand, or from a shell pipeline,
with exactly the verdict the evaluation code computes.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from agent_flan.core.toolcalls.detect import detect, tool_names

_EPILOG = """\
example:
  echo 'Action: get_weather\\nAction Input: {"city": "Paris"}' | agent-flan detect
  printf '%s' '<tool_call>{"name": "book_hotel", "arguments": {}}</tool_call>' \\
      | agent-flan detect --tools '[{"name": "get_weather"}]'

The verdict is printed as one JSON object:
  {"calls_tool": ..., "style": ..., "calls": [...], "unknown_tools": [...]}
A one-line reply containing literal "\\n" escapes (as plain `echo` passes
them) is unescaped first, so the first example works in any shell; replies
that also contain \\" escapes (JSON-encoded text) are left as they are.
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="agent-flan detect",
        description="Read one model reply on stdin and report whether it calls a tool, "
        "in which style (native, react, json, function, phrase), and which tools it names.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--tools",
        metavar="FILE_OR_JSON",
        help="the offered tools: a JSON list of function schemas, or a path to a file holding one; "
        "'[]' means no tools were offered (any call is to an unknown tool)",
    )
    return parser


def _load_tools(value: str) -> list:
    """The --tools value as a list; raises ValueError with a readable reason."""
    path = Path(value)
    source = "--tools"
    text = value
    if not value.lstrip().startswith(("[", "{")) and path.is_file():
        source = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"cannot read {source}: {exc}") from exc
    try:
        tools = json.loads(text)
    except json.JSONDecodeError as exc:
        hint = "" if path.is_file() or value.lstrip().startswith(("[", "{")) else " (and it is not a file)"
        raise ValueError(f"{source} is not valid JSON{hint}: {exc}") from exc
    if isinstance(tools, dict):
        tools = [tools]
    if not isinstance(tools, list):
        raise ValueError(f"{source} must be a JSON list of function schemas, got {type(tools).__name__}")
    for position, entry in enumerate(tools):
        if not tool_names([entry]):
            raise ValueError(
                f'{source}: entry {position} has no tool name (expected {{"name": ...}} '
                f'or {{"type": "function", "function": {{"name": ...}}}})'
            )
    return tools


def _read_reply(stream) -> str:
    """The reply from stdin. A single line with literal \\n escapes is unescaped
    (that is how `echo 'a\\nb'` arrives in bash), unless it also holds \\" escapes:
    then the \\n most likely sits inside an escaped JSON string and must stay."""
    reply = stream.read()
    body = reply.rstrip("\n")
    if "\n" not in body and "\\n" in body and '\\"' not in body:
        reply = body.replace("\\n", "\n")
    return reply


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit status (0 ok, 2 bad --tools)."""
    args = _parser().parse_args(argv)
    tools = None
    if args.tools is not None:
        try:
            tools = _load_tools(args.tools)
        except ValueError as exc:
            print(f"agent-flan detect: error: {exc}", file=sys.stderr)
            return 2
    verdict = detect(_read_reply(sys.stdin), tools)
    print(json.dumps(verdict.to_dict(), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
