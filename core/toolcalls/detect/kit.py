"""Style `kit`: the kit's own call language (agent_flan.core.toolcalls.language), with its naming sentence."""

from __future__ import annotations

from agent_flan.core.toolcalls.detect.common import RawCall


def _detect_kit(reply: str, names: set[str] | None) -> list[RawCall]:
    """A call in one of the kit's own serialisations (what agent_instruct_tflan / toolbench_tflan rows hold)."""
    from agent_flan.core.toolcalls.language import ELICITATIONS, parse_rendered_call

    parsed = parse_rendered_call(reply)
    if parsed is None:
        return []
    name, arguments = parsed
    if not any(sentence.format(name=name) in reply for sentence in ELICITATIONS):
        return []
    return [(name, arguments, isinstance(arguments, dict))]
