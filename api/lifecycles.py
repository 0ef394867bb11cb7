"""Apply lifecycle events to records: consent (C1-C5), basis (P1-P6), the switch (S4), the sweep (C3)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from engine import (
    ConflictError,
    Problem,
    RequestError,
    Ruleset,
    TransitionOutcome,
    add_local_days,
    did_you_mean,
    expected_one_of,
)

from .rules_host import RulesHost
from .storage import ControllerSettings, RecordFilter, Store, StoredRecord, TimelineRow

CONSENT_EVENTS = ("request_sent", "answer_obtained", "answer_denied", "consent_given", "withdrawn")


class BulkResult(msgspec.Struct):
    """What a bulk change did, record by record."""

    changed: list[str] = []
    refused: dict[str, str] = {}


def effective_consent(record: StoredRecord, now: dt.datetime) -> str:
    """The consent status as decisions see it: a waiting period that has run out is no_response (C3)."""
    if record.consent_status == "waiting" and record.consent_deadline is not None and record.consent_deadline <= now:
        return "no_response"
    return record.consent_status


class LifecycleService:
    """Move records through their lifecycles, with every change and refusal on the timeline."""

    def __init__(self, store: Store, rules: RulesHost) -> None:
        self.store, self.rules = store, rules

    def _ruleset(self, now: dt.datetime, settings: ControllerSettings) -> Ruleset:
        return self.rules.active(now, settings.pinned_version)

    def _row(
        self, ruleset: Ruleset, outcome: TransitionOutcome, lifecycle: str, event: str, actor: str, **detail: Any
    ) -> TimelineRow:
        kind = f"{lifecycle}.{'changed' if outcome.allowed else 'refused'}"
        summary = (
            f"{lifecycle}: {outcome.state} -> {outcome.to}" if outcome.allowed else f"{lifecycle}: {event} refused"
        )
        return TimelineRow(
            kind=kind,
            summary=summary,
            actor=actor,
            rule_id=outcome.rule,
            ruleset_version=ruleset.version,
            detail={
                "event": event,
                "from": outcome.state,
                "to": outcome.to,
                "message": outcome.message,
                **{k: v for k, v in detail.items() if v is not None},
            },
        )

    def _refuse(self, record_id: str, row: TimelineRow, outcome: TransitionOutcome) -> ConflictError:
        self.store.add_timeline(record_id, [row])
        return ConflictError(
            "lifecycle.refused", f"{outcome.message} (rule {outcome.rule})", [Problem(outcome.rule, outcome.message)]
        )

    def consent_event(
        self,
        record_id: str,
        event: str,
        *,
        channel: str,
        actor: str,
        taken_by: str | None = None,
        lang: str = "en",
        seen: StoredRecord | None = None,
    ) -> StoredRecord:
        """Apply one consent event (C1, C2, C5); a waiting period already over is applied first (C3).

        `seen` is the record as a caller that chose the event from its state read it: the event
        then applies to that state, or not at all (`record.changed`) when someone changed it since.
        """
        if event not in CONSENT_EVENTS:
            raise RequestError(
                "lifecycle.unknown_event", f"unknown consent event {event!r}{did_you_mean(event, CONSENT_EVENTS)}"
            )
        record = self._lapse(seen or self.store.record(record_id), actor)
        now, settings = self.store.clock(), self.store.settings()
        ruleset = self._ruleset(now, settings)
        outcome = ruleset.statecharts["consent"].apply(
            record.consent_status,
            event,
            {"event.channel": channel, "event.taken_by": taken_by, "record.restricted": record.restricted},
            lang,
        )
        row = self._row(ruleset, outcome, "consent", event, actor, channel=channel, taken_by=taken_by)
        if not outcome.allowed:
            raise self._refuse(record_id, row, outcome)
        deadline = None
        if outcome.to == "waiting":
            days = settings.waiting_period_days or ruleset.parameters.consent.waiting_period.default_days
            deadline = add_local_days(now, days, settings.timezone)
            row = msgspec.structs.replace(
                row, detail={**row.detail, "deadline": deadline.isoformat(), "waiting_days": days}
            )
        return self.store.change_state(
            record_id,
            {"consent_status": record.consent_status},
            {"consent_status": outcome.to, "consent_deadline": deadline, "consent_changed_at": now},
            [row],
        )

    def _lapse(self, record: StoredRecord, actor: str) -> StoredRecord:
        now = self.store.clock()
        if effective_consent(record, now) == record.consent_status:
            return record
        ruleset = self._ruleset(now, self.store.settings())
        outcome = ruleset.statecharts["consent"].apply(record.consent_status, "deadline_passed", {})
        if not outcome.allowed:
            return record
        row = self._row(ruleset, outcome, "consent", "deadline_passed", actor)
        return self.store.change_state(
            record.id,
            {"consent_status": record.consent_status},
            {"consent_status": outcome.to, "consent_deadline": None, "consent_changed_at": now},
            [row],
        )

    def set_basis(
        self,
        record_id: str,
        basis: str,
        *,
        actor: str,
        lia_id: int | None = None,
        lang: str = "en",
        seen: StoredRecord | None = None,
    ) -> StoredRecord:
        """Set one record's processing basis, as the basis lifecycle allows (P1, P2, P6).

        `seen` is as for `consent_event`: the change applies only to the record as the caller read it.
        """
        record = seen or self.store.record(record_id)
        now, settings = self.store.clock(), self.store.settings()
        ruleset = self._ruleset(now, settings)
        event = self._basis_event(ruleset, basis)
        facts = self._basis_facts(record, lia_id, now)
        outcome = ruleset.statecharts["basis"].apply(record.basis, event, facts, lang)
        row = self._row(ruleset, outcome, "basis", event, actor, lia_id=lia_id or record.lia_id)
        if not outcome.allowed:
            raise self._refuse(record_id, row, outcome)
        return self.store.change_state(
            record_id,
            {"basis": record.basis},
            {"basis": outcome.to, "basis_set_at": now, "lia_id": lia_id or record.lia_id},
            [row],
        )

    def _basis_event(self, ruleset: Ruleset, basis: str) -> str:
        known = [b.id for b in ruleset.parameters.bases]
        if basis not in known:
            raise RequestError(
                "request.unknown_value",
                f"unknown basis {basis!r}: expected one of {', '.join(known)}{did_you_mean(basis, known)} - at $.basis",
            )
        return f"set_{basis}"

    def _basis_facts(self, record: StoredRecord, lia_id: int | None, now: dt.datetime) -> dict[str, Any]:
        lia = self.store.lia(lia_id or record.lia_id) if (lia_id or record.lia_id) else None  # type: ignore[arg-type]
        status = effective_consent(record, now)
        ended = record.consent_changed_at if status in ("denied", "withdrawn") else None
        return {
            "record.has_lia": lia is not None,
            "consent.status": status,
            "record.lia_after_consent_ended": bool(lia and ended and lia.assessed_at > ended),
        }

    def check_filter(self, basis: str | None, consent_status: str | None, *, at: str) -> None:
        """Refuse a basis or consent status that the active rules do not know: it would match no
        record, and be read as "none" when it is a typo. `at` prefixes the name in the message."""
        params = self._ruleset(self.store.clock(), self.store.settings()).parameters
        for key, value, known in (
            ("basis", basis, [b.id for b in params.bases] + ["not_applicable"]),
            ("consent_status", consent_status, list(params.consent.statuses)),
        ):
            if value is not None and value not in known:
                raise RequestError("request.unknown_value", f"{expected_one_of(key, value, known)} - at {at}{key}")

    def set_basis_many(self, basis: str, where: RecordFilter, *, actor: str, lia_id: int | None = None) -> BulkResult:
        """Set the basis of many records (P4); each is allowed or refused on its own. A filter
        value that no record can have is refused, not read as "no records"."""
        self.check_filter(where.basis, where.consent_status, at="$.filter.")
        result = BulkResult()
        after = None
        while True:
            page = self.store.records(
                module=where.module,
                basis=where.basis,
                consent_status=where.consent_status,
                ids=where.ids,
                limit=500,
                after=after,
            )
            if not page:
                # Ids asked for by name that matched no record are refused, not silently left out.
                seen = set(result.changed) | set(result.refused)
                for missing in where.ids or ():
                    if missing not in seen:
                        result.refused[missing] = f"no record {missing!r} matches the filter"
                return result
            for record in page:
                try:
                    self.set_basis(record.id, basis, actor=actor, lia_id=lia_id)
                    result.changed.append(record.id)
                except ConflictError as exc:
                    result.refused[record.id] = exc.message
            after = page[-1].id

    def switch_compliance(self, enabled: bool, actor: str) -> dict[str, int]:
        """Turn compliance on or off (S1); every record's basis becomes not_applicable, on its timeline (S4)."""
        settings = self.store.settings()
        if settings.compliance_enabled == enabled:
            return {}
        now = self.store.clock()
        ruleset = self._ruleset(now, settings)
        event = "compliance_on" if enabled else "compliance_off"
        chart = ruleset.statecharts["basis"]
        self.store.save_settings(msgspec.structs.replace(settings, compliance_enabled=enabled), actor)
        # The answer depends only on (state, event): durable-rules is asked once per state.
        moves: dict[str, tuple[str, TimelineRow]] = {}
        for state in self.store.state_counts("basis", RecordFilter()):
            outcome = chart.apply(state, event, {})
            if outcome.allowed and outcome.to is not None:
                moves[state] = (outcome.to, self._row(ruleset, outcome, "basis", event, actor))
        return self.store.bulk_transition("basis", moves, RecordFilter(), {"basis_set_at": now})

    def sweep(self, actor: str = "sweep") -> int:
        """Move every record whose waiting period is over to no_response (C3); return how many."""
        now, settings = self.store.clock(), self.store.settings()
        ruleset = self._ruleset(now, settings)
        outcome = ruleset.statecharts["consent"].apply("waiting", "deadline_passed", {})
        if not outcome.allowed or outcome.to is None:
            return 0
        row = self._row(ruleset, outcome, "consent", "deadline_passed", actor)
        overdue = RecordFilter(deadline_before=now)
        moved = self.store.bulk_transition(
            "consent_status",
            {"waiting": (outcome.to, row)},
            overdue,
            {"consent_deadline": None, "consent_changed_at": now},
        )
        return moved["waiting"]

    def due_for_review(self, module: str | None, limit: int = 100) -> list[StoredRecord]:
        """Records whose basis is past its review interval (P5)."""
        now, settings = self.store.clock(), self.store.settings()
        months = {b.id: b.review_months for b in self._ruleset(now, settings).parameters.bases}
        return self.store.due_for_review(now, months, module, limit)
