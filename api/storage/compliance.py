"""Storage of record state changes, assessments and the blocklist (part of the Store)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import msgspec
import sqlalchemy as sa

from engine import ConflictError, NotFoundError, add_months

from . import schema as t
from .database import reading, unit_of_work, writing
from .models import BlockEntry, Lia, StoredRecord

STATE_COLUMNS = frozenset(
    {
        "basis",
        "lia_id",
        "consent_status",
        "consent_deadline",
        "restricted",
        "awaiting_confirmation",
        "basis_set_at",
        "consent_changed_at",
    }
)


class RecordFilter(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Which records: by module, basis, consent status, ids, or a waiting period over (P4, C3)."""

    module: str | None = None
    basis: str | None = None
    consent_status: str | None = None
    ids: list[str] | None = None
    deadline_before: dt.datetime | None = None

    def conditions(self) -> list[sa.ColumnElement[bool]]:
        """Return the filter as SQL conditions on the records table."""
        found: list[sa.ColumnElement[bool]] = []
        for column, value in (
            (t.records.c.module, self.module),
            (t.records.c.basis, self.basis),
            (t.records.c.consent_status, self.consent_status),
        ):
            if value is not None:
                found.append(column == value)
        if self.ids is not None:
            found.append(t.records.c.id.in_(self.ids))
        if self.deadline_before is not None:
            found.append(t.records.c.consent_deadline <= self.deadline_before)
        return found


class TimelineRow(msgspec.Struct, frozen=True, kw_only=True):
    """A row to put on a record's timeline (A1)."""

    kind: str
    summary: str
    actor: str
    detail: dict[str, Any] = {}
    rule_id: str | None = None
    ruleset_version: str | None = None


class ComplianceStore:
    """Methods of the Store for state changes, assessments and the blocklist."""

    engine: sa.Engine
    clock: Callable[[], dt.datetime]
    record: Callable[[str], StoredRecord]
    _open_record: Callable[[sa.Row[Any]], StoredRecord]

    def change_state(
        self, record_id: str, expect: dict[str, Any], changes: dict[str, Any], rows: Sequence[TimelineRow]
    ) -> StoredRecord:
        """Change a record's state if it still is as `expect` says, and add timeline rows, together."""
        if set(changes) - STATE_COLUMNS or set(expect) - STATE_COLUMNS:
            raise ValueError(f"not record state: {sorted((set(changes) | set(expect)) - STATE_COLUMNS)}")
        now = self.clock()
        with writing(self.engine) as c:
            query = t.records.update().where(
                t.records.c.id == record_id, *(t.records.c[k] == v for k, v in expect.items())
            )
            if not c.execute(query.values(updated_at=now, **changes)).rowcount:
                exists = c.execute(sa.select(t.records.c.id).where(t.records.c.id == record_id)).first()
                if exists is None:
                    raise NotFoundError("record.unknown", f"no record has id {record_id!r}")
                raise ConflictError(
                    "record.changed",
                    f"record {record_id} was changed by someone else meanwhile; nothing was changed, try again",
                )
            self._timeline(c, [record_id], rows, now)
        return self.record(record_id)

    def add_timeline(self, record_id: str, rows: Sequence[TimelineRow]) -> None:
        """Add rows to a record's timeline without changing the record (a refusal, say)."""
        with writing(self.engine) as c:
            self._timeline(c, [record_id], rows, self.clock())

    def _timeline(self, c: sa.Connection, ids: Iterable[str], rows: Sequence[TimelineRow], now: dt.datetime) -> None:
        values = [dict(record_id=i, at=now, **msgspec.structs.asdict(row)) for i in ids for row in rows]
        if values:
            c.execute(t.timeline.insert(), values)

    @unit_of_work
    def bulk_transition(
        self, column: str, moves: dict[str, tuple[str, TimelineRow]], where: RecordFilter, changes: dict[str, Any]
    ) -> dict[str, int]:
        """Move every record matching `where` from each state in `moves` to its new state, with one
        timeline row each, in one transaction; return how many records left each state."""
        if column not in STATE_COLUMNS or set(changes) - STATE_COLUMNS:
            raise ValueError(f"not record state: {column}, {sorted(changes)}")
        now = self.clock()
        state = t.records.c[column]
        conditions = where.conditions()
        columns = ["record_id", "at", "actor", "kind", "summary", "detail", "rule_id", "ruleset_version"]
        counts = {}
        with writing(self.engine) as c:
            # Every row is written from the state before any update, so no record moves twice.
            for old, (_new, row) in moves.items():
                select = sa.select(
                    t.records.c.id,
                    sa.literal(now, t.UtcDateTime),
                    sa.literal(row.actor),
                    sa.literal(row.kind),
                    sa.literal(row.summary),
                    sa.literal(row.detail, t.JSON),
                    sa.literal(row.rule_id, sa.String),
                    sa.literal(row.ruleset_version, sa.String),
                ).where(*conditions, state == old)
                # (the driver's rowcount of INSERT ... SELECT is not reliable on SQLite: count first)
                counts[old] = int(
                    c.execute(
                        sa.select(sa.func.count()).select_from(t.records).where(*conditions, state == old)
                    ).scalar_one()
                )
                if counts[old]:
                    c.execute(t.timeline.insert().from_select(columns, select))
            if moves:
                new_state = sa.case({old: new for old, (new, _row) in moves.items()}, value=state)
                c.execute(
                    t.records.update()
                    .where(*conditions, state.in_(list(moves)))
                    .values({column: new_state, "updated_at": now, **changes})
                )
        return counts

    def count_where(self, where: RecordFilter) -> int:
        """Count the records matching a filter."""
        with reading(self.engine) as c:
            return int(
                c.execute(sa.select(sa.func.count()).select_from(t.records).where(*where.conditions())).scalar_one()
            )

    def state_counts(self, column: str, where: RecordFilter) -> dict[str, int]:
        """Count matching records by the value of one state column."""
        col = t.records.c[column]
        with reading(self.engine) as c:
            return dict(c.execute(sa.select(col, sa.func.count()).where(*where.conditions()).group_by(col)).all())  # type: ignore[arg-type]

    def due_for_review(
        self, now: dt.datetime, months: dict[str, int], module: str | None, limit: int
    ) -> list[StoredRecord]:
        """Records whose basis was set longer ago than its review interval (P5), oldest first."""
        due = [
            sa.and_(t.records.c.basis == basis, t.records.c.basis_set_at <= add_months(now, -n))
            for basis, n in months.items()
        ]
        query = sa.select(t.records).where(sa.or_(*due)).order_by(t.records.c.basis_set_at).limit(limit)
        if module is not None:
            query = query.where(t.records.c.module == module)
        with reading(self.engine) as c:
            return [self._open_record(row) for row in c.execute(query)]

    # Legitimate-interest assessments -------------------------------------------------------

    def add_lia(
        self, purpose: str, necessity: str, balancing: str, assessed_by: str, assessed_at: dt.datetime, actor: str
    ) -> Lia:
        """Record a legitimate-interest assessment (P2)."""
        now = self.clock()
        with writing(self.engine) as c:
            key = c.execute(
                t.lias.insert().values(
                    purpose=purpose,
                    necessity=necessity,
                    balancing=balancing,
                    assessed_by=assessed_by,
                    assessed_at=assessed_at,
                    created_at=now,
                    created_by=actor,
                )
            ).inserted_primary_key
        assert key is not None
        return self.lia(int(key[0]))

    def lia(self, lia_id: int) -> Lia:
        """Return one assessment."""
        with reading(self.engine) as c:
            row = c.execute(sa.select(t.lias).where(t.lias.c.id == lia_id)).one_or_none()
        if row is None:
            raise NotFoundError("lia.unknown", f"no legitimate-interest assessment has id {lia_id}")
        return Lia(**row._asdict())

    # Blocklist ----------------------------------------------------------------------------

    @unit_of_work
    def add_block(self, kind: str, digest: str, reason: str, actor: str) -> BlockEntry:
        """Put a keyed hash on the blocklist; adding one that is there already changes nothing."""
        with writing(self.engine) as c:
            found = c.execute(
                sa.select(t.blocklist).where(t.blocklist.c.kind == kind, t.blocklist.c.digest == digest)
            ).one_or_none()
            if found is None:
                c.execute(
                    t.blocklist.insert().values(
                        kind=kind, digest=digest, reason=reason, added_at=self.clock(), added_by=actor
                    )
                )
                found = c.execute(
                    sa.select(t.blocklist).where(t.blocklist.c.kind == kind, t.blocklist.c.digest == digest)
                ).one()
        return BlockEntry(**found._asdict())

    def blocked(self, pairs: Iterable[tuple[str, str]]) -> list[BlockEntry]:
        """Return the entries among (kind, digest) pairs that are on the blocklist."""
        wanted = set(pairs)
        digests = sorted({d for _, d in wanted})
        found = []
        with reading(self.engine) as c:
            for start in range(0, len(digests), 500):
                query = sa.select(t.blocklist).where(t.blocklist.c.digest.in_(digests[start : start + 500]))
                found += [BlockEntry(**row._asdict()) for row in c.execute(query)]
        return [entry for entry in found if (entry.kind, entry.digest) in wanted]

    def blocklist_entries(self, limit: int = 100, after: int = 0) -> list[BlockEntry]:
        """List blocklist entries by id."""
        with reading(self.engine) as c:
            rows = c.execute(
                sa.select(t.blocklist).where(t.blocklist.c.id > after).order_by(t.blocklist.c.id).limit(limit)
            )
            return [BlockEntry(**row._asdict()) for row in rows]

    def remove_block(self, entry_id: int) -> None:
        """Take an entry off the blocklist."""
        with writing(self.engine) as c:
            if not c.execute(t.blocklist.delete().where(t.blocklist.c.id == entry_id)).rowcount:
                raise NotFoundError("blocklist.unknown", f"no blocklist entry has id {entry_id}")
