"""The Agent-FLAN paper's pure keyword hallucination test (section 4.3), kept beside the detector.

Why both: the paper counts a reply as hallucinated when it merely *contains* ReAct keywords
("Thought:", "Action:") or general tool-use phrases ("I will use", "I need to call").  The
detector is stricter about what a call is (it does not count "Thought: ... Final Answer: ..."
without an Action, and it ignores "I will use my knowledge"), so the two numbers differ and
readers comparing with the paper need the keyword one.  The exact lists were never published;
these are ours, written down in docs/evaluation.md.
"""

from __future__ import annotations

import re

# Any ReAct keyword line marker, anywhere in the reply.
REACT_KEYWORDS = re.compile(r"\b(?:Thought|Action(?:[ _]?Input)?)\s*:", re.I)

# First-person intent to use/call/invoke something, the paper's two examples plus close variants.
_SUBJECT = (
    r"(?:I\s+will|I'll|I\s+need\s+to|I\s+have\s+to|I\s+must|I\s+should|let\s+me|I\s+am\s+going\s+to|I'm\s+going\s+to)"
)
GENERAL_PHRASES = re.compile(rf"\b{_SUBJECT}\s+(?:first\s+|now\s+)?(?:use|call|invoke|utilize)\b", re.I)


def react_keyword_hit(reply: str) -> bool:
    """True when the reply contains a ReAct keyword ("Thought:", "Action:", "Action Input:")."""
    return bool(REACT_KEYWORDS.search(reply or ""))


def general_keyword_hit(reply: str) -> bool:
    """True when the reply contains a general tool-use phrase ("I will use", "I need to call", ...)."""
    return bool(GENERAL_PHRASES.search((reply or "").replace("\u2019", "'")))


def keyword_hit(reply: str, prompt_style: str) -> bool:
    """The paper's test for the item's own prompt style: ReAct keywords for `react`, phrases otherwise."""
    return react_keyword_hit(reply) if prompt_style == "react" else general_keyword_hit(reply)
