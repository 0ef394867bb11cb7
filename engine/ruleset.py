"""The compiled, immutable form of one ruleset version."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .decision import Outcome, RulesetRef
from .lifecycle import Lifecycle
from .model import Parameters, Rule
from .statechart import Statechart

CACHE_LIMIT = 200_000


@dataclass(frozen=True)
class CompiledRule:
    """A rule with its condition turned into a function of fact values."""

    rule: Rule
    test: Callable[[tuple[Any, ...]], Any]
    facts: frozenset[str]
    file: str
    line: int
    reachable: bool = True

    @property
    def id(self) -> str:
        return self.rule.id

    @property
    def effect(self) -> str:
        return self.rule.effect


@dataclass
class QuestionPlan:
    """How one question is answered: which facts to read, which rules to test, and a memo."""

    question: str
    request_facts: tuple[str, ...]
    field_facts: tuple[str, ...]
    request_readers: tuple[Callable[..., Any], ...]
    field_readers: tuple[Callable[..., Any], ...]
    # The inputs the facts depend on, read fast: (request) -> tuple and (request, field) -> tuple.
    request_key: Callable[[Any], tuple[Any, ...]]
    field_key: Callable[[Any, Any], tuple[Any, ...]]
    domains: tuple[tuple[int, str, str, frozenset[str]], ...]
    checks: tuple[Callable[[Any], None], ...]
    rules: tuple[CompiledRule, ...]
    defaults: dict[str, Outcome]
    messages: dict[tuple[str, str], str]
    per_field: bool
    # Evaluation is pure, so an answer depends only on those inputs: remember it.
    memo: dict[tuple[Any, ...], Any] = field(default_factory=dict)
    combined: dict[tuple[Any, ...], Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Ruleset:
    """One ruleset version, checked and compiled: evaluation cannot meet a mistake in it."""

    name: str
    version: str
    effective: dt.date
    summary: str
    changes: tuple[str, ...]
    digest: str
    parameters: Parameters
    rules: tuple[CompiledRule, ...]
    plans: dict[str, QuestionPlan]
    source: str
    ref: RulesetRef
    lifecycles: dict[str, Lifecycle] = field(default_factory=dict)
    statecharts: dict[str, Statechart] = field(default_factory=dict)

    def rule(self, rule_id: str) -> CompiledRule | None:
        """Return the rule with this id, if the ruleset has one."""
        return next((r for r in self.rules if r.id == rule_id), None)
