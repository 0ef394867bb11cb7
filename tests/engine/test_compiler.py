"""Loading and compiling: every mistake is found at load, all at once, with file and line."""

import pytest

from engine import RuleFileError, compile_ruleset, load_rules


def problems_of(root):
    with pytest.raises(RuleFileError) as caught:
        compile_ruleset(load_rules(root))
    return caught.value.problems


def test_unknown_fact_says_file_line_and_did_you_mean(version_dir):
    version_dir.edit("processing.yaml", 'consent.status == "obtained"', 'consnet.status == "obtained"')
    [problem] = problems_of(version_dir.root)
    assert problem.code == "unknown_fact"
    assert problem.line == 77
    assert problem.file == "rules/gdpr/2026.1/processing.yaml"
    assert "did you mean 'consent.status'?" in problem.message


def test_every_problem_is_reported_at_once_sorted_by_place(version_dir):
    version_dir.edit("processing.yaml", 'record.basis == "contract"', 'record.basis == "contrakt"')
    version_dir.edit("processing.yaml", "effect: deny", "effect: refuse")
    version_dir.edit(
        "marking.yaml",
        "module.personal_field_count >= params.personal_fields.limit",
        "module.personal_field_count >= params.personal_fields.limt",
    )
    version_dir.edit(
        "release.yaml", "when: field.personal and channel.restricted", "when: field.personal and (channel.restricted"
    )
    problems = problems_of(version_dir.root)
    codes = [p.code for p in problems]
    assert sorted(codes) == sorted(["unknown_value", "invalid_value", "unknown_parameter", "syntax"])
    assert [(p.file, p.line) for p in problems] == sorted((p.file, p.line) for p in problems)
    by_code = {p.code: p for p in problems}
    assert "'record.basis' is never 'contrakt' - did you mean 'contract'?" in by_code["unknown_value"].message
    assert "did you mean 'params.personal_fields.limit'?" in by_code["unknown_parameter"].message
    assert "Invalid enum value 'refuse'" in by_code["invalid_value"].message


def test_exact_text_of_a_load_error(version_dir):
    version_dir.edit("scope.yaml", "when: not compliance.enabled", "when: not compliance.enabld")
    [problem] = problems_of(version_dir.root)
    assert str(problem) == (
        "rules/gdpr/2026.1/scope.yaml:6: unknown_fact: rule compliance.disabled (field_release, processing, record_add): "
        "unknown fact 'compliance.enabld' - did you mean 'compliance.enabled'? (column 5)"
    )


def test_type_mismatch(version_dir):
    version_dir.edit("processing.yaml", "when: record.restricted", "when: record.restricted == 1")
    [problem] = problems_of(version_dir.root)
    assert problem.code == "type_mismatch"
    assert "compares a bool with a int" in problem.message


def test_a_condition_must_be_true_or_false(version_dir):
    version_dir.edit("processing.yaml", "when: record.restricted", "when: record.basis")
    assert [p.code for p in problems_of(version_dir.root)] == ["not_a_condition"]


def test_fact_not_available_for_the_question(version_dir):
    version_dir.edit("processing.yaml", "when: record.restricted", "when: record.restricted and channel.restricted")
    problems = problems_of(version_dir.root)
    assert [p.code for p in problems] == ["unknown_fact"]
    assert "(processing)" in problems[0].message


def test_duplicate_rule_id_names_the_first(version_dir):
    version_dir.edit("release.yaml", "id: release.sensitive.released", "id: release.channel_restricted")
    [problem] = problems_of(version_dir.root)
    assert problem.code == "duplicate_rule"
    assert "already used at rules/gdpr/2026.1/release.yaml:3" in problem.message


def test_duplicate_yaml_key_is_a_problem(version_dir):
    version_dir.edit("scope.yaml", "    effect: exempt\n", "    effect: exempt\n    effect: deny\n")
    [problem] = problems_of(version_dir.root)
    assert problem.code == "duplicate_key" and problem.line == 8


def test_yaml_syntax_error_has_a_line(version_dir):
    version_dir.edit("release.yaml", "  - id: release.sensitive.released", "  - id: [release.sensitive.released")
    [problem] = problems_of(version_dir.root)
    assert problem.code == "yaml_syntax" and problem.file.endswith("release.yaml")


def test_missing_reason_language_and_unknown_key(version_dir):
    version_dir.edit(
        "release.yaml",
        "      nl: De verwerkingsverantwoordelijke houdt",
        "      de: De verwerkingsverantwoordelijke houdt",
    )
    [problem] = problems_of(version_dir.root)
    assert problem.code == "invalid_value"
    assert "at $.rules[0].reason" in problem.message


def test_parameter_consistency(version_dir):
    version_dir.edit(
        "parameters.yaml",
        "waiting_period: {default_days: 30, min_days: 7, max_days: 90}",
        "waiting_period: {default_days: 3, min_days: 7, max_days: 90}",
    )
    version_dir.edit(
        "parameters.yaml",
        "    api:              {normal: false, sensitive: false}",
        "    apps:             {normal: false, sensitive: false}",
    )
    codes = sorted(p.code for p in problems_of(version_dir.root))
    assert codes == ["invalid_range", "missing_default", "unknown_channel"]


def test_missing_manifest_and_bad_version(version_dir):
    (version_dir.root / "manifest.yaml").unlink()
    [problem] = problems_of(version_dir.root)
    assert problem.code == "missing_file"


def test_non_utf8_rule_file(version_dir):
    (version_dir.root / "extra.yaml").write_bytes("rules: []\n# caf\xe9\n".encode("latin-1"))
    [problem] = problems_of(version_dir.root)
    assert problem.code == "encoding" and problem.line == 2


def test_parameters_fold_into_conditions(version_dir):
    ruleset = compile_ruleset(load_rules(version_dir.root))
    assert not ruleset.rule("consent.waiting.processing_continues").reachable
    version_dir.edit("parameters.yaml", "process_while_waiting: false", "process_while_waiting: true")
    ruleset = compile_ruleset(load_rules(version_dir.root))
    assert ruleset.rule("consent.waiting.processing_continues").reachable
    assert not ruleset.rule("consent.waiting.stops_processing").reachable


def test_reason_placeholders_are_filled(version_dir):
    ruleset = compile_ruleset(load_rules(version_dir.root))
    plan = ruleset.plans["field_marking"]
    assert plan.messages[("marking.limit_reached", "en")].startswith("A module can have at most 30 personal fields")
