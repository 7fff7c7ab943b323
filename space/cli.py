"""`agent-flan space`: run the hallucination Space locally.

Wiring (agent_flan/cli.py): `from agent_flan.space.cli import add_commands as add_space_commands` and
`add_space_commands(commands)` in `make_parser()`. Heavy imports (torch, transformers, gradio)
happen inside the handler so `agent-flan --help` stays instant.
"""

from __future__ import annotations

import argparse
import sys

SPACE_EPILOG = """examples:
  agent-flan models prepare smollm2                       # once: the offline default model
  agent-flan space                                        # SmolLM2-135M-Instruct on http://127.0.0.1:7860
  agent-flan space --model Qwen/Qwen2.5-0.5B-Instruct --adapter out/agent-flan-lora --port 7861
  AGENT_FLAN_MODEL=smollm2 AGENT_FLAN_ADAPTER=out/lora agent-flan space --host 0.0.0.0

The comparison is also an API: gradio_client.Client(URL).predict(QUESTION, api_name="/compare").
The same app runs as a Hugging Face Space from the space/ folder; see docs/space.md.
"""


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register `space` on the main `agent-flan` subparsers."""
    parser = subparsers.add_parser(
        "space",
        help="run the Gradio app comparing tools / no tools / irrelevant tools",
        description="Serve the Agent-FLAN Space locally: one question answered with the relevant tools, with no "
        "tools and with irrelevant tools, each reply judged by the tool-call detector (calls are never "
        "executed). The model comes from --model/--adapter, else AGENT_FLAN_MODEL/AGENT_FLAN_ADAPTER, "
        "else the offline SmolLM2-135M-Instruct.",
        epilog=SPACE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--model",
        metavar="PATH_OR_ID",
        help="base model: a folder, a Hub id or `smollm2` (default: $AGENT_FLAN_MODEL or smollm2)",
    )
    parser.add_argument(
        "--adapter", metavar="PATH", help="PEFT adapter to compare with the base model (default: $AGENT_FLAN_ADAPTER)"
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    parser.add_argument(
        "--trust-remote-code",
        action="store_true",
        default=None,
        help="allow the model's own Python code (off unless you ask)",
    )
    parser.add_argument(
        "--concurrency", type=int, metavar="N", help="comparisons generated at once (default: 1 on CPU, 4 on a GPU)"
    )
    parser.add_argument(
        "--threads",
        type=int,
        metavar="N",
        help="CPU threads for torch (default: torch's choice; 1 can be faster on a busy machine)",
    )
    parser.add_argument(
        "--recorded",
        metavar="FILE|none",
        help="the Recorded choice beside the live model: replies recorded earlier, played back for the prompts they "
        "cover (default: $AGENT_FLAN_RECORDED, else the recording shipped in space/recordings/; `none`: no such choice)",
    )
    parser.set_defaults(handler=run_space)


def run_space(args: argparse.Namespace) -> int:
    """Load the model and serve until Ctrl-C."""
    from agent_flan.space.app import serve
    from agent_flan.space.settings import Settings

    try:
        settings = Settings.from_env(
            model=args.model,
            adapter=args.adapter,
            trust_remote_code=args.trust_remote_code,
            concurrency=args.concurrency,
            torch_threads=args.threads,
            recording=args.recorded,
        )
    except ValueError as exc:  # a malformed AGENT_FLAN_* variable
        print(f"agent-flan space: error: {exc}", file=sys.stderr)
        return 2
    print(
        f"agent-flan space: loading {settings.model}" + (f" + {settings.adapter}" if settings.adapter else ""),
        flush=True,
    )
    serve(settings, host=args.host, port=args.port)
    return 0
