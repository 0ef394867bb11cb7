"""What a decision is asked with and what it answers."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from msgspec import Meta, Struct

from .model import Lang, Question

AwareDatetime = Annotated[dt.datetime, Meta(tz=True, description="An instant with its UTC offset")]


class _Facts(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Base for request parts: immutable, unknown keys are mistakes."""


class Settings(_Facts, frozen=True):
    """The controller's settings that decisions depend on (S1, S3, F5)."""

    compliance_enabled: bool = False
    modules: frozenset[str] = frozenset()
    withheld: Annotated[
        frozenset[str] | None,
        Meta(
            description="channel.classification pairs the controller withholds, e.g. export.sensitive; "
            "null means the rule files' default_restrictions"
        ),
    ] = None


class FieldFacts(_Facts, frozen=True):
    """One field of a module: its type and how it is marked (F1, F4, F6)."""

    name: Annotated[str, Meta(min_length=1)]
    type: str = "text"
    classification: str = "none"
    encrypted: bool = False
    subform: str | None = None
    read_only: bool = False
    required: bool = False


class ModuleFacts(_Facts, frozen=True):
    """The module a record or field belongs to, with its field layout."""

    name: Annotated[str, Meta(min_length=1)]
    custom: bool = False
    fields: tuple[FieldFacts, ...] = ()


class ConsentFacts(_Facts, frozen=True):
    """The stored consent status and, while waiting, when the waiting period ends (C2, C3)."""

    status: str = "not_requested"
    deadline: AwareDatetime | None = None


class RecordFacts(_Facts, frozen=True):
    """What is known about one record (P1, P2, DS4, W3)."""

    id: str | None = None
    basis: str = "not_applicable"
    has_lia: bool = False
    restricted: bool = False
    awaiting_confirmation: bool = False
    blocklisted: bool = False
    consent: ConsentFacts = ConsentFacts()


class CrmFieldFacts(_Facts, frozen=True):
    """The CRM field a part of a form writes, or needs, as the module's layout describes it."""

    name: str | None = None
    exists: bool = False
    type: str = "none"
    classification: str = "none"
    encrypted: bool = False
    read_only: bool = False


class ConsentBoxFacts(_Facts, frozen=True):
    """A consent box of a form: how it is set up and what it says (P3)."""

    present: bool = False
    checkbox: bool = True
    pre_ticked: bool = False
    purposes: tuple[str, ...] = ()
    text_en: str = ""
    text_nl: str = ""


FormItemKind = Literal["form", "property", "condition", "required_field"]


class FormItemFacts(_Facts, frozen=True):
    """One part of a web form the form check judges; `name` is its JSON pointer in the form's schema (W2)."""

    name: str
    kind: FormItemKind
    crm_field: CrmFieldFacts = CrmFieldFacts()
    write_only: bool = False
    consent_box: ConsentBoxFacts = ConsentBoxFacts()
    guarded: bool = True
    filled_by: Literal["subject", "defaults", "nothing"] = "subject"


class FormFacts(_Facts, frozen=True):
    """A web form as the form check sees it: its parts, the form itself first (W1, W2)."""

    double_opt_in: bool = False
    items: tuple[FormItemFacts, ...] = ()


class DecisionRequest(_Facts, frozen=True):
    """A question with every fact it needs; `at` is the instant the answer is for."""

    question: Question
    at: AwareDatetime
    module: ModuleFacts
    settings: Settings = Settings()
    record: RecordFacts | None = None
    channel: str | None = None
    fields: tuple[FieldFacts, ...] = ()
    field: FieldFacts | None = None
    form: FormFacts | None = None
    lang: Lang = "en"


class Reason(Struct, frozen=True, omit_defaults=True):
    """Why: the rule that matched, its effect, its message and the GDPR article."""

    rule: str
    effect: str
    message: str
    gdpr: str | None = None


class RulesetRef(Struct, frozen=True):
    """The ruleset version that made a decision, so that it can be reproduced (A2)."""

    name: str
    version: str
    digest: str


class FieldDecision(Struct, frozen=True):
    """The answer for one field of a field release."""

    field: str
    effect: Literal["allow", "deny"]
    decided_by: str
    reasons: tuple[Reason, ...]
    warnings: tuple[Reason, ...] = ()


class Outcome(Struct, frozen=True):
    """The part of an answer that depends only on the facts, so it can be shared."""

    effect: Literal["allow", "deny"]
    decided_by: str
    reasons: tuple[Reason, ...]
    warnings: tuple[Reason, ...]


class Decision(Struct, frozen=True):
    """An answer with every reason, the deciding rule and the ruleset that gave it."""

    question: Question
    effect: Literal["allow", "deny"]
    decided_by: str
    reasons: tuple[Reason, ...]
    ruleset: RulesetRef
    at: dt.datetime
    warnings: tuple[Reason, ...] = ()
    fields: tuple[FieldDecision, ...] | None = None
    record_id: str | None = None
