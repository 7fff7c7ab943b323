"""Format alignment: the banks, and exact round trips through every serialiser (fenced and inline)."""

from __future__ import annotations

import json
import keyword
import math
import random
import re
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent_flan.core.toolcalls.language import (
    ELICITATIONS,
    FENCED,
    INLINE,
    SERIALISERS,
    choose_serialiser,
    elicit,
    parse_rendered_call,
    render_arguments,
    render_call,
)


def same(a: Any, b: Any) -> bool:
    """Equality that also tells True from 1 and 1 from 1.0, which `==` does not."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[key], b[key]) for key in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def fenced_body(text: str) -> str:
    """The block of a render_call output (for the PyYAML cross-check)."""
    fence = re.search(r"\n(`{3,})\Z", text)[1]
    start = text.rfind(fence, 0, len(text) - len(fence))
    return text[text.index("\n", start) + 1 : len(text) - len(fence) - 1]


# ---- banks -----------------------------------------------------------------------------------


def test_elicitation_bank():
    assert len(set(ELICITATIONS)) == len(ELICITATIONS) >= 20
    assert all("{name}" in sentence for sentence in ELICITATIONS)
    assert all(sentence.format(name="bash").count("bash") == 1 for sentence in ELICITATIONS)


def test_serialiser_bank():
    assert set(FENCED) == {"json", "python_dict", "yaml", "function_call", "cli", "key_value"}
    assert set(INLINE) == {"inline_json", "inline_prose"}
    assert all(SERIALISERS[name].intros for name in FENCED)


# ---- round trips -------------------------------------------------------------------------------

SIMPLE_NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.\-]{0,24}", fullmatch=True)
ANY_NAMES = st.text(min_size=1, max_size=20).filter(lambda name: "\n" not in name)
IDENTIFIERS = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True).filter(
    lambda key: not keyword.iskeyword(key) and key != "__debug__"
)
LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
)
TRICKY_KEYS = st.sampled_from(["name", "arguments", "raw_arguments", "yes", "n", "--x", "a: b", "#"])
KEYS = IDENTIFIERS | st.text(max_size=12) | TRICKY_KEYS
VALUES = st.recursive(
    LEAVES, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3), max_leaves=8
)
ARGUMENTS = st.dictionaries(KEYS, VALUES, max_size=5)


def call_for(serialiser: str, name: str, arguments: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """function_call needs an identifier-like name and identifier keys at the top level: re-key, keep the values."""
    if serialiser != "function_call":
        return name, arguments
    name = name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.\-]*", name) else "fallback.tool"
    return name, {
        (
            key
            if key.isidentifier() and key.isascii() and not keyword.iskeyword(key) and key != "__debug__"
            else f"arg{index}"
        ): value
        for index, (key, value) in enumerate(arguments.items())
    }


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=SIMPLE_NAMES | ANY_NAMES, arguments=ARGUMENTS, seed=st.integers(0, 2**32))
def test_every_serialiser_round_trips_dicts(name, arguments, seed):
    """Each example goes through all six fenced serialisers, forced one by one."""
    for serialiser in FENCED:
        call_name, call_arguments = call_for(serialiser, name, arguments)
        assert SERIALISERS[serialiser].accepts(call_name, call_arguments), serialiser
        text = render_call(random.Random(seed), call_name, call_arguments, serialiser=serialiser)
        parsed = parse_rendered_call(text)
        assert parsed is not None, text
        assert parsed[0] == call_name and same(parsed[1], call_arguments), text
        if serialiser == "yaml":
            assert same(yaml.safe_load(fenced_body(text)), {"name": name, "arguments": arguments}), text
        if serialiser == "json":
            assert same(json.loads(fenced_body(text)), {"name": name, "arguments": arguments})


@settings(max_examples=250, deadline=None)
@given(
    name=SIMPLE_NAMES | ANY_NAMES,
    raw=st.text(max_size=60) | st.sampled_from(["", "{}", '{"q": 1,}', "a\n", "\nEOF\nEOF", "```", "x\n)", " lead"]),
    seed=st.integers(0, 2**32),
)
def test_every_serialiser_keeps_raw_text_verbatim(name, raw, seed):
    for serialiser in FENCED:
        call_name, _ = call_for(serialiser, name, {})
        text = render_call(random.Random(seed), call_name, raw, serialiser=serialiser)
        assert parse_rendered_call(text) == (call_name, raw), text
        if "\n" not in raw and all(char.isprintable() for char in raw) and serialiser != "yaml":
            assert raw in text  # literally there, not escaped
        if serialiser == "yaml":
            assert yaml.safe_load(fenced_body(text)) == {"name": name, "arguments": raw}


@settings(max_examples=200, deadline=None)
@given(
    name=SIMPLE_NAMES,
    arguments=ARGUMENTS | st.text(max_size=40),
    seed=st.integers(0, 2**32),
    thought=st.text(max_size=40),
)
def test_render_call_chooses_a_serialiser_that_round_trips(name, arguments, seed, thought):
    text = thought + "\n\n" + render_call(random.Random(seed), name, arguments)
    parsed = parse_rendered_call(text)
    assert parsed is not None and parsed[0] == name and same(parsed[1], arguments), text


def test_render_call_is_deterministic_and_varied():
    outputs = {render_call(random.Random(seed), "get_relations", {"args": ["Barack Obama"]}) for seed in range(200)}
    assert len(outputs) > 100
    assert all(parse_rendered_call(text) == ("get_relations", {"args": ["Barack Obama"]}) for text in outputs)
    used = {text.split("\n", 1)[1].split("\n", 1)[0].strip("`") for text in outputs}
    assert used == {"json", "python", "yaml", "bash", "text"}
    assert render_call(random.Random(7), "bash", {"command": "ls"}) == render_call(
        random.Random(7), "bash", {"command": "ls"}
    )


def test_infinities_survive_where_the_format_has_them():
    arguments = {"high": math.inf, "low": -math.inf}
    for serialiser in ("json", "yaml", "cli", "key_value"):
        assert parse_rendered_call(render_call(random.Random(0), "f", arguments, serialiser)) == ("f", arguments)
    assert yaml.safe_load(fenced_body(render_call(random.Random(0), "f", arguments, "yaml")))["arguments"] == arguments
    assert not SERIALISERS["python_dict"].accepts("f", arguments)


def test_render_call_refuses_what_it_cannot_carry():
    with pytest.raises(TypeError):
        render_call(random.Random(0), "f", {"when": (1, 2)})
    with pytest.raises(ValueError):
        render_call(random.Random(0), "f", {"not an identifier": 1}, serialiser="function_call")
    with pytest.raises(ValueError):
        render_call(random.Random(0), "two\nlines", {})


def test_parse_rendered_call_rejects_other_text():
    for text in [
        "",
        "I will operate bash.",
        '```json\n{"name": "x"}\n```',
        "```sql\nSELECT 1\n```",
        "```python\nprint('hi')\n```",
        '```json\n{"name": "x", "arguments": [1]}\n```',
        "``````",
    ]:
        assert parse_rendered_call(text) is None, text


# ---- inline calls (no code block) -------------------------------------------------------------


@settings(max_examples=250, deadline=None)
@given(name=SIMPLE_NAMES, arguments=ARGUMENTS, seed=st.integers(0, 2**32), thought=st.text(max_size=40))
def test_inline_serialisers_round_trip_after_a_thought(name, arguments, seed, thought):
    for serialiser in INLINE:
        call_arguments = (
            arguments
            if serialiser == "inline_json"
            else {
                (key if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key) else f"arg{index}"): value
                for index, (key, value) in enumerate(arguments.items())
            }
        )
        if not SERIALISERS[serialiser].accepts(name, call_arguments):
            assert not all(math.isfinite(v) for v in _floats(call_arguments))
            continue
        rng = random.Random(seed)
        text = f"{thought} {elicit(rng, name)} {render_arguments(rng, name, call_arguments, serialiser)}"
        assert "```" not in text[len(thought) :]
        parsed = parse_rendered_call(text)
        assert parsed is not None and parsed[0] == name and same(parsed[1], call_arguments), text


def _floats(value: Any) -> list[float]:
    if isinstance(value, float):
        return [value]
    if isinstance(value, dict):
        return [f for item in value.values() for f in _floats(item)]
    if isinstance(value, list):
        return [f for item in value for f in _floats(item)]
    return []


def test_inline_serialisers_refuse_raw_text_and_spaced_names():
    for serialiser in INLINE:
        assert not SERIALISERS[serialiser].accepts("f", "{'q': 1,}")
        assert not SERIALISERS[serialiser].accepts("two words", {"a": 1})
    assert not SERIALISERS["inline_prose"].accepts("f", {"not an identifier": 1})
    assert SERIALISERS["inline_json"].accepts("f", {"not an identifier": 1})


def test_inline_text_without_an_elicitation_is_not_a_call():
    assert parse_rendered_call('Its arguments are {"a": 1}.') is None
    assert parse_rendered_call("I will set a to 1.") is None
    assert parse_rendered_call('I will operate bash. Its arguments are {"a": 1}') is None  # no closing full stop
    assert parse_rendered_call("I will operate bash. I will set a to 1, b to.") is None


def test_one_serialisation_per_trajectory():
    calls = [("get_a", {"x": 1}), ("get_b", {"y": "two"})]
    chosen = {choose_serialiser(random.Random(seed), calls, 0.33) for seed in range(300)}
    assert chosen == set(FENCED) | set(INLINE)
    inline = sum(choose_serialiser(random.Random(seed), calls, 0.33) in INLINE for seed in range(3000)) / 3000
    assert abs(inline - 0.33) < 0.03
    # raw (invalid-JSON) arguments cannot go inline: every trajectory that has one is fenced
    raw = [("get_a", {"x": 1}), ("get_b", "{'q': 1,}")]
    assert {choose_serialiser(random.Random(seed), raw, 1.0) for seed in range(100)} <= set(FENCED)
    assert choose_serialiser(random.Random(0), [("f", {"not an identifier": 1})], 1.0) == "inline_json"
