"""Module layouts: read them from a CRM's field metadata, and check their personal marking."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from engine import (
    DecisionRequest,
    FieldFacts,
    Parameters,
    Problem,
    RequestError,
    evaluate,
    expected_one_of,
)

from .decisions import engine_settings, module_facts
from .rules_host import RulesHost
from .storage import ControllerSettings, FieldLayout, ModuleLayout


class _MetaField(msgspec.Struct, kw_only=True):
    api_name: str
    label: str
    data_type: str
    required: bool = False
    unique: bool = False
    encrypted: bool = False
    read_only: bool = False
    subform: dict[str, Any] | None = None


class _MetaModule(msgspec.Struct, kw_only=True):
    api_name: str
    plural_label: str | None = None
    singular_label: str | None = None
    custom_module: bool = False
    person_related: bool = True
    fields: list[_MetaField]


def layouts_from_metadata(data: bytes) -> list[ModuleLayout]:
    """Read `{"modules": [...]}` (or one module) in the usual CRM field-metadata shape."""
    try:
        raw = msgspec.json.decode(data)
        items = raw["modules"] if isinstance(raw, dict) and "modules" in raw else [raw]
        modules = msgspec.convert(items, list[_MetaModule])
    except (msgspec.DecodeError, msgspec.ValidationError, KeyError, TypeError) as exc:
        raise RequestError(
            "layout.invalid", f'expected CRM field metadata ({{"modules": [{{"api_name", "fields": [...]}}]}}): {exc}'
        ) from None
    return [_layout(m) for m in modules]


def _field(f: _MetaField, subform: str | None = None) -> FieldLayout:
    return FieldLayout(
        name=f"{subform}.{f.api_name}" if subform else f.api_name,
        label=f.label,
        type=f.data_type,
        required=f.required,
        unique=f.unique,
        encrypted=f.encrypted,
        read_only=f.read_only,
        subform=subform,
    )


def _layout(module: _MetaModule) -> ModuleLayout:
    fields: list[FieldLayout] = []
    for f in module.fields:
        fields.append(_field(f))
        if f.data_type == "subform" and f.subform:
            inner = msgspec.convert(f.subform.get("fields", []), list[_MetaField])
            fields.extend(_field(s, f.api_name) for s in inner)
    return ModuleLayout(
        name=module.api_name,
        label=module.plural_label or module.api_name,
        custom=module.custom_module,
        person_related=module.person_related,
        fields=tuple(fields),
    )


def check_layout(layout: ModuleLayout, params: Parameters) -> list[Problem]:
    """Check a layout's shape against the rule files: unique names, known types and classifications."""
    problems: list[Problem] = []
    if not layout.fields:
        problems.append(Problem("layout.no_fields", f"module {layout.name} needs at least one field", path="$.fields"))
    types = set(params.personal_fields.field_types)
    classes = set(params.personal_fields.classifications) | {"none"}
    seen: set[str] = set()
    containers = {f.name for f in layout.fields if f.type == "subform"}
    for index, field in enumerate(layout.fields):
        at = f"$.fields[{index}]"
        if field.name in seen:
            problems.append(Problem("layout.duplicate_field", f"field {field.name!r} appears twice", path=f"{at}.name"))
        seen.add(field.name)
        if field.type not in types:
            problems.append(
                Problem("layout.unknown_type", expected_one_of("field type", field.type, types), path=f"{at}.type")
            )
        if field.classification not in classes:
            problems.append(
                Problem(
                    "layout.unknown_classification",
                    expected_one_of("classification", field.classification, classes),
                    path=f"{at}.classification",
                )
            )
        if field.subform is not None and field.subform not in containers:
            problems.append(
                Problem(
                    "layout.unknown_subform",
                    f"field {field.name!r} names subform {field.subform!r}, which is not a subform field of the module",
                    path=f"{at}.subform",
                )
            )
    return problems


def check_marking(
    layout: ModuleLayout, settings: ControllerSettings, rules: RulesHost, at: dt.datetime
) -> list[Problem]:
    """Ask the engine about every personal field of a layout, one after another (F1-F4)."""
    ruleset = rules.active(at, settings.pinned_version)
    unmarked = msgspec.structs.replace(
        layout, fields=tuple(msgspec.structs.replace(f, classification="none") for f in layout.fields)
    )
    facts = module_facts(unmarked)
    marked: list[FieldFacts] = []
    problems: list[Problem] = []
    by_name = {f.name: f for f in facts.fields}
    for index, field in enumerate(layout.fields):
        if field.classification == "none":
            continue
        target = msgspec.structs.replace(by_name[field.name], classification=field.classification)
        # Only the fields accepted so far count toward the limit, as if marked one by one.
        module = msgspec.structs.replace(facts, fields=tuple(marked))
        decision = evaluate(
            ruleset,
            DecisionRequest(
                question="field_marking", at=at, module=module, settings=engine_settings(settings), field=target
            ),
        )
        if decision.effect == "deny":
            problems.append(
                Problem(
                    decision.decided_by,
                    f"field {field.name}: {decision.reasons[0].message}",
                    path=f"$.fields[{index}].classification",
                )
            )
        else:
            marked.append(target)
    return problems
