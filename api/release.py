"""What a caller of the API may see of a record: the fields the engine releases on channel `api` (F5, DS4).

The records API answers with the same field_release decision the decision endpoint gives for
channel `api` at the moment of the request; a field it withholds is left out and named, with the
deciding rule, in the record's `withheld` list. Administrators see every field: they carry out the
subjects' rights (DS1-DS7), which needs all the data held. No other role reads records whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from engine import Decision

from .decisions import DecisionService
from .storage import ReleasedRecord, StoredRecord, TimelineEntry, WithheldField

API_CHANNEL = "api"
SEES_EVERY_FIELD = frozenset({"admin"})
RELEASE_DOC = (
    "Admins get every field. Other callers get only the fields a field_release decision on channel api "
    "allows now (F5, DS4); each field left out is listed in the record's `withheld` with the deciding rule."
)
_NOT_IN_LAYOUT = "the module's layout no longer has this field, so no rule can release its value"
# Where a form or portal answer came from: the subject's network address and browser. They are
# kept as the controller's proof of consent (W4) and source (D1), not as data for apps.
PROOF_CONTEXT = frozenset({"ip", "user_agent"})
_PROOF_ONLY = "kept as the controller's proof of where an answer came from (D1, W4); shown to admins only"


def without_proof_context(value: Any) -> Any:
    """`value` with every address and browser string of a proof left out, at any depth."""
    if isinstance(value, dict):
        return {k: without_proof_context(v) for k, v in value.items() if k not in PROOF_CONTEXT}
    if isinstance(value, list):
        return [without_proof_context(v) for v in value]
    return value


def whole(record: StoredRecord) -> ReleasedRecord:
    """Return a record with nothing withheld."""
    return ReleasedRecord(**_stored(record))


def _stored(record: StoredRecord) -> dict[str, Any]:
    # Only what the store holds: a record released once before is released afresh, not twice.
    return {name: getattr(record, name) for name in StoredRecord.__struct_fields__}


def released(record: StoredRecord, decision: Decision) -> ReleasedRecord:
    """Return `record` with only the fields `decision` (a field release) allows, naming the others."""
    judged = {f.field: f for f in decision.fields or ()}
    # The deciding rule's reason comes first (engine.evaluator.decide).
    withheld = [
        WithheldField(f.field, f.decided_by, f.reasons[0].message) for f in judged.values() if f.effect == "deny"
    ]
    withheld += [WithheldField(name, None, _NOT_IN_LAYOUT) for name in record.data if name not in judged]
    data = {name: value for name, value in record.data.items() if name in judged and judged[name].effect == "allow"}
    withheld += [
        WithheldField(f"source.{key}", None, _PROOF_ONLY) for key in sorted(PROOF_CONTEXT & record.source.keys())
    ]
    source = without_proof_context(record.source)
    return ReleasedRecord(**{**_stored(record), "data": data, "source": source}, withheld=tuple(withheld))


class RecordRelease:
    """Give each caller the records they read with only the fields released to their role."""

    def __init__(self, decisions: DecisionService) -> None:
        self.decisions = decisions

    def for_role(self, role: str, records: Sequence[StoredRecord]) -> list[ReleasedRecord]:
        """Return `records` as a caller with `role` may see them; decided per module in one pass."""
        if role in SEES_EVERY_FIELD:
            return [whole(record) for record in records]
        decisions = self.decisions.release_fields(records, API_CHANNEL)
        return [released(record, decision) for record, decision in zip(records, decisions, strict=True)]

    def timeline_for_role(self, role: str, entries: Sequence[TimelineEntry]) -> list[TimelineEntry]:
        """A record's timeline as a caller with `role` may see it: every event, without the
        addresses and browsers kept as proof, which only admins see."""
        if role in SEES_EVERY_FIELD:
            return list(entries)
        return [msgspec.structs.replace(e, detail=without_proof_context(e.detail)) for e in entries]

    def one_for_role(self, role: str, record: StoredRecord) -> ReleasedRecord:
        """Return one record as a caller with `role` may see it."""
        return self.for_role(role, [record])[0]
