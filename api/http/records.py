"""Record and module endpoints."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, Router, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from msgspec import Meta

from engine import Lang, RequestError

from ..auth import ROLES, allow, principal_of
from ..layouts import check_layout, check_marking
from ..lifecycles import LifecycleService
from ..records import AddedRecord, RecordService
from ..release import RELEASE_DOC, RecordRelease
from ..rules_host import RulesHost
from ..storage import RECORD_ID_PATTERN, ModuleLayout, ReleasedRecord, Store, TimelineEntry


class NewRecordBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A record to add: its module, its data by field api name, and optionally its CRM id."""

    module: str
    data: dict[str, Any]
    id: Annotated[str, Meta(pattern=RECORD_ID_PATTERN)] | None = None
    lang: Lang = "en"


def record_router(store: Store, records: RecordService, release: RecordRelease, lifecycles: LifecycleService) -> Router:
    """Routes under /api/v1/records; records are answered with only the fields released to the caller."""

    @post(
        "/",
        status_code=201,
        sync_to_thread=True,
        summary="Add a record; a blocklisted subject warns or is refused (B1, CC3)",
        **allow("app", "admin", doc=RELEASE_DOC),
    )
    def add_record(request: Request[Any, Any, Any], data: JSONBody[NewRecordBody]) -> AddedRecord:
        caller = principal_of(request)
        added = records.add(
            data.module,
            data.data,
            source={"kind": "api", "by": caller.actor},
            actor=caller.actor,
            record_id=data.id,
            lang=data.lang,
        )
        return msgspec.structs.replace(added, record=release.one_for_role(caller.role, added.record))

    @get(
        "/",
        sync_to_thread=True,
        summary="List records, filtered by module, basis and consent status (P4)",
        **allow("app", "admin", doc=RELEASE_DOC),
    )
    def list_records(
        request: Request[Any, Any, Any],
        module: FromQuery[str | None] = None,
        basis: FromQuery[str | None] = None,
        consent_status: FromQuery[str | None] = None,
        after: Annotated[str | None, QueryParameter(description="Return records whose id sorts after this one")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
    ) -> list[ReleasedRecord]:
        name = store.resolve_module(module) if module else None
        lifecycles.check_filter(basis, consent_status, at="?")
        found = store.records(module=name, basis=basis, consent_status=consent_status, limit=limit, after=after)
        return release.for_role(principal_of(request).role, found)

    @get(
        "/{record_id:str}",
        sync_to_thread=True,
        summary="One record with its source (D1)",
        **allow("app", "admin", doc=RELEASE_DOC),
    )
    def one_record(request: Request[Any, Any, Any], record_id: FromPath[str]) -> ReleasedRecord:
        return release.one_for_role(principal_of(request).role, store.record(record_id))

    @get(
        "/{record_id:str}/timeline",
        sync_to_thread=False,
        summary="A record's timeline, oldest first (A1)",
        **allow(
            "app",
            "admin",
            doc="Admins see every detail; other callers see every event without the network addresses and "
            "browsers kept as proof of where answers came from (D1, W4).",
        ),
    )
    def timeline(request: Request[Any, Any, Any], record_id: FromPath[str]) -> list[TimelineEntry]:
        store.record(record_id)
        return release.timeline_for_role(principal_of(request).role, store.timeline(record_id))

    return Router("/api/v1/records", route_handlers=[add_record, list_records, one_record, timeline], tags=["records"])


def module_router(store: Store, rules: RulesHost) -> Router:
    """Routes under /api/v1/modules."""

    @get("/", sync_to_thread=False, summary="List modules", **allow(*ROLES))
    def list_modules() -> list[str]:
        return store.module_names()

    @get("/{name:str}", sync_to_thread=False, summary="One module's field layout and personal marking", **allow(*ROLES))
    def one_module(name: FromPath[str]) -> ModuleLayout:
        return store.module(name)

    @put(
        "/{name:str}",
        sync_to_thread=False,
        summary="Create or replace a module's field layout",
        **allow(
            "admin",
            doc="Personal marking in the layout is checked by the engine (F1-F4); a refused marking refuses the whole layout.",
        ),
    )
    def put_module(request: Request[Any, Any, Any], name: FromPath[str], data: JSONBody[ModuleLayout]) -> ModuleLayout:
        if data.name != name:
            raise RequestError(
                "request.mismatch", f"the path names module {name!r} but the body names {data.name!r} - at $.name"
            )
        settings = store.settings()
        shape = check_layout(data, rules.active(store.clock(), settings.pinned_version).parameters)
        if shape:
            raise RequestError("layout.invalid", f"{len(shape)} problem(s) with the layout", shape)
        problems = check_marking(data, settings, rules, store.clock())
        if problems:
            raise RequestError(
                "layout.marking_refused", f"{len(problems)} personal marking(s) refused by the rules", problems
            )
        return store.put_module(data, principal_of(request).actor, keep_marking=False)

    return Router("/api/v1/modules", route_handlers=[list_modules, one_module, put_module], tags=["modules"])
