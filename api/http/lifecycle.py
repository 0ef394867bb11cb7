"""Lifecycle endpoints: consent events, bases (one, many), reviews, assessments, blocklist, switch, sweep."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, Router, delete, get, post, put
from litestar.params import FromPath, JSONBody, QueryParameter
from msgspec import Meta

from engine import Lang, RequestError

from ..auth import allow, principal_of
from ..blocklist import Blocklist
from ..lifecycles import BulkResult, LifecycleService
from ..portal import ConsentAsk, PortalService
from ..release import RELEASE_DOC, RecordRelease
from ..storage import MAX_ROW_ID, BlockEntry, Lia, RecordFilter, ReleasedRecord, Store, StoredRecord
from . import RowId

Channel = Literal["email", "portal", "phone", "form", "ui", "api"]
Text = Annotated[str, Meta(min_length=1, max_length=5000)]


class ConsentEvent(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """How the request or answer was made (C1); answers by phone name who took them."""

    channel: Channel
    taken_by: str | None = None
    lang: Lang = "en"


class ConsentRequest(ConsentEvent, kw_only=True, forbid_unknown_fields=True):
    """A consent request; by email it says what is asked, in the exact words, and mails a portal link (C1, C5)."""

    ask: ConsentAsk | None = None


class ConsentAnswer(ConsentEvent, kw_only=True, forbid_unknown_fields=True):
    """The subject's answer to a consent request."""

    answer: Literal["obtained", "denied"]


class BasisChange(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A new basis, with the legitimate-interest assessment it rests on when it is that basis (P2)."""

    basis: str
    lia_id: Annotated[int, Meta(ge=1, le=MAX_ROW_ID)] | None = None
    lang: Lang = "en"


class BulkBasisChange(BasisChange, kw_only=True, forbid_unknown_fields=True):
    """A new basis for a list of records or for every record matching a filter (P4)."""

    ids: list[str] | None = None
    filter: RecordFilter | None = None


class NewLia(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A legitimate-interest assessment: purpose, necessity test, balancing test, who and when (P2)."""

    purpose: Text
    necessity: Text
    balancing: Text
    assessed_by: Annotated[str, Meta(min_length=1, max_length=200)]
    assessed_at: Annotated[dt.datetime, Meta(tz=True)]


class NewBlock(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A subject to block by email and/or phone (B1); only keyed hashes are kept (B2)."""

    reason: Literal["erasure", "opt_out", "request"]
    email: str | None = None
    phone: str | None = None


class Switch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Turn compliance on or off (S1, S4)."""

    enabled: bool


def lifecycle_router(
    store: Store,
    lifecycles: LifecycleService,
    blocklist: Blocklist,
    sweep_all: Callable[[str], dict[str, int]],
    portal: PortalService,
    release: RecordRelease,
) -> Router:
    """Routes for record lifecycles and the records they change, answered with the fields released to the caller."""

    def actor(request: Request[Any, Any, Any]) -> str:
        return principal_of(request).actor

    def shown(request: Request[Any, Any, Any], record: StoredRecord) -> ReleasedRecord:
        return release.one_for_role(principal_of(request).role, record)

    def consent_event(
        request: Request[Any, Any, Any], record_id: str, event: str, data: ConsentEvent
    ) -> ReleasedRecord:
        """Apply one consent event as the caller reported it, and answer with what they may see."""
        record = lifecycles.consent_event(
            record_id, event, channel=data.channel, taken_by=data.taken_by, actor=actor(request), lang=data.lang
        )
        return shown(request, record)

    @post(
        "/records/{record_id:str}/consent/request",
        status_code=200,
        sync_to_thread=True,
        summary="Ask for consent (C1, C2)",
        **allow("app", "admin", doc=RELEASE_DOC),
    )
    def request_consent(
        request: Request[Any, Any, Any], record_id: FromPath[str], data: JSONBody[ConsentRequest]
    ) -> ReleasedRecord:
        if data.channel == "email":
            if data.ask is None:
                raise RequestError(
                    "consent.ask_missing", "a request by email says what is asked: purpose and wording - at $.ask"
                )
            return shown(request, portal.ask_consent(record_id, data.ask, actor=actor(request), lang=data.lang))
        return consent_event(request, record_id, "request_sent", data)

    @post(
        "/records/{record_id:str}/consent/answer",
        status_code=200,
        sync_to_thread=True,
        summary="Record the answer (C1, C2)",
        **allow("app", "admin", doc=RELEASE_DOC),
    )
    def answer_consent(
        request: Request[Any, Any, Any], record_id: FromPath[str], data: JSONBody[ConsentAnswer]
    ) -> ReleasedRecord:
        return consent_event(request, record_id, f"answer_{data.answer}", data)

    @post(
        "/records/{record_id:str}/consent/given",
        status_code=200,
        sync_to_thread=True,
        summary="The subject gave consent unasked (C5)",
        **allow("app", "admin", doc=RELEASE_DOC),
    )
    def give_consent(
        request: Request[Any, Any, Any], record_id: FromPath[str], data: JSONBody[ConsentEvent]
    ) -> ReleasedRecord:
        return consent_event(request, record_id, "consent_given", data)

    @post(
        "/records/{record_id:str}/consent/withdraw",
        status_code=200,
        sync_to_thread=True,
        summary="Withdraw consent (C2, Art. 7(3))",
        **allow("app", "admin", doc=RELEASE_DOC),
    )
    def withdraw_consent(
        request: Request[Any, Any, Any], record_id: FromPath[str], data: JSONBody[ConsentEvent]
    ) -> ReleasedRecord:
        return consent_event(request, record_id, "withdrawn", data)

    @put(
        "/records/{record_id:str}/basis",
        sync_to_thread=True,
        summary="Set one record's basis (P1, P2, P6)",
        **allow("app", "admin", doc=RELEASE_DOC),
    )
    def set_basis(
        request: Request[Any, Any, Any], record_id: FromPath[str], data: JSONBody[BasisChange]
    ) -> ReleasedRecord:
        record = lifecycles.set_basis(record_id, data.basis, actor=actor(request), lia_id=data.lia_id, lang=data.lang)
        return shown(request, record)

    @post(
        "/bases",
        status_code=200,
        sync_to_thread=True,
        summary="Set the basis of a list of records or of all matching a filter (P4)",
        **allow("admin"),
    )
    def set_bases(request: Request[Any, Any, Any], data: JSONBody[BulkBasisChange]) -> BulkResult:
        if (data.ids is None) == (data.filter is None):
            raise RequestError("request.ambiguous", "give either ids or filter - at $.ids")
        where = data.filter or RecordFilter(ids=data.ids)
        if where.module:
            where = msgspec.structs.replace(where, module=store.resolve_module(where.module))
        return lifecycles.set_basis_many(data.basis, where, actor=actor(request), lia_id=data.lia_id)

    @get(
        "/reviews",
        sync_to_thread=True,
        summary="Records whose basis is due for review (P5)",
        **allow("admin", "app", doc=RELEASE_DOC),
    )
    def reviews(
        request: Request[Any, Any, Any],
        module: Annotated[str | None, QueryParameter()] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
    ) -> list[ReleasedRecord]:
        due = lifecycles.due_for_review(store.resolve_module(module) if module else None, limit)
        return release.for_role(principal_of(request).role, due)

    @post(
        "/lias",
        status_code=201,
        sync_to_thread=True,
        summary="Record a legitimate-interest assessment (P2)",
        **allow("admin"),
    )
    def add_lia(request: Request[Any, Any, Any], data: JSONBody[NewLia]) -> Lia:
        return store.add_lia(
            data.purpose, data.necessity, data.balancing, data.assessed_by, data.assessed_at, actor(request)
        )

    @get(
        "/lias/{lia_id:int}",
        sync_to_thread=False,
        summary="One legitimate-interest assessment",
        **allow("admin", "app"),
    )
    def one_lia(request: Request[Any, Any, Any], lia_id: RowId) -> Lia:
        return store.lia(lia_id)

    @post(
        "/blocklist",
        status_code=201,
        sync_to_thread=True,
        summary="Block a subject by email and/or phone (B1, B2)",
        **allow("admin", "app"),
    )
    def block(request: Request[Any, Any, Any], data: JSONBody[NewBlock]) -> list[BlockEntry]:
        return blocklist.add(email=data.email, phone=data.phone, reason=data.reason, actor=actor(request))

    @get("/blocklist", sync_to_thread=True, summary="List blocklist entries: keyed hashes only (B2)", **allow("admin"))
    def list_blocks(
        request: Request[Any, Any, Any],
        after: Annotated[int, QueryParameter(ge=0)] = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
    ) -> list[BlockEntry]:
        return store.blocklist_entries(limit, after)

    @delete(
        "/blocklist/{entry_id:int}", sync_to_thread=True, summary="Take an entry off the blocklist", **allow("admin")
    )
    def unblock(request: Request[Any, Any, Any], entry_id: RowId) -> None:
        store.remove_block(entry_id)

    @put(
        "/compliance",
        sync_to_thread=True,
        summary="Turn compliance on or off (S1); bases are reset on every record (S4)",
        **allow("admin"),
    )
    def switch(request: Request[Any, Any, Any], data: JSONBody[Switch]) -> dict[str, int]:
        return lifecycles.switch_compliance(data.enabled, actor(request))

    @post(
        "/sweep",
        status_code=200,
        sync_to_thread=True,
        summary="Move records whose waiting period is over to no_response now (C3)",
        **allow("admin"),
    )
    def sweep(request: Request[Any, Any, Any]) -> dict[str, int]:
        return sweep_all(actor(request))

    return Router(
        "/api/v1",
        route_handlers=[
            request_consent,
            answer_consent,
            give_consent,
            withdraw_consent,
            set_basis,
            set_bases,
            reviews,
            add_lia,
            one_lia,
            block,
            list_blocks,
            unblock,
            switch,
            sweep,
        ],
        tags=["lifecycles"],
    )
