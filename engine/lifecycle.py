"""Lifecycles: which events move a record's consent status or basis, and to where (C2, C3, P1, P2, P6, S4).

A lifecycle file lists states, events and transitions; each transition is a rule with an id,
the states it leaves, one event, the state it enters and an optional guard condition. This
module checks them and answers transitions in plain Python: the reference the durable-rules
statechart (statechart.py) must agree with.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from .conditions import Checker, ConditionError, Typed, build, referenced_facts
from .errors import Problem, did_you_mean
from .expressions import ExpressionSyntaxError, parse_condition
from .facts import FactSpec
from .model import RuleId, Text, _Spec
from .source import Source, convert

LifecycleName = Literal["consent", "basis"]
ANY_STATE = "*"
CHANNELS = frozenset({"email", "portal", "phone", "form", "ui", "api", "import", "system"})


class TransitionSpec(_Spec, frozen=True):
    """One transition: from these states, on this event, when the guard holds, to that state."""

    id: RuleId
    event: Annotated[str, Meta(min_length=1)]
    to: Annotated[str, Meta(min_length=1)]
    reason: Text
    gdpr: str
    from_: Annotated[list[str], Meta(min_length=1)] = msgspec.field(name="from")
    when: str | None = None
    behaviours: list[str] = []


class LifecycleSpec(_Spec, frozen=True):
    """A lifecycle file."""

    lifecycle: LifecycleName
    initial: str
    states: Annotated[list[str], Meta(min_length=1)]
    events: Annotated[list[str], Meta(min_length=1)]
    transitions: list[TransitionSpec]


def _unread(params: Any) -> Callable[..., Any]:
    # Guard facts come with the event, not from a request: nothing reads them.
    raise NotImplementedError("guard facts are given with each event")


def _guard_fact(name: str, type_: str, doc: str, domain: Callable[[Any], frozenset[str]] | None = None) -> FactSpec:
    return FactSpec(name, type_, "request", frozenset(), "$." + name, doc, _unread, domain, nullable=type_ == "str")


GUARD_FACTS: dict[str, FactSpec] = {
    f.name: f
    for f in [
        _guard_fact("event.channel", "str", "how the event reached us (C1)", lambda p: CHANNELS),
        _guard_fact("event.taken_by", "str", "the user who recorded an answer taken by phone (C1)"),
        _guard_fact("record.has_lia", "bool", "a legitimate-interest assessment is on record (P2)"),
        _guard_fact(
            "record.restricted", "bool", "processing of the record is restricted at the subject's request (DS4)"
        ),
        _guard_fact(
            "record.lia_after_consent_ended",
            "bool",
            "the assessment was made after consent was refused or withdrawn (P6)",
        ),
        _guard_fact(
            "consent.status", "str", "the record's consent status (C2)", lambda p: frozenset(p.consent.statuses)
        ),
    ]
}


def normalise_facts(facts: dict[str, Any]) -> dict[str, Any]:
    """Give every guard fact a value: durable-rules matches nothing against a missing field, so
    for it and for plain Python alike an unknown true/false is false and unknown text is ""."""
    return {
        name: (bool(facts.get(name)) if spec.type == "bool" else (facts.get(name) or ""))
        for name, spec in GUARD_FACTS.items()
    }


@dataclass(frozen=True)
class Transition:
    """A checked transition with its guard as a function of guard fact values and as a tree."""

    spec: TransitionSpec
    sources: frozenset[str]
    guard: Typed | None
    test: Callable[[tuple[Any, ...]], Any]
    file: str
    line: int

    @property
    def id(self) -> str:
        return self.spec.id


class Outcome(msgspec.Struct, frozen=True):
    """The answer to one event: the transition taken, or why none was."""

    allowed: bool
    state: str
    rule: str
    message: str
    to: str | None = None


@dataclass(frozen=True)
class Lifecycle:
    """A checked lifecycle: states, events, transitions, and the guard facts they read."""

    name: str
    initial: str
    states: tuple[str, ...]
    events: tuple[str, ...]
    transitions: tuple[Transition, ...]
    facts: tuple[str, ...]

    def candidates(self, state: str, event: str) -> list[Transition]:
        """Return the transitions that leave `state` on `event`, whatever their guards."""
        return [t for t in self.transitions if t.spec.event == event and state in t.sources]

    def values(self, facts: dict[str, Any]) -> tuple[Any, ...]:
        """Order guard fact values as the guards read them; missing ones are false or empty text."""
        normal = normalise_facts(facts)
        return tuple(normal[name] for name in self.facts)

    def answer(self, state: str, event: str, facts: dict[str, Any], lang: str = "en") -> Outcome:
        """Say which transition `event` takes from `state` given the guard facts, in plain Python.

        Missing facts are false or empty text, as `normalise_facts` in statechart.py makes them.
        """
        candidates = self.candidates(state, event)
        values = self.values(facts)
        for transition in candidates:
            if transition.test(values):
                return Outcome(True, state, transition.id, getattr(transition.spec.reason, lang), transition.spec.to)
        if candidates:
            rule = candidates[0]
            return Outcome(
                False,
                state,
                rule.id,
                f"{self.name}: rule {rule.id} does not allow '{event}' here: its condition "
                f"'{rule.spec.when}' does not hold",
            )
        leaving = sorted({s for t in self.transitions if t.spec.event == event for s in t.sources})
        rules = ", ".join(sorted({t.id for t in self.transitions if t.spec.event == event}))
        return Outcome(
            False,
            state,
            rules or f"{self.name}.no_transition",
            f"{self.name}: no transition from '{state}' on '{event}'; rule(s) {rules} allow it only from: {', '.join(leaving)}",
        )


def check_lifecycle(
    source: Source, params: Any, domains: dict[str, frozenset[str]], problems: list[Problem]
) -> Lifecycle | None:
    """Check one lifecycle file; add every problem found to `problems`."""
    spec, found = convert(source, LifecycleSpec)
    problems.extend(found)
    if spec is None:
        return None
    here = lambda path: (source.file, source.line_of(path))  # noqa: E731
    states, events = set(spec.states), set(spec.events)
    if spec.initial not in states:
        problems.append(
            Problem(
                "unknown_state",
                f"initial state {spec.initial!r} is not among the states{did_you_mean(spec.initial, states)}",
                *here("$.initial"),
            )
        )
    checker = Checker(GUARD_FACTS, {}, {**domains, "event.channel": CHANNELS})
    transitions: list[Transition] = []
    for index, t in enumerate(spec.transitions):
        at = f"$.transitions[{index}]"
        for state in [*t.from_, t.to]:
            if state != ANY_STATE and state not in states:
                problems.append(
                    Problem(
                        "unknown_state",
                        f"transition {t.id}: unknown state {state!r}{did_you_mean(state, states)}",
                        *here(at),
                    )
                )
        if t.event not in events:
            problems.append(
                Problem(
                    "unknown_event",
                    f"transition {t.id}: unknown event {t.event!r}{did_you_mean(t.event, events)}",
                    *here(f"{at}.event"),
                )
            )
        guard = None
        if t.when:
            try:
                guard = checker.check(parse_condition(t.when))
            except ExpressionSyntaxError as exc:
                problems.append(
                    Problem("syntax", f"transition {t.id}: {exc} (column {exc.column})", *here(f"{at}.when"))
                )
                continue
            except ConditionError as exc:
                problems.append(
                    Problem(exc.code, f"transition {t.id}: {exc} (column {exc.column})", *here(f"{at}.when"))
                )
                continue
        sources = frozenset(states if ANY_STATE in t.from_ else t.from_)
        transitions.append(Transition(t, sources, guard, lambda values: True, *here(at)))
    facts = tuple(
        sorted(set().union(*(referenced_facts(t.guard) for t in transitions if t.guard)) if transitions else set())
    )
    slots = {name: i for i, name in enumerate(facts)}
    built = tuple(
        Transition(
            t.spec, t.sources, t.guard, build(t.guard, slots) if t.guard else (lambda values: True), t.file, t.line
        )
        for t in transitions
    )
    lifecycle = Lifecycle(spec.lifecycle, spec.initial, tuple(spec.states), tuple(spec.events), built, facts)
    _check_determinism(lifecycle, domains, problems)
    return lifecycle


def guard_cases(lifecycle: Lifecycle, domains: dict[str, frozenset[str]]) -> list[dict[str, Any]]:
    """Every combination of guard fact values worth trying: each bool, each allowed value, and none."""
    options = []
    for name in lifecycle.facts:
        spec = GUARD_FACTS[name]
        if spec.type == "bool":
            options.append([True, False])
        else:
            options.append(
                sorted({*domains.get(name, {"someone"}), *(["someone"] if name == "event.taken_by" else [])}) + [None]
            )
    return [dict(zip(lifecycle.facts, combo, strict=True)) for combo in itertools.product(*options)]


def _check_determinism(lifecycle: Lifecycle, domains: dict[str, frozenset[str]], problems: list[Problem]) -> None:
    # Two transitions that could both fire would make the answer depend on their order.
    cases = guard_cases(lifecycle, domains)
    for state, event in itertools.product(lifecycle.states, lifecycle.events):
        candidates = lifecycle.candidates(state, event)
        if len(candidates) < 2:
            continue
        for case in cases:
            firing = [t for t in candidates if t.test(lifecycle.values(case))]
            if len(firing) > 1:
                first = firing[0]
                problems.append(
                    Problem(
                        "ambiguous_transition",
                        f"transitions {', '.join(t.id for t in firing)} can all fire from "
                        f"'{state}' on '{event}' (for example when {case}); make their conditions exclusive",
                        first.file,
                        first.line,
                    )
                )
                return
