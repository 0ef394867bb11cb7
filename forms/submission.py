"""Read a submission as it arrives from an HTML form into data of the schema's types (FC3-FC7, FC10)."""

from __future__ import annotations

import copy
import re
import unicodedata
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Union

from msgspec import UNSET, Struct

from engine import Lang

from .loader import CSRF_FIELD, HONEYPOT
from .messages import message
from .model import Consent, Field, Form, JsonValue

_NAME = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_INTEGER = re.compile(r"^[+-]?\d+$")
_DECIMAL = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")
_FALSE = frozenset({"", "false", "off", "0", "no"})
MAX_ITEMS = 100  # array items read from one submission, whatever the indexes say
Node = Union[list[str], dict[str, "Node"]]  # noqa: UP007 - a recursive alias needs Union at run time


class _Absent:
    """A value the subject left blank: absent from the data, not an empty string."""


ABSENT = _Absent()


class FieldError(Struct, frozen=True):
    """One mistake in a submission: where (data path and input name), a stable code, and a sentence."""

    path: str
    input: str
    code: str
    message: str


class ConsentGiven(Struct, frozen=True):
    """Proof of one ticked consent box: what the subject agreed to, in the words they saw (W4)."""

    pointer: str
    purposes: tuple[str, ...]
    version: str
    text: str
    lang: Lang


class Submission(Struct, frozen=True):
    """A read submission: data (defaults filled) or errors, plus what is needed to show the form again."""

    data: dict[str, JsonValue]
    errors: tuple[FieldError, ...]
    spam: bool
    lang: Lang
    values: tuple[tuple[str, str], ...]
    consents: tuple[ConsentGiven, ...] = ()

    @property
    def valid(self) -> bool:
        """Tell whether the data can be stored: no errors and not spam."""
        return not self.errors and not self.spam


def input_name(path: tuple[str | int, ...]) -> str:
    """Return the HTML input name of a data path, e.g. ("attendees", 0, "diet") -> attendees[0][diet]."""
    return str(path[0]) + "".join(f"[{p}]" for p in path[1:]) if path else ""


def pointer(path: tuple[str | int, ...]) -> str:
    """Return the JSON pointer of a data path."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def build_tree(pairs: Iterable[tuple[str, str]]) -> dict[str, Node]:
    """Group (name, value) pairs by their bracketed names; repeated names keep every value."""
    tree: dict[str, Node] = {}
    for name, value in pairs:
        match = _NAME.match(name)
        if not match:
            continue
        keys = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
        node: dict[str, Node] = tree
        for key in keys[:-1]:
            child = node.setdefault(key, {})
            if not isinstance(child, dict):
                break
            node = child
        else:
            leaf = node.setdefault(keys[-1], [])
            if isinstance(leaf, list):
                leaf.append(value)
    return tree


class Reader:
    """Reads one submission's tree against the form's fields, gathering errors as it goes."""

    def __init__(self, lang: Lang) -> None:
        self.lang = lang
        self.errors: list[FieldError] = []

    def read_object(
        self, fields: tuple[Field, ...], node: dict[str, Node], path: tuple[str | int, ...]
    ) -> dict[str, JsonValue]:
        """Read the properties of one object; blank inputs are left out."""
        data: dict[str, JsonValue] = {}
        for field in fields:
            value = self.read(field, node.get(field.name), (*path, field.name))
            if value is ABSENT and field.default is not UNSET:
                value = copy.deepcopy(field.default)  # FC10: defaults are filled before validation
            if value is not ABSENT:
                data[field.name] = value  # type: ignore[assignment]
        return data

    def read(self, field: Field, node: Node | None, path: tuple[str | int, ...]) -> JsonValue | _Absent:
        """Read one property's inputs into a value of its type, or ABSENT."""
        if field.widget == "checkbox":
            return _last(node) is not None and _last(node).strip().lower() not in _FALSE  # type: ignore[union-attr]
        if field.widget == "group":
            return self._group(field, node, path)
        if field.widget == "items":
            return self._items(field, node, path)
        if field.type == "array":
            return self._list(field, node, path)
        text = _last(node)
        return ABSENT if text is None else self.scalar(field, field.type, text, path)

    def scalar(self, field: Field, kind: str | None, text: str, path: tuple[str | int, ...]) -> JsonValue | _Absent:
        """Coerce one typed-in value; blank is ABSENT, a wrong number is an error in words (FC5, FC7)."""
        text = unicodedata.normalize("NFC", text).strip()
        if not text:
            return ABSENT  # FC3, FC4: a blank input is an absent value
        for choice in field.choices:
            if str(choice.value) == text or (
                isinstance(choice.value, bool) and str(choice.value).lower() == text.lower()
            ):
                return choice.value
        if kind == "integer":
            return (
                int(text)
                if _INTEGER.match(text)
                else self._fail(field, path, _number_code(text, self.lang, whole=True))
            )
        if kind == "number":
            return self._decimal(field, text, path)
        if kind == "boolean":
            return text.lower() not in _FALSE
        return text

    def _decimal(self, field: Field, text: str, path: tuple[str | int, ...]) -> JsonValue | _Absent:
        # Decimal, not float: 0.07 stays a multiple of 0.01 (FC7).
        if self.lang == "nl" and "," in text and "." not in text and text.count(",") == 1:
            text = text.replace(",", ".")
        if not _DECIMAL.match(text):
            return self._fail(field, path, _number_code(text, self.lang, whole=False))
        try:
            return Decimal(text)
        except InvalidOperation:
            return self._fail(field, path, "not_a_number")

    def _fail(self, field: Field, path: tuple[str | int, ...], code: str) -> _Absent:
        label = field.label.get(self.lang)
        self.errors.append(FieldError(pointer(path), input_name(path), code, message(code, self.lang, label=label)))
        return ABSENT

    def _group(self, field: Field, node: Node | None, path: tuple[str | int, ...]) -> JsonValue | _Absent:
        branch = node if isinstance(node, dict) else {}
        if not field.required and not _has_text(branch):
            return ABSENT  # an optional group left blank does not make its inner fields required
        return self.read_object(field.children, branch, path)  # type: ignore[return-value]

    def _items(self, field: Field, node: Node | None, path: tuple[str | int, ...]) -> JsonValue | _Absent:
        if not isinstance(node, dict):
            return ABSENT
        indexes = sorted(int(k) for k in node if k.isdigit() and len(k) < 6)[:MAX_ITEMS]
        return [self.read_object(field.children, _branch(node[str(i)]), (*path, n)) for n, i in enumerate(indexes)]  # type: ignore[misc]

    def _list(self, field: Field, node: Node | None, path: tuple[str | int, ...]) -> JsonValue | _Absent:
        texts = node if isinstance(node, list) else []
        if field.widget == "lines":
            texts = [line for text in texts for line in text.splitlines()]
        values = [self.scalar(field, field.item_type, t, (*path, i)) for i, t in enumerate(texts)][:MAX_ITEMS]
        kept = [v for v in values if v is not ABSENT]
        return kept if kept else ABSENT  # type: ignore[return-value]


def _number_code(text: str, lang: Lang, whole: bool) -> str:
    if whole:
        return "not_a_whole_number"
    if "," in text and "." in text:
        return "thousands_separator"
    if "," in text and lang == "en" and _DECIMAL.match(text.replace(",", ".")):
        return "decimal_comma"
    return "not_a_number"


def _last(node: Node | None) -> str | None:
    """Return the last value given for a name; a browser sends one, later ones win."""
    return node[-1] if isinstance(node, list) and node else None


def _branch(node: Node) -> dict[str, Node]:
    return node if isinstance(node, dict) else {}


def _has_text(node: Node) -> bool:
    if isinstance(node, list):
        return any(v.strip() for v in node)
    return any(_has_text(child) for child in node.values())


def consents_given(form: Form, data: dict[str, JsonValue], lang: Lang) -> tuple[ConsentGiven, ...]:
    """Return proof of every top-level consent box the subject ticked, in the words they saw (W4)."""
    boxes: list[tuple[Field, Consent]] = [(f, f.consent) for f in form.fields if f.consent is not None]
    return tuple(
        ConsentGiven(f.pointer, c.purposes, c.version, c.text.get(lang), lang)
        for f, c in boxes
        if data.get(f.name) is True
    )


def is_spam(pairs: Iterable[tuple[str, str]]) -> bool:
    """Tell whether the honeypot, which people never see, was filled in."""
    return any(name == HONEYPOT and value.strip() for name, value in pairs)


def shown_values(form: Form, pairs: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """Return the pairs worth showing again: not the honeypot, the CSRF token or writeOnly values."""
    return tuple((n, v) for n, v in pairs if n not in (HONEYPOT, CSRF_FIELD) and not _is_write_only(form.fields, n))


def _is_write_only(fields: tuple[Field, ...], name: str) -> bool:
    for key in re.findall(r"[^\[\]]+", name):
        found = next((f for f in fields if f.name == key), None)
        if found is not None and found.write_only:
            return True
        fields = found.children if found is not None else fields
    return False
