"""What a marketer builds in the web UI, turned into a form's JSON Schema and back (W1)."""

from __future__ import annotations

import re
from typing import Any

import msgspec

from .storage import FieldLayout, ModuleLayout

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
# How a CRM field type becomes a JSON Schema property.
_TYPES: dict[str, dict[str, Any]] = {
    "text": {"type": "string", "maxLength": 255},
    "textarea": {"type": "string", "maxLength": 10000, "x-widget": "textarea"},
    "email": {"type": "string", "format": "email", "maxLength": 254},
    "phone": {"type": "string", "maxLength": 40, "x-widget": "tel"},
    "website": {"type": "string", "format": "uri", "maxLength": 500},
    "picklist": {"type": "string", "maxLength": 255},
    "integer": {"type": "integer"},
    "bigint": {"type": "integer"},
    "double": {"type": "number"},
    "currency": {"type": "number", "multipleOf": 0.01},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"},
}


class BuilderField(msgspec.Struct, kw_only=True):
    """A module field picked for the form, with its label and help in both languages."""

    field: str
    label_en: str
    label_nl: str = ""
    help_en: str = ""
    help_nl: str = ""
    required: bool = False


class BuilderConsent(msgspec.Struct, kw_only=True):
    """A consent box: one purpose, its exact wording in both languages, and a version (P3, W4)."""

    purpose: str
    text_en: str
    text_nl: str = ""
    version: str = "1"
    required: bool = False  # consent is freely given (Art. 7(4)): ticking is optional unless the form is for it


class BuilderSpec(msgspec.Struct, kw_only=True):
    """Everything the builder page edits."""

    module: str
    title_en: str
    title_nl: str = ""
    fields: list[BuilderField] = []
    consents: list[BuilderConsent] = []
    double_opt_in: bool = True
    thank_you_en: str = ""
    thank_you_nl: str = ""
    defaults: dict[str, Any] = {}


def property_name(api_name: str) -> str:
    """The input name of a module field on a form: its api name in lower case."""
    return re.sub(r"[^a-z0-9_]", "_", api_name.lower())


def _text(en: str, nl: str) -> dict[str, str]:
    return {"en": en, **({"nl": nl} if nl else {})}


def schema_from_builder(spec: BuilderSpec, layout: ModuleLayout) -> dict[str, Any]:
    """Write the form's JSON Schema with lawful's x- keywords."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    for item in spec.fields:
        field = layout.field(item.field) or FieldLayout(name=item.field, label=item.field, type="text")
        prop: dict[str, Any] = {
            **_TYPES.get(field.type, {"type": "string"}),
            "title": item.label_en or field.label,
            "x-crm-field": field.name,
        }
        if item.label_nl:
            prop["x-title"] = {"nl": item.label_nl}
        if item.help_en:
            prop["description"] = item.help_en
            if item.help_nl:
                prop["x-description"] = {"nl": item.help_nl}
        if field.encrypted:
            prop["writeOnly"] = True
            prop["x-crm-encrypted"] = True
        name = property_name(field.name)
        properties[name] = prop
        if item.required:
            required.append(name)
    for index, consent in enumerate(spec.consents):
        name = f"consent_{property_name(consent.purpose) or index}"
        properties[name] = {
            "type": "boolean",
            "title": consent.text_en,
            "x-consent": {
                "purpose": consent.purpose,
                "version": consent.version,
                "text": _text(consent.text_en, consent.text_nl),
            },
        }
        if consent.text_nl:
            properties[name]["x-title"] = {"nl": consent.text_nl}
        if consent.required:
            properties[name]["const"] = True
            required.append(name)
    schema: dict[str, Any] = {
        "$schema": SCHEMA_DIALECT,
        "type": "object",
        "title": spec.title_en,
        "x-crm-module": spec.module,
        "x-double-opt-in": spec.double_opt_in,
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }
    if spec.title_nl:
        schema["x-title"] = {"nl": spec.title_nl}
    if spec.thank_you_en:
        schema["x-thank-you"] = _text(spec.thank_you_en, spec.thank_you_nl)
    if spec.defaults:
        schema["x-crm-defaults"] = spec.defaults
    return schema


def builder_from_schema(schema: dict[str, Any]) -> BuilderSpec:
    """Read back what the builder shows from a form's schema (a schema written elsewhere may hold more)."""
    required = set(schema.get("required", []))
    fields, consents = [], []
    for name, prop in schema.get("properties", {}).items():
        if not isinstance(prop, dict):
            continue
        if "x-consent" in prop:
            text = prop["x-consent"].get("text", {})
            consents.append(
                BuilderConsent(
                    purpose=prop["x-consent"].get("purpose", name),
                    text_en=text.get("en", ""),
                    text_nl=text.get("nl", ""),
                    version=str(prop["x-consent"].get("version", "1")),
                    required=name in required,
                )
            )
        elif prop.get("x-crm-field"):
            fields.append(
                BuilderField(
                    field=prop["x-crm-field"],
                    label_en=prop.get("title", ""),
                    label_nl=(prop.get("x-title") or {}).get("nl", ""),
                    help_en=prop.get("description", ""),
                    help_nl=(prop.get("x-description") or {}).get("nl", ""),
                    required=name in required,
                )
            )
    thanks = schema.get("x-thank-you") or {}
    return BuilderSpec(
        module=schema.get("x-crm-module", ""),
        title_en=schema.get("title", ""),
        title_nl=(schema.get("x-title") or {}).get("nl", ""),
        fields=fields,
        consents=consents,
        double_opt_in=bool(schema.get("x-double-opt-in", True)),
        thank_you_en=thanks.get("en", ""),
        thank_you_nl=thanks.get("nl", ""),
        defaults=schema.get("x-crm-defaults") or {},
    )
