"""Ruleset endpoints: which versions exist, which is active, what each contains, what changed."""

from __future__ import annotations

import datetime as dt

import msgspec
from litestar import Router, get
from litestar.params import FromPath

from engine import Problem, Rule, Ruleset, RulesetDiff, diff_rulesets

from ..auth import ROLES, allow
from ..rules_host import RulesHost
from ..storage import Store


class VersionInfo(msgspec.Struct, frozen=True):
    """One ruleset version, as listed."""

    version: str
    effective: dt.date
    digest: str
    summary: str
    changes: tuple[str, ...]
    rules: int
    active: bool


class RulesetInfo(msgspec.Struct, frozen=True):
    """A ruleset: its versions, the active one, and the last reload's problems if any."""

    name: str
    active: str
    pinned: str | None
    versions: list[VersionInfo]
    loaded_at: dt.datetime
    reload_problems: list[Problem] | None = None


class VersionDetail(msgspec.Struct, frozen=True):
    """One version with its rules."""

    info: VersionInfo
    rules: list[Rule]


def _info(ruleset: Ruleset, active: Ruleset) -> VersionInfo:
    return VersionInfo(
        ruleset.version,
        ruleset.effective,
        ruleset.digest,
        ruleset.summary,
        ruleset.changes,
        len(ruleset.rules),
        ruleset is active,
    )


def ruleset_router(rules: RulesHost, store: Store) -> Router:
    """Routes under /api/v1/rulesets."""

    def active() -> tuple[Ruleset, str | None]:
        pin = store.settings().pinned_version
        return rules.active(store.clock(), pin), pin

    @get("/", sync_to_thread=False, summary="List ruleset versions and the active one", **allow(*ROLES))
    def list_versions() -> RulesetInfo:
        current, pin = active()
        error = rules.last_error
        return RulesetInfo(
            rules.library.name,
            current.version,
            pin,
            [_info(r, current) for r in rules.library.versions],
            rules.loaded_at,
            list(error.problems) if error else None,
        )

    @get("/{version:str}", sync_to_thread=False, summary="One version with its rules", **allow(*ROLES))
    def one_version(version: FromPath[str]) -> VersionDetail:
        current, _ = active()
        ruleset = rules.library.get(version)
        return VersionDetail(_info(ruleset, current), [r.rule for r in ruleset.rules])

    @get(
        "/{old:str}/diff/{new:str}", sync_to_thread=False, summary="What changed between two versions", **allow(*ROLES)
    )
    def diff(old: FromPath[str], new: FromPath[str]) -> RulesetDiff:
        return diff_rulesets(rules.library.get(old), rules.library.get(new))

    return Router("/api/v1/rulesets", route_handlers=[list_versions, one_version, diff], tags=["rulesets"])
