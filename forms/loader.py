"""Read a JSON Schema (draft 2020-12) with lawful's x- keywords into a Form, reporting every problem at once."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from engine import Problem

from .formats import CHECKED_FORMATS
from .model import UNSET, Choice, Condition, Consent, Field, Form, FormError, Layout, Text, Widget

HONEYPOT = "homepage_url"
THANK_YOU = Text(en="Thank you. We have received your form.", nl="Bedankt. We hebben uw formulier ontvangen.")
CSRF_FIELD = "_csrf_token"
RESERVED = frozenset({HONEYPOT, CSRF_FIELD})
_TYPES = frozenset({"string", "integer", "number", "boolean", "array", "object"})
# Which x-widget values suit which JSON type.
_WIDGETS_FOR: dict[str, frozenset[str]] = {
    "string": frozenset({"text", "email", "tel", "url", "date", "textarea", "select"}),
    "integer": frozenset({"number", "select"}),
    "number": frozenset({"number", "select", "text"}),
}
# Keywords whose values are subschemas, or maps of them: where an if/then can hide.
_SCHEMA_KEYS = frozenset(
    {
        "items",
        "prefixItems",
        "allOf",
        "anyOf",
        "oneOf",
        "not",
        "if",
        "then",
        "else",
        "contains",
        "additionalProperties",
        "unevaluatedProperties",
        "unevaluatedItems",
        "propertyNames",
    }
)
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "dependentSchemas"})
_FORMAT_WIDGETS = {"email": "email", "idn-email": "email", "date": "date", "uri": "url", "iri": "url"}


def load_form(source: Mapping[str, Any] | str | bytes, layout: Layout | None = None) -> Form:
    """Read a form from its JSON Schema.

    Args:
        source: the schema, as JSON text or as a parsed mapping (copied, never changed).
        layout: the order of the top-level properties; by default the schema's order.

    Returns:
        The form. Raises FormError listing every problem, each with its JSON pointer.
    """
    schema = json.loads(source) if isinstance(source, (str, bytes)) else copy.deepcopy(dict(source))
    problems: list[Problem] = []
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise FormError([Problem("form.invalid_schema", exc.message, path=_pointer(exc.path))]) from None
    if schema.get("type") != "object" or not isinstance(schema.get("properties"), dict):
        problems.append(Problem("form.not_an_object", "a form's schema is an object with properties", path=""))
    module = schema.get("x-crm-module")
    if not isinstance(module, str) or not module:
        problems.append(
            Problem("form.no_module", "x-crm-module must name the module the form writes to", path="/x-crm-module")
        )
    chosen = layout or Layout()
    fields = _properties(schema, "", problems)
    names = {f.name for f in fields}
    for name in chosen.order:
        if name not in names:
            problems.append(
                Problem("form.unknown_property", f"the layout names {name!r}, which the form does not have", path="")
            )
    if problems:
        raise FormError(problems)
    rank = {name: i for i, name in enumerate(chosen.order)}
    ordered = tuple(sorted(fields, key=lambda f: rank.get(f.name, len(rank))))
    return Form(
        module=str(module),
        title=_text(schema, "title", "x-title", fallback="Form"),
        help=_text(schema, "description", "x-description")
        if "description" in schema or "x-description" in schema
        else None,
        thank_you=_text(schema, "", "x-thank-you", fallback="") if "x-thank-you" in schema else THANK_YOU,
        fields=ordered,
        conditions=tuple(_conditions(schema, "")),
        crm_defaults=dict(schema.get("x-crm-defaults") or {}),
        record_per_item=schema.get("x-crm-record-per-item"),
        double_opt_in=bool(schema.get("x-double-opt-in", False)),
        layout=chosen,
        schema=schema,
        digest=_digest(schema),
    )


def _digest(schema: dict[str, Any]) -> str:
    canonical = json.dumps(schema, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def _pointer(parts: Any) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _text(schema: Mapping[str, Any], plain: str, extra: str, fallback: str = "") -> Text:
    given = schema.get(extra)
    en = str(schema.get(plain) or fallback) if plain else fallback
    if isinstance(given, dict):
        return Text(en=str(given.get("en") or en), nl=str(given.get("nl") or ""))
    return Text(en=en)


def _properties(schema: Mapping[str, Any], pointer: str, problems: list[Problem]) -> list[Field]:
    required = set(schema.get("required") or ())
    fields = []
    for name, sub in (schema.get("properties") or {}).items():
        where = f"{pointer}/properties/{_pointer([name])[1:]}"
        if not pointer and name in RESERVED:
            problems.append(
                Problem("form.reserved_name", f"{name!r} is reserved for the form's own inputs", path=where)
            )
        if not isinstance(sub, dict):
            problems.append(Problem("form.unsupported", "a property must be a schema object", path=where))
            continue
        field = _field(name, sub, where, name in required, problems)
        if field is not None:
            fields.append(field)
    return fields


def _json_type(schema: Mapping[str, Any]) -> str | None:
    declared = schema.get("type")
    if isinstance(declared, str):
        return declared
    values = [schema["const"]] if "const" in schema else list(schema.get("enum") or ())
    values += [s["const"] for s in _labelled(schema)]
    kinds = {
        "boolean"
        if isinstance(v, bool)
        else "integer"
        if isinstance(v, int)
        else "number"
        if isinstance(v, float)
        else "string"
        if isinstance(v, str)
        else "other"
        for v in values
    }
    return kinds.pop() if len(kinds) == 1 and kinds <= _TYPES else None


def _labelled(schema: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return a oneOf/anyOf that only lists constants (labelled options), or nothing (FC1, FC2)."""
    for key in ("oneOf", "anyOf"):
        options = schema.get(key)
        if isinstance(options, list) and options and all(isinstance(o, dict) and "const" in o for o in options):
            return options
    return []


def _choices(schema: Mapping[str, Any]) -> tuple[Choice, ...]:
    if "enum" in schema:
        return tuple(Choice(v, Text(en=str(v))) for v in schema["enum"])
    return tuple(Choice(o["const"], _text(o, "title", "x-title", fallback=str(o["const"]))) for o in _labelled(schema))


def _field(name: str, schema: Mapping[str, Any], pointer: str, required: bool, problems: list[Problem]) -> Field | None:
    kind = _json_type(schema)
    if kind not in _TYPES:
        problems.append(
            Problem("form.no_type", "a property needs one JSON type (type, or constants of one type)", path=pointer)
        )
        return None
    if "$ref" in schema:
        problems.append(
            Problem("form.unsupported", "a property cannot be a $ref; write its schema in place", path=pointer)
        )
    fmt = schema.get("format")
    if isinstance(fmt, str) and fmt not in CHECKED_FORMATS:
        problems.append(
            Problem(
                "form.unknown_format",
                f"format {fmt!r} cannot be checked; use one of {', '.join(sorted(CHECKED_FORMATS))}",
                path=pointer,
            )
        )
    children: list[Field] = []
    item_type: str | None = None
    choices = _choices(schema)
    items: Mapping[str, Any] = schema["items"] if isinstance(schema.get("items"), dict) else {}
    if kind == "object":
        children = _properties(schema, pointer, problems)
    elif kind == "array":
        item_type = _json_type(items)
        if item_type == "object":
            children = _properties(items, pointer + "/items", problems)
        choices = _choices(items)
    widget = _widget(schema, kind, item_type, choices, pointer, problems)
    return Field(
        name=name,
        pointer=pointer,
        type=kind,  # type: ignore[arg-type]  # checked against _TYPES above
        widget=widget,  # type: ignore[arg-type]
        label=_text(schema, "title", "x-title", fallback=name.replace("_", " ").capitalize()),
        help=_text(schema, "description", "x-description")
        if "description" in schema or "x-description" in schema
        else None,
        required=required,
        choices=choices,
        children=tuple(children),
        item_type=item_type,  # type: ignore[arg-type]
        min_items=int(schema.get("minItems", 0)),
        max_items=schema.get("maxItems"),
        crm_field=schema.get("x-crm-field"),
        consent=_consent(schema.get("x-consent"), pointer, problems),
        default=copy.deepcopy(schema["default"]) if "default" in schema else UNSET,
        write_only=bool(schema.get("writeOnly", False)),
        attrs=_attrs(schema, kind),
    )


def _widget(
    schema: Mapping[str, Any],
    kind: str,
    item_type: str | None,
    choices: tuple[Choice, ...],
    pointer: str,
    problems: list[Problem],
) -> Widget:
    asked = schema.get("x-widget")
    if asked is not None:
        if asked not in _WIDGETS_FOR.get(kind, frozenset()):
            problems.append(
                Problem("form.unknown_widget", f"x-widget {asked!r} does not suit a {kind} property", path=pointer)
            )
        return asked  # type: ignore[no-any-return]
    if kind == "boolean":
        return "checkbox"
    if kind == "object":
        return "group"
    if kind == "array":
        return "items" if item_type == "object" else "checkboxes" if choices else "lines"
    if choices:
        return "select"
    if kind in ("integer", "number"):
        return "number"
    return _FORMAT_WIDGETS.get(str(schema.get("format")), "text")  # type: ignore[return-value]


def _attrs(schema: Mapping[str, Any], kind: str) -> tuple[tuple[str, str], ...]:
    """Return HTML constraint attributes, which help browsers and assistive technology."""
    attrs = [
        (html, str(schema[key]))
        for key, html in (("maxLength", "maxlength"), ("minimum", "min"), ("maximum", "max"))
        if key in schema and not isinstance(schema[key], bool)
    ]
    if kind == "integer":
        attrs.append(("step", str(schema.get("multipleOf", 1)) if isinstance(schema.get("multipleOf"), int) else "1"))
    elif kind == "number":
        attrs.append(("step", str(schema["multipleOf"]) if "multipleOf" in schema else "any"))
    return tuple(attrs)


def _consent(given: Any, pointer: str, problems: list[Problem]) -> Consent | None:
    if given is None:
        return None
    if not isinstance(given, dict) or not given.get("purpose") or not given.get("version"):
        problems.append(
            Problem(
                "form.invalid_consent",
                "x-consent needs a purpose, a version and its text in en and nl",
                path=pointer + "/x-consent",
            )
        )
        return None
    purpose = given["purpose"]
    purposes = tuple(str(p) for p in purpose) if isinstance(purpose, list) else (str(purpose),)
    text: dict[str, Any] = given["text"] if isinstance(given.get("text"), dict) else {}
    return Consent(
        purposes=purposes,
        version=str(given["version"]),
        basis=str(given.get("basis", "consent")),
        text=Text(en=str(text.get("en") or ""), nl=str(text.get("nl") or "")),
    )


def _conditions(schema: Any, pointer: str) -> list[Condition]:
    """Find every if/then in the schema, wherever it is nested."""
    if isinstance(schema, list):
        return [c for i, sub in enumerate(schema) for c in _conditions(sub, f"{pointer}/{i}")]
    if not isinstance(schema, dict):
        return []
    found = []
    test = schema.get("if")
    if isinstance(test, dict):
        tests = tuple((test.get("properties") or {}).keys())
        found.append(Condition(f"{pointer}/if", tests, set(tests) <= set(test.get("required") or ())))
    for key, sub in schema.items():
        if key in _SCHEMA_MAPS and isinstance(sub, dict):
            found += [
                c for name, inner in sub.items() for c in _conditions(inner, f"{pointer}/{key}{_pointer([name])}")
            ]
        elif key in _SCHEMA_KEYS:
            found += _conditions(sub, f"{pointer}/{key}")
    return found
