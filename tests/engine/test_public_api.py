"""The engine's public surface is small and pinned; dependencies point one way."""

import ast
from pathlib import Path

import engine
from tests.conftest import ROOT

PUBLIC = [
    "FACTS",
    "FILE_KINDS",
    "GUARD_FACTS",
    "Lifecycle",
    "Statechart",
    "StatechartError",
    "TransitionOutcome",
    "guard_cases",
    "QUESTIONS",
    "add_local_days",
    "add_local_months",
    "add_months",
    "AccessError",
    "AuthenticationError",
    "ConflictError",
    "ConsentFacts",
    "ConsentBoxFacts",
    "CrmFieldFacts",
    "FormFacts",
    "FormItemFacts",
    "Decision",
    "DecisionRequest",
    "FactSpec",
    "FieldDecision",
    "FieldFacts",
    "Lang",
    "LawfulError",
    "ModuleFacts",
    "NotFoundError",
    "Parameters",
    "Problem",
    "Question",
    "Reason",
    "RecordFacts",
    "RequestError",
    "Rule",
    "RuleFileError",
    "RuleFiles",
    "Ruleset",
    "RulesetDiff",
    "RulesetLibrary",
    "RulesetRef",
    "Settings",
    "TestReport",
    "compile_ruleset",
    "did_you_mean",
    "diff_rulesets",
    "evaluate",
    "expected_one_of",
    "file_schema",
    "find_versions",
    "load_library",
    "load_rules",
    "run_rule_tests",
    "zone_problem",
]


def test_public_names_are_pinned():
    assert sorted(engine.__all__) == sorted(PUBLIC)


def _imports(package: str) -> set[str]:
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found


def _engine_modules_used(package: str) -> set[str]:
    used = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("engine."):
                used.add(f"{path.relative_to(ROOT)}: {node.module}")
    return used


def test_api_and_forms_use_only_the_public_engine():
    assert _engine_modules_used("api") | _engine_modules_used("forms") == set()


def test_engine_imports_neither_forms_nor_api():
    assert not _imports("engine") & {"api", "forms"}


def test_forms_does_not_import_api():
    assert "api" not in _imports("forms")


def test_rules_directory_holds_data_only():
    assert not list(Path(ROOT / "rules").rglob("*.py"))
