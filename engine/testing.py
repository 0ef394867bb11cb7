"""Run the rule tests that live beside the rules: given facts, expect a decision."""

from __future__ import annotations

from typing import Any

import msgspec

from .decision import Decision, DecisionRequest, RulesetRef
from .errors import LawfulError
from .evaluator import evaluate
from .loader import Located, RuleFiles
from .model import Case, Expectation, FieldExpectation
from .ruleset import Ruleset


class CaseResult(msgspec.Struct, frozen=True):
    """The outcome of one rule test."""

    name: str
    file: str
    line: int
    failures: tuple[str, ...]
    matched: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.failures


class TestReport(msgspec.Struct, frozen=True):
    """Every case of one ruleset version, and the rules that no case exercised."""

    ruleset: RulesetRef
    results: tuple[CaseResult, ...]
    uncovered: tuple[str, ...]
    unreachable: tuple[str, ...]
    rule_count: int

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    @property
    def failed(self) -> tuple[CaseResult, ...]:
        return tuple(r for r in self.results if not r.passed)


def run_rule_tests(files: RuleFiles, ruleset: Ruleset) -> TestReport:
    """Evaluate every case of a version against its compiled ruleset."""
    results = tuple(_run_case(located, ruleset) for located in files.tests)
    touched = {rule for result in results for rule in result.matched}
    uncovered = tuple(r.id for r in ruleset.rules if r.id not in touched and r.reachable)
    unreachable = tuple(r.id for r in ruleset.rules if not r.reachable)
    return TestReport(ruleset.ref, results, uncovered, unreachable, len(ruleset.rules))


def matched_rules(decision: Decision) -> tuple[str, ...]:
    """Return every rule id a decision names, at the top and on each field."""
    ids = [decision.decided_by, *(r.rule for r in decision.reasons), *(w.rule for w in decision.warnings)]
    for field in decision.fields or ():
        ids += [field.decided_by, *(r.rule for r in field.reasons), *(w.rule for w in field.warnings)]
    return tuple(dict.fromkeys(ids))


def _run_case(located: Located[Case], ruleset: Ruleset) -> CaseResult:
    case = located.item
    data: dict[str, Any] = {**case.given, "question": case.question, "at": case.at}
    try:
        request = msgspec.convert(data, DecisionRequest, strict=False)
        decision = evaluate(ruleset, request)
    except msgspec.ValidationError as exc:
        return CaseResult(
            case.name, located.file, located.line_of("given"), (f"given is not a valid request: {exc}",), ()
        )
    except LawfulError as exc:
        return CaseResult(case.name, located.file, located.line_of("given"), (f"the request was refused: {exc}",), ())
    failures = _compare(case.expect, decision)
    return CaseResult(case.name, located.file, located.line, tuple(failures), matched_rules(decision))


def _compare(expect: Expectation, decision: Decision) -> list[str]:
    failures: list[str] = []
    if decision.effect != expect.effect:
        failures.append(f"expected effect {expect.effect}, got {decision.effect} (decided by {decision.decided_by})")
    if expect.decided_by is not None and decision.decided_by != expect.decided_by:
        failures.append(f"expected decided_by {expect.decided_by}, got {decision.decided_by}")
    named = set(matched_rules(decision))
    for rule in expect.matched or ():
        if rule not in named:
            failures.append(f"expected rule {rule} to match; matched: {', '.join(sorted(named))}")
    if expect.warnings is not None:
        got = sorted({w.rule for w in decision.warnings})
        if got != sorted(set(expect.warnings)):
            failures.append(f"expected warnings {sorted(set(expect.warnings))}, got {got}")
    if expect.fields is not None:
        by_name = {f.field: f for f in decision.fields or ()}
        for name, wanted in expect.fields.items():
            want = wanted if isinstance(wanted, FieldExpectation) else FieldExpectation(effect=wanted)
            got_field = by_name.get(name)
            if got_field is None:
                failures.append(f"expected a decision for field {name}, found none")
            elif got_field.effect != want.effect:
                failures.append(
                    f"field {name}: expected {want.effect}, got {got_field.effect} (decided by {got_field.decided_by})"
                )
            elif want.decided_by is not None and got_field.decided_by != want.decided_by:
                failures.append(f"field {name}: expected decided_by {want.decided_by}, got {got_field.decided_by}")
    return failures
