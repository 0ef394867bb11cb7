"""Storage: SQLite by default, PostgreSQL by URL, one data-access facade."""

from .models import (
    ControllerSettings,
    DataLocation,
    Dpo,
    FieldLayout,
    ModuleLayout,
    StoredRecord,
    TimelineEntry,
)
from .store import NewRecord, Snapshot, Store, UpsertResult, utc_now

__all__ = [
    "ControllerSettings",
    "DataLocation",
    "Dpo",
    "FieldLayout",
    "ModuleLayout",
    "NewRecord",
    "Snapshot",
    "Store",
    "StoredRecord",
    "TimelineEntry",
    "UpsertResult",
    "utc_now",
]
