"""Judge one reply against its item's label, with the shared detector and the paper's keyword test.

Why separate from the metrics: the per-item judgement is what the results file lists for every
item (so a reader can audit any number), and the metrics only count these records.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from agent_flan.core.toolcalls.detect import Verdict, detect
from agent_flan.evaluation.items import EvalItem
from agent_flan.evaluation.keywords import keyword_hit


@dataclass(frozen=True)
class Judgement:
    """What one reply did, in the terms the metrics need."""

    id: str
    situation: str
    prompt_style: str
    should_call: bool
    expected_tool: str
    reply: str
    calls_tool: bool  # the detector saw a tool call (any style)
    keyword_hit: bool  # the paper's keyword test for this prompt style
    called_expected: bool  # among the calls is the expected tool (should-call items only)
    args_valid: bool  # ... and that call's arguments parse to an object (or are empty)
    verdict: dict[str, Any]

    @property
    def correct(self) -> bool:
        """Called when it should, stayed silent when it should not."""
        return self.calls_tool == self.should_call

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["correct"] = self.correct
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Judgement:
        fields = {name: data[name] for name in cls.__dataclass_fields__}
        return cls(**fields)


def _norm(name: str) -> str:
    """Loose tool-name form: case, spaces, hyphens and a ToolBench-style dotted prefix do not matter."""
    return re.sub(r"[\s\-]+", "_", name.strip().lower()).rsplit(".", 1)[-1]


def judge(item: EvalItem, reply: str) -> Judgement:
    """Run the detector (told which tools were offered) and the keyword test on one reply."""
    verdict: Verdict = detect(reply, list(item.tools))
    expected = _norm(item.expected_tool) if item.expected_tool else ""
    if not item.should_call:
        matching = []
    elif not expected:  # a should-call item without a named tool: any call is the right kind of answer
        matching = list(verdict.calls)
    else:
        matching = [call for call in verdict.calls if _norm(call.name) == expected]
    return Judgement(
        id=item.id,
        situation=item.situation,
        prompt_style=item.prompt_style,
        should_call=item.should_call,
        expected_tool=item.expected_tool,
        reply=reply,
        calls_tool=verdict.calls_tool,
        keyword_hit=keyword_hit(reply, item.prompt_style),
        called_expected=bool(matching),
        args_valid=any(call.arguments_valid for call in matching),
        verdict=verdict.to_dict(),
    )
