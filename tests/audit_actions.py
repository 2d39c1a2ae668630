"""Every audit action the code can write, read from the source of ``web/`` (issue 16: no
action may reach the audit log page as a raw code).

Each ``action=`` passed to a call, and each default of a parameter named ``action``, is
collected: a string is one action; ``a if x else b`` both; a parameter passed on (``action
=action``) the strings its callers pass, by keyword or by position. An f-string or another
expression is expanded from ``PLACEHOLDERS`` below: a new kind of computed action makes
``writable_actions`` fail until its values are named here, so that none slips through.
"""

from __future__ import annotations

import ast
import itertools
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from web.assisted.assisted import WITNESSED_METHODS
from web.assisted.routes import RIGHTS
from web.core.vocabulary import REQUEST_WAYS
from web.proposals.proposals import CHOICES
from web.tandems.lifecycle import TRANSITIONS

WEB = Path(__file__).resolve().parent.parent / "web"
ACTION = re.compile(r"[a-z_]+(\.[a-z_]+)*")

# The values of each computed part of an action, by its source text.
PLACEHOLDERS: dict[str, Iterable[str]] = {
    "how": REQUEST_WAYS,  # on a person's request: how they asked
    "consent_method": WITNESSED_METHODS,  # registered by a coordinator
    "action": RIGHTS,  # a right exercised on request (web.assisted.routes)
    "CHOICES[choice]": CHOICES.values(),  # a proposal answered
    "subject": ("participant", "tandem"),  # a note about
    "TRANSITIONS[current, to]": TRANSITIONS.values(),  # a tandem's life cycle
}
# Keyword arguments named ``action`` that are no audit action (argparse, HTML forms).
NOT_AUDIT = re.compile(r"/|store_true|append")


class UnknownAction(LookupError):
    """A computed action whose values ``PLACEHOLDERS`` does not name."""


Calls = tuple[tuple[ast.Call, ast.FunctionDef | None], ...]


@cache
def _walked() -> tuple[Calls, tuple[ast.FunctionDef, ...]]:
    """Every call in ``web/`` with the function it is made in (None: at module level), and
    every function."""
    calls: list[tuple[ast.Call, ast.FunctionDef | None]] = []
    functions: list[ast.FunctionDef] = []

    def visit(node: ast.AST, function: ast.FunctionDef | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Call):
                calls.append((child, function))
            elif isinstance(child, ast.FunctionDef):
                functions.append(child)
            visit(child, child if isinstance(child, ast.FunctionDef) else function)

    for path in sorted(WEB.rglob("*.py")):
        visit(ast.parse(path.read_text(encoding="utf-8")), None)
    return tuple(calls), tuple(functions)


def _calls() -> Calls:
    return _walked()[0]


def _functions() -> tuple[ast.FunctionDef, ...]:
    return _walked()[1]


def _called_name(call: ast.Call) -> str:
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return call.func.id if isinstance(call.func, ast.Name) else ""


def _defaults(function: ast.FunctionDef) -> dict[str, ast.expr]:
    args = function.args
    positional = [*args.posonlyargs, *args.args]
    pairs = list(
        zip(positional[len(positional) - len(args.defaults) :], args.defaults, strict=True)
    )
    pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d]
    return {arg.arg: default for arg, default in pairs}


@cache
def _calls_of(name: str) -> Calls:
    return tuple((call, caller) for call, caller in _calls() if _called_name(call) == name)


@cache
def _arguments(
    name: str, function: ast.FunctionDef
) -> list[tuple[ast.expr, ast.FunctionDef | None]]:
    """What the callers of ``function`` pass as its parameter ``name`` (and its default)."""
    positional = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
    index = positional.index(name) if name in positional else None
    found: list[tuple[ast.expr, ast.FunctionDef | None]] = []
    if name in _defaults(function):
        found.append((_defaults(function)[name], None))
    for call, caller in _calls_of(function.name):
        found += [(k.value, caller) for k in call.keywords if k.arg == name]
        if index is not None and index < len(call.args):
            found.append((call.args[index], caller))
    return found


def _is_parameter(name: str, function: ast.FunctionDef | None) -> bool:
    if function is None:
        return False
    args = function.args
    return name in {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}


@cache
def _values(expression: ast.expr, function: ast.FunctionDef | None) -> frozenset[str]:
    """The texts ``expression`` can be (inside ``function``)."""
    if isinstance(expression, ast.Constant) and isinstance(expression.value, str):
        return frozenset({expression.value})
    if isinstance(expression, ast.IfExp):
        return _values(expression.body, function) | _values(expression.orelse, function)
    if isinstance(expression, ast.JoinedStr):
        parts: list[Iterable[str]] = []
        for part in expression.values:
            if isinstance(part, ast.FormattedValue):
                parts.append(sorted(_values(part.value, function)))
            else:
                parts.append([str(getattr(part, "value", ""))])
        return frozenset("".join(texts) for texts in itertools.product(*parts))
    if isinstance(expression, ast.Name) and _is_parameter(expression.id, function):
        assert function is not None  # a parameter of it
        found: set[str] = set()
        for value, caller in _arguments(expression.id, function):
            found |= _values(value, caller)
        return frozenset(found)
    source = ast.unparse(expression)
    if source in PLACEHOLDERS:
        return frozenset(PLACEHOLDERS[source])
    raise UnknownAction(f"{source} (in {function.name if function else 'a module'})")


@cache
def writable_actions() -> frozenset[str]:
    """Every action any ``web/`` code can write to the audit log."""
    found: set[str] = set()
    for function in _functions():
        if "action" in _defaults(function):
            found |= _values(_defaults(function)["action"], None)
    for call, function in _calls():
        for keyword in call.keywords:
            if keyword.arg != "action" or _not_audit(keyword.value):
                continue
            found |= _values(keyword.value, function)
    return frozenset(action for action in found if ACTION.fullmatch(action))


def _not_audit(expression: ast.expr) -> bool:
    """argparse's and HTML forms' ``action=``, and the audit page's own filter."""
    if isinstance(expression, ast.Call):
        return _called_name(expression) == "_text"
    return bool(NOT_AUDIT.search(ast.unparse(expression)))


def writable_subject_types() -> frozenset[str]:
    """Every ``subject_type`` given as a string to a call in ``web/``."""
    return frozenset(
        keyword.value.value
        for call, _ in _calls()
        for keyword in call.keywords
        if keyword.arg == "subject_type"
        and isinstance(keyword.value, ast.Constant)
        and isinstance(keyword.value.value, str)
    )
