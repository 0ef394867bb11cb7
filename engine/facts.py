"""The named facts that rule conditions may use, and how each is read from a request."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .decision import DecisionRequest, FieldFacts
from .errors import RequestError, expected_one_of
from .form_facts import (
    FILLED_BY,
    ITEM_KINDS,
    bind_bundled_wording,
    bind_consent_count,
    bind_email_count,
    bind_personal_count,
    bind_special_hint,
)
from .model import Parameters

RequestReader = Callable[[DecisionRequest], Any]
FieldReader = Callable[[DecisionRequest, FieldFacts], Any]
ALL = frozenset({"field_release", "processing", "field_marking", "record_add", "form_check", "erasure"})
RECORD_QUESTIONS = frozenset({"field_release", "processing", "erasure"})


@dataclass(frozen=True)
class FactSpec:
    """One fact: its type, where it is read, which questions have it, and its allowed values."""

    name: str
    type: str  # "bool" | "str" | "int" | "datetime"
    level: str  # "request": once per request; "field": once per field of a field release
    questions: frozenset[str]
    path: str
    doc: str
    bind: Callable[[Parameters], Callable[..., Any]]
    domain: Callable[[Parameters], frozenset[str]] | None = None
    nullable: bool = False
    # What the value depends on: attribute paths (of the request, or of the field for field
    # facts) and at most one derivation. Together they key the memo of outcomes.
    inputs: tuple[str, ...] = ()
    derive: str | None = None
    # A check of request values the fact reads that are not plain values (sets), by parameters.
    check: Callable[[Parameters], Callable[[DecisionRequest], None]] | None = None


def _fixed(read: Callable[..., Any]) -> Callable[[Parameters], Callable[..., Any]]:
    return lambda params: read


def _bind_selectable(params: Parameters) -> RequestReader:
    scope = params.modules
    selectable, blocked = frozenset(scope.selectable), frozenset(scope.not_selectable)
    custom_ok = scope.custom_modules_selectable

    def read(req: DecisionRequest) -> bool:
        name = req.module.name
        return name not in blocked and (name in selectable or (custom_ok and req.module.custom))

    return read


def _bind_in_scope(params: Parameters) -> RequestReader:
    selectable = _bind_selectable(params)
    return lambda req: req.module.name in req.settings.modules and selectable(req)


def _bind_personal_count(params: Parameters) -> RequestReader:
    count_subforms = params.personal_fields.subform_fields_count

    def read(req: DecisionRequest) -> int:
        target = req.field.name if req.field is not None else None
        return sum(
            1
            for f in req.module.fields
            if f.classification != "none" and f.name != target and (count_subforms or f.subform is None)
        )

    return read


def _consent_status(req: DecisionRequest) -> str:
    # C3: a waiting period that has run out is no_response, whether or not a sweep has run.
    consent = req.record.consent  # type: ignore[union-attr]
    if consent.status == "waiting" and consent.deadline is not None and consent.deadline <= req.at:
        return "no_response"
    return consent.status


def _bind_channel_restricted(params: Parameters) -> FieldReader:
    defaults = frozenset(
        f"{channel}.{cls}"
        for channel, table in params.channels.default_restrictions.items()
        for cls, withheld in table.items()
        if withheld
    )

    def read(req: DecisionRequest, field: FieldFacts) -> bool:
        chosen = req.settings.withheld
        return f"{req.channel}.{field.classification}" in (defaults if chosen is None else chosen)

    return read


def _check_withheld(params: Parameters) -> Callable[[DecisionRequest], None]:
    pairs = frozenset(
        f"{channel}.{cls}" for channel in params.channels.names for cls in params.personal_fields.classifications
    )

    def check(req: DecisionRequest) -> None:
        for pair in sorted(req.settings.withheld or ()):
            if pair not in pairs:
                raise RequestError(
                    "request.unknown_value",
                    f"{expected_one_of('channel.classification pair', pair, pairs)} - at $.settings.withheld",
                )

    return check


def _bases(params: Parameters) -> frozenset[str]:
    return frozenset(b.id for b in params.bases) | {"not_applicable"}


def _classes(params: Parameters) -> frozenset[str]:
    return frozenset(params.personal_fields.classifications) | {"none"}


def _spec(
    name: str,
    type_: str,
    level: str,
    questions: frozenset[str],
    path: str,
    doc: str,
    read: Callable[..., Any] | None = None,
    *,
    bind: Callable[[Parameters], Callable[..., Any]] | None = None,
    domain: Callable[[Parameters], frozenset[str]] | None = None,
    nullable: bool = False,
    inputs: tuple[str, ...] = (),
    derive: str | None = None,
    check: Callable[[Parameters], Callable[[DecisionRequest], None]] | None = None,
) -> FactSpec:
    binder = bind if bind is not None else _fixed(read)  # type: ignore[arg-type]
    return FactSpec(name, type_, level, questions, path, doc, binder, domain, nullable, inputs, derive, check)


_FIELD_Q = frozenset({"field_release", "field_marking", "erasure"})
_FORM_Q = frozenset({"form_check"})


def _form_item(
    name: str,
    type_: str,
    path: str,
    doc: str,
    read: Callable[..., Any] | None = None,
    *,
    inputs: tuple[str, ...],
    **options: Any,
) -> FactSpec:
    return _spec(name, type_, "field", _FORM_Q, f"$.form.items[].{path}", doc, read, inputs=inputs, **options)


def _field_types(params: Parameters) -> frozenset[str]:
    return frozenset(params.personal_fields.field_types) | {"none"}


FACTS: dict[str, FactSpec] = {
    s.name: s
    for s in [
        _spec(
            "compliance.enabled",
            "bool",
            "request",
            ALL,
            "$.settings.compliance_enabled",
            "the administrator has turned compliance on (S1)",
            lambda r: r.settings.compliance_enabled,
            inputs=("settings.compliance_enabled",),
        ),
        _spec(
            "request.at",
            "datetime",
            "request",
            ALL,
            "$.at",
            "the instant the decision is for",
            lambda r: r.at,
            inputs=("at",),
        ),
        _spec(
            "module.name",
            "str",
            "request",
            ALL,
            "$.module.name",
            "api name of the module",
            lambda r: r.module.name,
            inputs=("module.name",),
        ),
        _spec(
            "module.custom",
            "bool",
            "request",
            ALL,
            "$.module.custom",
            "the module was added by the organisation",
            lambda r: r.module.custom,
            inputs=("module.custom",),
        ),
        _spec(
            "module.selectable",
            "bool",
            "request",
            ALL,
            "$.module.name",
            "the rule files allow this module to be put in scope (S3)",
            bind=_bind_selectable,
            inputs=("module.name", "module.custom"),
        ),
        _spec(
            "module.in_scope",
            "bool",
            "request",
            ALL,
            "$.settings.modules",
            "selectable and picked by the administrator (S3)",
            bind=_bind_in_scope,
            inputs=("module.name", "module.custom", "settings.modules"),
        ),
        _spec(
            "module.personal_field_count",
            "int",
            "request",
            frozenset({"field_marking"}),
            "$.module.fields",
            "fields of the module already marked personal, other than this one (F2, F4)",
            bind=_bind_personal_count,
            derive="personal_field_count",
        ),
        _spec(
            "record.basis",
            "str",
            "request",
            RECORD_QUESTIONS,
            "$.record.basis",
            "the processing basis on record (P1)",
            lambda r: r.record.basis,
            domain=_bases,
            inputs=("record.basis",),
        ),
        _spec(
            "record.has_lia",
            "bool",
            "request",
            RECORD_QUESTIONS,
            "$.record.has_lia",
            "a legitimate-interest assessment is on record (P2)",
            lambda r: r.record.has_lia,
            inputs=("record.has_lia",),
        ),
        _spec(
            "record.restricted",
            "bool",
            "request",
            RECORD_QUESTIONS,
            "$.record.restricted",
            "processing is restricted on the subject's request (DS4)",
            lambda r: r.record.restricted,
            inputs=("record.restricted",),
        ),
        _spec(
            "record.awaiting_confirmation",
            "bool",
            "request",
            RECORD_QUESTIONS,
            "$.record.awaiting_confirmation",
            "a double opt-in has been sent and not yet confirmed (W3)",
            lambda r: r.record.awaiting_confirmation,
            inputs=("record.awaiting_confirmation",),
        ),
        _spec(
            "record.blocklisted",
            "bool",
            "request",
            frozenset({"record_add"}),
            "$.record.blocklisted",
            "the new record's email or phone matches a blocklisted subject (B1)",
            lambda r: r.record.blocklisted,
            inputs=("record.blocklisted",),
        ),
        _spec(
            "consent.status",
            "str",
            "request",
            RECORD_QUESTIONS,
            "$.record.consent.status",
            "consent status, counting a waiting period that has run out as no_response (C2, C3)",
            _consent_status,
            domain=lambda p: frozenset(p.consent.statuses),
            derive="consent_status",
        ),
        _spec(
            "consent.stored_status",
            "str",
            "request",
            RECORD_QUESTIONS,
            "$.record.consent.status",
            "consent status as stored, before waiting periods are applied",
            lambda r: r.record.consent.status,
            domain=lambda p: frozenset(p.consent.statuses),
            inputs=("record.consent.status",),
        ),
        _spec(
            "consent.overdue",
            "bool",
            "request",
            RECORD_QUESTIONS,
            "$.record.consent.deadline",
            "the waiting period ran out before the decision's instant (C3)",
            lambda r: r.record.consent.status == "waiting" and _consent_status(r) == "no_response",
            inputs=("record.consent.status",),
            derive="consent_status",
        ),
        _spec(
            "channel.name",
            "str",
            "request",
            frozenset({"field_release"}),
            "$.channel",
            "the channel the data would leave by (F5)",
            lambda r: r.channel,
            domain=lambda p: frozenset(p.channels.names),
            inputs=("channel",),
        ),
        _spec(
            "field.name",
            "str",
            "field",
            _FIELD_Q,
            "$.fields[].name",
            "api name of the field",
            lambda r, f: f.name,
            inputs=("name",),
        ),
        _spec(
            "field.type",
            "str",
            "field",
            _FIELD_Q,
            "$.fields[].type",
            "data type of the field (F3)",
            lambda r, f: f.type,
            domain=lambda p: frozenset(p.personal_fields.field_types),
            inputs=("type",),
        ),
        _spec(
            "field.classification",
            "str",
            "field",
            _FIELD_Q,
            "$.fields[].classification",
            "none, or how the field is marked personal (F1)",
            lambda r, f: f.classification,
            domain=_classes,
            inputs=("classification",),
        ),
        _spec(
            "field.personal",
            "bool",
            "field",
            _FIELD_Q,
            "$.fields[].classification",
            "the field is marked personal (S2, F1)",
            lambda r, f: f.classification != "none",
            inputs=("classification",),
        ),
        _spec(
            "field.encrypted",
            "bool",
            "field",
            _FIELD_Q,
            "$.fields[].encrypted",
            "the field is encrypted at rest (F6)",
            lambda r, f: f.encrypted,
            inputs=("encrypted",),
        ),
        _spec(
            "field.in_subform",
            "bool",
            "field",
            _FIELD_Q,
            "$.fields[].subform",
            "the field sits inside a subform (F4)",
            lambda r, f: f.subform is not None,
            inputs=("subform",),
        ),
        _spec(
            "channel.restricted",
            "bool",
            "field",
            frozenset({"field_release"}),
            "$.settings.withheld",
            "the controller restricts fields of this classification on this channel (F5)",
            bind=_bind_channel_restricted,
            inputs=("classification", "^channel", "^settings.withheld"),
            check=_check_withheld,
        ),
        _spec(
            "form.double_opt_in",
            "bool",
            "request",
            _FORM_Q,
            "$.form.double_opt_in",
            "the form asks the subject to confirm by email (W3)",
            lambda r: r.form.double_opt_in,
            inputs=("form.double_opt_in",),
        ),
        _spec(
            "form.personal_field_count",
            "int",
            "request",
            _FORM_Q,
            "$.form.items",
            "distinct fields the form writes that can hold personal data: stored, existing, of a markable type (F2)",
            bind=bind_personal_count,
            derive="form_personal_field_count",
        ),
        _spec(
            "form.email_field_count",
            "int",
            "request",
            _FORM_Q,
            "$.form.items",
            "email fields the form stores: where a double opt-in mail can go (W3)",
            bind=bind_email_count,
            derive="form_email_field_count",
        ),
        _spec(
            "form.consent_box_count",
            "int",
            "request",
            _FORM_Q,
            "$.form.items",
            "consent boxes on the form (P3)",
            bind=bind_consent_count,
            derive="form_consent_box_count",
        ),
        _form_item(
            "item.kind",
            "str",
            "kind",
            "what part of the form this is: form, property, condition or required_field",
            lambda r, i: i.kind,
            inputs=("kind",),
            domain=lambda p: ITEM_KINDS,
        ),
        _form_item(
            "item.write_only",
            "bool",
            "write_only",
            "the property is writeOnly: never shown back (F6)",
            lambda r, i: i.write_only,
            inputs=("write_only",),
        ),
        _form_item(
            "crm_field.name",
            "str",
            "crm_field.name",
            "api name of the CRM field the part writes or needs; null: not stored",
            lambda r, i: i.crm_field.name,
            inputs=("crm_field.name",),
            nullable=True,
        ),
        _form_item(
            "crm_field.stored",
            "bool",
            "crm_field.name",
            "the part writes a CRM field (x-crm-field is not null)",
            lambda r, i: i.crm_field.name is not None,
            inputs=("crm_field.name",),
        ),
        _form_item(
            "crm_field.exists",
            "bool",
            "crm_field.exists",
            "the module has that field (W2)",
            lambda r, i: i.crm_field.exists,
            inputs=("crm_field.exists",),
        ),
        _form_item(
            "crm_field.type",
            "str",
            "crm_field.type",
            "data type of the CRM field; none when not stored or unknown (F3)",
            lambda r, i: i.crm_field.type,
            inputs=("crm_field.type",),
            domain=_field_types,
        ),
        _form_item(
            "crm_field.classification",
            "str",
            "crm_field.classification",
            "none, or how the CRM field is marked personal (F1)",
            lambda r, i: i.crm_field.classification,
            inputs=("crm_field.classification",),
            domain=_classes,
        ),
        _form_item(
            "crm_field.personal",
            "bool",
            "crm_field.classification",
            "the CRM field is marked personal (F1)",
            lambda r, i: i.crm_field.classification != "none",
            inputs=("crm_field.classification",),
        ),
        _form_item(
            "crm_field.encrypted",
            "bool",
            "crm_field.encrypted",
            "the CRM field is encrypted at rest (F6)",
            lambda r, i: i.crm_field.encrypted,
            inputs=("crm_field.encrypted",),
        ),
        _form_item(
            "crm_field.read_only",
            "bool",
            "crm_field.read_only",
            "nobody can write the CRM field (formula, system fields)",
            lambda r, i: i.crm_field.read_only,
            inputs=("crm_field.read_only",),
        ),
        _form_item(
            "crm_field.special_category_hint",
            "bool",
            "crm_field.name",
            "the field's name suggests a special category or national identifier (params.forms.special_category_hints)",
            bind=bind_special_hint,
            inputs=("crm_field.name",),
        ),
        _form_item(
            "consent_box.present",
            "bool",
            "consent_box.present",
            "the property is a consent box (x-consent)",
            lambda r, i: i.consent_box.present,
            inputs=("consent_box.present",),
        ),
        _form_item(
            "consent_box.checkbox",
            "bool",
            "consent_box.checkbox",
            "the consent box is a checkbox the subject ticks (P3)",
            lambda r, i: i.consent_box.checkbox,
            inputs=("consent_box.checkbox",),
        ),
        _form_item(
            "consent_box.pre_ticked",
            "bool",
            "consent_box.pre_ticked",
            "the consent box is ticked before the subject acts (P3)",
            lambda r, i: i.consent_box.pre_ticked,
            inputs=("consent_box.pre_ticked",),
        ),
        _form_item(
            "consent_box.purpose_count",
            "int",
            "consent_box.purposes",
            "how many purposes one box asks consent for (P3)",
            lambda r, i: len(i.consent_box.purposes),
            inputs=("consent_box.purposes",),
        ),
        _form_item(
            "consent_box.text_complete",
            "bool",
            "consent_box.text_en",
            "the consent text is given in English and in Dutch",
            lambda r, i: bool(i.consent_box.text_en.strip() and i.consent_box.text_nl.strip()),
            inputs=("consent_box.text_en", "consent_box.text_nl"),
        ),
        _form_item(
            "consent_box.bundled_wording",
            "bool",
            "consent_box.text_en",
            "the consent text also covers other purposes or terms (params.forms.bundling_markers) (P3)",
            bind=bind_bundled_wording,
            inputs=("consent_box.text_en", "consent_box.text_nl"),
        ),
        _form_item(
            "condition.guarded",
            "bool",
            "guarded",
            "an if/then's if requires every property it tests, so it cannot hold vacuously",
            lambda r, i: i.guarded,
            inputs=("guarded",),
        ),
        _form_item(
            "required_field.filled_by",
            "str",
            "filled_by",
            "what fills a field the module requires: subject, defaults or nothing",
            lambda r, i: i.filled_by,
            inputs=("filled_by",),
            domain=lambda p: FILLED_BY,
        ),
    ]
}


# Derivations are read once per request; facts name them in `derive` to key the memo. A
# derivation is a function, or an expression over attribute paths that the key function
# inlines (it must compute what the function of the same fact computes).
DERIVATIONS: dict[str, Callable[[Parameters], Callable[..., Any]] | str] = {
    "consent_status": "('no_response' if {record.consent.status} == 'waiting' and {record.consent.deadline} is not None"
    " and {record.consent.deadline} <= {at} else {record.consent.status})",
    "personal_field_count": _bind_personal_count,
    "form_personal_field_count": bind_personal_count,
    "form_consent_box_count": bind_consent_count,
    "form_email_field_count": bind_email_count,
}


def facts_for(question: str) -> dict[str, FactSpec]:
    """Return the facts a condition may use when answering `question`."""
    return {name: spec for name, spec in FACTS.items() if question in spec.questions}
