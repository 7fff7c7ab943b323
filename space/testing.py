"""Serve the app on a free loopback port for a test or a screenshot, and shut it down afterwards.

Shared by the gradio_client tests, the browser test and the TTFT benchmark so they all exercise
the launch path the CLI and the Space use (`space.ui.launch`), not a private shortcut.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator

from space.engine import ChatEngine
from space.settings import Settings


def free_port() -> int:
    """A port nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serving(engine: ChatEngine, settings: Settings | None = None) -> Iterator[str]:
    """Build the app around `engine`, serve it on 127.0.0.1, yield its URL, close it on exit."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from space.ui import build_app, launch

    demo = build_app(engine, settings or Settings())
    _, url, _ = launch(demo, host="127.0.0.1", port=free_port(), prevent_thread_lock=True, quiet=True)
    try:
        yield url
    finally:
        demo.close()
