"""Regenerate `bfcl_smollm2_replies/`: SmolLM2-135M-Instruct's replies to BFCL v4 relevance items, with verdicts.

Not part of the test suite (it takes about 15 minutes on 2 cores); the tests read what it wrote. Needs the
offline model (`agent-flan models prepare smollm2`) and bfcl-eval installed as docs/evaluation.md §8 says,
because `bfcl_contains_call` must be the package's own verdict, not the kit's port of it.

    python tests/data/make_bfcl_replies.py            # generate replies, then write labels.json
    python tests/data/make_bfcl_replies.py --labels   # only recompute labels.json from the stored replies
    python tests/data/make_bfcl_replies.py --public   # bfcl_public_replies/labels.json (published replies)

`calls_tool` (the label the detector corpus uses) is BFCL's verdict, except for the replies listed in
HAND_LABELS: those were read by hand, because BFCL's decoder cannot read them although they attempt a call
(broken or truncated call syntax, a call written as JSON), or parses prose as a call.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from agent_flan.core.runners import GenerationSettings, Request
from agent_flan.core.runners.local import LocalModelConfig, LocalRunner
from agent_flan.evaluation import suite_bfcl

HERE = Path(__file__).resolve().parent / "bfcl_smollm2_replies"
PUBLIC = Path(__file__).resolve().parent / "bfcl_public_replies"  # copied from HuanzhiMao/BFCL-Result (SOURCES.md)
SAMPLE = {"irrelevance": 70, "live_irrelevance": 150, "live_relevance": 16}
SEED = 12
MAX_NEW_TOKENS = 160

# id -> (calls_tool, why): replies whose call-or-not BFCL's decoder gets wrong, decided by reading them.
HAND_LABELS: dict[str, tuple[bool, str]] = {}


def sample(items: list[suite_bfcl.BfclItem]) -> list[suite_bfcl.BfclItem]:
    rng = random.Random(SEED)
    picked = []
    for category, count in SAMPLE.items():
        group = [i for i in items if i.category == category]
        picked += sorted(rng.sample(group, min(count, len(group))), key=lambda i: items.index(i))
    return picked


def generate(backend: suite_bfcl.Backend, items: list[suite_bfcl.BfclItem]) -> None:
    settings = GenerationSettings(max_new_tokens=MAX_NEW_TOKENS)
    runner = LocalRunner.load(LocalModelConfig(model="smollm2"), settings, batch_size=8, threads=2)
    requests = [Request(key=i.id, item_id=i.id, messages=backend.messages(i)) for i in items]
    replies: dict[str, str] = {}

    def keep(request: Request, reply: str) -> None:
        replies[request.item_id] = reply
        print(f"{len(replies)}/{len(requests)} {request.item_id}", flush=True)

    runner.generate(requests, keep)
    for category in SAMPLE:
        rows = [{"id": i.id, "result": replies[i.id]} for i in items if i.category == category]
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        (HERE / f"BFCL_v4_{category}_result.json").write_text(text, encoding="utf-8")


def write_labels(backend: suite_bfcl.Backend, items: list[suite_bfcl.BfclItem]) -> None:
    if backend.pkg is None:
        raise SystemExit("bfcl-eval is not installed: the labels must be the package's own verdicts")
    by_id = {i.id: i for i in items}
    labels = {}
    for path in sorted(HERE.glob("BFCL_v4_*_result.json")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            verdict = backend.decode(row["result"])
            calls, basis = verdict.contains_call, f"bfcl-eval decoder ({verdict.decoder})"
            if row["id"] in HAND_LABELS:
                calls, why = HAND_LABELS[row["id"]]
                basis = f"read by hand: {why}"
            labels[row["id"]] = {
                "bfcl_contains_call": verdict.contains_call,
                "calls_tool": calls,
                "basis": basis,
                "tools": list(by_id[row["id"]].functions),
            }
    (HERE / "labels.json").write_text(json.dumps(labels, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(labels)} labels ({sum(v['bfcl_contains_call'] for v in labels.values())} calls by BFCL)")


def write_public_labels(backend: suite_bfcl.Backend) -> None:
    """bfcl-eval's verdict on every published reply (the package's decoder, except for the replies holding a
    binary operation, which the package would `eval`: those are judged by the kit's literal-only port, and
    `decoder` says so)."""
    if backend.pkg is None:
        raise SystemExit("bfcl-eval is not installed: the labels must be the package's own verdicts")
    labels = {}
    for path in sorted(PUBLIC.glob("*.relevance_result.json")):
        model = path.name.removesuffix(".relevance_result.json")
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            verdict = backend.decode(row["result"])
            labels[f"{model}/{row['id']}"] = {"bfcl_contains_call": verdict.contains_call, "decoder": verdict.decoder}
    (PUBLIC / "labels.json").write_text(json.dumps(labels, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    calls = sum(v["bfcl_contains_call"] for v in labels.values())
    print(f"wrote {len(labels)} public labels ({calls} calls by BFCL)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--labels", action="store_true", help="only recompute labels.json")
    parser.add_argument("--public", action="store_true", help="only write bfcl_public_replies/labels.json")
    args = parser.parse_args()
    backend = suite_bfcl.Backend()
    if args.public:
        write_public_labels(backend)
        return
    items, _ = suite_bfcl.load(None, backend)
    chosen = sample(items)
    if not args.labels:
        generate(backend, chosen)
    write_labels(backend, chosen)


if __name__ == "__main__":
    main()
