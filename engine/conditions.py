"""Check a parsed condition against the fact catalogue and turn it into a function of fact values."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from .errors import did_you_mean
from .expressions import BoolOp, Call, Compare, ListOf, Literal, Name, Node, Not
from .facts import FactSpec

Test = Callable[[tuple[Any, ...]], Any]
_ORDERED = {"<", "<=", ">", ">="}
_FUNCTIONS: dict[str, tuple[tuple[set[str], ...], str]] = {
    "is_set": (({"any"},), "bool"),
    "len": (({"list", "str"},), "int"),
    "lower": (({"str"},), "str"),
}


class ConditionError(ValueError):
    """A condition that names an unknown fact, compares the wrong types, or the like."""

    def __init__(self, code: str, message: str, column: int) -> None:
        super().__init__(message)
        self.code, self.column = code, column


@dataclass(frozen=True)
class Typed:
    """A checked node: its type, the fact it reads (if any), constant value, and children."""

    node: Node
    type: str
    fact: FactSpec | None = None
    constant: Any = None
    is_constant: bool = False
    children: tuple[Typed, ...] = field(default=())


def _type_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "int"
    if isinstance(value, str):
        return "str"
    if isinstance(value, dt.datetime):
        return "datetime"
    if isinstance(value, (list, tuple, frozenset)):
        return "list"
    return "other"


class Checker:
    """Resolves names and checks types for one question's facts and one ruleset's parameters."""

    def __init__(self, facts: dict[str, FactSpec], params: dict[str, Any], domains: dict[str, frozenset[str]]) -> None:
        self.facts, self.params, self.domains = facts, params, domains

    def check(self, node: Node) -> Typed:
        typed = _fold(self._check(node))
        if typed.type != "bool":
            raise ConditionError("not_a_condition", f"a condition must be true or false, this is a {typed.type}", 1)
        return typed

    def _check(self, node: Node) -> Typed:
        if isinstance(node, Literal):
            return Typed(node, _type_of(node.value), constant=node.value, is_constant=True)
        if isinstance(node, Name):
            return self._name(node)
        if isinstance(node, ListOf):
            members = [self._check(item) for item in node.items]
            for item in members:
                if not item.is_constant or item.type not in ("str", "int", "bool"):
                    raise ConditionError(
                        "list_item", "list items must be plain values (text, numbers, true/false)", item.node.column
                    )
            return Typed(node, "list", constant=tuple(i.constant for i in members), is_constant=True)
        if isinstance(node, Not):
            item = self._bool(self._check(node.item), "not")
            return Typed(node, "bool", children=(item,))
        if isinstance(node, BoolOp):
            items = tuple(self._bool(self._check(i), node.op) for i in node.items)
            return Typed(node, "bool", children=items)
        if isinstance(node, Call):
            return self._call(node)
        return self._compare(node)

    def _name(self, node: Name) -> Typed:
        if node.name.startswith("params."):
            key = node.name[len("params.") :]
            if key not in self.params:
                raise ConditionError(
                    "unknown_parameter",
                    f"unknown parameter '{node.name}'" + did_you_mean(node.name, ("params." + k for k in self.params)),
                    node.column,
                )
            value = self.params[key]
            value = tuple(value) if isinstance(value, list) else value
            if isinstance(value, tuple) and any(_type_of(v) not in ("str", "int", "bool") for v in value):
                raise ConditionError(
                    "unusable_parameter",
                    f"parameter '{node.name}' is a list of tables, not of plain values",
                    node.column,
                )
            if _type_of(value) == "other":
                raise ConditionError(
                    "unusable_parameter", f"parameter '{node.name}' is a table; name one of its values", node.column
                )
            return Typed(node, _type_of(value), constant=value, is_constant=True)
        spec = self.facts.get(node.name)
        if spec is None:
            raise ConditionError(
                "unknown_fact", f"unknown fact '{node.name}'" + did_you_mean(node.name, self.facts), node.column
            )
        return Typed(node, spec.type, fact=spec)

    def _bool(self, typed: Typed, op: str) -> Typed:
        if typed.type != "bool":
            raise ConditionError(
                "type_mismatch", f"'{op}' needs true/false on each side, found a {typed.type}", typed.node.column
            )
        return typed

    def _call(self, node: Call) -> Typed:
        if node.function not in _FUNCTIONS:
            raise ConditionError(
                "unknown_function",
                f"unknown function '{node.function}'" + did_you_mean(node.function, _FUNCTIONS),
                node.column,
            )
        wanted, result = _FUNCTIONS[node.function]
        if len(node.args) != len(wanted):
            raise ConditionError(
                "wrong_arguments",
                f"{node.function}() takes {len(wanted)} argument(s), found {len(node.args)}",
                node.column,
            )
        args = tuple(self._check(a) for a in node.args)
        for arg, types in zip(args, wanted, strict=True):
            if "any" not in types and arg.type not in types:
                raise ConditionError(
                    "type_mismatch",
                    f"{node.function}() takes {' or '.join(sorted(types))}, found a {arg.type}",
                    arg.node.column,
                )
        return Typed(node, result, children=args)

    def _compare(self, node: Compare) -> Typed:
        left, right = self._check(node.left), self._check(node.right)
        if node.op in ("in", "not in"):
            if right.type != "list":
                raise ConditionError(
                    "type_mismatch", f"'{node.op}' needs a list on its right, found a {right.type}", right.node.column
                )
            if right.is_constant:
                for value in right.constant:
                    self._known_value(left, value, right.node.column)
            return Typed(node, "bool", children=(left, right))
        if node.op in _ORDERED:
            if left.type != right.type or left.type not in ("int", "datetime"):
                raise ConditionError(
                    "type_mismatch",
                    f"'{node.op}' compares numbers or instants, found {left.type} and {right.type}",
                    node.column,
                )
            return Typed(node, "bool", children=(left, right))
        if "null" not in (left.type, right.type) and left.type != right.type:
            raise ConditionError(
                "type_mismatch", f"'{node.op}' compares a {left.type} with a {right.type}", node.column
            )
        if right.is_constant:
            self._known_value(left, right.constant, right.node.column)
        if left.is_constant:
            self._known_value(right, left.constant, left.node.column)
        return Typed(node, "bool", children=(left, right))

    def _known_value(self, side: Typed, value: Any, column: int) -> None:
        domain = self.domains.get(side.fact.name) if side.fact is not None else None
        if domain is not None and isinstance(value, str) and value not in domain:
            raise ConditionError(
                "unknown_value",
                f"'{side.fact.name}' is never {value!r}" + did_you_mean(value, domain),  # type: ignore[union-attr]
                column,
            )


def _fold(typed: Typed) -> Typed:
    """Compute what parameters alone decide, so `x and params.flag` with the flag off is `false`."""
    if typed.is_constant or typed.fact is not None or not typed.children:
        return typed
    children = tuple(_fold(c) for c in typed.children)
    typed = Typed(typed.node, typed.type, children=children)
    node = typed.node
    if isinstance(node, BoolOp):
        short = node.op == "or"  # or: one true child decides; and: one false child decides
        if any(c.is_constant and bool(c.constant) is short for c in children):
            return Typed(node, "bool", constant=short, is_constant=True)
        rest = tuple(c for c in children if not c.is_constant)
        if not rest:
            return Typed(node, "bool", constant=not short, is_constant=True)
        return rest[0] if len(rest) == 1 else Typed(node, "bool", children=rest)
    if all(c.is_constant for c in children):
        value = build(typed, {})(())
        return Typed(node, typed.type, constant=value, is_constant=True)
    return typed


def is_constant(typed: Typed) -> bool:
    """Tell whether a checked condition gives the same answer whatever the facts."""
    return typed.is_constant


def referenced_facts(typed: Typed) -> set[str]:
    """Return the names of the facts a checked condition reads."""
    found = {typed.fact.name} if typed.fact is not None else set()
    for child in typed.children:
        found |= referenced_facts(child)
    return found


def build(typed: Typed, slots: dict[str, int]) -> Test:
    """Turn a checked condition into a function of a tuple of fact values."""
    if typed.is_constant:
        value = typed.constant
        return lambda values: value
    if typed.fact is not None:
        return itemgetter(slots[typed.fact.name])
    node = typed.node
    parts = [build(child, slots) for child in typed.children]
    if isinstance(node, Not):
        inner = parts[0]
        return lambda values: not inner(values)
    if isinstance(node, BoolOp):
        if node.op == "and":
            return lambda values: all(p(values) for p in parts)
        return lambda values: any(p(values) for p in parts)
    if isinstance(node, Call):
        return _build_call(node.function, parts[0])
    return _build_compare(typed, parts[0], parts[1])


def _build_call(function: str, arg: Test) -> Test:
    if function == "is_set":  # null and empty text are both "not set"
        return lambda values: arg(values) not in (None, "")
    if function == "len":
        return lambda values: len(arg(values) or ())
    return lambda values: (arg(values) or "").lower()


def _build_compare(typed: Typed, left: Test, right: Test) -> Test:
    op = typed.node.op  # type: ignore[union-attr]
    rhs = typed.children[1]
    if op in ("in", "not in"):
        if rhs.is_constant:
            members = frozenset(rhs.constant)
            test: Test = lambda values: left(values) in members
        else:
            test = lambda values: left(values) in (right(values) or ())
        return test if op == "in" else (lambda values: not test(values))
    if op == "==":
        return lambda values: left(values) == right(values)
    if op == "!=":
        return lambda values: left(values) != right(values)
    compare = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}[
        op
    ]

    def ordered(values: tuple[Any, ...]) -> bool:
        # A missing value (null) makes an ordered comparison false, never an error at evaluation.
        a, b = left(values), right(values)
        return a is not None and b is not None and compare(a, b)

    return ordered
