"""CSV exports that spreadsheets cannot run, header cells included (DS5)."""

import csv
import datetime as dt
import io

import msgspec
import pytest

from api.exports import records_csv
from api.storage import FieldLayout, ModuleLayout, StoredRecord

NOW = dt.datetime(2026, 3, 2, tzinfo=dt.timezone.utc)
FORMULAS = ['=HYPERLINK("http://x.example","click")', "+31 Phone", "-1+1", "@SUM(1)", "\tTab", "\rCR", "\nLF"]


def record(module, data):
    return StoredRecord(
        id="r1",
        module=module,
        data=data,
        basis="contract",
        lia_id=None,
        consent_status="not_requested",
        consent_deadline=None,
        restricted=False,
        awaiting_confirmation=False,
        source={"kind": "api"},
        created_at=NOW,
        updated_at=NOW,
    )


def read(exported):
    return list(csv.reader(io.StringIO(exported.decode("utf-8-sig"))))


@pytest.mark.parametrize("text", FORMULAS)
def test_labels_and_module_names_that_would_run_as_formulas_are_text(text):
    layout = ModuleLayout(name=text, label="Module", fields=(FieldLayout(name="Company", label=text, type="text"),))
    header, row = read(records_csv([record(text, {"Company": "ACME"})], {text: layout}))
    assert header == ["Module", "Record Id", "'" + text]
    assert row == ["'" + text, "r1", "ACME"]


def test_plain_labels_and_values_are_left_as_they_are():
    layout = ModuleLayout(
        name="Leads",
        label="Leads",
        fields=(
            FieldLayout(name="Company", label="Company", type="text"),
            FieldLayout(name="Employees", label="No. of Employees", type="integer"),
        ),
    )
    exported = records_csv([record("Leads", {"Company": "=cmd|' /C calc'!A0", "Employees": -3})], {"Leads": layout})
    assert read(exported) == [
        ["Module", "Record Id", "Company", "No. of Employees"],
        ["Leads", "r1", "'=cmd|' /C calc'!A0", "-3"],  # a number stored as a number is not text
    ]


def test_ds5_one_column_per_field_and_no_two_columns_named_alike():
    """A subject with a lead and a contact: the Leads "Title" (Designation) and the Contacts "Title"
    are two columns that say which is which; a field both modules have is one column."""
    leads = ModuleLayout(
        name="Leads",
        label="Leads",
        fields=(
            FieldLayout(name="Email", label="Email", type="email"),
            FieldLayout(name="Designation", label="Title", type="text"),
        ),
    )
    contacts = ModuleLayout(
        name="Contacts",
        label="Contacts",
        fields=(
            FieldLayout(name="Email", label="E-mail", type="email"),
            FieldLayout(name="Title", label="Title", type="text"),
        ),
    )
    lead = record("Leads", {"Email": "a@example.org", "Designation": "CFO"})
    contact = msgspec.structs.replace(record("Contacts", {"Email": "a@example.org", "Title": "Dr"}), id="c1")
    header, *rows = read(records_csv([lead, contact], {"Leads": leads, "Contacts": contacts}))
    assert header == ["Module", "Record Id", "Email", "Title (Designation)", "Title (Title)"]
    assert rows == [["Leads", "r1", "a@example.org", "CFO", ""], ["Contacts", "c1", "a@example.org", "", "Dr"]]
