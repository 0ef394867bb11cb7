"""What the store keeps, as typed values."""

from __future__ import annotations

import datetime as dt
from typing import Any

from msgspec import Struct

# A CRM record id: letters, digits and . _ : - (no slash, space or @), so it is safe in a URL path
# and cannot be an email address.
RECORD_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
# The largest id of a numbered row (keys, assessments, blocklist entries): INTEGER on PostgreSQL.
MAX_ROW_ID = 2**31 - 1


class FieldLayout(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One field of a CRM module; subform fields are named `Subform.Field`."""

    name: str
    label: str
    type: str
    required: bool = False
    unique: bool = False
    encrypted: bool = False
    read_only: bool = False
    subform: str | None = None
    classification: str = "none"


class ModuleLayout(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A CRM module and its fields, in display order."""

    name: str
    label: str
    custom: bool = False
    person_related: bool = True
    fields: tuple[FieldLayout, ...] = ()
    layout_version: int = 0

    def field(self, name: str) -> FieldLayout | None:
        """Return the field with this api name, if any."""
        return next((f for f in self.fields if f.name == name), None)


class Dpo(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The data protection officer's contact details (R1)."""

    name: str
    email: str
    phone: str | None = None
    address: str | None = None


class DataLocation(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Where data is held and under which transfer mechanism (X2)."""

    country: str
    mechanism: str | None = None
    notes: str | None = None


class ControllerSettings(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The controller's compliance settings (S1, S3, F5, C3, R1, X2)."""

    compliance_enabled: bool = False
    modules: tuple[str, ...] = ()
    withheld: tuple[str, ...] | None = None
    waiting_period_days: int | None = None
    timezone: str = "UTC"
    phone_country_code: str | None = None
    pinned_version: str | None = None
    dpo: Dpo | None = None
    data_location: DataLocation | None = None
    version: int = 0


class RecordState(Struct, frozen=True, kw_only=True):
    """What a decision reads of a record: its state, never its data."""

    id: str
    module: str
    basis: str
    lia_id: int | None
    consent_status: str
    consent_deadline: dt.datetime | None
    restricted: bool
    awaiting_confirmation: bool


class StoredRecord(Struct, frozen=True, kw_only=True):
    """One record: its data, its basis and consent state, and where it came from (D1)."""

    id: str
    module: str
    data: dict[str, Any]
    basis: str
    lia_id: int | None
    consent_status: str
    consent_deadline: dt.datetime | None
    restricted: bool
    awaiting_confirmation: bool
    source: dict[str, Any]
    created_at: dt.datetime
    updated_at: dt.datetime
    basis_set_at: dt.datetime | None = None
    consent_changed_at: dt.datetime | None = None

    def state(self) -> RecordState:
        """Return what a decision reads of this record, as read together with its data."""
        return RecordState(**{name: getattr(self, name) for name in RecordState.__struct_fields__})


class WithheldField(Struct, frozen=True):
    """A field left out of a record for the caller who reads it, and why (F5, DS4).

    `decided_by` is the id of the rule that withheld it; null for a value of a field the module's
    layout no longer has, which no rule can release.
    """

    field: str
    decided_by: str | None
    reason: str


class ReleasedRecord(StoredRecord, frozen=True, kw_only=True):
    """A record as one caller may see it: `data` holds only the fields released to them, `withheld`
    names every field of the module left out, with the rule that decided (F5, DS4)."""

    withheld: tuple[WithheldField, ...] = ()


class TimelineEntry(Struct, frozen=True, kw_only=True):
    """One event on a record's timeline (A1)."""

    id: int
    record_id: str
    at: dt.datetime
    actor: str
    kind: str
    summary: str
    detail: dict[str, Any]
    rule_id: str | None = None
    ruleset_version: str | None = None


class Lia(Struct, frozen=True, kw_only=True):
    """A legitimate-interest assessment (P2): purpose, necessity and balancing tests, who and when."""

    id: int
    purpose: str
    necessity: str
    balancing: str
    assessed_by: str
    assessed_at: dt.datetime
    created_at: dt.datetime
    created_by: str


class BlockEntry(Struct, frozen=True, kw_only=True):
    """A blocklist entry (B2): a keyed hash of an email or phone number, never the value."""

    id: int
    kind: str
    digest: str
    reason: str
    added_at: dt.datetime
    added_by: str
