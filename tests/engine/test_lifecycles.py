"""Lifecycles: the rule files' transitions, run on durable-rules, checked against plain Python."""

import itertools

import pytest

from engine import (
    RuleFileError,
    StatechartError,
    compile_ruleset,
    find_versions,
    guard_cases,
    load_rules,
)
from engine.compiler import _domains
from tests.conftest import RULES

VERSIONS = {p.name: compile_ruleset(load_rules(p)) for p in find_versions(RULES)}


def every_case(ruleset, name):
    lifecycle = ruleset.lifecycles[name]
    cases = guard_cases(lifecycle, _domains(ruleset.parameters))
    return [
        (state, event, facts)
        for state, event in itertools.product(lifecycle.states, lifecycle.events)
        for facts in cases
    ]


@pytest.mark.parametrize("version", sorted(VERSIONS))
@pytest.mark.parametrize("name", ["consent", "basis"])
def test_durable_rules_gives_exactly_the_declared_transition(version, name):
    ruleset = VERSIONS[version]
    chart, lifecycle = ruleset.statecharts[name], ruleset.lifecycles[name]
    seen_allowed = seen_refused = 0
    for state, event, facts in every_case(ruleset, name):
        declared = lifecycle.answer(state, event, facts)
        # Statechart.apply compares durable-rules' answer with the declared one and raises on any mismatch.
        got = chart.apply(state, event, facts)
        assert (got.allowed, got.rule, got.to) == (declared.allowed, declared.rule, declared.to), (state, event, facts)
        seen_allowed += got.allowed
        seen_refused += not got.allowed
    assert seen_allowed and seen_refused


def test_c2_consent_statuses_and_re_requests():
    consent = VERSIONS["2026.1"].statecharts["consent"]
    email = {"event.channel": "email"}
    assert consent.apply("not_requested", "request_sent", email).to == "waiting"
    assert consent.apply("waiting", "answer_obtained", email).to == "obtained"
    assert consent.apply("waiting", "answer_denied", email).to == "denied"
    assert consent.apply("waiting", "deadline_passed", {}).to == "no_response"
    assert consent.apply("obtained", "withdrawn", {"event.channel": "portal"}).to == "withdrawn"
    for again in ("no_response", "withdrawn"):
        assert consent.apply(again, "request_sent", email).to == "waiting"
    refused = consent.apply("denied", "request_sent", email)
    assert not refused.allowed and refused.rule == "consent.request.sent"
    assert refused.message == (
        "consent: no transition from 'denied' on 'request_sent'; rule(s) consent.request.sent "
        "allow it only from: no_response, not_requested, withdrawn"
    )


def test_c1_a_phone_answer_needs_who_took_it():
    consent = VERSIONS["2026.1"].statecharts["consent"]
    assert not consent.apply("waiting", "answer_obtained", {"event.channel": "phone"}).allowed
    assert consent.apply("waiting", "answer_obtained", {"event.channel": "phone", "event.taken_by": "agent7"}).allowed


def test_p2_p6_legitimate_interests_guards():
    basis = VERSIONS["2026.1"].statecharts["basis"]
    assert not basis.apply("not_applicable", "set_legitimate_interests", {"record.has_lia": False}).allowed
    assert basis.apply("contract", "set_legitimate_interests", {"record.has_lia": True}).allowed
    after_withdrawal = {"record.has_lia": True, "consent.status": "withdrawn"}
    refused = basis.apply("consent", "set_legitimate_interests", after_withdrawal)
    assert not refused.allowed and refused.rule == "basis.consent_to_legitimate_interests"
    assert basis.apply(
        "consent", "set_legitimate_interests", {**after_withdrawal, "record.lia_after_consent_ended": True}
    ).allowed


def test_a_raising_action_refuses_the_event(tmp_path):
    ruleset = compile_ruleset(load_rules(RULES / "2026.1"))
    chart = ruleset.statecharts["consent"]

    def explode(stage, value):
        if stage == "action":
            raise RuntimeError("boom")
        return value

    chart.fault = explode
    with pytest.raises(StatechartError) as caught:
        chart.apply("waiting", "deadline_passed", {})
    assert caught.value.code == "lifecycle.engine_error"
    chart.fault = None
    assert chart.apply("waiting", "deadline_passed", {}).to == "no_response"  # the chart still works afterwards


@pytest.mark.parametrize(
    ("fault", "code"),
    [
        (lambda stage, value: None if stage == "read" else value, "lifecycle.no_result"),
        (
            lambda stage, value: {**value, "sid": "someone-else"} if stage == "read" and value else value,
            "lifecycle.wrong_session",
        ),
        (
            lambda stage, value: {**value, "to": "obtained"} if stage == "read" and value else value,
            "lifecycle.mismatch",
        ),
    ],
)
def test_a_missing_wrong_or_mismatched_answer_refuses_the_event(fault, code):
    chart = compile_ruleset(load_rules(RULES / "2026.1")).statecharts["consent"]
    chart.wait = 0.01
    chart.fault = fault
    with pytest.raises(StatechartError) as caught:
        chart.apply("waiting", "deadline_passed", {})
    assert caught.value.code == code


def test_many_more_sessions_than_durable_rules_keeps_alive():
    chart = VERSIONS["2026.2"].statecharts["consent"]
    for i in range(3000):  # durable-rules allows 1,024 live sessions per ruleset
        state = "waiting" if i % 2 else "not_requested"
        event = "deadline_passed" if i % 2 else "request_sent"
        outcome = chart.apply(state, event, {"event.channel": "email"})
        assert outcome.to == ("no_response" if i % 2 else "waiting")


def test_unknown_state_or_event_is_a_request_error():
    chart = VERSIONS["2026.1"].statecharts["consent"]
    with pytest.raises(Exception, match="unknown event 'sent'"):
        chart.apply("waiting", "sent", {})


def test_lifecycle_file_mistakes_are_load_errors(version_dir):
    version_dir.edit("lifecycles/consent.yaml", "    to: denied\n", "    to: refused\n")
    version_dir.edit("lifecycles/consent.yaml", "    event: deadline_passed\n", "    event: deadline_pased\n")
    version_dir.edit("lifecycles/basis.yaml", "    when: record.has_lia\n", "    when: record.has_lai\n")
    with pytest.raises(RuleFileError) as caught:
        compile_ruleset(load_rules(version_dir.root))
    messages = [str(p) for p in caught.value.problems]
    assert any("unknown state 'refused'" in m for m in messages)
    assert any("unknown event 'deadline_pased' - did you mean 'deadline_passed'?" in m for m in messages)
    assert any("unknown fact 'record.has_lai' - did you mean 'record.has_lia'?" in m for m in messages)


def test_overlapping_transitions_are_refused_at_load(version_dir):
    version_dir.edit(
        "lifecycles/basis.yaml",
        '    when: record.has_lia and (consent.status not in ["denied", "withdrawn"] or record.lia_after_consent_ended)\n',
        "    when: record.has_lia\n",
    )
    version_dir.edit(
        "lifecycles/basis.yaml",
        "    from: [not_applicable, contract, legal_obligation, vital_interests, public_task, legitimate_interests]\n",
        '    from: ["*"]\n',
    )
    with pytest.raises(RuleFileError) as caught:
        compile_ruleset(load_rules(version_dir.root))
    assert [p.code for p in caught.value.problems] == ["ambiguous_transition"]
