"""Hugging Face Space entry point (`app_file: app.py`), also used by `agent-flan space`.

On a Space the repository root *is* this folder and the Space runs `python app.py`; the bootstrap
below registers this folder as `agent_flan.space`, so the modules beside this file (the ones you
pushed) are the ones that run, not the copy inside the installed kit. The rest of the kit
(detector, prompt styles, model resolver) comes from the `agent-flan-kit` in requirements.txt.

Configuration: AGENT_FLAN_MODEL, AGENT_FLAN_ADAPTER (Space variables) or `agent-flan space
--model/--adapter`; see space/settings.py for the rest.
"""

from __future__ import annotations

try:  # ZeroGPU: `spaces` must be imported before anything initialises CUDA
    import spaces  # noqa: F401
except ImportError:
    spaces = None

import importlib.util
import sys
from pathlib import Path


def _register_this_folder_as_space() -> None:
    """Make `import agent_flan.space.x` resolve to the files next to this one when run as a script."""
    import agent_flan  # the installed kit

    here = Path(__file__).resolve().parent
    spec = importlib.util.spec_from_file_location(
        "agent_flan.space", here / "__init__.py", submodule_search_locations=[str(here)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["agent_flan.space"] = module
    agent_flan.space = module
    spec.loader.exec_module(module)


if not __package__:
    _register_this_folder_as_space()

from agent_flan.space.settings import Settings  # noqa: E402


def create_demo(settings: Settings):  # -> gr.Blocks; gradio is imported lazily
    """Load the model `settings` names and build the app around it."""
    import os

    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from agent_flan.space.engine import load_engine
    from agent_flan.space.ui import build_app

    return build_app(load_engine(settings), settings)


def serve(settings: Settings, host: str | None = None, port: int | None = None) -> None:
    """Load, build and serve until interrupted."""
    from agent_flan.space.ui import launch

    demo = create_demo(settings)
    launch(demo, host=host, port=port)


if __name__ == "__main__":
    serve(Settings.from_env())
