"""Compile checked rule files into a Ruleset: an ordered list of named passes, problems gathered."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import msgspec

from .conditions import Checker, ConditionError, Typed, build, referenced_facts
from .decision import Outcome, Reason, RulesetRef
from .errors import Problem, RuleFileError
from .expressions import ExpressionSyntaxError, parse_condition
from .facts import DERIVATIONS, FACTS, FactSpec, facts_for
from .lifecycle import Lifecycle, check_lifecycle
from .loader import Located, RuleFiles, display_path
from .model import LANGS, QUESTIONS, Parameters, Rule
from .ruleset import CompiledRule, QuestionPlan, Ruleset
from .statechart import Statechart

_BEHAVIOUR = re.compile(r"^[A-Z]{1,2}\d+$")
_PLACEHOLDER = re.compile(r"\{(params\.[a-z_.]+)\}")
# Questions answered once per item (a field, a part of a form), then combined.
PER_ITEM = frozenset({"field_release", "form_check", "erasure"})


def flatten_parameters(params: Parameters) -> dict[str, Any]:
    """Return every parameter by dotted path, e.g. `personal_fields.limit`."""
    flat: dict[str, Any] = {}

    def walk(prefix: str, value: Any) -> None:
        flat[prefix] = value
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}", inner)

    for key, value in msgspec.to_builtins(params).items():
        walk(key, value)
    return flat


def _check_parameters(files: RuleFiles, problems: list[Problem]) -> None:
    located = files.parameters
    params = located.item
    here = lambda key: (located.file, located.line_of(key))  # noqa: E731
    classes = set(params.personal_fields.classifications)
    for channel, table in params.channels.default_restrictions.items():
        if channel not in params.channels.names:
            problems.append(
                Problem(
                    "unknown_channel",
                    f"default_restrictions names channel {channel!r}, which is not in channels.names",
                    *here("channels.default_restrictions"),
                )
            )
        for cls in table:
            if cls not in classes:
                problems.append(
                    Problem(
                        "unknown_classification",
                        f"default_restrictions.{channel} names {cls!r}, which is not in personal_fields.classifications",
                        *here("channels.default_restrictions"),
                    )
                )
    for name in params.channels.names:
        if name not in params.channels.default_restrictions:
            problems.append(
                Problem(
                    "missing_default",
                    f"channel {name!r} has no default_restrictions entry",
                    *here("channels.default_restrictions"),
                )
            )
    wait = params.consent.waiting_period
    if not wait.min_days <= wait.default_days <= wait.max_days:
        problems.append(
            Problem(
                "invalid_range",
                f"waiting_period needs min_days <= default_days <= max_days, found {wait.min_days}, {wait.default_days}, {wait.max_days}",
                *here("consent.waiting_period"),
            )
        )
    for kind in sorted(set(params.personal_fields.excluded_types) - set(params.personal_fields.field_types)):
        problems.append(
            Problem(
                "unknown_field_type",
                f"excluded type {kind!r} is not in personal_fields.field_types",
                *here("personal_fields.excluded_types"),
            )
        )
    for question in QUESTIONS:
        if question not in params.defaults:
            problems.append(
                Problem("missing_default", f"question {question!r} has no entry in defaults", *here("defaults"))
            )
    for required in ("waiting", "no_response", "obtained", "not_requested"):
        if required not in params.consent.statuses:
            problems.append(
                Problem("missing_status", f"consent.statuses must include {required!r}", *here("consent.statuses"))
            )


def _check_rule_ids(files: RuleFiles, problems: list[Problem]) -> None:
    seen: dict[str, Located[Rule]] = {}
    for located in files.rules:
        rule = located.item
        if rule.id in seen:
            first = seen[rule.id]
            problems.append(
                Problem(
                    "duplicate_rule",
                    f"rule id {rule.id!r} is already used at {first.file}:{first.line}",
                    located.file,
                    located.line,
                )
            )
        seen.setdefault(rule.id, located)
        for code in rule.behaviours:
            if not _BEHAVIOUR.match(code):
                problems.append(
                    Problem(
                        "invalid_behaviour",
                        f"behaviour {code!r} is not a catalogue number such as C3 or DS4",
                        located.file,
                        located.line_of("behaviours"),
                    )
                )
        if rule.id.endswith(".default") and rule.id.split(".")[0] in QUESTIONS:
            problems.append(
                Problem(
                    "reserved_rule_id",
                    f"rule id {rule.id!r} is reserved for the question's default",
                    located.file,
                    located.line,
                )
            )


def _domains(params: Parameters) -> dict[str, frozenset[str]]:
    return {name: spec.domain(params) for name, spec in FACTS.items() if spec.domain is not None}


def _check_conditions(
    files: RuleFiles, flat: dict[str, Any], problems: list[Problem]
) -> dict[str, list[tuple[Located[Rule], Typed]]]:
    domains = _domains(files.parameters.item)
    checkers = {q: Checker(facts_for(q), flat, domains) for q in QUESTIONS}
    checked: dict[str, list[tuple[Located[Rule], Typed]]] = {q: [] for q in QUESTIONS}
    for located in files.rules:
        rule = located.item
        line = located.line_of("when")
        try:
            tree = parse_condition(rule.when)
        except ExpressionSyntaxError as exc:
            problems.append(Problem("syntax", f"rule {rule.id}: {exc} (column {exc.column})", located.file, line))
            continue
        except RecursionError:
            problems.append(Problem("too_deep", f"rule {rule.id}: the condition nests too deeply", located.file, line))
            continue
        failures: dict[tuple[str, str, int], list[str]] = {}
        for question in dict.fromkeys(rule.questions):
            try:
                checked[question].append((located, checkers[question].check(tree)))
            except ConditionError as exc:
                failures.setdefault((exc.code, str(exc), exc.column), []).append(question)
            except RecursionError:
                failures.setdefault(("too_deep", "the condition nests too deeply", 1), []).append(question)
        # The same mistake seen by several questions is one problem.
        for (code, message, column), questions in failures.items():
            problems.append(
                Problem(
                    code, f"rule {rule.id} ({', '.join(questions)}): {message} (column {column})", located.file, line
                )
            )
        for match in _PLACEHOLDER.finditer(rule.reason.en + rule.reason.nl):
            if match.group(1)[len("params.") :] not in flat:
                problems.append(
                    Problem(
                        "unknown_parameter",
                        f"rule {rule.id}: reason names unknown parameter {match.group(1)!r}",
                        located.file,
                        located.line_of("reason"),
                    )
                )
    return checked


def _fill(text: str, flat: dict[str, Any]) -> str:
    return _PLACEHOLDER.sub(lambda m: str(flat.get(m.group(1)[len("params.") :], m.group(0))), text)


def _plan(
    question: str, checked: list[tuple[Located[Rule], Typed]], params: Parameters, flat: dict[str, Any]
) -> QuestionPlan:
    available = facts_for(question)
    used = set().union(*(referenced_facts(t) for _, t in checked)) if checked else set()
    # Facts with a closed set of values are always read, so that a bad value in a request is caught.
    used |= {name for name, spec in available.items() if spec.domain is not None}
    request_facts = tuple(sorted(n for n in used if available[n].level == "request"))
    field_facts = tuple(sorted(n for n in used if available[n].level == "field"))
    slots = {name: i for i, name in enumerate(request_facts + field_facts)}
    compiled = sorted(
        (
            CompiledRule(
                loc.item,
                build(typed, slots),
                frozenset(referenced_facts(typed)),
                loc.file,
                loc.line,
                reachable=not (typed.is_constant and not typed.constant),
            )
            for loc, typed in checked
        ),
        key=lambda r: r.id,
    )
    domains = tuple(
        (slots[name], name, available[name].path, available[name].domain(params))  # type: ignore[misc]
        for name in request_facts + field_facts
        if available[name].domain is not None
    )
    default = params.defaults[question]  # type: ignore[index]
    defaults = {
        lang: Outcome(
            default.effect,
            f"{question}.default",
            (Reason(f"{question}.default", default.effect, _fill(getattr(default.reason, lang), flat)),),
            (),
        )
        for lang in LANGS
    }
    messages = {(r.id, lang): _fill(getattr(r.rule.reason, lang), flat) for r in compiled for lang in LANGS}
    return QuestionPlan(
        question=question,
        request_facts=request_facts,
        field_facts=field_facts,
        request_readers=tuple(available[n].bind(params) for n in request_facts),
        field_readers=tuple(available[n].bind(params) for n in field_facts),
        request_key=_key_function(
            _inputs(available, request_facts, field_facts, request_level=True),
            params,
            per_field=False,
            derive={available[n].derive for n in request_facts + field_facts},
        ),
        field_key=_key_function(
            _inputs(available, request_facts, field_facts, request_level=False) | {"name"},
            params,
            per_field=True,
            derive=set(),
        ),
        domains=domains,
        checks=tuple(available[n].check(params) for n in request_facts + field_facts if available[n].check),  # type: ignore[misc]
        rules=tuple(compiled),
        defaults=defaults,
        messages=messages,
        per_field=question in PER_ITEM,
    )


_PATH = re.compile(r"^[a-z_]+(\.[a-z_]+)*$")


def _inputs(
    available: dict[str, FactSpec], request_facts: tuple[str, ...], field_facts: tuple[str, ...], request_level: bool
) -> set[str]:
    """Collect the attribute paths the facts read; a field fact's `^path` is read from the request."""
    if request_level:
        own = {p for n in request_facts for p in available[n].inputs}
        return own | {p[1:] for n in field_facts for p in available[n].inputs if p.startswith("^")}
    return {p for n in field_facts for p in available[n].inputs if not p.startswith("^")}


def _key_function(
    inputs: set[str], params: Parameters, per_field: bool, derive: set[str | None]
) -> Callable[..., tuple[Any, ...]]:
    """Build a function returning the values the given facts depend on, in a fixed order.

    This is the hot path of every decision, so it is generated as one small function that
    reads each object once. Its text comes only from the attribute paths declared in the
    fact catalogue (checked to be plain names), never from rule files.
    """
    paths = sorted(inputs)
    chosen = [DERIVATIONS[name] for name in sorted(d for d in derive if d)]
    derived = [d(params) for d in chosen if not isinstance(d, str)]
    inline = [d for d in chosen if isinstance(d, str)]
    root, args = ("f", "r, f") if per_field else ("r", "r")
    names: dict[str, str] = {}
    lines = [f"def key({args}):"]

    def ref(path: str) -> str:
        if not _PATH.match(path):
            raise ValueError(f"not an attribute path: {path!r}")
        parent, _, attr = path.rpartition(".")
        if not parent:
            return f"{root}.{attr}"
        if parent not in names:
            names[parent] = f"o{len(names)}"
            lines.append(f"    {names[parent]} = {ref(parent)}")
        return f"{names[parent]}.{attr}"

    values = [ref(path) for path in paths] + [f"d{i}({args})" for i in range(len(derived))]
    values += [re.sub(r"\{([a-z_.]+)\}", lambda m: ref(m.group(1)), template) for template in inline]
    lines.append(f"    return ({', '.join(values)}{',' if len(values) == 1 else ''})")
    namespace: dict[str, Any] = {f"d{i}": d for i, d in enumerate(derived)}
    exec(compile("\n".join(lines), f"<facts key for {', '.join(paths) or 'nothing'}>", "exec"), namespace)  # noqa: S102
    return namespace["key"]  # type: ignore[no-any-return]


PASSES: tuple[tuple[str, Callable[[RuleFiles, list[Problem]], None]], ...] = (
    ("parameters", _check_parameters),
    ("rule_ids", _check_rule_ids),
)


def _check_lifecycles(files: RuleFiles, problems: list[Problem]) -> dict[str, Lifecycle]:
    params = files.parameters.item
    found: dict[str, Lifecycle] = {}
    rule_ids = {located.item.id for located in files.rules}
    for source in files.lifecycles:
        lifecycle = check_lifecycle(source, params, _domains(params), problems)
        if lifecycle is None:
            continue
        if lifecycle.name in found:
            problems.append(
                Problem("duplicate_lifecycle", f"lifecycle {lifecycle.name!r} is defined twice", source.file, 1)
            )
        for transition in lifecycle.transitions:
            if transition.id in rule_ids:
                problems.append(
                    Problem(
                        "duplicate_rule",
                        f"transition id {transition.id!r} is also a rule id",
                        transition.file,
                        transition.line,
                    )
                )
            rule_ids.add(transition.id)
        found[lifecycle.name] = lifecycle
    return found


def compile_ruleset(files: RuleFiles) -> Ruleset:
    """Check and compile one ruleset version; raise RuleFileError listing every problem."""
    problems: list[Problem] = list(files.problems)
    for _name, check in PASSES:
        check(files, problems)
    flat = flatten_parameters(files.parameters.item)
    checked = _check_conditions(files, flat, problems)
    lifecycles = _check_lifecycles(files, problems)
    if problems:
        raise RuleFileError(problems, display_path(files.root))
    params = files.parameters.item
    plans = {q: _plan(q, checked[q], params, flat) for q in QUESTIONS}
    rules: dict[str, CompiledRule] = {}
    for plan in plans.values():
        for rule in plan.rules:
            # A rule answering several questions is reachable if it can match in any of them.
            if rule.id not in rules or rule.reachable:
                rules[rule.id] = rule
    manifest = files.manifest.item
    return Ruleset(
        name=manifest.ruleset,
        version=manifest.version,
        effective=manifest.effective,
        summary=manifest.summary,
        changes=tuple(manifest.changes),
        digest=files.digest,
        parameters=params,
        rules=tuple(sorted(rules.values(), key=lambda r: r.id)),
        plans=plans,
        source=display_path(files.root),
        ref=RulesetRef(manifest.ruleset, manifest.version, files.digest),
        lifecycles=lifecycles,
        statecharts={name: Statechart(lifecycle, manifest.version) for name, lifecycle in lifecycles.items()},
    )
