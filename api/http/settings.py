"""Settings and personal-field endpoints (admin only)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Router, get, put
from litestar.params import FromPath, JSONBody

from engine import ConflictError, Decision, Problem

from ..auth import allow, principal_of
from ..decisions import DecisionQuery, DecisionService
from ..settings import SettingsService
from ..storage import ControllerSettings, ModuleLayout, Store


class Marking(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """How a field is marked: none, normal or sensitive (F1), and whether it is encrypted at rest (F6)."""

    classification: str
    encrypted: bool | None = None


class MarkedField(msgspec.Struct, frozen=True):
    """The module after the change, and the engine's decision that allowed it (with any warnings)."""

    module: ModuleLayout
    decision: Decision


def settings_router(store: Store, settings: SettingsService, decisions: DecisionService) -> Router:
    """Routes for compliance settings and personal fields."""

    @get("/settings", sync_to_thread=False, summary="The compliance settings", **allow("admin"))
    def read_settings() -> ControllerSettings:
        return store.settings()

    @put(
        "/settings",
        sync_to_thread=True,
        summary="Change the compliance settings",
        **allow(
            "admin",
            doc="Send the settings as read, changed; `version` must still be current. Each change is checked "
            "against the active rules (modules in scope, channel pairs, waiting period range, time zone).",
        ),
    )
    def change_settings(request: Request[Any, Any, Any], data: JSONBody[ControllerSettings]) -> ControllerSettings:
        return settings.change(data, principal_of(request).actor)

    @get(
        "/settings/history",
        sync_to_thread=True,
        summary="Every settings version, with who made it and when",
        **allow("admin"),
    )
    def history() -> list[dict[str, Any]]:
        return store.settings_history()

    @put(
        "/modules/{name:str}/fields/{field:str}",
        sync_to_thread=True,
        summary="Mark a field personal, or unmark it (F1-F4, F6)",
        **allow(
            "admin",
            doc="The engine decides (field_marking): a field of a module not in scope, a lookup, formula or "
            "auto-number field, or a field past the limit is refused with the rule's id.",
        ),
    )
    def mark(
        request: Request[Any, Any, Any], name: FromPath[str], field: FromPath[str], data: JSONBody[Marking]
    ) -> MarkedField:
        module = store.resolve_module(name)
        decision = decisions.decide(
            DecisionQuery(question="field_marking", module=module, field=field, classification=data.classification)
        )
        if decision.effect == "deny":
            raise ConflictError(
                "field.marking_refused",
                f"{decision.reasons[0].message} (rule {decision.decided_by})",
                [Problem(decision.decided_by, decision.reasons[0].message, path="$.classification")],
            )
        return MarkedField(
            store.mark_field(module, field, data.classification, data.encrypted, principal_of(request).actor), decision
        )

    return Router("/api/v1", route_handlers=[read_settings, change_settings, history, mark], tags=["settings"])
