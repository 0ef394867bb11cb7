"""Answer decision queries: fill in facts from the store, then ask the engine."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Annotated, ClassVar

import msgspec
from msgspec import Meta

from engine import (
    ConsentFacts,
    Decision,
    DecisionRequest,
    FieldFacts,
    Lang,
    LawfulError,
    ModuleFacts,
    Question,
    RecordFacts,
    RequestError,
    Settings,
    did_you_mean,
    evaluate,
)

from .bodies import check_instants
from .rules_host import RulesHost
from .storage import ControllerSettings, ModuleLayout, RecordState, Snapshot, Store, StoredRecord

AwareDatetime = Annotated[dt.datetime, Meta(tz=True)]


class DecisionQuery(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A question about a stored record (`record_id`) or about facts given inline (`module` + `record`)."""

    # A batch answers each query on its own: an instant out of range fails only its query (see decide).
    checks_own_instants: ClassVar[bool] = True
    question: Question
    at: AwareDatetime | None = None
    record_id: str | None = None
    module: str | None = None
    record: RecordFacts | None = None
    channel: str | None = None
    fields: list[str] | None = None
    field: str | None = None
    classification: str | None = None
    ruleset_version: str | None = None
    lang: Lang = "en"


class BatchQuery(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Many questions in one request."""

    queries: Annotated[list[DecisionQuery], Meta(min_length=1, max_length=10_000)]


class ItemError(msgspec.Struct, frozen=True):
    """Why one query of a batch got no decision."""

    index: int
    code: str
    message: str


class BatchResult(msgspec.Struct, frozen=True):
    """One decision or one error per query, in the order asked."""

    decisions: list[Decision | None]
    errors: list[ItemError]


def engine_settings(settings: ControllerSettings) -> Settings:
    """Return the part of the controller's settings the engine reads."""
    return Settings(
        compliance_enabled=settings.compliance_enabled,
        modules=frozenset(settings.modules),
        withheld=frozenset(settings.withheld) if settings.withheld is not None else None,
    )


def module_facts(layout: ModuleLayout) -> ModuleFacts:
    """Return a module's layout as engine facts."""
    return ModuleFacts(
        name=layout.name,
        custom=layout.custom,
        fields=tuple(
            FieldFacts(
                name=f.name,
                type=f.type,
                classification=f.classification,
                encrypted=f.encrypted,
                subform=f.subform,
                read_only=f.read_only,
                required=f.required,
            )
            for f in layout.fields
        ),
    )


def record_facts(record: StoredRecord | RecordState) -> RecordFacts:
    """Return a stored record's state as engine facts."""
    return RecordFacts(
        id=record.id,
        basis=record.basis,
        has_lia=record.lia_id is not None,
        restricted=record.restricted,
        awaiting_confirmation=record.awaiting_confirmation,
        consent=ConsentFacts(status=record.consent_status, deadline=record.consent_deadline),
    )


class DecisionService:
    """Turn queries into engine requests and answer them."""

    def __init__(self, store: Store, rules: RulesHost) -> None:
        self.store, self.rules = store, rules
        self._facts: dict[tuple[str, int], ModuleFacts] = {}
        self._fields: dict[tuple[str, int], dict[str, FieldFacts]] = {}  # each module's fields by name
        self._settings: tuple[int, Settings] | None = None

    def decide(self, query: DecisionQuery, snapshot: Snapshot | None = None) -> Decision:
        """Answer one query; `snapshot` is what the store holds for it, when already read."""
        check_instants(query)
        snapshot = snapshot if snapshot is not None else self._snapshot(query)
        request = self.request_for(query, snapshot)
        pin = query.ruleset_version or snapshot.settings.pinned_version
        return evaluate(self.rules.active(request.at, pin), request)

    def decide_batch(self, batch: BatchQuery) -> BatchResult:
        """Answer many queries; a query that fails is reported by index and the others still answered.

        Stored records are read together, a thousand a query, and each module once.
        """
        stored = self.store.snapshots([q.record_id for q in batch.queries if q.record_id is not None])
        modules: dict[str, Snapshot] = {}

        def snapshot_for(query: DecisionQuery) -> Snapshot:
            if (
                query.record_id is not None
                and query.module is None
                and query.record is None
                and query.record_id in stored
            ):
                return stored[query.record_id]
            if query.record_id is None and query.module is not None:
                key = query.module.strip().casefold()
                if key not in modules:
                    modules[key] = self._snapshot(query)
                return modules[key]
            return self._snapshot(query)  # an unknown record or an ambiguous query: its own clear error

        decisions: list[Decision | None] = []
        errors: list[ItemError] = []
        for index, query in enumerate(batch.queries):
            try:
                decisions.append(self.decide(query, snapshot_for(query)))
            except LawfulError as exc:
                decisions.append(None)
                errors.append(ItemError(index, exc.code, exc.message))
        return BatchResult(decisions, errors)

    def release_fields(self, records: Sequence[StoredRecord], channel: str) -> list[Decision]:
        """Ask, for each record, which of its module's fields may leave by `channel` now (F5, DS4).

        The decisions rest on the state read with the records, so what is released matches what
        was read; the settings are read once and each module's layout once.
        """
        settings = self.store.settings()
        layouts: dict[str, ModuleLayout] = {}
        decisions = []
        for record in records:
            layout = layouts.get(record.module)
            if layout is None:
                layout = layouts[record.module] = self.store.module(record.module)
            query = DecisionQuery(question="field_release", record_id=record.id, channel=channel)
            decisions.append(self.decide(query, Snapshot(settings, layout, record.state())))
        return decisions

    def _snapshot(self, query: DecisionQuery) -> Snapshot:
        if query.record_id is not None:
            if query.record is not None or query.module is not None:
                raise RequestError(
                    "request.ambiguous", "give either record_id, or module with record facts, not both - at $.record_id"
                )
            return self.store.snapshot(record_id=query.record_id)
        if query.module is None:
            raise RequestError(
                "request.missing",
                "expected record_id (a stored record) or module (with facts given inline), found neither - at $.module",
            )
        return self.store.snapshot(module=query.module)

    def request_for(self, query: DecisionQuery, snap: Snapshot) -> DecisionRequest:
        """Build the engine request for a query from the snapshot and the query's own facts."""
        module = self._module_facts(snap.layout)
        record = record_facts(snap.record) if snap.record is not None else query.record
        if record is None and query.question != "field_marking":
            record = RecordFacts()
        fields: tuple[FieldFacts, ...] = ()
        field = None
        if query.question == "field_release":
            if query.fields is None:
                fields = module.fields
            else:
                by_name = self._fields[(snap.layout.name, snap.layout.layout_version)]
                fields = _select(module, query.fields, "$.fields", by_name)
        if query.question == "field_marking":
            field = _marking(module, query)
        at = query.at or self.store.clock()
        return DecisionRequest(
            question=query.question,
            at=at,
            module=module,
            settings=self._engine_settings(snap.settings),
            record=record,
            channel=query.channel,
            fields=fields,
            field=field,
            lang=query.lang,
        )

    def _module_facts(self, layout: ModuleLayout) -> ModuleFacts:
        key = (layout.name, layout.layout_version)
        facts = self._facts.get(key)
        if facts is None:
            facts = module_facts(layout)
            self._fields[key] = {f.name: f for f in facts.fields}
            self._facts[key] = facts
        return facts

    def _engine_settings(self, settings: ControllerSettings) -> Settings:
        cached = self._settings
        if cached is None or cached[0] != settings.version:
            cached = self._settings = (settings.version, engine_settings(settings))
        return cached[1]


def _select(
    module: ModuleFacts, names: list[str], at: str, by_name: dict[str, FieldFacts] | None = None
) -> tuple[FieldFacts, ...]:
    if not names:
        raise RequestError(
            "request.missing",
            f"expected at least one field name, or no '{at[2:]}' for every field, found an empty list - at {at}",
        )
    by_name = by_name if by_name is not None else {f.name: f for f in module.fields}
    chosen = []
    for index, name in enumerate(names):
        if name not in by_name:
            raise RequestError(
                "request.unknown_field",
                f"module {module.name} has no field {name!r}{did_you_mean(name, by_name)} - at {at}[{index}]",
            )
        if names.index(name) != index:
            raise RequestError("request.repeated_field", f"field {name!r} is asked twice - at {at}[{index}]")
        chosen.append(by_name[name])
    return tuple(chosen)


def _marking(module: ModuleFacts, query: DecisionQuery) -> FieldFacts:
    if query.field is None or query.classification is None:
        raise RequestError(
            "request.missing",
            "question 'field_marking' needs 'field' (a field name) and 'classification' (none, normal or sensitive) - at $.field",
        )
    by_name = {f.name: f for f in module.fields}
    if query.field not in by_name:
        raise RequestError(
            "request.unknown_field",
            f"module {module.name} has no field {query.field!r}{did_you_mean(query.field, by_name)} - at $.field",
        )
    return msgspec.structs.replace(by_name[query.field], classification=query.classification)
