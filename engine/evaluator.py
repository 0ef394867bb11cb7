"""Answer a question from a compiled ruleset: pure, no I/O, no clock; the time is in the request.

Every answer depends only on the inputs its facts declare, so answers are remembered by those
inputs: a warm decision reads them with one `attrgetter` call, looks the answer up, and wraps
it with the request's instant and the ruleset's reference.
"""

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
from .ruleset import CACHE_LIMIT, CompiledRule, QuestionPlan, Ruleset

_NEEDS: dict[str, tuple[tuple[str, str], ...]] = {
    "field_release": (("record", "the record's basis, consent and restriction"), ("channel", "a channel name")),
    "processing": (("record", "the record's basis, consent and restriction"),),
    "field_marking": (("field", "the field to mark, with its new classification"),),
    "record_add": (("record", "whether the new record matches the blocklist"),),
    "form_check": (("form", "the form's parts: the form itself, its properties, conditions and required fields"),),
    "erasure": (("record", "the record's basis"),),
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
    if request.at.tzinfo is None:  # decoding refuses these; a request built in Python may not
        raise RequestError(
            "request.naive_instant", "expected an instant with its UTC offset, found a naive datetime - at $.at"
        )
    record = request.record
    record_id = record.id if record is not None else None
    if plan.per_field:
        effect, decided_by, reasons, warnings, results = _answer_fields(plan, request)
        return Decision(
            request.question, effect, decided_by, reasons, ruleset.ref, request.at, warnings, results, record_id
        )
    outcome = _answer_one(plan, request)
    return Decision(
        request.question,
        outcome.effect,
        outcome.decided_by,
        outcome.reasons,
        ruleset.ref,
        request.at,
        outcome.warnings,
        None,
        record_id,
    )


def _answer_one(plan: QuestionPlan, request: DecisionRequest) -> Outcome:
    try:
        key = (
            request.lang,
            plan.request_key(request),
            plan.field_key(request, request.field) if plan.field_readers else (),
        )
    except AttributeError:
        _raise_missing(request)
        raise
    outcome = plan.memo.get(key)
    if outcome is None:
        outcome = _remember(plan.memo, key, _decide_for(plan, request, request.field, request.lang))
    return outcome  # type: ignore[no-any-return]


def _items(request: DecisionRequest) -> tuple[Any, ...]:
    if request.question == "form_check":
        if request.form is None:
            _raise_missing(request)
        if not request.form.items:  # type: ignore[union-attr]
            raise RequestError(
                "request.missing", "question 'form_check' needs at least one form item, found none - at $.form.items"
            )
        return request.form.items  # type: ignore[union-attr]
    fields = request.fields or request.module.fields
    if not fields:
        raise RequestError(
            "request.missing", f"question '{request.question}' needs at least one field, found none - at $.fields"
        )
    return fields


def _answer_fields(plan: QuestionPlan, request: DecisionRequest) -> tuple[Any, ...]:
    fields = _items(request)
    field_key = plan.field_key
    try:
        if request.channel is None and request.question == "field_release":
            raise AttributeError("channel")
        key = plan.request_key(request)
        keys = (field_key(request, fields[0]),) if len(fields) == 1 else tuple([field_key(request, f) for f in fields])
    except AttributeError:
        _raise_missing(request)
        raise
    combined = plan.combined.get((request.lang, key, keys))
    if combined is None:
        combined = _remember(
            plan.combined, (request.lang, key, keys), _combine(_field_results(plan, request, key, fields, keys))
        )
    return combined  # type: ignore[no-any-return]


def _raise_missing(request: DecisionRequest) -> None:
    for part, what in _NEEDS[request.question]:
        if getattr(request, part) is None:
            raise RequestError(
                "request.missing", f"question '{request.question}' needs '{part}' ({what}), found nothing - at $.{part}"
            )


def _remember(memo: dict[Any, Any], key: Any, value: Any) -> Any:
    if len(memo) >= CACHE_LIMIT:
        memo.clear()
    memo[key] = value
    return value


def _field_results(
    plan: QuestionPlan,
    request: DecisionRequest,
    key: tuple[Any, ...],
    fields: tuple[FieldFacts, ...],
    keys: tuple[tuple[Any, ...], ...],
) -> tuple[FieldDecision, ...]:
    results = []
    for field, field_key in zip(fields, keys, strict=True):
        result = plan.memo.get((request.lang, key, field_key))
        if result is None:
            outcome = _decide_for(plan, request, field, request.lang)
            result = FieldDecision(field.name, outcome.effect, outcome.decided_by, outcome.reasons, outcome.warnings)
            _remember(plan.memo, (request.lang, key, field_key), result)
        results.append(result)
    return tuple(results)


def _combine(results: tuple[FieldDecision, ...]) -> tuple[Any, ...]:
    withheld = next((r for r in results if r.effect == "deny"), None)
    deciding = withheld or results[0]
    effect = "deny" if withheld is not None else "allow"
    # The top-level reasons explain the top-level effect: those of the fields that share it.
    reasons = tuple(dict.fromkeys(reason for r in results if r.effect == effect for reason in r.reasons))
    warnings = tuple(dict.fromkeys(w for r in results for w in r.warnings))
    return effect, deciding.decided_by, reasons, warnings, results


def fact_values(plan: QuestionPlan, request: DecisionRequest, field: FieldFacts | None) -> tuple[Any, ...]:
    """Read every fact a question's rules use, in the plan's order."""
    values = tuple(read(request) for read in plan.request_readers)
    if plan.field_readers:
        values += tuple(read(request, field) for read in plan.field_readers)
    return values


def _decide_for(plan: QuestionPlan, request: DecisionRequest, field: FieldFacts | None, lang: str) -> Outcome:
    values = fact_values(plan, request, field)
    for check in plan.checks:
        check(request)
    for slot, name, path, domain in plan.domains:
        if values[slot] not in domain:
            raise RequestError("request.unknown_value", f"{expected_one_of(name, values[slot], domain)} - at {path}")
    return decide(plan, lang, values)


def decide(plan: QuestionPlan, lang: str, values: tuple[Any, ...]) -> Outcome:
    """Combine every matching rule: an exemption ends it, deny overrides allow, warnings add up."""
    matched = [rule for rule in plan.rules if rule.test(values)]

    def reason(rule: CompiledRule) -> Reason:
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
    reasons = tuple(reason(r) for r in denies + allows)
    return Outcome("deny" if denies else "allow", reasons[0].rule, reasons, warnings)
