"""The Jinja environment every card uses: strict about missing values, with number formatting in one place.

`StrictUndefined` turns a misspelt or missing key into an error at render time instead of an
empty string in a published card; `num` refuses None for the same reason. The model card,
whose inputs may legitimately lack a value, formats with `or_missing` and says "not measured".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATES = Path(__file__).resolve().parent / "templates"
NOT_MEASURED = "not measured"


def num(value: Any, digits: int | None = None) -> str:
    """1234567 -> '1,234,567'; floats with `digits` decimals. None is a bug in the caller, not a blank."""
    if value is None or isinstance(value, bool):
        raise ValueError(f"card: expected a number, got {value!r}")
    if digits is not None:
        return f"{float(value):,.{digits}f}"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.4g}"
    return f"{int(value):,}"


def pct(part: Any, whole: Any, digits: int = 1) -> str:
    """Share as a percentage; '—' when the whole is zero (an empty config has no share)."""
    if part is None or whole is None:
        raise ValueError(f"card: expected numbers for a share, got {part!r} / {whole!r}")
    if not whole:
        return "—"
    return f"{100 * part / whole:.{digits}f}%"


def or_missing(value: Any, digits: int | None = None, unit: str = "") -> str:
    """Like `num`, but a missing value prints as 'not measured' (model card inputs are optional)."""
    if value is None or value == "":
        return NOT_MEASURED
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return num(value, digits) + unit
    return f"{value}{unit}"


def md_cell(value: Any) -> str:
    """Text safe inside a Markdown table cell."""
    return str(value).replace("|", "\\|").replace("\n", " ")


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters.update(num=num, or_missing=or_missing, cell=md_cell)
    env.globals.update(pct=pct, NOT_MEASURED=NOT_MEASURED)
    return env


def render(template: str, **context: Any) -> str:
    text = environment().get_template(template).render(**context)
    while "\n\n\n" in text:  # conditional blocks leave blank runs; one blank line is enough in Markdown
        text = text.replace("\n\n\n", "\n\n")
    return text
