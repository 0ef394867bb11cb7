"""Validate read data with jsonschema (formats always checked) and say what is wrong in words (FC8, FC9)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from engine import Lang

from .formats import format_checker
from .messages import condition_text, message
from .model import Field, Form, JsonValue
from .submission import (
    FieldError,
    Reader,
    Submission,
    build_tree,
    consents_given,
    input_name,
    is_spam,
    pointer,
    shown_values,
)

_VALIDATORS: dict[str, Draft202012Validator] = {}
_CODES = {
    "minLength": "too_short",
    "maxLength": "too_long",
    "pattern": "pattern",
    "minimum": "too_small",
    "exclusiveMinimum": "too_small",
    "maximum": "too_large",
    "exclusiveMaximum": "too_large",
    "multipleOf": "not_multiple",
    "enum": "not_an_option",
    "minItems": "too_few",
    "maxItems": "too_many",
    "uniqueItems": "not_unique",
}
_FORMAT_CODES = {"email": "email", "idn-email": "email", "date": "date", "uri": "url", "iri": "url"}


def parse_submission(form: Form, pairs: Iterable[tuple[str, str]], lang: Lang = "en") -> Submission:
    """Read and validate a submission; never raises on what a subject sends.

    Args:
        form: the form that was filled in.
        pairs: (name, value) strings in the order the browser sent them; names may repeat.
        lang: the language the form was shown in: it sets the messages and how decimals are read.

    Returns:
        The data (blank inputs absent, values of the schema's types, defaults filled), or the
        errors per field path; a filled honeypot marks the submission as spam.
    """
    given = tuple((str(n), str(v)) for n, v in pairs)
    reader = Reader(lang)
    data = reader.read_object(form.fields, build_tree(given), ())
    found = list(reader.errors)
    for error in validator(form).iter_errors(data):
        found += _translate(form, error, lang)
    errors = _first_per_path(form, found)
    consents = consents_given(form, data, lang) if not errors else ()
    return Submission(data, errors, is_spam(given), lang, shown_values(form, given), consents)


def validator(form: Form) -> Draft202012Validator:
    """Return the form's validator: its schema with decimals kept exact, and every format checked."""
    found = _VALIDATORS.get(form.digest)
    if found is None:
        if len(_VALIDATORS) > 256:
            _VALIDATORS.clear()
        found = _VALIDATORS[form.digest] = Draft202012Validator(_exact(form.schema), format_checker=format_checker())
    return found


def _exact(value: Any) -> Any:
    """Turn floats into decimals so that 0.07 is a multiple of 0.01 (FC7)."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {k: _exact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_exact(v) for v in value]
    return value


def field_at(form: Form, path: tuple[str | int, ...]) -> Field | None:
    """Return the field a data path belongs to (array indexes stay on their array's field)."""
    fields, found = form.fields, None
    for part in path:
        if isinstance(part, int):
            continue
        found = next((f for f in fields if f.name == part), None)
        if found is None:
            return None
        fields = found.children
    return found


def _translate(form: Form, error: ValidationError, lang: Lang) -> list[FieldError]:
    path = tuple(error.absolute_path)
    if error.validator in ("required", "dependentRequired"):
        present = error.instance if isinstance(error.instance, dict) else {}
        wanted = (
            error.validator_value
            if error.validator == "required"
            else [p for ps in error.validator_value.values() for p in ps]
        )
        return [_required(form, error, (*path, name), lang) for name in wanted if name not in present]
    field = field_at(form, path)
    label = field.label.get(lang) if field is not None else ""
    code, limit = _code(error, field), error.validator_value
    return [FieldError(pointer(path), input_name(path), code, message(code, lang, label=label, limit=limit))]


def _code(error: ValidationError, field: Field | None) -> str:
    kind = error.validator
    if kind == "const":
        return "must_tick" if error.validator_value is True else "not_allowed"
    if kind == "format":
        return _FORMAT_CODES.get(str(error.validator_value), "format")
    if kind == "type":
        return {"integer": "not_a_whole_number", "number": "not_a_number"}.get(
            field.type if field else "", "not_allowed"
        )
    if kind in ("oneOf", "anyOf"):
        return "not_an_option" if field is not None and field.choices else "not_allowed"
    return _CODES.get(str(kind), "not_allowed")


def _required(form: Form, error: ValidationError, path: tuple[str | int, ...], lang: Lang) -> FieldError:
    field = field_at(form, path)
    label = field.label.get(lang) if field is not None else str(path[-1])
    condition = _condition(form, error, path[:-1], lang)
    if condition:
        code = "required_when"  # FC9: say why an if/then made it required
    elif field is not None and field.widget in ("select", "checkboxes"):
        code = "required_choice"  # FC1: labelled options read like an enum
    else:
        code = "required"
    return FieldError(pointer(path), input_name(path), code, message(code, lang, label=label, condition=condition))


def _condition(form: Form, error: ValidationError, at: tuple[str | int, ...], lang: Lang) -> str:
    """Describe the `if` whose `then` made a property required, e.g. “How should we reply?” is “phone”."""
    schema_path = list(error.absolute_schema_path)
    if "then" not in schema_path:
        return ""
    container: Any = form.schema
    for part in schema_path[: len(schema_path) - 1 - schema_path[::-1].index("then")]:
        container = container[part]
    parts = []
    for name, sub in ((container.get("if") or {}).get("properties") or {}).items():
        field = field_at(form, (*at, name))
        if field is None or not isinstance(sub, dict) or not ("const" in sub or "enum" in sub):
            continue
        values = [sub["const"]] if "const" in sub else list(sub["enum"])
        shown = [next((c.label.get(lang) for c in field.choices if c.value == v), str(v)) for v in values]
        parts.append((field.label.get(lang), " / ".join(shown)))
    return condition_text(parts, lang) if parts else ""


def _first_per_path(form: Form, errors: list[FieldError]) -> tuple[FieldError, ...]:
    """Keep one error per field, the first found (read errors come first), in the form's order."""
    kept: dict[str, FieldError] = {}
    for error in errors:
        kept.setdefault(error.path, error)
    order = {f.name: i for i, f in enumerate(form.fields)}
    return tuple(sorted(kept.values(), key=lambda e: (order.get(e.input.split("[", 1)[0], len(order)), e.path)))


def json_data(data: dict[str, JsonValue]) -> dict[str, JsonValue]:
    """Return data with decimals as JSON numbers' nearest floats, for callers that cannot keep decimals."""

    def plain(value: Any) -> Any:
        if isinstance(value, Decimal):
            return int(value) if value == value.to_integral_value() and "." not in str(value) else float(value)
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value

    return plain(data)  # type: ignore[no-any-return]
