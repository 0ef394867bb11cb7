"""Invariants of evaluation: deterministic, independent of rule-file order, any matching deny wins."""

import dataclasses
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import compile_ruleset, evaluate, load_rules
from engine.evaluator import decide, fact_values
from tests.conftest import RULES

from .strategies import requests

FILES = load_rules(RULES / "2026.2")
RULESET = compile_ruleset(FILES)
SETTINGS = settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)


@SETTINGS
@given(requests())
def test_evaluation_is_deterministic(request):
    first = evaluate(RULESET, request)
    fresh = compile_ruleset(FILES)  # an empty memo: computed again from the rules
    assert evaluate(RULESET, request) == first
    assert evaluate(fresh, request) == first


@SETTINGS
@given(requests(), st.randoms(use_true_random=False))
def test_rule_file_order_does_not_matter(request, rng: random.Random):
    rules = list(FILES.rules)
    rng.shuffle(rules)
    shuffled = compile_ruleset(dataclasses.replace(FILES, rules=tuple(rules)))
    assert evaluate(shuffled, request) == evaluate(RULESET, request)


@SETTINGS
@given(requests())
def test_any_matching_deny_wins_unless_exempt(request):
    plan = RULESET.plans[request.question]
    targets = request.fields if plan.per_field else (request.field,)
    for field in targets:
        values = fact_values(plan, request, field)
        matched = [r for r in plan.rules if r.test(values)]
        outcome = decide(plan, request.lang, values)
        if any(r.effect == "exempt" for r in matched):
            assert outcome.effect == "allow"
        elif any(r.effect == "deny" for r in matched):
            assert outcome.effect == "deny"
            assert RULESET.rule(outcome.decided_by).effect == "deny"
        elif any(r.effect == "allow" for r in matched):
            assert outcome.effect == "allow"
        # every matching rule is reported, as a reason or a warning
        reported = {r.rule for r in outcome.reasons} | {w.rule for w in outcome.warnings}
        if not any(r.effect == "exempt" for r in matched):
            assert {r.id for r in matched} <= reported
