"""Answer a question from a compiled ruleset: pure, no I/O, no clock; the time is in the request."""

from __future__ import annotations

from typing import Any

from .decision import (
    Decision,
    DecisionRequest,
    FieldDecision,
    FieldFacts,
    Outcome,
    Reason,
)
from .errors import RequestError, expected_one_of
from .ruleset import CACHE_LIMIT, QuestionPlan, Ruleset

_NEEDS: dict[str, tuple[tuple[str, str], ...]] = {
    "field_release": (("record", "the record's basis, consent and restriction"), ("channel", "a channel name")),
    "processing": (("record", "the record's basis, consent and restriction"),),
    "field_marking": (("field", "the field to mark, with its new classification"),),
}


def evaluate(ruleset: Ruleset, request: DecisionRequest) -> Decision:
    """Answer `request` with every matching rule as a reason and the deciding rule named.

    Args:
        ruleset: a compiled ruleset version.
        request: the question, the instant it is asked for, and the facts.

    Returns:
        The decision, carrying the ruleset's name, version and digest.
    """
    plan = ruleset.plans[request.question]
    for part, what in _NEEDS[request.question]:
        if getattr(request, part) is None:
            raise RequestError("request.missing", f"question '{request.question}' needs '{part}' ({what}), found nothing - at $.{part}")
    values = tuple(read(request) for read in plan.request_readers)
    record_id = request.record.id if request.record is not None else None
    if not plan.per_field:
        if plan.field_readers:
            values += tuple(read(request, request.field) for read in plan.field_readers)
        outcome = _outcome(plan, request.lang, values)
        return Decision(request.question, outcome.effect, outcome.decided_by, outcome.reasons, ruleset.ref, request.at,
                        outcome.warnings, None, record_id)
    fields = request.fields or request.module.fields
    results = tuple(_field_decision(plan, request, values, f) for f in fields)
    return _combine(request, results, ruleset, record_id)


def _field_decision(plan: QuestionPlan, request: DecisionRequest, values: tuple[Any, ...], field: FieldFacts) -> FieldDecision:
    outcome = _outcome(plan, request.lang, values + tuple(read(request, field) for read in plan.field_readers))
    return FieldDecision(field.name, outcome.effect, outcome.decided_by, outcome.reasons, outcome.warnings)


def _combine(request: DecisionRequest, results: tuple[FieldDecision, ...], ruleset: Ruleset, record_id: str | None) -> Decision:
    withheld = next((r for r in results if r.effect == "deny"), None)
    deciding = withheld or (results[0] if results else None)
    if deciding is None:
        raise RequestError("request.missing", "question 'field_release' needs at least one field, found none - at $.fields")
    effect = "deny" if withheld is not None else "allow"
    # The top-level reasons explain the top-level effect: those of the fields that share it.
    reasons = tuple(dict.fromkeys(reason for r in results if r.effect == effect for reason in r.reasons))
    warnings = tuple(dict.fromkeys(w for r in results for w in r.warnings))
    return Decision(request.question, effect, deciding.decided_by, reasons, ruleset.ref, request.at, warnings, results, record_id)


def _outcome(plan: QuestionPlan, lang: str, values: tuple[Any, ...]) -> Outcome:
    key = (lang, values)
    outcome = plan.memo.get(key)
    if outcome is None:
        _check_domains(plan, values)
        outcome = decide(plan, lang, values)
        if len(plan.memo) >= CACHE_LIMIT:
            plan.memo.clear()
        plan.memo[key] = outcome
    return outcome


def _check_domains(plan: QuestionPlan, values: tuple[Any, ...]) -> None:
    for slot, name, path, domain in plan.domains:
        if values[slot] not in domain:
            raise RequestError("request.unknown_value", f"{expected_one_of(name, values[slot], domain)} - at {path}")


def decide(plan: QuestionPlan, lang: str, values: tuple[Any, ...]) -> Outcome:
    """Combine every matching rule: an exemption ends it, deny overrides allow, warnings add up."""
    matched = [rule for rule in plan.rules if rule.test(values)]

    def reason(rule: Any) -> Reason:
        return Reason(rule.id, rule.effect, plan.messages[(rule.id, lang)], rule.rule.gdpr)

    exempt = [r for r in matched if r.effect == "exempt"]
    if exempt:
        return Outcome("allow", exempt[0].id, tuple(reason(r) for r in exempt), ())
    denies = [r for r in matched if r.effect == "deny"]
    allows = [r for r in matched if r.effect == "allow"]
    warnings = tuple(reason(r) for r in matched if r.effect == "warn")
    if not denies and not allows:
        default = plan.defaults[lang]
        return Outcome(default.effect, default.decided_by, default.reasons, warnings)
    effect = "deny" if denies else "allow"
    reasons = tuple(reason(r) for r in denies + allows)
    return Outcome(effect, reasons[0].rule, reasons, warnings)
