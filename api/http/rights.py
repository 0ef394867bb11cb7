"""Rights request endpoints (DS1-DS7)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, Router, get, post, put
from litestar.params import FromPath, JSONBody, QueryParameter
from msgspec import Meta

from engine import Lang, RequestError

from ..addresses import email_problem
from ..auth import allow, principal_of
from ..rights import AccessReport, RightsService
from ..storage import RightKind, RightsRequest, Store, StoredRecord, TimelineRow


class NewRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A request as received: its kind, the subject's email, and optionally the record it names."""

    kind: RightKind
    email: Annotated[str, Meta(min_length=3, max_length=320)]
    channel: Literal["email", "portal", "phone", "letter", "form"]
    record_id: str | None = None
    received_at: Annotated[dt.datetime, Meta(tz=True)] | None = None
    lang: Lang = "en"


class Extension(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """More time (DS7): how many months, and the reason the subject is told."""

    months: int
    reason: Annotated[str, Meta(min_length=3, max_length=2000)]


class Completion(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """For a rectification: the corrected values by field api name (null clears a field), and which of the
    subject's records to correct when the request did not name one and the subject has several."""

    changes: dict[str, Any] | None = None
    record_id: str | None = None


class Restriction(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Restrict processing of a record (DS4), or lift the restriction."""

    restricted: bool
    reason: Annotated[str, Meta(max_length=2000)] = ""


def rights_router(store: Store, rights: RightsService) -> Router:
    """Routes under /api/v1/rights, and a record's restriction."""

    @post(
        "/rights",
        status_code=201,
        sync_to_thread=True,
        summary="Record a rights request; the subject is told its due date",
        **allow("admin", "app", doc="A request from a subject we hold nothing about is recorded and answered too."),
    )
    def receive(request: Request[Any, Any, Any], data: JSONBody[NewRequest]) -> RightsRequest:
        if why := email_problem(data.email.strip()):
            raise RequestError("rights.invalid_email", f"the subject's email {why} - at $.email")
        return rights.receive(
            data.kind,
            data.email,
            channel=data.channel,
            actor=principal_of(request).actor,
            record_id=data.record_id,
            received_at=data.received_at,
            lang=data.lang,
        )

    @get("/rights", sync_to_thread=True, summary="List rights requests, soonest due first", **allow("admin"))
    def list_requests(
        status: Annotated[Literal["open", "completed", "rejected"] | None, QueryParameter()] = None,
        due_by: Annotated[dt.date | None, QueryParameter()] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
    ) -> list[RightsRequest]:
        return store.rights_requests(status, due_by, limit)

    @get("/rights/{request_id:str}", sync_to_thread=True, summary="One rights request", **allow("admin"))
    def one(request_id: FromPath[str]) -> RightsRequest:
        return store.rights_request(request_id)

    @post(
        "/rights/{request_id:str}/extend",
        status_code=200,
        sync_to_thread=True,
        summary="Extend the deadline, telling the subject why (DS7)",
        **allow("admin"),
    )
    def extend(request: Request[Any, Any, Any], request_id: FromPath[str], data: JSONBody[Extension]) -> RightsRequest:
        return rights.extend(request_id, data.months, data.reason, principal_of(request).actor)

    @get("/rights/{request_id:str}/report", sync_to_thread=True, summary="The access report (DS1)", **allow("admin"))
    def report(request_id: FromPath[str]) -> AccessReport:
        return rights.report(request_id)

    @post(
        "/rights/{request_id:str}/complete",
        status_code=200,
        sync_to_thread=True,
        summary="Carry out the request and answer the subject",
        **allow(
            "admin",
            doc="Access: the report is mailed. Portability: CSV and JSON are mailed. Restriction: every record of "
            "the subject is restricted. Rectification: the changes are applied to the record the request names, "
            "or to the subject's only record.",
        ),
    )
    def complete(
        request: Request[Any, Any, Any], request_id: FromPath[str], data: JSONBody[Completion | None] = None
    ) -> RightsRequest:
        given = data or Completion()  # most kinds need nothing: no body is an empty one
        return rights.complete(request_id, principal_of(request).actor, given.changes, given.record_id)

    @put(
        "/records/{record_id:str}/restriction",
        sync_to_thread=True,
        summary="Restrict processing of a record, or lift it (DS4)",
        **allow("admin"),
    )
    def restrict(
        request: Request[Any, Any, Any], record_id: FromPath[str], data: JSONBody[Restriction]
    ) -> StoredRecord:
        record = store.record(record_id)
        word = "restricted" if data.restricted else "restriction lifted"
        return store.change_state(
            record_id,
            {"restricted": record.restricted},
            {"restricted": data.restricted},
            [
                TimelineRow(
                    kind="record.restricted" if data.restricted else "record.unrestricted",
                    summary=f"processing {word}",
                    actor=principal_of(request).actor,
                    detail={"reason": data.reason},
                )
            ],
        )

    return Router(
        "/api/v1", route_handlers=[receive, list_requests, one, extend, report, complete, restrict], tags=["rights"]
    )
