"""Compare two ruleset versions: which rules and parameters changed."""

from __future__ import annotations

from typing import Any

import msgspec

from .ruleset import Ruleset


class RuleChange(msgspec.Struct, frozen=True):
    """One rule present in both versions whose content differs."""

    id: str
    changes: dict[str, tuple[Any, Any]]


class ParameterChange(msgspec.Struct, frozen=True):
    """One parameter, by dotted path, with its old and new value (None when absent)."""

    path: str
    old: Any
    new: Any


class RulesetDiff(msgspec.Struct, frozen=True):
    """What differs between an old and a new version."""

    old: str
    new: str
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[RuleChange, ...]
    parameters: tuple[ParameterChange, ...]

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.parameters)


def _leaves(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        found: dict[str, Any] = {}
        for key, inner in value.items():
            found.update(_leaves(inner, f"{prefix}.{key}" if prefix else str(key)))
        return found
    if isinstance(value, list) and value and all(isinstance(v, dict) and "id" in v for v in value):
        return _leaves({v["id"]: {k: x for k, x in v.items() if k != "id"} for v in value}, prefix)
    return {prefix: value}


def diff_rulesets(old: Ruleset, new: Ruleset) -> RulesetDiff:
    """List the rules added, removed and changed, and every parameter whose value differs."""
    before = {r.id: msgspec.to_builtins(r.rule) for r in old.rules}
    after = {r.id: msgspec.to_builtins(r.rule) for r in new.rules}
    changed = []
    for rule_id in sorted(before.keys() & after.keys()):
        a, b = before[rule_id], after[rule_id]
        fields = {k: (a.get(k), b.get(k)) for k in sorted(a.keys() | b.keys()) if a.get(k) != b.get(k)}
        if fields:
            changed.append(RuleChange(rule_id, fields))
    old_params = _leaves(msgspec.to_builtins(old.parameters))
    new_params = _leaves(msgspec.to_builtins(new.parameters))
    params = tuple(
        ParameterChange(path, old_params.get(path), new_params.get(path))
        for path in sorted(old_params.keys() | new_params.keys())
        if old_params.get(path) != new_params.get(path)
    )
    return RulesetDiff(
        old=f"{old.name}@{old.version}",
        new=f"{new.name}@{new.version}",
        added=tuple(sorted(after.keys() - before.keys())),
        removed=tuple(sorted(before.keys() - after.keys())),
        changed=tuple(changed),
        parameters=params,
    )
