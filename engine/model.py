"""The rule file format, as msgspec Structs; the same Structs give the JSON Schema for editors."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from msgspec import Meta, Struct

Question = Literal["field_release", "processing", "field_marking", "record_add", "form_check", "erasure"]
QUESTIONS: tuple[str, ...] = ("field_release", "processing", "field_marking", "record_add", "form_check", "erasure")
Effect = Literal["allow", "deny", "warn", "exempt"]
Lang = Literal["en", "nl"]
LANGS: tuple[str, ...] = ("en", "nl")

RuleId = Annotated[
    str,
    Meta(
        pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$",
        description="Dotted, lower-case, stable and never reused, e.g. consent.no_response.stops_processing",
    ),
]
Version = Annotated[str, Meta(pattern=r"^\d{4}\.\d+$", description="Year and sequence, e.g. 2026.1")]
Name = Annotated[str, Meta(min_length=1)]


class _Spec(Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """Base for file Structs: unknown keys are mistakes, values never change once loaded."""


class Text(_Spec, frozen=True):
    """A sentence in every language the product speaks."""

    en: Annotated[str, Meta(min_length=1)]
    nl: Annotated[str, Meta(min_length=1)]


class Manifest(_Spec, frozen=True):
    """manifest.yaml: names a ruleset version and says when it takes effect and what changed."""

    ruleset: Annotated[str, Meta(pattern=r"^[a-z][a-z0-9_-]*$")]
    version: Version
    effective: Annotated[dt.date, Meta(description="First day (UTC) on which this version applies")]
    summary: Name
    changes: list[str] = []


class ModuleScope(_Spec, frozen=True):
    """Which CRM modules the administrator may put in scope (S3)."""

    selectable: list[Name]
    not_selectable: list[Name] = []
    custom_modules_selectable: bool = True


class PersonalFields(_Spec, frozen=True):
    """Limits on marking fields personal (F1-F4)."""

    limit: Annotated[int, Meta(ge=1)]
    classifications: list[Name]
    excluded_types: list[Name]
    field_types: list[Name]
    subform_fields_count: bool = True


class Channels(_Spec, frozen=True):
    """Channels over which marked data can leave, and the default restrictions (F5)."""

    names: list[Name]
    default_restrictions: dict[str, dict[str, bool]]


class Basis(_Spec, frozen=True):
    """One processing basis (P1) and how often it is reviewed (P5)."""

    id: Name
    article: Name
    review_months: Annotated[int, Meta(ge=1)]
    label: Text


class WaitingPeriod(_Spec, frozen=True):
    """Consent waiting period in days (C3): default and the range a controller may set."""

    default_days: Annotated[int, Meta(ge=1)]
    min_days: Annotated[int, Meta(ge=1)]
    max_days: Annotated[int, Meta(ge=1)]


class ConsentParameters(_Spec, frozen=True):
    """Consent statuses (C2) and what happens while a record waits (C3, C4)."""

    statuses: list[Name]
    waiting_period: WaitingPeriod
    process_while_waiting: bool = False


class Deadlines(_Spec, frozen=True):
    """Rights request deadlines (DS7)."""

    response_months: Annotated[int, Meta(ge=1)]
    max_extension_months: Annotated[int, Meta(ge=0)]
    tell_extension_within_months: Annotated[int, Meta(ge=1)]


class DoubleOptIn(_Spec, frozen=True):
    """Double opt-in defaults (W3)."""

    recommended: bool = True
    token_lifetime_hours: Annotated[int, Meta(ge=1)] = 72
    resend_interval_minutes: Annotated[int, Meta(ge=1)] = 10


class Blocklist(_Spec, frozen=True):
    """What happens when a new record matches a blocklisted subject (B1)."""

    refuse_matches: bool = False


class BundlingMarkers(_Spec, frozen=True):
    """Words that show a consent text also covers other purposes or terms, per language (P3)."""

    en: list[Name] = []
    nl: list[Name] = []


class FormParameters(_Spec, frozen=True):
    """What the form check looks for in a web form (W2, P3)."""

    special_category_hints: Annotated[
        list[Name],
        Meta(
            description="Parts of field api names (lower case) that suggest special categories (Art. 9) or national identifiers (Art. 87)"
        ),
    ] = []
    bundling_markers: Annotated[
        BundlingMarkers,
        Meta(description="Words at the start of a word in a consent text that show it bundles other purposes or terms"),
    ] = BundlingMarkers()


class Default(_Spec, frozen=True):
    """What a question answers when no allow or deny rule matches."""

    effect: Literal["allow", "deny"]
    reason: Text


class Parameters(_Spec, frozen=True):
    """parameters.yaml: the numbers and lists of the GDPR that rules and the service use."""

    modules: ModuleScope
    personal_fields: PersonalFields
    channels: Channels
    bases: list[Basis]
    consent: ConsentParameters
    deadlines: Deadlines
    defaults: dict[Question, Default]
    double_opt_in: DoubleOptIn = DoubleOptIn()
    blocklist: Blocklist = Blocklist()
    forms: FormParameters = FormParameters()
    retention: Annotated[
        dict[str, list[str]],
        Meta(description="Erasure (DS3): field api names kept on a ground, by ground name; rules name the ground"),
    ] = {}
    transfer_mechanisms: Annotated[
        list[str], Meta(description="Mechanisms a controller may record for data held outside the EEA (X2)")
    ] = []


class Rule(_Spec, frozen=True):
    """One rule: when its condition holds, it allows, denies, warns or exempts."""

    id: RuleId
    questions: Annotated[list[Question], Meta(min_length=1)]
    when: Annotated[str, Meta(min_length=1, description="Condition over named facts")]
    effect: Effect
    reason: Text
    gdpr: Annotated[str, Meta(description="Article of the GDPR, e.g. Art. 6(1)(a)")]
    behaviours: list[str] = []


class RulesFile(_Spec, frozen=True):
    """A file of rules."""

    rules: list[Rule]


class FieldExpectation(_Spec, frozen=True):
    """What a test expects for one field of a field release."""

    effect: Literal["allow", "deny"]
    decided_by: str | None = None


class Expectation(_Spec, frozen=True):
    """What a rule test expects the decision to be."""

    effect: Literal["allow", "deny"]
    decided_by: str | None = None
    matched: list[str] | None = None
    warnings: list[str] | None = None
    fields: dict[str, FieldExpectation | Literal["allow", "deny"]] | None = None


class Case(_Spec, frozen=True):
    """One rule test: given facts, expect a decision."""

    name: Name
    question: Question
    at: dt.datetime
    expect: Expectation
    given: dict[str, Any] = {}


class TestsFile(_Spec, frozen=True):
    """A file of rule tests; `defaults` is merged under every case's `given`."""

    cases: list[Case]
    defaults: dict[str, Any] = {}
