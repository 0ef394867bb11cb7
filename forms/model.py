"""A web form as the rest of lawful sees it: immutable, typed, read from a JSON Schema."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from msgspec import UNSET, Struct, UnsetType

from engine import Lang, Problem, RequestError

JsonScalar = None | bool | int | float | Decimal | str
JsonValue = JsonScalar | list["JsonValue"] | dict[str, "JsonValue"]
JsonType = Literal["string", "integer", "number", "boolean", "array", "object"]
Widget = Literal[
    "text",
    "email",
    "tel",
    "url",
    "number",
    "date",
    "textarea",
    "select",
    "checkbox",
    "checkboxes",
    "lines",
    "group",
    "items",
]
WIDGETS: frozenset[str] = frozenset(Widget.__args__)  # type: ignore[attr-defined]


class FormError(RequestError):
    """A form definition lawful cannot use; every problem is listed with its JSON pointer."""

    def __init__(self, problems: list[Problem]) -> None:
        count = len(problems)
        super().__init__("form.invalid", f"the form has {count} problem{'s' if count != 1 else ''}", problems)


class Text(Struct, frozen=True):
    """A text in English and, when given, Dutch; Dutch falls back to English."""

    en: str
    nl: str = ""

    def get(self, lang: Lang) -> str:
        """Return the text in `lang`, or in English when there is none in that language."""
        return self.nl if lang == "nl" and self.nl else self.en


class Choice(Struct, frozen=True):
    """One option of a select or checkbox group: the value stored and the label shown."""

    value: JsonScalar
    label: Text


class Consent(Struct, frozen=True, kw_only=True):
    """A consent box's x-consent: what it asks consent for, in which words and version (P3, W4)."""

    purposes: tuple[str, ...]
    version: str
    text: Text
    basis: str = "consent"


class Field(Struct, frozen=True, kw_only=True):
    """One property of the form, with everything needed to render, read and check it."""

    name: str
    pointer: str
    type: JsonType
    widget: Widget
    label: Text
    help: Text | None = None
    required: bool = False
    choices: tuple[Choice, ...] = ()
    children: tuple[Field, ...] = ()
    item_type: JsonType | None = None
    min_items: int = 0
    max_items: int | None = None
    crm_field: str | None = None
    consent: Consent | None = None
    default: JsonValue | UnsetType = UNSET
    write_only: bool = False
    attrs: tuple[tuple[str, str], ...] = ()


class Condition(Struct, frozen=True):
    """An if/then in the schema; guarded when its `if` requires every property it tests (FC9)."""

    pointer: str
    tests: tuple[str, ...]
    guarded: bool


class Layout(Struct, frozen=True):
    """How the form is laid out: the order of its top-level properties (the rest follow)."""

    order: tuple[str, ...] = ()


class Form(Struct, frozen=True, kw_only=True):
    """A web form: its module, texts, fields and the JSON Schema they came from; build it with load_form."""

    module: str
    title: Text
    help: Text | None
    thank_you: Text
    fields: tuple[Field, ...]
    conditions: tuple[Condition, ...]
    crm_defaults: dict[str, JsonValue]
    record_per_item: str | None
    double_opt_in: bool
    layout: Layout
    schema: dict[str, JsonValue]
    digest: str
