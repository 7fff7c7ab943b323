"""Record a model's replies to the Space's examples, for the app's played-back choice beside the live model.

    python -m agent_flan.space.record --model smollm2 --adapter out/smollm2-135m-agent-flan \
        --label "SmolLM2-135M + Agent-FLAN LoRA (quick recipe)" --out space/recordings/NAME.json
    python -m agent_flan.space.record --rekey space/recordings/illustration.json   # after a prompt change

Every example of space/presets.py is asked in both prompt styles, in all three panes, exactly as the live app
asks it (the same `pane_messages`, greedy decoding, the three panes generated together), and each reply is
stored with the messages and the rendered prompt it answered. The app plays a reply back only for the exact
messages it was recorded with, so a recording never answers a question it was not asked.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any


def record(engine: Any, max_new_tokens: int, log=print) -> list[dict[str, Any]]:
    """One entry per (example, prompt style, pane): messages, prompt text, reply."""
    from agent_flan.space.panes import PANES, STYLES, check_request, pane_messages
    from agent_flan.space.presets import EXAMPLES, TOOL_PRESETS
    from agent_flan.space.tool_schema import tools_to_json

    entries = []
    for example in EXAMPLES:
        for style in STYLES:
            request = check_request(
                example.query,
                tools_to_json(TOOL_PRESETS[example.tools]),
                tools_to_json(TOOL_PRESETS[example.irrelevant]),
                example.needs_tool,
                "base",
                style,
                max_new_tokens,
                "",
                ["base", "tuned"],
            )
            prompts = [pane_messages(request, pane.key) for pane in PANES]
            variant = "tuned" if any(v.value == "tuned" for v in engine.variants) else "base"
            *_, final = engine.stream_panes(prompts, variant, max_new_tokens)
            for pane, messages, (reply, _) in zip(PANES, prompts, final, strict=True):
                entries.append(
                    {
                        "example": example.label,
                        "style": style,
                        "pane": pane.key,
                        "messages": messages,
                        "prompt": engine.prompt_text(messages, variant),
                        "reply": reply,
                    }
                )
            log(f"recorded {style:>7}: {example.query[:60]}")
    return entries


def current_messages(example_label: str, style: str, pane: str) -> list[dict[str, str]]:
    """The messages the app sends today for one (example, prompt style, pane) of a recording."""
    from agent_flan.space.panes import check_request, pane_messages
    from agent_flan.space.presets import EXAMPLES, TOOL_PRESETS
    from agent_flan.space.tool_schema import tools_to_json

    example = next(e for e in EXAMPLES if e.label == example_label)
    request = check_request(
        example.query,
        tools_to_json(TOOL_PRESETS[example.tools]),
        tools_to_json(TOOL_PRESETS[example.irrelevant]),
        example.needs_tool,
        "base",
        style,
        160,
        "",
        ["base"],
    )
    return pane_messages(request, pane)


def rekey(path: Path) -> int:
    """Give every entry of a recording the messages the app sends now (same example, style, pane), keeping its
    reply; for replies that do not depend on the prompt's exact wording (the hand-written illustration). A
    model's recording should be recorded again instead."""
    from agent_flan.space.engine import messages_as_text

    data = json.loads(path.read_text(encoding="utf-8"))
    for entry in data["entries"]:
        entry["messages"] = current_messages(entry["example"], entry["style"], entry["pane"])
        entry["prompt"] = messages_as_text(entry["messages"])
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(path)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agent_flan.space.record", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rekey", type=Path, metavar="FILE", help="re-key a hand-written recording to today's prompts")
    parser.add_argument("--model", help="base model: a folder, a Hub id or `smollm2`")
    parser.add_argument("--adapter", help="a PEFT adapter on top of it (its replies are the ones recorded)")
    parser.add_argument("--label", help="how the Model selector names the recording")
    parser.add_argument("--about", default="", help="one sentence on how the model was made (provenance)")
    parser.add_argument("--max-new-tokens", type=int, default=160)
    parser.add_argument("--threads", type=int, help="CPU threads for torch")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    if args.rekey:
        return rekey(args.rekey)
    if not (args.model and args.label and args.out):
        parser.error("--model, --label and --out are needed to record (or --rekey FILE)")

    from agent_flan.space.engine import TransformersEngine
    from agent_flan.space.settings import resolve_model_path

    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    engine = TransformersEngine(resolve_model_path(args.model), adapter=args.adapter)
    started = datetime.now(UTC)
    entries = record(engine, args.max_new_tokens, log=lambda line: print(line, file=sys.stderr))
    versions = {}
    for name in ("agent-flan-kit", "transformers", "torch", "peft"):
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            pass
    data = {
        "label": args.label,
        "provenance": {
            "model": args.model if "/" in args.model else Path(engine.model_name).name,
            "adapter": Path(args.adapter).name if args.adapter else None,
            "how": args.about,
            "recorded": started.date().isoformat(),
            "command": "python -m agent_flan.space.record " + " ".join(argv if argv is not None else sys.argv[1:]),
            "decoding": f"greedy, up to {args.max_new_tokens} new tokens, the three panes generated together",
            "versions": versions,
            "python": platform.python_version(),
        },
        "entries": entries,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
