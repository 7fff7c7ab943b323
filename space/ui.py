"""The Gradio 6 Blocks app: query box, three chat panes with detector badges, tool editors, examples.

Kept apart from the model code so the same wiring serves a real model on a Space, SmolLM2 on a
laptop and a scripted stand-in in the browser test. The comparison endpoint is `/compare`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gradio as gr

from agent_flan.space.engine import ChatEngine, InputTooLong, gpu
from agent_flan.space.panes import PANES, RequestError, State, badge_html, check_request, run_comparison
from agent_flan.space.presets import DEFAULT_IRRELEVANT, DEFAULT_TOOLS, EXAMPLES, SITUATIONS, TOOL_PRESETS
from agent_flan.space.settings import MAX_NEW_TOKENS_CAP, MAX_OBSERVATION_CHARS, MAX_QUERY_CHARS, Settings
from agent_flan.space.tool_schema import MAX_TOOLS_CHARS, ToolSchemaError, parse_tools, tools_to_json
from agent_flan.space.untrusted import as_text

TITLE = "Agent-FLAN: does the model hallucinate a tool call?"
INTRO = (
    "One question, asked three ways at once: with the **relevant tools** offered, with **no tools**, and with "
    "**irrelevant tools** (the Agent-H idea from the [Agent-FLAN paper](https://arxiv.org/abs/2403.12881)). "
    "Each reply is judged by the kit's tool-call detector: a badge says whether the reply calls a tool and "
    "whether that is what its pane expected. It judges tool use only, not whether an answer is true. Calls are "
    "shown as steps and **never executed**; an observation, if you type one, is canned text marked as simulated. "
    "*Prompt sent* under each pane shows the exact text the model was given."
)
SITUATION_HELP = " · ".join(f"`{name}`: {text}" for name, text in SITUATIONS.items())


def _outputs(state: State) -> tuple[Any, ...]:
    """State -> the eleven outputs (three chats, three badges, verdicts, status, three prompts), copied so later
    mutation cannot leak into a sent update. The prompts come last so the first eight keep their places."""
    return (
        *[list(chat) for chat in state.chats],
        *state.badges,
        dict(state.verdicts),
        state.status,
        *state.prompts,
    )


def _refused(message: str) -> tuple[Any, ...]:
    """A refusal: the reason in the status line; the panes, badges, verdicts and prompts keep the last answers."""
    return (*[gr.skip()] * 7, _error(message), *[gr.skip()] * len(PANES))


def _error(message: str) -> str:
    """A refusal for the status line; the message quotes what the client sent, so it is shown as text."""
    return f"**Not run.** {as_text(message)}"


def tools_status(text: str | None, label: str) -> str:
    """Inline validation shown under an editor on every change."""
    try:
        tools = parse_tools(text, label)
    except ToolSchemaError as exc:
        return f"**Error.** {as_text(str(exc))}"
    names = ", ".join(f"`{t['name']}`" for t in tools)
    return f"OK: {len(tools)} tool{'s' if len(tools) != 1 else ''}: {names}" if tools else "OK: no tools"


def resolved_limits(engine: ChatEngine, settings: Settings) -> tuple[int, int]:
    """(comparisons generated at once, requests that may wait) for this engine: the settings' values, else
    the device's defaults.

    Measured with benchmarks/bench_space_load.py on 2 CPU cores (docs/benchmarks.md, "The Space under
    load"): SmolLM2-135M serves about 12 comparisons a minute at 32 new tokens per pane with one comparison
    at a time and torch's own threads, and no more with two at a time on one thread each, so on CPU one
    comparison gets all the cores. A queue of 16 keeps the last waiting visitor within about 1.5-3 minutes at
    that pace; 64 meant 5-10 minutes. Visitors past the queue get "queue full" at once instead of a page
    that seems to hang. On a GPU four comparisons share the device and the queue can be longer.
    """
    gpu = engine.device.startswith("cuda")
    concurrency = settings.concurrency or (4 if gpu else 1)
    queue_size = settings.queue_size if settings.queue_size is not None else (64 if gpu else 16)
    return concurrency, queue_size


def build_app(engine: ChatEngine, settings: Settings | None = None) -> gr.Blocks:
    """The whole app around `engine`; the queue is configured here so every launch path gets it."""
    settings = settings or Settings()
    variants = [v.value for v in engine.variants]
    concurrency, queue_size = resolved_limits(engine, settings)

    @gpu(duration=150)
    def _generate(request: Any) -> Iterator[tuple[Any, ...]]:
        """The GPU part (ZeroGPU allots a device for its duration); checks happen before it."""
        for state in run_comparison(engine, request):
            yield _outputs(state)

    def compare(
        query: str,
        tools_json: str,
        irrelevant_json: str,
        needs_tool: bool,
        model: str,
        style: str,
        max_new_tokens: float,
        observation: str,
    ) -> Iterator[tuple[Any, ...]]:
        """Answer `query` in the three panes; a refused request returns the reason in `status`."""
        try:
            request = check_request(
                query, tools_json, irrelevant_json, needs_tool, model, style, max_new_tokens, observation, variants
            )
        except RequestError as exc:
            yield _refused(str(exc))
            return
        try:
            yield from _generate(request)
        except InputTooLong as exc:
            yield _refused(str(exc))

    with gr.Blocks(title="Agent-FLAN tool hallucination") as demo:
        gr.Markdown(f"# {TITLE}\n{INTRO}")
        gr.Markdown(engine.describe(), elem_id="model-info")
        notice = engine.notice()
        if notice:
            gr.Markdown(f"> {notice}", elem_id="model-notice")
        with gr.Row(equal_height=False):
            query = gr.Textbox(
                label="Question",
                placeholder="e.g. What's the weather like in Seattle right now?",
                lines=2,
                max_length=MAX_QUERY_CHARS,
                elem_id="query",
                scale=4,
            )
            with gr.Column(scale=2, min_width=260):
                model = gr.Radio(
                    [(v.label, v.value) for v in engine.variants],
                    value=variants[0],
                    label="Model",
                    interactive=len(variants) > 1,
                    elem_id="model",
                )
                style = gr.Radio(
                    [("General (JSON calls)", "general"), ("ReAct", "react")],
                    value="general",
                    label="Prompt style (Agent-H)",
                    elem_id="style",
                )
        with gr.Row():
            run = gr.Button("Compare", variant="primary", elem_id="run", scale=1)
            needs_tool = gr.Checkbox(
                True, label="This question needs a tool (what pane ① should do)", elem_id="needs-tool", scale=3
            )
        status = gr.Markdown("", elem_id="status")
        chats, badges, prompts = [], [], []
        with gr.Row(equal_height=False):
            for number, pane in enumerate(PANES, 1):
                with gr.Column(min_width=280):
                    badges.append(gr.HTML(badge_html(pane, None), elem_id=f"badge-{pane.key}"))
                    # Messages arrive as Markdown that renders as text (space/untrusted.py); Gradio's
                    # sanitiser stays on behind it, and LaTeX is off (no KaTeX on a model's `$$`).
                    chats.append(
                        gr.Chatbot(
                            label=pane.title,
                            height=470,
                            sanitize_html=True,
                            latex_delimiters=[],
                            autoscroll=False,
                            elem_id=f"chat-{pane.key}",
                            buttons=["copy_all"],
                            placeholder=f"**{pane.title}**<br>{pane.blurb}",
                        )
                    )
                    # The exact text the model was given: its chat template applied to the system prompt (with
                    # this pane's tools) and the question. A code view shows it as characters, never as markup.
                    with gr.Accordion(f"Prompt sent ({'①②③'[number - 1]}): system prompt, tools, question", open=False):
                        prompts.append(
                            gr.Code(
                                "",
                                language=None,
                                interactive=False,
                                lines=6,
                                max_lines=24,
                                wrap_lines=True,
                                show_label=False,
                                elem_id=f"prompt-{pane.key}",
                            )
                        )
        with gr.Accordion("Tools", open=True):
            with gr.Row():
                with gr.Column():
                    tools_preset = gr.Dropdown(list(TOOL_PRESETS), value=DEFAULT_TOOLS, label="Relevant tools: preset")
                    tools_json = gr.Code(
                        tools_to_json(TOOL_PRESETS[DEFAULT_TOOLS]),
                        language="json",
                        lines=8,
                        max_lines=20,
                        label="Relevant tools (JSON function schemas, editable)",
                        interactive=True,
                        elem_id="tools-json",
                    )
                    tools_check = gr.Markdown(
                        tools_status(tools_to_json(TOOL_PRESETS[DEFAULT_TOOLS]), "Relevant tools"),
                        elem_id="tools-check",
                    )
                with gr.Column():
                    irrelevant_preset = gr.Dropdown(
                        list(TOOL_PRESETS), value=DEFAULT_IRRELEVANT, label="Irrelevant tools: preset"
                    )
                    irrelevant_json = gr.Code(
                        tools_to_json(TOOL_PRESETS[DEFAULT_IRRELEVANT]),
                        language="json",
                        lines=8,
                        max_lines=20,
                        interactive=True,
                        elem_id="irrelevant-json",
                        label="Irrelevant tools (JSON function schemas, editable)",
                    )
                    irrelevant_check = gr.Markdown(
                        tools_status(tools_to_json(TOOL_PRESETS[DEFAULT_IRRELEVANT]), "Irrelevant tools"),
                        elem_id="irrelevant-check",
                    )
            with gr.Row():
                observation = gr.Textbox(
                    "",
                    label="Simulated observation (optional; shown after a call, clearly marked: the tool is never run)",
                    lines=2,
                    max_length=MAX_OBSERVATION_CHARS,
                    elem_id="observation",
                    scale=3,
                )
                max_new_tokens = gr.Slider(
                    1,
                    MAX_NEW_TOKENS_CAP,
                    value=settings.max_new_tokens,
                    step=1,
                    label="Max new tokens per pane",
                    elem_id="max-new-tokens",
                    scale=1,
                )
        gr.Examples(
            examples=[
                [
                    e.query,
                    e.tools,
                    tools_to_json(TOOL_PRESETS[e.tools]),
                    e.irrelevant,
                    tools_to_json(TOOL_PRESETS[e.irrelevant]),
                    e.needs_tool,
                    e.observation,
                ]
                for e in EXAMPLES
            ],
            inputs=[query, tools_preset, tools_json, irrelevant_preset, irrelevant_json, needs_tool, observation],
            example_labels=[e.label for e in EXAMPLES],
            label="Examples, by Agent-H situation",
            examples_per_page=8,
        )
        gr.Markdown(
            f"<small>Agent-H situations: {SITUATION_HELP}. Limits: question {MAX_QUERY_CHARS:,} characters, "
            f"tools {MAX_TOOLS_CHARS:,} characters, {settings.max_input_tokens:,} prompt tokens.</small>"
        )
        with gr.Accordion("Detector verdicts (JSON)", open=False):
            verdicts = gr.JSON(label="verdicts", elem_id="verdicts")

        inputs = [query, tools_json, irrelevant_json, needs_tool, model, style, max_new_tokens, observation]
        outputs = [*chats, *badges, verdicts, status, *prompts]
        gr.on(
            [run.click, query.submit],
            compare,
            inputs,
            outputs,
            api_name="compare",
            concurrency_limit=concurrency,
            concurrency_id="compare",
        )
        tools_preset.input(
            lambda name: tools_to_json(TOOL_PRESETS[name]),
            tools_preset,
            tools_json,
            api_visibility="private",
            queue=False,
        )
        irrelevant_preset.input(
            lambda name: tools_to_json(TOOL_PRESETS[name]),
            irrelevant_preset,
            irrelevant_json,
            api_visibility="private",
            queue=False,
        )
        tools_json.change(
            lambda text: tools_status(text, "Relevant tools"),
            tools_json,
            tools_check,
            api_visibility="private",
            queue=False,
            trigger_mode="always_last",
        )
        irrelevant_json.change(
            lambda text: tools_status(text, "Irrelevant tools"),
            irrelevant_json,
            irrelevant_check,
            api_visibility="private",
            queue=False,
            trigger_mode="always_last",
        )
    demo.queue(max_size=queue_size, default_concurrency_limit=concurrency)
    return demo


def launch(demo: gr.Blocks, host: str | None = None, port: int | None = None, **kwargs: Any) -> Any:
    """Launch with the app-wide options Gradio 6 takes at launch time; None keeps Gradio's env defaults
    (GRADIO_SERVER_NAME / GRADIO_SERVER_PORT, which a Space sets)."""
    return demo.launch(server_name=host, server_port=port, footer_links=["api", "gradio", "settings"], **kwargs)
