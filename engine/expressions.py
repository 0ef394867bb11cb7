"""Parse rule conditions into a small, safe tree; text is never evaluated as Python."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Union

Node = Union["Literal", "Name", "ListOf", "Call", "Compare", "BoolOp", "Not"]
COMPARISONS = ("==", "!=", "<", "<=", ">", ">=", "in", "not in")


@dataclass(frozen=True)
class Literal:
    value: str | int | float | bool | None
    column: int


@dataclass(frozen=True)
class Name:
    """A dotted name: a fact such as `consent.status`, or a parameter such as `params.x.y`."""

    name: str
    column: int


@dataclass(frozen=True)
class ListOf:
    items: tuple[Node, ...]
    column: int


@dataclass(frozen=True)
class Call:
    function: str
    args: tuple[Node, ...]
    column: int


@dataclass(frozen=True)
class Compare:
    op: str
    left: Node
    right: Node
    column: int


@dataclass(frozen=True)
class BoolOp:
    op: str  # "and" | "or"
    items: tuple[Node, ...]
    column: int


@dataclass(frozen=True)
class Not:
    item: Node
    column: int


class ExpressionSyntaxError(ValueError):
    """A condition that does not parse; `column` is 1-based."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(message)
        self.column = column


_TOKEN = re.compile(
    r"""(?P<space>\s+)
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
      | (?P<op>==|!=|<=|>=|<|>|\(|\)|\[|\]|,)
    """,
    re.X,
)
_KEYWORDS = {"and", "or", "not", "in", "true", "false", "null"}
_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'"}


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    column: int


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise ExpressionSyntaxError(f"unexpected character {text[pos]!r}", pos + 1)
        kind = match.lastgroup or ""
        if kind != "space":
            word = match.group()
            if kind == "name" and word in _KEYWORDS:
                kind = "keyword"
            tokens.append(_Token(kind, word, pos + 1))
        pos = match.end()
    tokens.append(_Token("end", "", len(text) + 1))
    return tokens


def _unquote(text: str) -> str:
    body = text[1:-1]
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), body)


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.pos = 0

    @property
    def token(self) -> _Token:
        return self.tokens[self.pos]

    def take(self, text: str | None = None) -> _Token:
        token = self.token
        if text is not None and token.text != text:
            found = token.text or "end of condition"
            raise ExpressionSyntaxError(f"expected '{text}', found '{found}'", token.column)
        self.pos += 1
        return token

    def at(self, *texts: str) -> bool:
        return self.token.kind in ("keyword", "op") and self.token.text in texts

    def parse(self) -> Node:
        node = self.either()
        if self.token.kind != "end":
            raise ExpressionSyntaxError(f"unexpected '{self.token.text}' after a complete condition", self.token.column)
        return node

    def either(self) -> Node:
        return self._chain("or", self.both)

    def both(self) -> Node:
        return self._chain("and", self.negation)

    def _chain(self, op: str, operand: Callable[[], Node]) -> Node:
        column = self.token.column
        items = [operand()]
        while self.at(op):
            self.take()
            items.append(operand())
        return items[0] if len(items) == 1 else BoolOp(op, tuple(items), column)

    def negation(self) -> Node:
        if self.at("not"):
            column = self.take().column
            return Not(self.negation(), column)
        return self.comparison()

    def comparison(self) -> Node:
        left = self.primary()
        column = self.token.column
        if self.at("==", "!=", "<", "<=", ">", ">=", "in"):
            op = self.take().text
        elif self.at("not") and self.tokens[self.pos + 1].text == "in":
            self.take()
            self.take()
            op = "not in"
        else:
            return left
        right = self.primary()
        if self.at("==", "!=", "<", "<=", ">", ">=", "in"):
            raise ExpressionSyntaxError("comparisons cannot be chained; join them with 'and'", self.token.column)
        return Compare(op, left, right, column)

    def primary(self) -> Node:
        token = self.token
        if token.kind == "number":
            self.take()
            number = float(token.text) if "." in token.text else int(token.text)
            return Literal(number, token.column)
        if token.kind == "string":
            self.take()
            return Literal(_unquote(token.text), token.column)
        if token.kind == "keyword" and token.text in ("true", "false", "null"):
            self.take()
            return Literal({"true": True, "false": False, "null": None}[token.text], token.column)
        if token.kind == "name":
            self.take()
            if self.at("("):
                return Call(token.text, self._items(")"), token.column)
            return Name(token.text, token.column)
        if self.at("("):
            self.take()
            node = self.either()
            self.take(")")
            return node
        if self.at("["):
            return ListOf(self._items("]"), token.column)
        found = token.text or "end of condition"
        raise ExpressionSyntaxError(f"expected a value, a fact name or '(', found '{found}'", token.column)

    def _items(self, closing: str) -> tuple[Node, ...]:
        self.take()
        items: list[Node] = []
        while not self.at(closing):
            items.append(self.either())
            if not self.at(closing):
                self.take(",")
        self.take(closing)
        return tuple(items)


MAX_LENGTH = 4000


def parse_condition(text: str) -> Node:
    """Parse a condition such as `record.basis == "consent" and not record.restricted`."""
    if len(text) > MAX_LENGTH:
        raise ExpressionSyntaxError(
            f"a condition is at most {MAX_LENGTH} characters, this one has {len(text)}", MAX_LENGTH
        )
    return _Parser(text).parse()
