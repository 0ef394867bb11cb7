"""Data subjects' rights requests (DS1-DS7): receive, extend, answer, with due dates by the rules."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from engine import (
    ConflictError,
    Decision,
    DecisionRequest,
    RequestError,
    add_local_months,
    evaluate,
)

from .decisions import engine_settings, module_facts, record_facts
from .exports import records_csv, records_json
from .mail import Attachment, Mailer, Message
from .records import RecordService
from .rules_host import RulesHost
from .storage import (
    RightKind,
    RightsRequest,
    Store,
    StoredRecord,
    TimelineEntry,
    TimelineRow,
)

# Clocks differ a little between machines; a request "received" later than this is a mistake.
RECEIVED_SLACK = dt.timedelta(minutes=5)

_TEXT = {
    "en": {
        "received": "We received your {kind} request on {day}. We will answer by {due}.",
        "extended": "We need more time for your {kind} request, received on {day}. We will answer by {due}. The reason: {reason}",
        "access": "Here is the data we hold about you, where it came from, why we process it and what happened to it.",
        "portability": "Here is your data in machine-readable form: a CSV file and a JSON file.",
        "none": "We hold no data about you.",
        "done": "Your {kind} request has been carried out.",
        "erased": "We erased all the data we held about you.",
        "erased_partly": (
            "We erased your data, except what the law requires us to keep:\n{kept}\n"
            "We keep it only for that purpose and erase it when that duty ends."
        ),
        "dpo": "Questions? Our data protection officer: {name}, {email}.",
    },
    "nl": {
        "received": "We hebben uw verzoek ({kind}) op {day} ontvangen. U krijgt uiterlijk {due} antwoord.",
        "extended": "We hebben meer tijd nodig voor uw verzoek ({kind}) van {day}. U krijgt uiterlijk {due} antwoord. De reden: {reason}",
        "access": "Hierbij de gegevens die wij over u hebben, waar ze vandaan komen, waarom wij ze verwerken en wat ermee gebeurde.",
        "portability": "Hierbij uw gegevens in een machineleesbare vorm: een CSV-bestand en een JSON-bestand.",
        "none": "Wij hebben geen gegevens over u.",
        "done": "Uw verzoek ({kind}) is uitgevoerd.",
        "erased": "Wij hebben alle gegevens die wij over u hadden gewist.",
        "erased_partly": (
            "Wij hebben uw gegevens gewist, behalve wat de wet ons verplicht te bewaren:\n{kept}\n"
            "Wij bewaren dat alleen daarvoor en wissen het als die plicht eindigt."
        ),
        "dpo": "Vragen? Onze functionaris voor gegevensbescherming: {name}, {email}.",
    },
}


class RecordReport(msgspec.Struct, frozen=True):
    """One record in an access report: data, source (D1), basis, consent, and its history (A1)."""

    module: str
    id: str
    data: dict[str, Any]
    source: dict[str, Any]
    basis: str
    basis_article: str | None
    consent_status: str
    restricted: bool
    timeline: list[TimelineEntry]


class AccessReport(msgspec.Struct, frozen=True):
    """What an access request (Art. 15) answers, for every record of the subject."""

    request_id: str
    generated_at: dt.datetime
    records: list[RecordReport]
    dpo: dict[str, Any] | None
    data_location: dict[str, Any] | None
    ruleset: str


class RightsService:
    """Receive requests and carry them out; every step is on the subject's timelines."""

    def __init__(self, store: Store, rules: RulesHost, records: RecordService, mailer: Mailer) -> None:
        self.store, self.rules, self.records, self.mailer = store, rules, records, mailer

    def _params(self) -> Any:
        return self.rules.active(self.store.clock(), self.store.settings().pinned_version).parameters

    def _local_day(self, instant: dt.datetime) -> dt.date:
        return instant.astimezone(ZoneInfo(self.store.settings().timezone)).date()

    def due_on(self, received_at: dt.datetime, months: int) -> dt.date:
        """The day a request is due: `months` later on the controller's calendar, month-end aware (CC5)."""
        return self._local_day(add_local_months(received_at, months, self.store.settings().timezone))

    def subject_records(self, request: RightsRequest) -> list[StoredRecord]:
        """Every record of the subject: the one named, and those whose unique email fields match."""
        email_fields = {
            name: [f.name for f in self.store.module(name).fields if f.type == "email" and f.unique]
            for name in self.store.module_names()
        }
        found = {r.id: r for r in self.store.records_by_unique(email_fields, request.subject_email)}
        if request.record_id and request.record_id not in found:
            found.update({r.id: r for r in self.store.records(ids=[request.record_id], limit=1)})  # gone once erased
        return list(found.values())

    def _check_named(self, record: StoredRecord, email: str) -> None:
        """A request may name a record only when the record holds the subject's address.

        The answer goes to the address in the request: naming someone else's record would mail their
        data to the requester, or erase it. A record without any email address has nothing to
        compare; the caller who names it answers for the identity check (the actor is recorded).
        """
        held = [
            value
            for f in self.store.module(record.module).fields
            if f.type == "email" and isinstance(value := record.data.get(f.name), str) and value
        ]
        wanted = email.strip().casefold()
        if held and wanted not in {value.strip().casefold() for value in held}:
            raise RequestError(
                "rights.not_the_subjects",
                f"expected a record that holds the request's email address, found record {record.id}, which "
                "holds another - at $.record_id",
            )

    def receive(
        self,
        kind: RightKind,
        email: str,
        *,
        channel: str,
        actor: str,
        record_id: str | None = None,
        received_at: dt.datetime | None = None,
        lang: str = "en",
    ) -> RightsRequest:
        """Record a request, even from an unknown subject, and confirm it with its due date (DS7)."""
        if record_id is not None:
            self._check_named(self.store.record(record_id), email)
        now = self.store.clock()
        received = received_at or now
        if received > now + RECEIVED_SLACK:
            raise RequestError(
                "rights.received_in_future",
                f"expected when the request was received, at the latest now ({now.isoformat(timespec='seconds')}), "
                f"found {received.isoformat(timespec='seconds')} - at $.received_at",
            )
        request = RightsRequest(
            id=uuid.uuid4().hex,
            kind=kind,
            record_id=record_id,
            subject_email=email.strip(),
            channel=channel,
            lang=lang,
            received_at=received,
            due_on=self.due_on(received, self._params().deadlines.response_months),
            status="open",
            outcome={},
            created_by=actor,
        )
        request = self.store.add_rights_request(request)
        self._note(request, "rights.received", f"{kind} request received; due on {request.due_on}", actor)
        self._mail(request, "received", due=request.due_on)
        return request

    def extend(self, request_id: str, months: int, reason: str, actor: str) -> RightsRequest:
        """Extend a request's deadline (DS7) and tell the subject why, within the first period."""
        request = self.store.rights_request(request_id)
        deadlines = self._params().deadlines
        if not 1 <= months <= deadlines.max_extension_months:
            raise RequestError(
                "rights.extension_too_long",
                f"the rules allow an extension of 1 to {deadlines.max_extension_months} months, found {months} - at $.months",
            )
        if request.extended_to is not None:
            raise ConflictError(
                "rights.already_extended", f"request {request_id} was extended already, to {request.extended_to}"
            )
        tell_by = self.due_on(request.received_at, deadlines.tell_extension_within_months)
        if self._local_day(self.store.clock()) > tell_by:
            raise ConflictError(
                "rights.too_late_to_extend", f"an extension must be told to the subject by {tell_by}; it is too late"
            )
        extended_to = self.due_on(request.received_at, deadlines.response_months + months)
        request = self.store.update_rights_request(
            request_id, "open", extended_to=extended_to, extension_reason=reason, extension_told_at=self.store.clock()
        )
        self._note(
            request, "rights.extended", f"{request.kind} request extended to {extended_to}", actor, reason=reason
        )
        self._mail(request, "extended", due=extended_to, reason=reason)
        return request

    def report(self, request_id: str) -> AccessReport:
        """Everything an access request answers (DS1, D1, R1, X2)."""
        request = self.store.rights_request(request_id)
        params, settings = self._params(), self.store.settings()
        articles = {b.id: b.article for b in params.bases}
        records = [
            RecordReport(
                r.module,
                r.id,
                r.data,
                r.source,
                r.basis,
                articles.get(r.basis),
                r.consent_status,
                r.restricted,
                self.store.timeline(r.id),
            )
            for r in self.subject_records(request)
        ]
        return AccessReport(
            request.id,
            self.store.clock(),
            records,
            msgspec.to_builtins(settings.dpo) if settings.dpo else None,
            msgspec.to_builtins(settings.data_location) if settings.data_location else None,
            self.rules.active(self.store.clock(), settings.pinned_version).ref.version,
        )

    def complete(
        self, request_id: str, actor: str, changes: dict[str, Any] | None = None, record_id: str | None = None
    ) -> RightsRequest:
        """Carry out an open request by its kind, send the answer to the subject, and close it."""
        request = self.store.rights_request(request_id)
        if request.status != "open":
            raise ConflictError("rights.not_open", f"request {request_id} is {request.status}")
        records = self.subject_records(request)
        outcome: dict[str, Any] = {"records": [r.id for r in records]}
        if request.kind == "access":
            report = self.report(request_id)
            self._mail(
                request,
                "access" if records else "none",
                attachments=(
                    Attachment(
                        "access-report.json",
                        "application/json; charset=utf-8",
                        msgspec.json.format(msgspec.json.encode(report)),
                    ),
                ),
            )
        elif request.kind == "portability":
            layouts = {r.module: self.store.module(r.module) for r in records}
            self._mail(
                request,
                "portability" if records else "none",
                attachments=(
                    Attachment("my-data.csv", "text/csv; charset=utf-8", records_csv(records, layouts)),
                    Attachment("my-data.json", "application/json", records_json(records)),
                ),
            )
        elif request.kind == "restriction":
            for record in records:
                self.store.change_state(
                    record.id,
                    {},
                    {"restricted": True},
                    [
                        TimelineRow(
                            kind="record.restricted",
                            summary="processing restricted at the subject's request (Art. 18)",
                            actor=actor,
                            detail={"request": request.id},
                        )
                    ],
                )
            self._mail(request, "done")
        elif request.kind == "rectification":
            if not changes:
                raise RequestError(
                    "rights.changes_needed",
                    "expected the corrected values of a rectification, found none - at $.changes",
                )
            target = record_id or request.record_id
            if target is not None and target not in {r.id for r in records}:
                raise RequestError(
                    "rights.not_the_subjects",
                    f"expected one of the subject's records, found {target!r} - at $.record_id",
                )
            if target is None:
                if len(records) != 1:
                    found = f"{len(records)} records ({', '.join(r.id for r in records)})" if records else "no record"
                    raise RequestError(
                        "rights.record_needed",
                        f"expected the request to name the record to correct, as the subject has {found} - at $.record_id",
                    )
                target = records[0].id
            self.records.rectify(target, changes, actor, reason=f"rectification request {request.id}")
            outcome["fields"] = sorted(changes)
            self._mail(request, "done")
        else:
            outcome.update(self._erase(request, records, actor))
            because = outcome.pop("kept_because")
            self._mail(
                request,
                "erased" if not outcome["kept"] else "erased_partly",
                kept="\n".join(f"- {label}: {ground}" for label, ground in sorted(because.items())),
            )
        done = self.store.update_rights_request(
            request_id, "open", status="completed", completed_at=self.store.clock(), outcome=outcome
        )
        self._note(done, "rights.completed", f"{request.kind} request carried out and answered", actor)
        return done

    def erasure_plan(self, record: StoredRecord, lang: str = "en") -> Decision | None:
        """Ask the engine which of a record's fields an erasure must keep, and on which ground (DS3)."""
        layout = self.store.module(record.module)
        facts = module_facts(layout)
        fields = tuple(f for f in facts.fields if f.name in record.data)
        if not fields:
            return None
        settings = self.store.settings()
        now = self.store.clock()
        request = DecisionRequest(
            question="erasure",
            at=now,
            module=facts,
            settings=engine_settings(settings),
            record=record_facts(record),
            fields=fields,
            lang="nl" if lang == "nl" else "en",
        )
        return evaluate(self.rules.active(now, settings.pinned_version), request)

    def _erase(self, request: RightsRequest, records: list[StoredRecord], actor: str) -> dict[str, Any]:
        kept_data: dict[str, dict[str, Any] | None] = {}
        kept: dict[str, dict[str, str]] = {}
        why: dict[str, str] = {}  # field label -> the ground for keeping it, in the subject's language
        rows: dict[str, TimelineRow] = {}
        blocks: list[tuple[str, str]] = []
        country = self.store.settings().phone_country_code
        for record in records:
            decision = self.erasure_plan(record, request.lang)
            denied = [f for f in (decision.fields or ()) if f.effect == "deny"] if decision else []
            keep = {f.field: f.decided_by for f in denied}
            layout = self.store.module(record.module)
            for f in denied:
                label = field.label if (field := layout.field(f.field)) else f.field
                reason = f.reasons[0] if f.reasons else None
                why[label] = (
                    f"{reason.message} ({reason.gdpr})"
                    if reason and reason.gdpr
                    else (reason.message if reason else "")
                )
            kept_data[record.id] = {name: record.data[name] for name in keep} or None
            kept[record.id] = keep
            blocks += self.records.blocklist.pairs(self.store.module(record.module), record.data, country)
            rows[record.id] = TimelineRow(
                kind="record.erased",
                summary=f"erased on request {request.id}" + (f"; kept {', '.join(sorted(keep))}" if keep else ""),
                actor=actor,
                rule_id=decision.decided_by if decision else None,
                ruleset_version=decision.ruleset.version if decision else None,
                detail={"request": request.id, "kept": keep},
            )
        self.store.erase(kept_data, rows, blocks, actor)
        return {
            "erased": [r for r, data in kept_data.items() if data is None],
            "kept": {r: k for r, k in kept.items() if k},
            "kept_because": why,
        }

    def _note(self, request: RightsRequest, kind: str, summary: str, actor: str, **detail: Any) -> None:
        for record in self.subject_records(request):
            self.store.add_timeline(
                record.id,
                [TimelineRow(kind=kind, summary=summary, actor=actor, detail={"request": request.id, **detail})],
            )

    def _mail(self, request: RightsRequest, key: str, attachments: tuple[Attachment, ...] = (), **values: Any) -> None:
        text = _TEXT.get(request.lang, _TEXT["en"])
        body = text[key].format(kind=request.kind, day=self._local_day(request.received_at), **values)
        dpo = self.store.settings().dpo
        if dpo is not None:
            body += "\n\n" + text["dpo"].format(name=dpo.name, email=dpo.email)
        self.mailer.send(
            Message(
                to=request.subject_email,
                subject=f"[{request.id[:8]}] {request.kind}",
                text=body,
                attachments=attachments,
            )
        )
