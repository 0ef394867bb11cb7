"""Change the controller's settings, checked against the active rules (S1, S3, F5, C3, R1, X2)."""

from __future__ import annotations

import re

import msgspec

from engine import ConflictError, Parameters, Problem, RequestError, expected_one_of, zone_problem

from .addresses import email_problem
from .lifecycles import LifecycleService
from .rules_host import RulesHost
from .storage import ControllerSettings, Store


def check_settings(
    new: ControllerSettings, params: Parameters, modules: list[str], versions: list[str]
) -> list[Problem]:
    """Return every way `new` breaks the rule files' lists and ranges."""
    problems = []
    scope = params.modules
    for index, name in enumerate(new.modules):
        if name not in modules:
            problems.append(
                Problem("settings.unknown_module", expected_one_of("module", name, modules), path=f"$.modules[{index}]")
            )
        elif name in scope.not_selectable:
            problems.append(
                Problem(
                    "settings.module_not_selectable",
                    f"the rules say module {name} holds no personal data and cannot be in scope (S3)",
                    path=f"$.modules[{index}]",
                )
            )
    pairs = {f"{c}.{k}" for c in params.channels.names for k in params.personal_fields.classifications}
    for index, pair in enumerate(new.withheld or ()):
        if pair not in pairs:
            problems.append(
                Problem(
                    "settings.unknown_channel_pair",
                    expected_one_of("channel.classification pair", pair, pairs),
                    path=f"$.withheld[{index}]",
                )
            )
    wait = params.consent.waiting_period
    if new.waiting_period_days is not None and not wait.min_days <= new.waiting_period_days <= wait.max_days:
        problems.append(
            Problem(
                "settings.waiting_period",
                f"the rules allow a waiting period of {wait.min_days} to {wait.max_days} days, "
                f"found {new.waiting_period_days}",
                path="$.waiting_period_days",
            )
        )
    if (why := zone_problem(new.timezone)) is not None:
        problems.append(Problem("settings.unknown_timezone", why, path="$.timezone"))
    if new.phone_country_code is not None and not re.fullmatch(r"[1-9]\d{0,2}", new.phone_country_code):
        problems.append(
            Problem(
                "settings.phone_country_code",
                f"expected a country calling code such as 31, found {new.phone_country_code!r}",
                path="$.phone_country_code",
            )
        )
    if new.pinned_version is not None and new.pinned_version not in versions:
        problems.append(
            Problem(
                "settings.unknown_version",
                expected_one_of("ruleset version", new.pinned_version, versions),
                path="$.pinned_version",
            )
        )
    location = new.data_location
    if location is not None and location.mechanism is not None and location.mechanism not in params.transfer_mechanisms:
        problems.append(
            Problem(
                "settings.unknown_mechanism",
                expected_one_of("transfer mechanism", location.mechanism, params.transfer_mechanisms),
                path="$.data_location.mechanism",
            )
        )
    if new.dpo is not None and (why := email_problem(new.dpo.email)):
        problems.append(Problem("settings.dpo_email", f"the DPO's email {why}", path="$.dpo.email"))
    return problems


def versions_in_use(store: Store) -> dict[str, str]:
    """The ruleset versions the settings rely on, each with why, which a rules reload must not lose."""
    pin = store.settings().pinned_version
    return {pin: "pinned by the settings (pinned_version)"} if pin else {}


class SettingsService:
    """Read and change settings; turning compliance on or off goes through its lifecycle (S4)."""

    def __init__(self, store: Store, rules: RulesHost, lifecycles: LifecycleService) -> None:
        self.store, self.rules, self.lifecycles = store, rules, lifecycles

    def change(self, new: ControllerSettings, actor: str) -> ControllerSettings:
        """Store new settings if the rules allow them; `new.version` must be the version read."""
        current = self.store.settings()
        if current.version and new.version != current.version:
            found = f"version {new.version}" if new.version else "no version"
            raise ConflictError(
                "settings.changed",
                f"expected the version of the settings you changed (now {current.version}), "
                f"found {found}: read them again, change what you mean to and send them back - at $.version",
            )
        known = {m.casefold(): m for m in self.store.module_names()}
        modules = [known.get(m.strip().casefold(), m) for m in new.modules]  # names as the store spells them
        new = msgspec.structs.replace(new, modules=tuple(dict.fromkeys(modules)))
        ruleset = self.rules.active(
            self.store.clock(), new.pinned_version if new.pinned_version in self._versions() else None
        )
        problems = check_settings(new, ruleset.parameters, self.store.module_names(), self._versions())
        if problems:
            raise RequestError("settings.invalid", f"{len(problems)} setting(s) the rules do not allow", problems)
        saved = self.store.save_settings(
            msgspec.structs.replace(new, compliance_enabled=current.compliance_enabled), actor
        )
        if new.compliance_enabled != current.compliance_enabled:
            self.lifecycles.switch_compliance(new.compliance_enabled, actor)
            saved = self.store.settings()
        return saved

    def _versions(self) -> list[str]:
        return [r.version for r in self.rules.library.versions]
