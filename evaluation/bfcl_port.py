"""BFCL's prompt-mode system prompt and its relevance decoder, for when `bfcl-eval` is not installed.

Provenance: ShishirPatil/gorilla, `berkeley-function-call-leaderboard/bfcl_eval/` at commit
6ea57973c7a6097fd7c5915698c54c17c5b1b6c8 (2026-03-23, released on PyPI as bfcl-eval 2026.3.23,
Apache-2.0): the template strings of `constants/default_prompts.py` (style "classic", plaintext, the
default `ret_fmt=python&tool_call_tag=False&func_doc_fmt=json&prompt_fmt=plaintext&style=classic`),
`model_handler/utils.py::system_prompt_pre_processing_chat_model / formulate_system_prompt /
default_decode_ast_prompting / ast_parse / resolve_ast_call / resolve_ast_by_type`,
`utils.py::_get_language_specific_hint / _func_doc_language_specific_pre_processing (Python) /
is_function_calling_format_output / is_empty_output`, and `eval_checker/eval_runner.py::
_evaluate_single_relevance_entry` (a reply "contains a function call" when it decodes and the decoded
list is not empty).

Why a port and not only the package: the package's full requirements pin numpy 1.26 and pull a dozen
vendor SDKs, so the kit imports it only when installed (`evaluation.suite_bfcl` prefers it), and this
port keeps the suite usable without it. `tests/test_suites_bfcl.py` checks that both give the same
prompt for every shipped item and the same verdict on every fixture reply.

One deliberate difference, for safety: BFCL's `resolve_ast_by_type` calls Python's `eval` on binary
operations found in a reply (`a=2*3`), which would run code a model wrote. Here a binary operation is
computed only over literal constants (numbers, strings, lists, tuples), with bounded powers and shifts;
anything else raises, which BFCL counts as "not a function call". Replies where this can matter are
routed here even when the package is installed (`needs_safe_decoder`).
"""

from __future__ import annotations

import ast
import copy
import json
import operator
from typing import Any

DEFAULT_PROMPT_FORMAT = "ret_fmt=python&tool_call_tag=False&func_doc_fmt=json&prompt_fmt=plaintext&style=classic"

_PERSONA = "You are an expert in composing functions."
_TASK = (
    "You are given a question and a set of possible functions. Based on the question, you will need to make one "
    "or more function/tool calls to achieve the purpose. If none of the functions can be used, point it out. If "
    "the given question lacks the parameters required by the function, also point it out."
)
_TOOL_CALL_NO_TAG = (
    "You should only return the function calls in your response.\n\nIf you decide to invoke any of the "
    "function(s), you MUST put it in the format of {output_format}. {param_types} You SHOULD NOT include any "
    "other text in the response."
)
_MULTITURN = (
    "At each turn, you should try your best to complete the tasks requested by the user within the current turn. "
    "Continue to output functions to call until you have fulfilled the user's request to the best of your ability. "
    "Once you have no more functions to call, the system will consider the current turn complete and proceed to "
    "the next turn or task."
)
_AVAILABLE_TOOLS = "Here is a list of functions in {format} format that you can invoke.\n{functions}\n"
_PYTHON_OUTPUT_FORMAT = "[func_name1(params_name1=params_value1, params_name2=params_value2...), func_name2(params)]"
_PLAINTEXT = "{persona}{task}\n\n{tool_call_format}\n\n{multiturn_behavior}\n\n{available_tools}"


def language_hint(category: str) -> str:
    """`_get_language_specific_hint`: the sentence BFCL appends to every function description."""
    if "javascript" in category:
        return " Note that the provided function is in JavaScript syntax."
    if "java" in category:
        return " Note that the provided function is in Java 8 SDK syntax."
    return " Note that the provided function is in Python 3 syntax."


def functions_with_hint(functions: list[dict], category: str) -> list[dict]:
    """The function docs as BFCL sends them for a Python category (a copy; the input is not changed)."""
    if "java" in category:  # Java / JavaScript docs are rewritten too; the relevance sets are Python only
        raise ValueError(f"the kit's BFCL port covers Python categories only, not {category!r}")
    docs = copy.deepcopy(functions)
    for doc in docs:
        doc["description"] = doc["description"] + language_hint(category)
    return docs


def system_prompt(functions: list[dict]) -> str:
    """`formulate_system_prompt` for BFCL's default prompt format."""
    return _PLAINTEXT.format(
        persona=_PERSONA,
        task=_TASK,
        tool_call_format=_TOOL_CALL_NO_TAG.format(output_format=_PYTHON_OUTPUT_FORMAT, param_types=""),
        multiturn_behavior=_MULTITURN,
        available_tools=_AVAILABLE_TOOLS.format(format="json", functions=json.dumps(functions, indent=4)),
    )


def prompt_messages(question: list[dict], functions: list[dict]) -> list[dict]:
    """`system_prompt_pre_processing_chat_model`: BFCL's system prompt first, merged into a given system turn."""
    messages = [dict(m) for m in question]
    prompt = system_prompt(functions)
    if messages and messages[0]["role"] == "system":
        messages[0]["content"] = prompt + "\n\n" + messages[0]["content"]
    else:
        messages.insert(0, {"role": "system", "content": prompt})
    return messages


# --------------------------------------------------------------------------- the decoder


class UnsafeExpression(ValueError):
    """A binary operation over something other than literals: BFCL would `eval` it; we refuse."""


_BIN_OPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
    ast.BitOr: operator.or_,
    ast.BitAnd: operator.and_,
    ast.BitXor: operator.xor,
    ast.LShift: operator.lshift,
    ast.RShift: operator.rshift,
}
_UNARY_OPS = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Not: operator.not_, ast.Invert: operator.invert}


def _literal(node: ast.AST) -> Any:
    """What Python's `eval` gives for an expression of literals only; UnsafeExpression for anything else."""
    if isinstance(node, ast.Constant) and node.value is not Ellipsis:
        if isinstance(node.value, (str, bytes)) and len(node.value) > 100_000:
            raise UnsafeExpression("literal too long")
        return node.value
    if isinstance(node, (ast.List, ast.Tuple)):
        values = [_literal(e) for e in node.elts]
        return values if isinstance(node, ast.List) else tuple(values)
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY_OPS:
        return _UNARY_OPS[type(node.op)](_literal(node.operand))
    if isinstance(node, ast.BinOp) and type(node.op) in _BIN_OPS:
        left, right = _literal(node.left), _literal(node.right)
        if isinstance(node.op, ast.Pow) and isinstance(right, (int, float)) and abs(right) > 64:
            raise UnsafeExpression("power too large")
        if isinstance(node.op, (ast.LShift, ast.RShift)) and isinstance(right, int) and right > 256:
            raise UnsafeExpression("shift too large")
        if isinstance(node.op, ast.Mult) and any(isinstance(v, (str, bytes, list, tuple)) for v in (left, right)):
            count = right if isinstance(right, int) else left
            if isinstance(count, int) and count > 10_000:
                raise UnsafeExpression("repetition too large")
        return _BIN_OPS[type(node.op)](left, right)
    raise UnsafeExpression(f"not a literal: {type(node).__name__}")


def _resolve_call(elem: ast.Call) -> dict:
    """`resolve_ast_call`: {dotted.name: {keyword: value}}; positional arguments are dropped, as in BFCL."""
    parts = []
    func = elem.func
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if isinstance(func, ast.Name):
        parts.append(func.id)
    name = ".".join(reversed(parts))
    return {name: {kw.arg: _resolve_value(kw.value) for kw in elem.keywords}}


def _resolve_value(value: ast.AST) -> Any:
    """`resolve_ast_by_type`, with the literal-only evaluator in place of `eval`."""
    if isinstance(value, ast.Constant):
        return "..." if value.value is Ellipsis else value.value
    if isinstance(value, ast.UnaryOp):
        operand = value.operand
        if not hasattr(operand, "value"):  # BFCL: `-value.operand.value` raises AttributeError
            raise AttributeError("unary operand without a value")
        return -operand.value  # BFCL negates whatever the operator (a TypeError for a node)
    if isinstance(value, ast.List):
        return [_resolve_value(v) for v in value.elts]
    if isinstance(value, ast.Dict):
        return {_resolve_value(k): _resolve_value(v) for k, v in zip(value.keys, value.values, strict=True)}
    if isinstance(value, ast.BinOp):
        return _literal(value)
    if isinstance(value, ast.Name):
        return value.id
    if isinstance(value, ast.Call):
        return ast.unparse(value) if not value.keywords else _resolve_call(value)
    if isinstance(value, ast.Tuple):
        return tuple(_resolve_value(v) for v in value.elts)
    if isinstance(value, ast.Lambda):
        raise AttributeError("'Lambda' object has no attribute 'body[0]'")  # what BFCL's eval path raises
    if isinstance(value, ast.Subscript):
        return ast.unparse(value.value) + "[" + ast.unparse(value.slice) + "]"
    raise Exception(f"Unsupported AST type: {type(value)}")  # noqa: TRY002 - BFCL's own message and type


def decode_prompting(result: str) -> list[dict]:
    """`default_decode_ast_prompting` (Python return format, no <TOOLCALL> tag); raises when it fails."""
    result = result.strip("`\n ")
    if not result.startswith("["):
        result = "[" + result
    if not result.endswith("]"):
        result = result + "]"
    parsed = ast.parse(result.strip().strip("'"), mode="eval")
    if isinstance(parsed.body, ast.Call):
        return [_resolve_call(parsed.body)]
    extracted = []
    for elem in parsed.body.elts:  # AttributeError for a body without elements, as in BFCL
        if not isinstance(elem, ast.Call):
            raise AssertionError("not a call")
        extracted.append(_resolve_call(elem))
    return extracted


def is_function_calling_format_output(decoded: Any) -> bool:
    if type(decoded) is not list:
        return False
    for item in decoded:
        if type(item) is not dict or len(item) != 1 or type(list(item.values())[0]) is not dict:
            return False
    return True


def is_empty_output(decoded: Any) -> bool:
    """BFCL's patch for relevance: [], [{}] and anything not in call format count as "no call"."""
    if not is_function_calling_format_output(decoded):
        return True
    if len(decoded) == 0:
        return True
    return len(decoded) == 1 and len(decoded[0]) == 0


def needs_safe_decoder(result: str) -> bool:
    """True when BFCL's own decoder would reach its `eval` (a binary operation or lambda in the reply)."""
    text = result.strip("`\n ")
    text = ("[" if not text.startswith("[") else "") + text + ("]" if not text.endswith("]") else "")
    try:
        tree = ast.parse(text.strip().strip("'"), mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False  # BFCL fails to parse it too: no eval is reached
    return any(isinstance(node, (ast.BinOp, ast.Lambda)) for node in ast.walk(tree))
