"""The one place that reads and writes the database."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import msgspec
import sqlalchemy as sa

from engine import ConflictError, LawfulError, NotFoundError, expected_one_of

from ..crypto import FieldCipher, is_encrypted
from . import schema as t
from .access import AccessStore
from .compliance import ComplianceStore, RecordFilter, TimelineRow
from .database import create_database, reading, single_read, unit_of_work, writing
from .fastread import SqliteReader, Statement, sqlite_file
from .forms import FormStore
from .mailqueue import MailQueueStore
from .migrations import migrate
from .models import (
    ControllerSettings,
    FieldLayout,
    ModuleLayout,
    RecordState,
    StoredRecord,
    TimelineEntry,
)
from .portal import PortalStore
from .rights import RightsStore
from .unique import UniqueIndexStore, unique_key

Clock = Callable[[], dt.datetime]
SYSTEM = "system"


def utc_now() -> dt.datetime:
    """Return the current instant in UTC."""
    return dt.datetime.now(dt.timezone.utc)


class NewRecord(msgspec.Struct, frozen=True):
    """A record to create or update, with the values that must be unique in its module."""

    id: str
    data: dict[str, Any]
    content_hash: str
    unique: dict[str, str] = {}


class UpsertResult(msgspec.Struct):
    """What an upsert did, row by row: created, updated, unchanged, or refused with a reason."""

    created: list[str] = []
    updated: list[str] = []
    unchanged: list[str] = []
    refused: dict[str, str] = {}


class Snapshot(msgspec.Struct, frozen=True):
    """What one decision reads from the store: settings, the module's layout, the record's state."""

    settings: ControllerSettings
    layout: ModuleLayout
    record: RecordState | None


class Store(ComplianceStore, AccessStore, RightsStore, FormStore, PortalStore, UniqueIndexStore, MailQueueStore):
    """Typed access to settings, modules, records, timelines, assessments and the blocklist.

    `secret`, the installation's secret, keys field encryption and the unique index. A store
    without it reads and writes everything else, and refuses what needs a key (`crypto.no_key`).
    """

    def __init__(self, engine: sa.Engine, clock: Clock = utc_now, secret: bytes | None = None) -> None:
        self.engine = engine
        self.clock = clock
        self.cipher = FieldCipher(secret) if secret else None
        self.unique_key = unique_key(secret) if secret else None
        self._lock = threading.Lock()
        self._settings: ControllerSettings | None = None
        self._layouts: dict[str, ModuleLayout] = {}
        path = sqlite_file(engine)
        self._fast = SqliteReader(path) if path else None
        self._statements: tuple[Statement, Statement] | None = None

    @classmethod
    def open(cls, url: str, clock: Clock = utc_now, secret: bytes | None = None) -> Store:
        """Open (and create or upgrade) the database at `url`; `secret` keys field encryption and the unique index.

        With the secret, an index of unkeyed digests left by an older release is rebuilt, once.
        """
        engine = create_database(url)
        migrate(engine, clock)
        store = cls(engine, clock, secret)
        if secret:
            store.rebuild_unique_index()
        return store

    def close(self) -> None:
        """Release every pooled connection."""
        if self._fast is not None:
            self._fast.close()
        self.engine.dispose()

    # Settings -----------------------------------------------------------------------------

    def settings(self) -> ControllerSettings:
        """Return the current settings; a change made by any server is seen at once."""
        with reading(self.engine) as c:
            version = c.execute(sa.select(t.settings.c.version).where(t.settings.c.id == 1)).scalar() or 0
            cached = self._settings
            if cached is not None and cached.version == version:
                return cached
            row = c.execute(sa.select(t.settings.c.data).where(t.settings.c.id == 1)).scalar()
        current = msgspec.convert({**(row or {}), "version": version}, ControllerSettings)
        self._settings = current
        return current

    @unit_of_work
    def save_settings(self, new: ControllerSettings, actor: str) -> ControllerSettings:
        """Store new settings, refusing a change based on settings someone else changed since."""
        data = msgspec.to_builtins(msgspec.structs.replace(new, version=0))
        data.pop("version", None)
        with writing(self.engine) as c:
            version = c.execute(sa.select(t.settings.c.version).where(t.settings.c.id == 1)).scalar()
            now = self.clock()
            if version is None:
                c.execute(t.settings.insert().values(id=1, version=1, data=data, updated_at=now, updated_by=actor))
            else:
                if new.version != version:  # absent counts as 0: a change must say which version it changes
                    raise ConflictError(
                        "settings.changed",
                        f"settings were changed by someone else (version {version}, yours {new.version}); reload and try again",
                    )
                c.execute(
                    t.settings.update()
                    .where(t.settings.c.id == 1)
                    .values(version=version + 1, data=data, updated_at=now, updated_by=actor)
                )
            c.execute(
                t.settings_history.insert().values(
                    version=(version or 0) + 1, data=data, changed_at=now, changed_by=actor
                )
            )
        self._settings = None
        return self.settings()

    def settings_history(self) -> list[dict[str, Any]]:
        """Every settings version: what it was, when and who made it (R2)."""
        with reading(self.engine) as c:
            return [
                row._asdict() for row in c.execute(sa.select(t.settings_history).order_by(t.settings_history.c.version))
            ]

    # Modules ------------------------------------------------------------------------------

    def module_names(self) -> list[str]:
        """Return the api names of every module, sorted."""
        with reading(self.engine) as c:
            return list(c.execute(sa.select(t.modules.c.name).order_by(t.modules.c.name)).scalars())

    def resolve_module(self, name: str) -> str:
        """Return the stored api name for `name`, compared without regard to case."""
        names = self.module_names()
        for known in names:
            if known.casefold() == name.strip().casefold():
                return known
        raise NotFoundError(
            "module.unknown",
            expected_one_of("module", name, names) if names else f"unknown module {name!r}: no modules are defined yet",
        )

    def module(self, name: str) -> ModuleLayout:
        """Return a module's layout, read again whenever it changed."""
        name = self.resolve_module(name)
        with reading(self.engine) as c:
            version: int = c.execute(sa.select(t.modules.c.layout_version).where(t.modules.c.name == name)).scalar_one()
            cached = self._layouts.get(name)
            if cached is not None and cached.layout_version == version:
                return cached
            layout = self._read_layout(c, name)
        self._layouts[name] = layout
        return layout

    def _read_layout(self, c: sa.Connection, name: str) -> ModuleLayout:
        row = c.execute(sa.select(t.modules).where(t.modules.c.name == name)).one()
        rows = c.execute(sa.select(t.fields).where(t.fields.c.module == name).order_by(t.fields.c.position)).all()
        fields = tuple(
            FieldLayout(
                name=f.name,
                label=f.label,
                type=f.type,
                required=f.required,
                unique=f.is_unique,
                encrypted=f.encrypted,
                read_only=f.read_only,
                subform=f.subform,
                classification=f.classification,
            )
            for f in rows
        )
        return ModuleLayout(
            name=row.name,
            label=row.label,
            custom=row.custom,
            person_related=row.person_related,
            fields=fields,
            layout_version=row.layout_version,
        )

    @unit_of_work
    def put_module(self, layout: ModuleLayout, actor: str, keep_marking: bool = True) -> ModuleLayout:
        """Create or replace a module's layout; fields that stay keep their personal marking.

        Storing the same layout again changes nothing (the layout version stays).
        """
        if layout.name in self.module_names():
            current = self.module(layout.name)
            merged = (
                layout
                if not keep_marking
                else msgspec.structs.replace(
                    layout,
                    fields=tuple(
                        msgspec.structs.replace(f, classification=(current.field(f.name) or f).classification)
                        if f.classification == "none"
                        else f
                        for f in layout.fields
                    ),
                )
            )
            if (merged.label, merged.custom, merged.person_related, merged.fields) == (
                current.label,
                current.custom,
                current.person_related,
                current.fields,
            ):
                return current
        with writing(self.engine) as c:
            existing = c.execute(sa.select(t.modules.c.layout_version).where(t.modules.c.name == layout.name)).scalar()
            marks: dict[str, str] = {}
            if existing is not None and keep_marking:
                marks = dict(
                    c.execute(
                        sa.select(t.fields.c.name, t.fields.c.classification).where(t.fields.c.module == layout.name)
                    ).all()
                )
            values = dict(
                label=layout.label,
                custom=layout.custom,
                person_related=layout.person_related,
                updated_at=self.clock(),
                updated_by=actor,
            )
            if existing is None:
                c.execute(t.modules.insert().values(name=layout.name, layout_version=1, **values))
            else:
                before = _encryption_of(c, layout.name)
                for field in layout.fields:
                    if field.name in before and before[field.name] != field.encrypted:
                        self._reseal(c, layout.name, field.name, field.encrypted)
                c.execute(
                    t.modules.update()
                    .where(t.modules.c.name == layout.name)
                    .values(layout_version=existing + 1, **values)
                )
                c.execute(t.fields.delete().where(t.fields.c.module == layout.name))
            if layout.fields:
                c.execute(
                    t.fields.insert(),
                    [
                        dict(
                            module=layout.name,
                            name=f.name,
                            label=f.label,
                            type=f.type,
                            position=i,
                            required=f.required,
                            is_unique=f.unique,
                            encrypted=f.encrypted,
                            read_only=f.read_only,
                            subform=f.subform,
                            classification=marks.get(f.name, f.classification)
                            if f.classification == "none"
                            else f.classification,
                        )
                        for i, f in enumerate(layout.fields)
                    ],
                )
        return self.module(layout.name)

    def mark_field(
        self, module: str, field: str, classification: str, encrypted: bool | None, actor: str
    ) -> ModuleLayout:
        """Change one field's personal marking (and encryption, re-writing stored values); the layout version goes up."""
        was = self.module(module).field(field)
        with writing(self.engine) as c:
            values: dict[str, Any] = {"classification": classification}
            if encrypted is not None:
                values["encrypted"] = encrypted
                if was is not None and was.encrypted != encrypted:
                    self._reseal(c, module, field, encrypted)
            if not c.execute(
                t.fields.update().where(t.fields.c.module == module, t.fields.c.name == field).values(**values)
            ).rowcount:
                raise NotFoundError("field.unknown", f"module {module} has no field {field!r}")
            c.execute(
                t.modules.update()
                .where(t.modules.c.name == module)
                .values(layout_version=t.modules.c.layout_version + 1, updated_at=self.clock(), updated_by=actor)
            )
        return self.module(module)

    # Decisions ----------------------------------------------------------------------------

    def snapshot(self, *, record_id: str | None = None, module: str | None = None) -> Snapshot:
        """Read what a decision needs in one query; settings and layouts come from memory while unchanged.

        This is every decision's path to the database: the statements are built once, and one
        SELECT says whether the settings or the module's layout changed since they were read.
        """
        if record_id is not None and not _is_valid_id(record_id):
            raise NotFoundError("record.unknown", f"no record has id {record_id[:70]!r}")
        if record_id is not None:
            row = self._read_one(_BY_RECORD, "record_id", record_id)
            if row is None:
                raise NotFoundError("record.unknown", f"no record has id {record_id!r}")
            name = row["module"]
        else:
            row = self._read_one(_BY_MODULE, "name", (module or "").strip().casefold())
            if row is None:
                name = self.resolve_module(module or "")  # raises with the names there are
                row = self._read_one(_BY_MODULE, "name", name.casefold())
                assert row is not None
            name = row["name"]
        settings = self._settings
        if settings is None or settings.version != (row["settings_version"] or 0):
            settings = self.settings()
        layout = self._layouts.get(name)
        if layout is None or layout.layout_version != row["layout_version"]:
            layout = self.module(name)
        return Snapshot(settings, layout, _record_state(row) if record_id is not None else None)

    def _read_one(self, select: sa.Select[Any], name: str, value: str) -> dict[str, Any] | None:
        """One row of a decision-path SELECT, through the driver on SQLite (see fastread)."""
        if self._fast is not None:
            if self._statements is None:
                dialect = self.engine.dialect
                self._statements = (Statement(_BY_RECORD, dialect, "record_id"), Statement(_BY_MODULE, dialect, "name"))
            return self._fast.one(self._statements[0 if select is _BY_RECORD else 1], value)
        with single_read(self.engine) as c:
            found = c.execute(select, {name: value}).first()
        return None if found is None else dict(found._mapping)

    def snapshots(self, record_ids: Sequence[str]) -> dict[str, Snapshot]:
        """Read what decisions about many stored records need, a thousand records a query."""
        wanted = sorted({i for i in record_ids if _is_valid_id(i)})
        if not wanted:
            return {}
        found: dict[str, Snapshot] = {}
        settings = self.settings()
        with reading(self.engine) as c:
            for start in range(0, len(wanted), 1000):
                query = sa.select(*_STATE).where(t.records.c.id.in_(wanted[start : start + 1000]))
                for row in c.execute(query).all():
                    found[row.id] = Snapshot(
                        settings,
                        self._layouts.get(row.module) or self.module(row.module),
                        _record_state(dict(row._mapping)),
                    )
        # Layouts read from memory are checked once for the whole batch.
        modules = {snap.layout.name for snap in found.values()}
        fresh = {name: self.module(name) for name in modules}
        return {
            rid: msgspec.structs.replace(snap, layout=fresh[snap.layout.name])
            if snap.layout is not fresh[snap.layout.name]
            else snap
            for rid, snap in found.items()
        }

    # Records ------------------------------------------------------------------------------

    def record(self, record_id: str) -> StoredRecord:
        """Return one record by id."""
        if not _is_valid_id(record_id):
            raise NotFoundError("record.unknown", f"no record has id {record_id[:70]!r}")
        with reading(self.engine) as c:
            row = c.execute(sa.select(t.records).where(t.records.c.id == record_id)).one_or_none()
        if row is None:
            raise NotFoundError("record.unknown", f"no record has id {record_id!r}")
        return self._open_record(row)

    def records(
        self,
        module: str | None = None,
        basis: str | None = None,
        consent_status: str | None = None,
        limit: int = 100,
        after: str | None = None,
        ids: list[str] | None = None,
    ) -> list[StoredRecord]:
        """List records by id, filtered by module, basis, consent status and ids (P4)."""
        where = RecordFilter(module=module, basis=basis, consent_status=consent_status, ids=ids)
        query = sa.select(t.records).where(*where.conditions()).order_by(t.records.c.id).limit(limit)
        if after is not None:
            query = query.where(t.records.c.id > after)
        with reading(self.engine) as c:
            return [self._open_record(row) for row in c.execute(query)]

    def records_by_unique(self, field_type_names: dict[str, list[str]], value: str) -> list[StoredRecord]:
        """Find records whose unique fields (e.g. Email) hold `value`, compared without case."""
        conditions = [
            sa.and_(t.unique_values.c.module == module, t.unique_values.c.field.in_(names))
            for module, names in field_type_names.items()
            if names
        ]
        if not conditions:
            return []
        query = sa.select(t.unique_values.c.record_id).where(
            sa.or_(*conditions), t.unique_values.c.value == self._unique(value)
        )
        with reading(self.engine) as c:
            ids = sorted({row.record_id for row in c.execute(query)})
        return self.records(ids=ids, limit=len(ids)) if ids else []

    def count_records(self, module: str | None = None) -> int:
        """Count records, in one module or in all."""
        query = sa.select(sa.func.count()).select_from(t.records)
        if module is not None:
            query = query.where(t.records.c.module == module)
        with reading(self.engine) as c:
            return int(c.execute(query).scalar_one())

    @unit_of_work
    def upsert_records(
        self, module: str, rows: Sequence[NewRecord], source: dict[str, Any], actor: str
    ) -> UpsertResult:
        """Create new records and update changed ones in one transaction; identical rows change nothing."""
        result = UpsertResult()
        now = self.clock()
        with writing(self.engine) as c:
            ids = [r.id for r in rows]
            known = {
                row.id: row
                for row in c.execute(
                    sa.select(t.records.c.id, t.records.c.module, t.records.c.content_hash, t.records.c.data).where(
                        t.records.c.id.in_(ids)
                    )
                )
            }
            taken = self._taken_unique(c, module, rows)
            events = []
            for row in rows:
                clash = next(
                    (
                        f"{field}: the same value is already used by record {owner}"
                        for field, value in row.unique.items()
                        if (owner := taken.get((field, self._unique(value)))) not in (None, row.id)
                    ),
                    None,
                )
                old = known.get(row.id)
                if old is not None and old.module != module:
                    result.refused[row.id] = f"record id {row.id} already belongs to module {old.module}"
                elif clash:
                    result.refused[row.id] = clash
                elif old is not None and old.content_hash == row.content_hash:
                    result.unchanged.append(row.id)
                else:
                    self._write_record(c, module, row, old is None, source, now)
                    (result.created if old is None else result.updated).append(row.id)
                    origin = f"from {source.get('kind')} {source.get('file') or ''}".strip()
                    detail: dict[str, Any] = {"source": source}
                    if old is not None:  # which fields changed, never their values (A1)
                        was = self._plain(row.id, old.data)
                        detail["fields"] = sorted(k for k in {*was, *row.data} if was.get(k) != row.data.get(k))
                    events.append(
                        dict(
                            record_id=row.id,
                            at=now,
                            actor=actor,
                            kind="record.created" if old is None else "record.updated",
                            summary=f"created {origin}"
                            if old is None
                            else f"updated {origin}: {', '.join(detail['fields'])}",
                            detail=detail,
                            rule_id=None,
                            ruleset_version=None,
                        )
                    )
                    for field, value in row.unique.items():
                        taken[(field, self._unique(value))] = row.id
            if events:
                c.execute(t.timeline.insert(), events)
        return result

    @unit_of_work
    def replace_data(
        self, record_id: str, data: dict[str, Any], unique: dict[str, str], content_hash: str, row: TimelineRow
    ) -> StoredRecord:
        """Replace a record's data (rectification, erasure) with a timeline row, in one transaction."""
        record = self.record(record_id)
        with writing(self.engine) as c:
            taken = self._taken_unique(c, record.module, [NewRecord(record_id, data, content_hash, unique)])
            for field, value in unique.items():
                owner = taken.get((field, self._unique(value)))
                if owner not in (None, record_id):
                    raise ConflictError("record.conflict", f"{field}: the same value is already used by record {owner}")
            self._write_record(
                c, record.module, NewRecord(record_id, data, content_hash, unique), False, record.source, self.clock()
            )
            self._timeline(c, [record_id], [row], self.clock())
        return self.record(record_id)

    @unit_of_work
    def erase(
        self,
        kept: dict[str, dict[str, Any] | None],
        rows: dict[str, TimelineRow],
        blocks: list[tuple[str, str]],
        actor: str,
    ) -> None:
        """Erase records in one transaction (DS3): each keeps only `kept[id]` (restricted) or goes
        entirely (None); the blocklist gets the subject's digests. On any failure nothing changes."""
        now = self.clock()
        with writing(self.engine) as c:
            for record_id, data in kept.items():
                found = c.execute(sa.select(t.records.c.module).where(t.records.c.id == record_id)).scalar()
                if found is None:
                    raise NotFoundError("record.unknown", f"no record has id {record_id!r}")
                c.execute(t.unique_values.delete().where(t.unique_values.c.record_id == record_id))
                if data is None:
                    c.execute(t.records.delete().where(t.records.c.id == record_id))
                else:
                    sealed = self._seal(c, found, record_id, data)
                    c.execute(
                        t.records.update()
                        .where(t.records.c.id == record_id)
                        .values(data=sealed, content_hash="erased", restricted=True, updated_at=now)
                    )
                self._timeline(c, [record_id], [rows[record_id]], now)
            self._forget_submissions(c, set(kept))
            for kind, digest in blocks:
                exists = c.execute(
                    sa.select(t.blocklist.c.id).where(t.blocklist.c.kind == kind, t.blocklist.c.digest == digest)
                ).first()
                if exists is None:
                    c.execute(
                        t.blocklist.insert().values(
                            kind=kind, digest=digest, reason="erasure", added_at=now, added_by=actor
                        )
                    )

    def _taken_unique(self, c: sa.Connection, module: str, rows: Sequence[NewRecord]) -> dict[tuple[str, str], str]:
        wanted = {self._unique(v) for r in rows for v in r.unique.values()}
        if not wanted:
            return {}
        query = sa.select(t.unique_values).where(
            t.unique_values.c.module == module, t.unique_values.c.value.in_(wanted)
        )
        return {(u.field, u.value): u.record_id for u in c.execute(query)}

    def _seal(self, c: sa.Connection, module: str, record_id: str, data: dict[str, Any]) -> dict[str, Any]:
        """Encrypt the values of the module's encrypted fields (F6), as the caller's transaction sees them."""
        secret = {name for name, encrypted in _encryption_of(c, module).items() if encrypted}
        if not secret & data.keys():
            return data
        if self.cipher is None:
            raise LawfulError(
                "crypto.no_key", "fields marked encrypted need the installation's secret key; none is configured"
            )
        return {
            k: self.cipher.encrypt(v, record_id, k) if k in secret and not is_encrypted(v) else v
            for k, v in data.items()
        }

    def _open_record(self, row: sa.Row[Any]) -> StoredRecord:
        """Turn a row into a record, decrypting encrypted values."""
        values = {k: v for k, v in row._asdict().items() if k in StoredRecord.__struct_fields__}
        values["data"] = self._plain(values["id"], values["data"])
        return StoredRecord(**values)

    def _plain(self, record_id: str, data: dict[str, Any]) -> dict[str, Any]:
        """A record's stored data with its encrypted values decrypted."""
        if not any(is_encrypted(v) for v in data.values()):
            return data
        if self.cipher is None:
            raise LawfulError("crypto.no_key", "this record has encrypted fields and no key is configured to read them")
        return {k: self.cipher.decrypt(v, record_id, k) if is_encrypted(v) else v for k, v in data.items()}

    def _reseal(self, c: sa.Connection, module: str, field: str, encrypt: bool) -> None:
        """Encrypt (or decrypt) one field in every record of a module, inside the caller's transaction."""
        if encrypt and self.cipher is None:
            raise LawfulError(
                "crypto.no_key", "encrypting a field needs the installation's secret key; none is configured"
            )
        rows = c.execute(sa.select(t.records.c.id, t.records.c.data).where(t.records.c.module == module)).all()
        for row in rows:
            record_id: str = row.id
            data: dict[str, Any] = row.data
            value = data.get(field)
            if value is None or is_encrypted(value) == encrypt:
                continue
            assert self.cipher is not None
            changed = (
                self.cipher.encrypt(value, record_id, field)
                if encrypt
                else self.cipher.decrypt(value, record_id, field)
            )
            c.execute(t.records.update().where(t.records.c.id == record_id).values(data={**data, field: changed}))

    def _write_record(
        self, c: sa.Connection, module: str, row: NewRecord, new: bool, source: dict[str, Any], now: dt.datetime
    ) -> None:
        row = msgspec.structs.replace(row, data=self._seal(c, module, row.id, row.data))
        if new:
            c.execute(
                t.records.insert().values(
                    id=row.id,
                    module=module,
                    data=row.data,
                    content_hash=row.content_hash,
                    basis="not_applicable",
                    lia_id=None,
                    consent_status="not_requested",
                    consent_deadline=None,
                    restricted=False,
                    awaiting_confirmation=False,
                    source=source,
                    created_at=now,
                    updated_at=now,
                )
            )
        else:
            c.execute(
                t.records.update()
                .where(t.records.c.id == row.id)
                .values(data=row.data, content_hash=row.content_hash, updated_at=now)
            )
            c.execute(t.unique_values.delete().where(t.unique_values.c.record_id == row.id))
        if row.unique:
            c.execute(
                t.unique_values.insert(),
                [dict(module=module, field=f, value=self._unique(v), record_id=row.id) for f, v in row.unique.items()],
            )

    # Timeline -----------------------------------------------------------------------------

    def timeline(self, record_id: str) -> list[TimelineEntry]:
        """Return a record's timeline, oldest first."""
        with reading(self.engine) as c:
            rows = c.execute(
                sa.select(t.timeline).where(t.timeline.c.record_id == record_id).order_by(t.timeline.c.id)
            ).all()
        return [TimelineEntry(**row._asdict()) for row in rows]

    # Imports ------------------------------------------------------------------------------

    def start_import(self, module: str, file_name: str, digest: str, actor: str) -> int:
        """Record that an import began; return its id."""
        with writing(self.engine) as c:
            key = c.execute(
                t.imports.insert().values(
                    module=module,
                    file_name=file_name,
                    file_digest=digest,
                    actor=actor,
                    started_at=self.clock(),
                    counts={},
                    problems=[],
                )
            ).inserted_primary_key
        assert key is not None
        return int(key[0])

    def finish_import(self, import_id: int, counts: dict[str, int], problems: Iterable[dict[str, Any]]) -> None:
        """Record how an import ended."""
        with writing(self.engine) as c:
            c.execute(
                t.imports.update()
                .where(t.imports.c.id == import_id)
                .values(finished_at=self.clock(), counts=counts, problems=list(problems))
            )


_STATE = tuple(t.records.c[name] for name in RecordState.__struct_fields__)
_UTC = t.UtcDateTime()
_BY_RECORD = (
    sa.select(*_STATE, t.modules.c.layout_version, t.settings.c.version.label("settings_version"))
    .join(t.modules, t.modules.c.name == t.records.c.module)
    .outerjoin(t.settings, t.settings.c.id == 1)
    .where(t.records.c.id == sa.bindparam("record_id"))
)
_BY_MODULE = (
    sa.select(t.modules.c.name, t.modules.c.layout_version, t.settings.c.version.label("settings_version"))
    .outerjoin(t.settings, t.settings.c.id == 1)
    .where(sa.func.lower(t.modules.c.name) == sa.bindparam("name"))
)


def _encryption_of(c: sa.Connection, module: str) -> dict[str, bool]:
    """Whether each field of a module is encrypted, read in the caller's transaction.

    A write transaction reads through its own connection: taking a second one from the pool
    while holding the first could wait for ever once every pooled connection is held so.
    """
    query = sa.select(t.fields.c.name, t.fields.c.encrypted).where(t.fields.c.module == module)
    return {str(row.name): bool(row.encrypted) for row in c.execute(query)}


def _record_state(row: dict[str, Any]) -> RecordState:
    """A record's state from a row read by SQLAlchemy or straight from the driver (strings, 0 and 1)."""
    deadline = row["consent_deadline"]
    return RecordState(
        id=row["id"],
        module=row["module"],
        basis=row["basis"],
        lia_id=row["lia_id"],
        consent_status=row["consent_status"],
        consent_deadline=_UTC.process_result_value(deadline, None) if deadline is not None else None,  # type: ignore[arg-type]
        restricted=bool(row["restricted"]),
        awaiting_confirmation=bool(row["awaiting_confirmation"]),
    )


def _is_valid_id(record_id: str) -> bool:
    # Ids are at most 64 printable characters; anything else cannot be stored, so is never found.
    return 0 < len(record_id) <= 64 and record_id.isprintable()
