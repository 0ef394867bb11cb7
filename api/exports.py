"""Exports of a subject's data: CSV that spreadsheets cannot run, and JSON (DS5)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

import msgspec

from .storage import ModuleLayout, StoredRecord

# A cell starting with one of these is run as a formula by spreadsheet programs.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def spreadsheet_safe(value: Any) -> str:
    """Return a cell's text; text a spreadsheet would run as a formula gets a leading apostrophe.

    Every text starting with =, +, -, @, a tab or a line break is neutralised, E.164 phone numbers
    included (a spreadsheet reads +31... as a formula); numbers stored as numbers are not text.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list):
        value = "; ".join(str(v) for v in value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def records_csv(records: Iterable[StoredRecord], layouts: dict[str, ModuleLayout]) -> bytes:
    """Write records as CSV, one row per record, columns by field label, UTF-8 with BOM.

    Every cell goes through spreadsheet_safe, the header's too: field labels and module names are
    text an administrator typed, or a CRM's metadata brought in, and run as formulas as well.
    """
    chosen = list(records)
    labels: dict[str, str] = {}  # one column per field name, in the order the layouts give
    for record in chosen:
        for field in layouts[record.module].fields:
            if field.name in record.data:
                labels.setdefault(field.name, field.label)
    # Two fields with one label (a Leads "Title" that is Designation, a Contacts "Title") get
    # their api names too, so that no two columns are called the same.
    shared = {label for label in labels.values() if list(labels.values()).count(label) > 1}
    header = [f"{label} ({name})" if label in shared else label for name, label in labels.items()]
    table: list[list[Any]] = [["Module", "Record Id", *header]]
    table += [[record.module, record.id, *(record.data.get(name) for name in labels)] for record in chosen]
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerows([spreadsheet_safe(cell) for cell in row] for row in table)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def records_json(records: Iterable[StoredRecord]) -> bytes:
    """Write records as JSON: module, id, data, and where the data came from."""
    payload = [
        {"module": r.module, "id": r.id, "data": r.data, "source": r.source, "created_at": r.created_at}
        for r in records
    ]
    return msgspec.json.format(msgspec.json.encode(payload))
