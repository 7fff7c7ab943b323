"""Python source that calls functions: which calls are tool calls and which are ordinary code."""

from __future__ import annotations

import ast
import builtins
import re
import sys

from agent_flan.core.toolcalls.detect.common import RawCall, _is_known

_PY_BUILTINS = frozenset(dir(builtins))


# Roots of ordinary code, not tools: modules, common aliases, everyday objects.
_CODE_ROOTS = frozenset(
    "os sys re json math time random datetime np numpy pd pandas plt matplotlib torch tf requests "
    "df self cls console document window logging subprocess pathlib collections itertools functools "
    "asyncio sklearn scipy sns seaborn string typing app router sin cos tan log exp sqrt main "
    "client session openai anthropic boto3 s3 db conn cursor model tokenizer trainer parser spark".split()
) | frozenset(sys.stdlib_module_names)


# Method names of builtin types: `items.append(4)` is ordinary code.
_CODE_METHODS = frozenset(
    "append extend insert pop remove sort reverse split join strip lstrip rstrip replace format "
    "lower upper items keys values update read write close readlines copy count index".split()
)


_CAPWORDS = re.compile(r"[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]+)*")


def _dotted_name(node: ast.AST) -> str | None:
    """`a.b.c` for Name/Attribute chains, None for anything fancier."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted_name(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def _literal_or_source(node: ast.AST) -> object:
    """A keyword value as data when literal, else its source text (never evaluated)."""
    try:
        return ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return ast.unparse(node)


def _ast_call_args(call: ast.Call) -> tuple[object, bool]:
    """Keyword arguments become a dict; one dict positional is taken as the
    arguments; other positional arguments cannot be named, so keep their text."""
    if not call.args and not call.keywords:
        return None, True
    if len(call.args) == 1 and not call.keywords and isinstance(call.args[0], ast.Dict):
        value = _literal_or_source(call.args[0])
        if isinstance(value, dict):
            return value, True
    if call.args or any(kw.arg is None for kw in call.keywords):
        parts = [ast.unparse(a) for a in call.args]
        parts += [
            f"{kw.arg}={ast.unparse(kw.value)}" if kw.arg else f"**{ast.unparse(kw.value)}" for kw in call.keywords
        ]
        return ", ".join(parts), False
    return {kw.arg: _literal_or_source(kw.value) for kw in call.keywords}, True


def _parse_python(src: str) -> ast.Module | None:
    """ast.parse, or None for anything that is not valid Python."""
    try:
        return ast.parse(src)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None


def _only_calls(tree: ast.Module) -> list[ast.Call] | None:
    """The calls when the code is nothing but call expressions (or a list of them,
    BFCL-style `[f(a=1), g(b=2)]`); None when it contains any other code."""
    calls: list[ast.Call] = []
    for stmt in tree.body:
        if not isinstance(stmt, ast.Expr):
            return None
        value = stmt.value
        if isinstance(value, ast.Call):
            calls.append(_unwrap_print(value))
        elif _is_call_list(value):
            calls.extend(value.elts)
        else:
            return None
    return calls or None


def _is_call_list(node: ast.AST) -> bool:
    """`[f(a=1), g(b=2)]`: a non-empty list or tuple made only of calls."""
    if not isinstance(node, (ast.List, ast.Tuple)) or not node.elts:
        return False
    return all(isinstance(e, ast.Call) for e in node.elts)


def _unwrap_print(call: ast.Call) -> ast.Call:
    """`print(get_weather(...))` (Gemma's tool_code style) is a call to the inner function."""
    if _dotted_name(call.func) == "print" and len(call.args) == 1 and isinstance(call.args[0], ast.Call):
        return call.args[0]
    return call


def _plausible_tool(name: str, names: set[str] | None, defined: set[str]) -> bool:
    """Could `name` be a tool rather than ordinary code (builtins, modules, classes)?"""
    if _is_known(name, names):
        return True
    root, last = name.split(".")[0], name.split(".")[-1]
    if name in defined or root in defined or last in defined:
        return False
    if len(root) < 2 or _ordinary_code(name):
        return False  # f(x) is maths
    return not _CAPWORDS.fullmatch(root)  # Person(name=..) builds an object


def _ordinary_code(name: str) -> bool:
    """print(), np.mean(), items.append(), client.chat.completions.create(): builtins,
    stdlib and common modules, builtin-type methods, deep SDK attribute chains."""
    parts = name.split(".")
    root, last = parts[0], parts[-1]
    if root in _PY_BUILTINS or root in _CODE_ROOTS or len(parts) > 2:
        return True
    return len(parts) > 1 and last in _CODE_METHODS


def _calls_in_python(src: str, names: set[str] | None, defined: set[str]) -> list[RawCall]:
    """Tool calls in a piece of Python: any call to an offered tool, or code that
    is only calls to plausible tool names."""
    tree = _parse_python(src)
    if tree is None:
        return []
    only = _only_calls(tree)
    if only and all(_plausible_tool(_dotted_name(c.func) or "", names, defined) for c in only):
        chosen = only
    else:
        inside = {  # a call in the body of a def/class/lambda is part of a program being written, not a call
            id(node)
            for scope in ast.walk(tree)
            if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda))
            for node in ast.walk(scope)
            if node is not scope
        }
        chosen = [
            node
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
            and id(node) not in inside
            and _is_known(_dotted_name(node.func) or "", names)
            and (_dotted_name(node.func) or "") not in defined
        ]
    return [(_dotted_name(c.func) or "", *_ast_call_args(c)) for c in chosen if _dotted_name(c.func)]
