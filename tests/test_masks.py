"""Loss masks, token by token: exactly the trained spans of assistant messages (+ end of turn) are trained.

The oracle here does not use the jinja generation spans the implementation uses: it finds each
assistant turn in the rendered text by its frame (header + content + end-of-turn string), places the
message's spans in it, and derives the expected trained tokens from the tokenizer's offsets on its own.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent_flan.core.schema import TRAINING_CONFIGS
from agent_flan.training.masks import (
    CAPABILITY_INDEX,
    IGNORE_INDEX,
    NEGATIVE_OFFSET,
    encode_conversation,
    trained_segments,
)
from agent_flan.training.templates import TEMPLATES, load_template

# template -> (assistant header, how the template writes content, end-of-turn string)
FRAMES = {
    "chatml": ("<|im_start|>assistant\n", lambda c: c, "<|im_end|>"),
    "qwen2_5": ("<|im_start|>assistant\n", lambda c: c, "<|im_end|>"),
    "llama3_1": ("<|start_header_id|>assistant<|end_header_id|>\n\n", lambda c: c.strip(), "<|eot_id|>"),
    "agent_flan": ("<|Assistant|>\u0d46", lambda c: c, "\u0d3f"),
}
ROWS_PER_CONFIG = 3


@pytest.fixture(scope="session")
def tiny_tokenizer(tmp_path_factory):
    from support.tiny_training import build_tiny_tokenizer

    return build_tiny_tokenizer(tmp_path_factory.mktemp("tiny-tokenizer"))


@pytest.fixture(scope="session")
def config_rows(sample_build):
    """The first rows of every training config of the embedded-sample build (plus `default`)."""
    import datasets

    folder, _ = sample_build
    rows = {}
    for config in (*TRAINING_CONFIGS, "default"):
        ds = datasets.load_dataset(str(folder), config, split="train")
        assert len(ds) > 0, f"{config} is empty in the sample build"
        rows[config] = [ds[i] for i in range(min(ROWS_PER_CONFIG, len(ds)))]
    return rows


def expected_trained(text: str, offsets, messages, template: str) -> tuple[list[bool], list[int]]:
    """Per token: should it be trained, and with which capability id — from frames, spans and offsets only."""
    header, shape, eot = FRAMES[template]
    ranges = []
    cursor = 0
    for message in messages:
        if message["role"] != "assistant":
            continue
        content = message["content"]
        shaped = shape(content)
        framed = header + shaped + eot
        at = text.find(framed, cursor)
        assert at >= 0, f"assistant turn not found in the rendered text: {framed[:80]!r}"
        start = at + len(header)
        cursor = start + len(shaped) + len(eot)
        lead = content.find(shaped) if shaped else 0  # characters the template trimmed off the front
        spans = message.get("spans") or [
            {"start": 0, "end": len(content), "loss": message["loss"], "capability": message["capability"]}
        ]
        pieces = []
        for span in spans:
            lo = max(start, min(start + len(shaped), start + span["start"] - lead))
            hi = max(start, min(start + len(shaped), start + span["end"] - lead))
            if hi > lo:
                pieces.append([lo, hi, span["loss"], span["capability"]])
        if pieces:
            pieces[-1][1] = cursor  # the end-of-turn string goes with the last span
        ranges += [p for p in pieces if p[2]]
    trained, groups = [], []
    for token_start, token_end in offsets:
        hit = next((r for r in ranges if token_end > r[0] and token_start < r[1]), None)
        trained.append(hit is not None)
        groups.append(CAPABILITY_INDEX[hit[3]] if hit else IGNORE_INDEX)
    return trained, groups


@pytest.mark.parametrize("template", sorted(TEMPLATES))
@pytest.mark.parametrize("config", [*TRAINING_CONFIGS, "default"])
def test_exactly_loss_true_assistant_turns_are_trained(tiny_tokenizer, config_rows, config, template):
    chat_template = load_template(template).text
    for row in config_rows[config]:
        negative = row["format"] == "negative"
        enc = encode_conversation(
            tiny_tokenizer, chat_template, row["messages"], row["tools"], negative=negative, row_id=row["id"]
        )
        trained, groups = expected_trained(enc.text, enc.offsets, row["messages"], template)
        for index, token in enumerate(enc.input_ids):
            where = f"{config}/{row['id']} token {index} {enc.text[slice(*enc.offsets[index])]!r}"
            if trained[index]:
                assert enc.labels[index] == token, f"should be trained: {where}"
                assert enc.capability_ids[index] == groups[index] + (NEGATIVE_OFFSET if negative else 0), where
            else:
                assert enc.labels[index] == IGNORE_INDEX, f"must not be trained: {where}"
                assert enc.capability_ids[index] == IGNORE_INDEX, where
        loss_turns = [m for m in row["messages"] if m["role"] == "assistant" and m["loss"]]
        assert (enc.trained_tokens > 0) == bool(loss_turns)


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_an_untrained_span_inside_a_step_is_not_trained(tiny_tokenizer, template):
    """A step whose retrieval sentence is off and whose arguments are on: only the arguments (and the end
    of turn) are trained, and each trained token carries the capability of its span."""
    thought, name, call = "I need the weather. ", "I will call get_weather. ", 'Its arguments are {"city": "Paris"}.'
    content = thought + name + call
    spans = [
        {"start": 0, "end": len(thought), "capability": "reasoning", "loss": True},
        {"start": len(thought), "end": len(thought) + len(name), "capability": "retrieval", "loss": False},
        {"start": len(thought) + len(name), "end": len(content), "capability": "understanding", "loss": True},
    ]
    messages = [
        {"role": "user", "content": "Weather in Paris?", "loss": False, "capability": "", "spans": []},
        {"role": "assistant", "content": content, "loss": True, "capability": "mixed", "spans": spans},
    ]
    enc = encode_conversation(tiny_tokenizer, load_template(template).text, messages)
    trained, groups = expected_trained(enc.text, enc.offsets, messages, template)
    assert [label != IGNORE_INDEX for label in enc.labels] == trained
    assert [g if t else IGNORE_INDEX for g, t in zip(enc.capability_ids, trained)] == groups
    segments = trained_segments(enc)
    trained_text = "".join(seg["text"] for seg in segments if seg["trained"])
    assert "I will call get_weather" not in trained_text and '"Paris"' in trained_text and "weather." in trained_text
    assert {seg["capability"] for seg in segments if seg["trained"]} == {"reasoning", "understanding"}


def test_trained_text_is_the_trained_spans_plus_end_of_turn(tiny_tokenizer):
    """With a byte-level BPE the trained runs decode to exactly the trained spans (+ <|im_end|> after a
    message's last span): span boundaries sit before separators, so no token straddles them."""
    from support.tiny_training import synthetic_rows

    row = synthetic_rows()[0]
    enc = encode_conversation(tiny_tokenizer, load_template("chatml").text, row["messages"], row["tools"])
    runs, current = [], []
    for token, label in zip(enc.input_ids, enc.labels):
        if label != IGNORE_INDEX:
            current.append(token)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    decoded = [tiny_tokenizer.decode(run) for run in runs]
    expected = []
    for m in row["messages"]:
        if m["role"] != "assistant" or not m["loss"]:
            continue
        for index, span in enumerate(m["spans"]):
            if not span["loss"]:
                continue
            text = m["content"][span["start"] : span["end"]] + ("<|im_end|>" if index == len(m["spans"]) - 1 else "")
            if expected and index and m["spans"][index - 1]["loss"]:
                expected[-1] += text
            else:
                expected.append(text)
    assert (
        decoded
        == expected
        == [
            "I should look it up.",
            ' Its arguments are {"city": "Paris"}.<|im_end|>',
            "It is 21 degrees in Paris.<|im_end|>",
        ]
    )
    assert "I will call get_weather." not in "".join(decoded)  # the untrained span inside the step


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_templates_render_like_apply_chat_template(tiny_tokenizer, template):
    """Our renderer sees what `apply_chat_template` sees: same text, same assistant mask (all turns trained)."""
    from support.tiny_training import synthetic_rows

    chat_template = load_template(template).text
    row = synthetic_rows()[0]
    messages = [
        {**m, "loss": m["role"] == "assistant", "spans": [{**span, "loss": True} for span in m["spans"]]}
        for m in row["messages"]
    ]
    enc = encode_conversation(tiny_tokenizer, chat_template, messages, row["tools"])
    plain = [{"role": m["role"], "content": m["content"]} for m in messages]
    tools = json.loads(row["tools"])
    text = tiny_tokenizer.apply_chat_template(plain, tools=tools, chat_template=chat_template, tokenize=False)
    assert text == enc.text
    out = tiny_tokenizer.apply_chat_template(
        plain, tools=tools, chat_template=chat_template, return_dict=True, return_assistant_tokens_mask=True
    )
    assert out["input_ids"] == enc.input_ids
    assert out["assistant_masks"] == [int(label != IGNORE_INDEX) for label in enc.labels]


def test_agent_flan_template_is_byte_exact(tiny_tokenizer):
    """<|Human|>U+0D46 ... '\\n ' and <|Assistant|>U+0D46 ... U+0D3F '\\n ' as in the Agent-FLAN README."""
    raw = Path(load_template("agent_flan").path).read_bytes()
    assert b"<|Human|>\xe0\xb5\x86" in raw and b"\xe0\xb4\xbf" in raw
    messages = [
        {"role": "system", "content": "S"},
        {"role": "user", "content": "U"},
        {"role": "assistant", "content": "A", "loss": True, "capability": "answer"},
    ]
    enc = encode_conversation(tiny_tokenizer, load_template("agent_flan").text, messages)
    bos = tiny_tokenizer.bos_token
    assert enc.text == f"{bos}<|Human|>\u0d46S\n <|Human|>\u0d46U\n <|Assistant|>\u0d46A\u0d3f\n "
    assert [s["text"] for s in trained_segments(enc) if s["trained"]] == ["A\u0d3f"]


def test_tools_are_rendered_only_when_present(tiny_tokenizer):
    from support.tiny_training import synthetic_rows

    with_tools, negative = synthetic_rows()[0], synthetic_rows()[1]
    for name in TEMPLATES:
        text = load_template(name).text
        assert (
            "get_weather" in encode_conversation(tiny_tokenizer, text, with_tools["messages"], with_tools["tools"]).text
        )
        assert (
            "Weather for a city"
            not in encode_conversation(
                tiny_tokenizer, text, with_tools["messages"], with_tools["tools"], render_tools=False
            ).text
        )
        assert "# Tools" not in encode_conversation(tiny_tokenizer, text, negative["messages"], negative["tools"]).text


def test_segments_concatenate_to_the_rendered_text(tiny_tokenizer):
    from support.tiny_training import synthetic_rows

    for row in synthetic_rows():
        enc = encode_conversation(
            tiny_tokenizer,
            load_template("chatml").text,
            row["messages"],
            row["tools"],
            negative=row["format"] == "negative",
        )
        segments = trained_segments(enc)
        assert "".join(s["text"] for s in segments) == enc.text
        if row["format"] == "negative":
            assert all(s.get("negative") for s in segments if s["trained"])


def test_template_without_one_block_per_assistant_turn_is_rejected(tiny_tokenizer):
    from agent_flan.core.errors import BadInputError

    bad = "{% for m in messages %}{{ m.content }}{% endfor %}"
    with pytest.raises(BadInputError, match="generation block"):
        encode_conversation(
            tiny_tokenizer, bad, [{"role": "user", "content": "u"}, {"role": "assistant", "content": "a", "loss": True}]
        )


def test_truncation_drops_and_counts_samples_whose_trained_tokens_were_all_cut(tiny_tokenizer):
    import datasets
    from support.tiny_training import synthetic_rows

    from agent_flan.core.schema import ROW_FEATURES
    from agent_flan.training.data import DataReport, tokenize_rows

    rows = datasets.Dataset.from_list(synthetic_rows(), features=ROW_FEATURES)
    report = DataReport(dataset="synthetic", configs=["x"])
    out = tokenize_rows(rows, tiny_tokenizer, load_template("chatml").text, max_length=40, report=report)
    assert report.dropped_no_trained_turns == 1  # s5 has only a `loss: false` assistant turn
    assert report.dropped_truncated >= 1  # s1's system prompt + tools alone are longer than 40 tokens
    assert report.samples == len(out) == len(rows) - report.dropped_no_trained_turns - report.dropped_truncated
    for labels in out["labels"]:
        assert len(labels) <= 40 and any(label != IGNORE_INDEX for label in labels[1:])


def test_masks_command_json_and_text(tmp_path, sample_build, capsys):
    """`agent-flan masks` through the main CLI, on the sample build with a tiny tokenizer."""
    from support.tiny_training import build_tiny_tokenizer

    from agent_flan.cli import main

    model_dir = tmp_path / "tok"
    build_tiny_tokenizer(model_dir)
    folder, _ = sample_build
    common = [
        "--config",
        "training/recipes/smollm2-135m.yaml",
        "--n",
        "2",
        "--model_name_or_path",
        str(model_dir),
        "--dataset_name",
        str(folder),
        "--dataset_configs",
        "toolbench_tflan",
    ]
    assert main(["masks", *common, "--format", "json"]) == 0
    samples = json.loads(capsys.readouterr().out)
    assert len(samples) == 2 and all(s["config"] == "toolbench_tflan" for s in samples)
    for sample in samples:
        assert {"text", "trained"} <= set(sample["segments"][0])
        assert any(seg["trained"] for seg in sample["segments"])
    assert main(["masks", *common, "--color", "never"]) == 0
    text = capsys.readouterr().out
    assert text.count("=== ") == 2 and "⟦" in text and "<|im_end|>⟧" in text
    assert main(["masks", *common, "--n", "0"]) == 2
    assert capsys.readouterr().err.strip() == "agent-flan masks: error: --n must be at least 1"
