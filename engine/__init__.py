"""lawful's engine: load rule files, compile them, and answer questions from them.

Pipeline: `load_rules(dir) -> RuleFiles`, `compile_ruleset(files) -> Ruleset`,
`evaluate(ruleset, request) -> Decision`. `load_library(dir)` does the first two for every
version of a ruleset and picks the one in effect. Nothing here reads a clock or does I/O
while evaluating.
"""

from .calendar import add_local_days, add_local_months, add_months, zone_problem
from .compiler import compile_ruleset
from .decision import (
    ConsentBoxFacts,
    ConsentFacts,
    CrmFieldFacts,
    Decision,
    DecisionRequest,
    FieldDecision,
    FieldFacts,
    FormFacts,
    FormItemFacts,
    ModuleFacts,
    Reason,
    RecordFacts,
    RulesetRef,
    Settings,
)
from .diff import RulesetDiff, diff_rulesets
from .errors import (
    AccessError,
    AuthenticationError,
    ConflictError,
    LawfulError,
    NotFoundError,
    Problem,
    RequestError,
    RuleFileError,
    did_you_mean,
    expected_one_of,
)
from .evaluator import evaluate
from .facts import FACTS, FactSpec
from .library import RulesetLibrary, find_versions, load_library
from .lifecycle import GUARD_FACTS, Lifecycle, guard_cases
from .lifecycle import Outcome as TransitionOutcome
from .loader import RuleFiles, load_rules
from .model import QUESTIONS, Lang, Parameters, Question, Rule
from .ruleset import Ruleset
from .schemas import FILE_KINDS, file_schema
from .statechart import Statechart, StatechartError
from .testing import TestReport, run_rule_tests

__all__ = [
    "add_local_days",
    "add_local_months",
    "add_months",
    "FACTS",
    "FILE_KINDS",
    "GUARD_FACTS",
    "QUESTIONS",
    "AccessError",
    "AuthenticationError",
    "ConflictError",
    "ConsentBoxFacts",
    "ConsentFacts",
    "CrmFieldFacts",
    "Decision",
    "DecisionRequest",
    "FactSpec",
    "Lang",
    "FieldDecision",
    "FieldFacts",
    "FormFacts",
    "FormItemFacts",
    "LawfulError",
    "Lifecycle",
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
    "Statechart",
    "StatechartError",
    "TestReport",
    "TransitionOutcome",
    "compile_ruleset",
    "did_you_mean",
    "diff_rulesets",
    "evaluate",
    "expected_one_of",
    "file_schema",
    "find_versions",
    "guard_cases",
    "load_library",
    "load_rules",
    "run_rule_tests",
    "zone_problem",
]
