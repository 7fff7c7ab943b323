"""Serve the app on a free loopback port for a test or a screenshot, and shut it down afterwards.

Shared by the gradio_client tests, the browser test and the TTFT benchmark so they all exercise
the launch path the CLI and the Space use (`agent_flan.space.ui.launch`), not a private shortcut.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator

from agent_flan.space.engine import ChatEngine
from agent_flan.space.settings import Settings


def free_port() -> int:
    """A port nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serving(engine: ChatEngine, settings: Settings | None = None) -> Iterator[str]:
    """Build the app around `engine`, serve it on 127.0.0.1, yield its URL, close it on exit."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from agent_flan.space.ui import build_app, launch

    demo = build_app(engine, settings or Settings())
    _, url, _ = launch(demo, host="127.0.0.1", port=free_port(), prevent_thread_lock=True, quiet=True)
    try:
        yield url
    finally:
        demo.close()


# --------------------------------------------------------------------------- hostile inputs
# Untrusted text the Space must show as text: HTML and Markdown that would draw elements, overlays and
# forms, or fetch remote resources, if it were rendered. Every URL points at `beacon` (a local server the
# tests run), so a single request there proves that something was rendered live. Every element carries
# `data-hostile` so a test can look for survivors by attribute as well as by tag.


def hostile_query(beacon: str) -> str:
    """A question that tries an HTML image, a Markdown image, bold tags and an entity."""
    return (
        f'<img data-hostile src="{beacon}/query-img.png" onerror="document.title=\'pwned\'"> '
        f"![q]({beacon}/query-md.png) What is the weather in <b data-hostile>Oslo</b> &amp; Bergen?"
    )


def hostile_tools(beacon: str) -> list[dict]:
    """Valid schemas whose description and property description carry markup."""
    return [
        {
            "name": "get_weather",
            "description": f'<img data-hostile src="{beacon}/desc-img.png"> Weather <form data-hostile '
            f'action="{beacon}/desc-form"><input data-hostile name="pw"></form>',
            "parameters": {
                "type": "object",
                "properties": {"location": {"type": "string", "description": f"![p]({beacon}/prop-md.png)"}},
                "required": ["location"],
            },
        }
    ]


def hostile_schema_error(beacon: str) -> str:
    """Tools JSON whose error message quotes a property name made of markup."""
    import json

    return json.dumps(
        [
            {
                "name": "x",
                "parameters": {
                    "type": "object",
                    "properties": {f'<img data-hostile src="{beacon}/error-img.png">': "not an object"},
                },
            }
        ]
    )


def hostile_prose(beacon: str) -> str:
    """A reply with no call: a full-page overlay, a fake login form, remote images carrying data, a
    link to a script URL, inline SVG, and a JSON code block that must stay readable as code."""
    return (
        f'<div data-hostile style="position:fixed;inset:0;z-index:99999;background:url({beacon}/overlay-bg.png) red">'
        "Session expired</div>\n\n"
        f'<form data-hostile action="{beacon}/form"><input data-hostile name="password" placeholder="password">'
        "<button data-hostile>Log in</button></form>\n\n"
        f"![chart]({beacon}/md.png?secret=abc)\n\n"
        f'<img data-hostile src="{beacon}/img.png?secret=abc">\n\n'
        f'<svg data-hostile><image href="{beacon}/svg.png"/></svg>\n\n'
        "[click me](javascript:alert(1)) <style>body{display:none}</style>\n\n"
        'Here is the data:\n\n```json\n{"answer": 42, "unit": "<b>C</b>"}\n```\n'
    )


def hostile_reply(beacon: str):
    """A scripted reply function (for ScriptedEngine): markup in every place a model can put it.

    With the relevant tools it calls `get_weather` with markup in the arguments; with other tools it
    calls a tool whose *name* is markup (an unknown tool, so the badge quotes it); with no tools it
    answers with hostile prose.
    """
    import json

    def reply(messages: list[dict[str, str]]) -> str:
        system = next((m["content"] for m in messages if m["role"] == "system"), "")
        names = []
        for line in system.splitlines():
            with contextlib.suppress(ValueError, AttributeError):
                names.append(json.loads(line.strip()).get("name"))
        if not names:
            return hostile_prose(beacon)
        if "get_weather" in names:
            arguments = {"location": f'<img data-hostile src="{beacon}/arg-img.png"> ![a]({beacon}/arg-md.png)'}
            return "Calling it. " + json.dumps({"name": "get_weather", "arguments": arguments})
        return json.dumps({"name": f'<img data-hostile src="{beacon}/name-img.png">', "arguments": {}})

    return reply


@contextlib.contextmanager
def beacon_server() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server that records every path requested from it: (its URL, the paths)."""
    import http.server
    import threading

    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(204)
            self.end_headers()

        do_POST = do_GET

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, name="beacon", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()
