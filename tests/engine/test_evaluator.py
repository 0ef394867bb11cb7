"""Evaluation of the shipped rules: golden cases, request errors, version selection."""

import datetime as dt

import msgspec
import pytest

from engine import (
    ConsentFacts,
    DecisionRequest,
    FieldFacts,
    ModuleFacts,
    NotFoundError,
    RecordFacts,
    RequestError,
    Settings,
    compile_ruleset,
    diff_rulesets,
    evaluate,
    find_versions,
    load_library,
    load_rules,
    run_rule_tests,
)
from tests.conftest import RULES

UTC = dt.timezone.utc
LIBRARY = load_library(RULES)


@pytest.mark.parametrize("version", find_versions(RULES), ids=lambda p: p.name)
def test_golden_cases_beside_the_rules_pass_and_cover_every_rule(version):
    files = load_rules(version)
    report = run_rule_tests(files, compile_ruleset(files))
    assert [(r.name, r.failures) for r in report.failed] == []
    assert report.uncovered == ()
    assert len(report.results) >= 35


def request(**overrides):
    base = dict(
        question="processing",
        at=dt.datetime(2026, 3, 1, tzinfo=UTC),
        module=ModuleFacts(name="Leads"),
        settings=Settings(compliance_enabled=True, modules=frozenset({"Leads"})),
        record=RecordFacts(basis="contract"),
    )
    base.update(overrides)
    return DecisionRequest(**base)


def test_decision_names_ruleset_version_and_digest():
    decision = evaluate(LIBRARY.active(dt.datetime(2026, 3, 1, tzinfo=UTC)), request())
    assert decision.ruleset.version == "2026.1"
    assert decision.ruleset.digest.startswith("sha256:") and len(decision.ruleset.digest) == 71
    assert decision.decided_by == "basis.contract.allows"
    assert decision.reasons[0].gdpr == "Art. 6(1)(b)"


def test_reasons_in_dutch():
    decision = evaluate(LIBRARY.versions[0], request(lang="nl"))
    assert decision.reasons[0].message.startswith("Verwerking is noodzakelijk voor een overeenkomst")


def test_missing_part_of_a_request_is_a_clear_error():
    with pytest.raises(RequestError) as caught:
        evaluate(LIBRARY.versions[0], request(question="field_release", fields=(FieldFacts(name="Email"),)))
    assert caught.value.code == "request.missing"
    assert (
        str(caught.value)
        == "request.missing: question 'field_release' needs 'channel' (a channel name), found nothing - at $.channel"
    )


def test_unknown_value_in_a_request_says_what_was_expected():
    with pytest.raises(RequestError) as caught:
        evaluate(LIBRARY.versions[0], request(record=RecordFacts(basis="concent")))
    assert caught.value.code == "request.unknown_value"
    assert "unknown record.basis 'concent': expected one of" in caught.value.message
    assert "did you mean 'consent'?" in caught.value.message and caught.value.message.endswith("at $.record.basis")


def test_naive_instants_are_refused_when_decoding():
    with pytest.raises(msgspec.ValidationError, match="Expected `datetime` with a timezone component"):
        msgspec.json.decode(
            b'{"question": "processing", "at": "2026-03-01T10:00:00", "module": {"name": "Leads"}}',
            type=DecisionRequest,
        )


def test_active_version_follows_the_requests_instant_in_utc():
    assert LIBRARY.active(dt.datetime(2026, 6, 30, 23, 59, tzinfo=UTC)).version == "2026.1"
    assert LIBRARY.active(dt.datetime(2026, 7, 1, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))).version == "2026.1"
    assert LIBRARY.active(dt.datetime(2026, 7, 1, 0, 0, tzinfo=UTC)).version == "2026.2"
    assert LIBRARY.active(dt.datetime(2026, 8, 1, tzinfo=UTC), pin="2026.1").version == "2026.1"


def test_no_version_in_effect_and_unknown_pin():
    with pytest.raises(NotFoundError, match="takes effect on 2026-01-01"):
        LIBRARY.active(dt.datetime(2025, 12, 31, tzinfo=UTC))
    with pytest.raises(NotFoundError, match="did you mean '2026.1'"):
        LIBRARY.active(dt.datetime(2026, 8, 1, tzinfo=UTC), pin="2026.01")


def test_the_two_shipped_versions_differ_in_behaviour():
    sensitive = FieldFacts(name="National_ID", classification="sensitive")
    ask = request(
        question="field_release",
        channel="third_party_apps",
        fields=(sensitive,),
        settings=Settings(
            compliance_enabled=True, modules=frozenset({"Leads"}), withheld=frozenset({"export.sensitive"})
        ),
    )
    old, new = LIBRARY.get("2026.1"), LIBRARY.get("2026.2")
    assert evaluate(old, ask).effect == "allow"
    assert evaluate(new, ask).decided_by == "release.sensitive.third_party.never"
    diff = diff_rulesets(old, new)
    assert diff.added == ("release.sensitive.third_party.never",)
    assert [p.path for p in diff.parameters] == [
        "bases.legitimate_interests.review_months",
        "consent.waiting_period.default_days",
    ]


def test_c3_waiting_period_over_before_any_sweep():
    deadline = dt.datetime(2026, 3, 31, 9, tzinfo=UTC)
    waiting = RecordFacts(basis="consent", consent=ConsentFacts(status="waiting", deadline=deadline))
    before = evaluate(LIBRARY.versions[0], request(record=waiting, at=deadline - dt.timedelta(seconds=1)))
    after = evaluate(LIBRARY.versions[0], request(record=waiting, at=deadline))
    assert before.decided_by == "consent.waiting.stops_processing"
    assert after.decided_by == "consent.no_response.stops_processing"
    assert [w.rule for w in after.warnings] == ["consent.waiting_period.ended"]
