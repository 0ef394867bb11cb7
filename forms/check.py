"""The form check (W2): turn a form and its module's layout into facts, ask the engine, report per part."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Literal

from msgspec import UNSET, Struct

from engine import (
    ConsentBoxFacts,
    CrmFieldFacts,
    Decision,
    DecisionRequest,
    FieldFacts,
    FormFacts,
    FormItemFacts,
    Lang,
    ModuleFacts,
    RequestError,
    Ruleset,
    Settings,
    evaluate,
)

from .model import Field, Form

Outcome = Literal["publishable", "publishable-with-warnings", "rejected"]
Severity = Literal["error", "warning", "note"]
_SEVERITY: dict[str, Severity] = {"deny": "error", "warn": "warning", "allow": "note", "exempt": "note"}


class FormProblem(Struct, frozen=True, omit_defaults=True):
    """One finding of the form check: the rule, how serious, what it says, and where in the form."""

    rule: str
    severity: Severity
    message: str
    pointer: str
    crm_field: str | None = None
    gdpr: str | None = None


class FormReport(Struct, frozen=True):
    """Whether a form may be published, with every error and warning (problems) and note."""

    outcome: Outcome
    problems: tuple[FormProblem, ...]
    notes: tuple[FormProblem, ...]
    decision: Decision

    @property
    def publishable(self) -> bool:
        """Tell whether the form may be published (perhaps with warnings)."""
        return self.outcome != "rejected"


def form_facts(form: Form, module: ModuleFacts) -> FormFacts:
    """Describe a form as the engine's form check sees it: the form, its properties, conditions, required fields."""
    layout = {f.name: f for f in module.fields}
    items = [FormItemFacts(name="", kind="form")]
    covered: set[str] = set()
    for field, required in _leaves(form.fields, True):
        if field.crm_field is not None and (required or field.default is not UNSET):
            covered.add(field.crm_field)
        items.append(
            FormItemFacts(
                name=field.pointer,
                kind="property",
                crm_field=_crm_field(field.crm_field, layout),
                write_only=field.write_only,
                consent_box=_consent_box(field),
            )
        )
    items += [FormItemFacts(name=c.pointer, kind="condition", guarded=c.guarded) for c in form.conditions]
    for needed in module.fields:
        if needed.required and needed.subform is None and needed.name not in covered:
            filled_by: Literal["defaults", "nothing"] = "defaults" if needed.name in form.crm_defaults else "nothing"
            items.append(
                FormItemFacts(
                    name=f"/x-crm-defaults/{needed.name}",
                    kind="required_field",
                    filled_by=filled_by,
                    crm_field=_crm_field(needed.name, layout),
                )
            )
    return FormFacts(double_opt_in=form.double_opt_in, items=tuple(items))


def _leaves(fields: tuple[Field, ...], required: bool) -> Iterator[tuple[Field, bool]]:
    """Yield every property that holds a value, and whether every submission must give it."""
    for field in fields:
        always = required and field.required
        if field.widget == "group":
            yield from _leaves(field.children, always)
        elif field.widget == "items":
            yield from _leaves(field.children, always and field.min_items >= 1)
        else:
            yield field, always


def _crm_field(name: str | None, layout: dict[str, FieldFacts]) -> CrmFieldFacts:
    found = layout.get(name) if name is not None else None
    if found is None:
        return CrmFieldFacts(name=name)
    return CrmFieldFacts(
        name=name,
        exists=True,
        type=found.type,
        classification=found.classification,
        encrypted=found.encrypted,
        read_only=found.read_only,
    )


def _consent_box(field: Field) -> ConsentBoxFacts:
    if field.consent is None:
        return ConsentBoxFacts()
    return ConsentBoxFacts(
        present=True,
        checkbox=field.type == "boolean",
        pre_ticked=field.default is True,
        purposes=field.consent.purposes,
        text_en=field.consent.text.en,
        text_nl=field.consent.text.nl,
    )


def check_form(
    form: Form, ruleset: Ruleset, module: ModuleFacts, *, settings: Settings, at: dt.datetime, lang: Lang = "en"
) -> FormReport:
    """Ask the engine whether a form may be published (W2).

    Args:
        form: the form to publish.
        ruleset: the ruleset version in effect.
        module: the layout of the form's module: field types, flags and personal marking.
        settings: the controller's settings (compliance on, modules in scope).
        at: the instant of the check.
        lang: the language of the messages.

    Returns:
        The outcome, each error and warning with its rule, message and JSON pointer, notes, and the decision.
    """
    if module.name != form.module:
        raise RequestError(
            "form.module_mismatch",
            f"the form writes to module {form.module!r}, the layout given is of {module.name!r} - at $.module",
        )
    facts = form_facts(form, module)
    decision = evaluate(
        ruleset, DecisionRequest(question="form_check", at=at, module=module, settings=settings, form=facts, lang=lang)
    )
    names = {item.name: item.crm_field.name for item in facts.items}
    findings = [
        FormProblem(
            reason.rule, _SEVERITY[reason.effect], reason.message, result.field, names.get(result.field), reason.gdpr
        )
        for result in decision.fields or ()
        for reason in (*result.reasons, *result.warnings)
        if not reason.rule.endswith(".default")
    ]
    # Errors first, then warnings; within each, in the order of the form.
    problems = tuple(sorted((f for f in findings if f.severity != "note"), key=lambda f: f.severity != "error"))
    outcome: Outcome = (
        "rejected" if decision.effect == "deny" else "publishable-with-warnings" if problems else "publishable"
    )
    return FormReport(outcome, problems, tuple(f for f in findings if f.severity == "note"), decision)
