"""Storage: SQLite by default, PostgreSQL by URL, one data-access facade."""

from .access import ApiKey, SignInTicket, User
from .compliance import RecordFilter, TimelineRow
from .forms import FormVersion, StoredForm, StoredSubmission
from .models import (
    MAX_ROW_ID,
    RECORD_ID_PATTERN,
    BlockEntry,
    ControllerSettings,
    DataLocation,
    Dpo,
    FieldLayout,
    Lia,
    ModuleLayout,
    RecordState,
    ReleasedRecord,
    StoredRecord,
    TimelineEntry,
    WithheldField,
)
from .portal import PortalLink
from .rights import RightKind, RightsRequest
from .store import NewRecord, Snapshot, Store, UpsertResult, utc_now

__all__ = [
    "MAX_ROW_ID",
    "RECORD_ID_PATTERN",
    "ApiKey",
    "SignInTicket",
    "User",
    "BlockEntry",
    "ControllerSettings",
    "DataLocation",
    "Dpo",
    "FieldLayout",
    "Lia",
    "ModuleLayout",
    "RecordState",
    "ReleasedRecord",
    "NewRecord",
    "FormVersion",
    "PortalLink",
    "RecordFilter",
    "StoredForm",
    "StoredSubmission",
    "RightKind",
    "RightsRequest",
    "Snapshot",
    "Store",
    "StoredRecord",
    "TimelineEntry",
    "TimelineRow",
    "UpsertResult",
    "WithheldField",
    "utc_now",
]
