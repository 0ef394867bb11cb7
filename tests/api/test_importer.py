"""Importing CRM exports: encodings, delimiters, bad rows, re-runs."""

import json
import unicodedata

import pytest

from api.importer import decode, import_csv, sniff_delimiter
from engine import RequestError
from tests.conftest import DATA

MANIFEST = json.loads((DATA / "leads_bom_semicolon.edge_cases.json").read_text())
EDGE, DUPLICATE_OF = MANIFEST["edge_cases"], MANIFEST["duplicate_of"]


def test_bom_semicolon_export_imports_with_bad_rows_reported_by_line(layouts_store):
    report = import_csv(layouts_store, DATA / "leads_bom_semicolon.csv", "leads")
    refused = {p.record_id for p in report.problems}
    assert report.rows == 200 and report.warnings == []
    assert set(EDGE["malformed_email"]) | set(EDGE["empty_required"]) <= refused
    # Of two records whose emails differ only in case, the one later in the file is refused.
    for copy, original in DUPLICATE_OF.items():
        assert len(refused & {copy, original}) == 1
    assert len(refused) == len(EDGE["malformed_email"]) + len(EDGE["empty_required"]) + len(DUPLICATE_OF)
    conflict = next(p for p in report.problems if p.code == "conflict")
    assert conflict.message.startswith("Email: ") and "is already used by record" in conflict.message
    assert report.created == 200 - len(refused) and report.failed == len(refused)
    assert all(p.line > 1 for p in report.problems)
    lines = {p.record_id: p.line for p in report.problems}
    text = (DATA / "leads_bom_semicolon.csv").read_text(encoding="utf-8-sig").split("\n")
    for record_id, line in lines.items():
        assert text[line - 1].startswith(record_id)  # the line number points at the row


def test_values_are_cleaned_typed_and_kept_verbatim_where_it_matters(layouts_store):
    import_csv(layouts_store, DATA / "leads_bom_semicolon.csv", "Leads")
    padded = layouts_store.record(EDGE["leading_trailing_whitespace"][0])
    assert all(v == v.strip() for v in padded.data.values() if isinstance(v, str))
    nfd = layouts_store.record(EDGE["unicode_nfd"][0])
    assert unicodedata.is_normalized("NFC", nfd.data["First_Name"])
    injection = layouts_store.record(EDGE["csv_injection"][0])
    assert any(str(v)[:1] in "=+-@" for v in injection.data.values())  # stored as data, neutralised only on export
    long = layouts_store.record(EDGE["long_description_10000"][0])
    assert len(long.data["Description"]) == 10_000
    newline = layouts_store.record(EDGE["embedded_newline_quote"][0])
    assert any("\n" in str(v) or '"' in str(v) for v in newline.data.values())
    non_ascii = layouts_store.record(EDGE["non_ascii_email_local_part"][0])
    assert not non_ascii.data["Email"].split("@")[0].isascii()
    assert len(padded.data["Date_of_Birth"]) == 10 if "Date_of_Birth" in padded.data else True
    anyone = layouts_store.records(module="Leads", limit=1)[0]
    assert anyone.source["kind"] == "import" and anyone.source["file"] == "leads_bom_semicolon.csv"  # D1


def test_european_dates_become_iso(layouts_store):
    import_csv(layouts_store, DATA / "leads_bom_semicolon.csv", "Leads")
    dated = [r for r in layouts_store.records(module="Leads", limit=500) if "Created_Time" in r.data]
    assert dated and all(r.data["Created_Time"][4] == "-" and "T" in r.data["Created_Time"] for r in dated)


def test_running_the_same_import_again_duplicates_nothing(layouts_store):
    first = import_csv(layouts_store, DATA / "leads_bom_semicolon.csv", "Leads")
    second = import_csv(layouts_store, DATA / "leads_bom_semicolon.csv", "Leads")
    assert second.created == 0 and second.updated == 0 and second.unchanged == first.created
    assert layouts_store.count_records("Leads") == first.created


def test_latin1_without_encoding_names_the_first_bad_line_and_imports_nothing(layouts_store):
    with pytest.raises(RequestError) as caught:
        import_csv(layouts_store, DATA / "contacts_latin1.csv", "Contacts")
    data = (DATA / "contacts_latin1.csv").read_bytes()
    first_bad = next(i for i, line in enumerate(data.split(b"\n"), 1) if any(b > 0x7F for b in line))
    assert caught.value.code == "import.encoding"
    assert caught.value.message.startswith(f"contacts_latin1.csv:{first_bad}: not valid utf-8-sig: byte 0x")
    assert "--encoding latin-1" in caught.value.message
    assert layouts_store.count_records() == 0


def test_latin1_with_encoding_imports(layouts_store):
    report = import_csv(layouts_store, DATA / "contacts_latin1.csv", "Contacts", encoding="latin-1")
    assert report.created == 50 and report.failed == 0
    names = " ".join(r.data.get("Last_Name", "") for r in layouts_store.records(module="Contacts", limit=100))
    assert any(ch in names for ch in "äöüéèßøå")


def test_unknown_columns_are_reported_and_labels_map_by_api_name_too(layouts_store, tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text(
        "Record Id,last_name,Company,Shoe Size,Email\r\n1,Visser,ACME,44,a@example.org\r\n2,,ACME,40,b@example.org\r\n",
        encoding="utf-8",
    )
    report = import_csv(layouts_store, path, "Leads")
    assert report.created == 1
    assert report.warnings == ["column 4 'Shoe Size' matches no field of Leads; its values are not imported"]
    assert [str(p) for p in report.problems] == [
        "line 3: invalid_value: required field 'Last Name' (Last_Name) is empty"
    ]


def test_quoted_line_breaks_keep_line_numbers_right(layouts_store, tmp_path):
    path = tmp_path / "multi.csv"
    path.write_text('Record Id,Last Name,Company,Description\n1,A,B,"two\nlines"\n2,,B,x\n', encoding="utf-8")
    report = import_csv(layouts_store, path, "Leads")
    assert [p.line for p in report.problems] == [4]


def test_wrong_column_count_and_unknown_module(layouts_store, tmp_path):
    path = tmp_path / "short.csv"
    path.write_text("Record Id,Last Name,Company\n1,A\n2,B,C\n", encoding="utf-8")
    report = import_csv(layouts_store, path, "Leads")
    assert [str(p) for p in report.problems] == ["line 2: columns: expected 3 values as in the header, found 2"]
    with pytest.raises(Exception, match="did you mean 'Leads'"):
        import_csv(layouts_store, path, "Lead")


def test_delimiter_and_decoding_helpers():
    assert sniff_delimiter("a;b;c\n1,5;2;3") == ";"
    assert sniff_delimiter("a,b\n") == ","
    assert decode("\ufeffx".encode("utf-8"), "f", None) == "x"
    with pytest.raises(RequestError, match="unknown encoding 'klingon'"):
        decode(b"x", "f", "klingon")


def test_progress_is_reported(layouts_store):
    seen = []
    import_csv(
        layouts_store,
        DATA / "leads_bom_semicolon.csv",
        "Leads",
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen and seen[-1][0] == seen[-1][1]


def test_a_file_without_a_required_column_is_refused_whole(layouts_store, tmp_path):
    path = tmp_path / "contacts_as_leads.csv"
    path.write_text("Record Id,Last Name,Email\n1,Visser,a@example.org\n", encoding="utf-8")
    with pytest.raises(RequestError) as caught:
        import_csv(layouts_store, path, "Leads")
    assert caught.value.code == "import.missing_required"
    assert (
        "requires 'Company' (Company)" in caught.value.message and "is this an export of Leads?" in caught.value.message
    )
    assert layouts_store.count_records() == 0


def test_subform_columns_are_not_module_columns(layouts_store, tmp_path):
    path = tmp_path / "addresses.csv"
    path.write_text("Parent Id,Street,City\n1,Main Street 1,Utrecht\n", encoding="utf-8")
    with pytest.raises(RequestError) as caught:
        import_csv(layouts_store, path, "Contacts")
    assert caught.value.code in ("import.no_columns", "import.missing_required")


def test_bad_ids_nul_bytes_and_huge_numbers_are_rows_not_crashes(layouts_store, tmp_path):
    path = tmp_path / "odd.csv"
    rows = [
        "Record Id,Last Name,Company,No. of Employees,Description",
        f"{'9' * 70},A,B,1,x",
        "2,A\x00,B,1,x",
        "3,A,B,99999999999999999999,x",
        "4,A,B,1.5,x",
        '5,A,B,7,"\r=1+2"',
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    report = import_csv(layouts_store, path, "Leads")
    assert [(p.line, p.code) for p in report.problems] == [
        (2, "invalid_id"),
        (3, "invalid_value"),
        (4, "invalid_value"),
        (5, "invalid_value"),
    ]
    assert "whole number that fits in 64 bits" in report.problems[2].message
    assert "expected a whole number" in report.problems[3].message
    assert layouts_store.record("5").data["Description"] == "\r=1+2"  # kept as data; exports neutralise it


def test_cell_values_are_shown_to_the_importer_but_never_stored(layouts_store, tmp_path):
    import sqlalchemy as sa

    from api.storage import schema

    path = tmp_path / "values.csv"
    rows = [
        "Record Id,Last Name,Company,No. of Employees,Email",
        "1,A,B,twelve,anna@example.org",
        "2,A,B,3,not-an-email",
        "3,A,B,3,ANNA@example.org",
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    report = import_csv(layouts_store, path, "Leads")
    shown = [str(p) for p in report.problems]
    assert (
        shown[0]
        == "line 2: invalid_value: 'No. of Employees' (No_of_Employees): expected a whole number, found 'twelve'"
    )
    assert shown[1].endswith("found 'not-an-email'")
    with layouts_store.engine.connect() as c:
        stored = c.execute(sa.select(schema.imports.c.problems)).scalar_one()
    text = json.dumps(stored)
    assert "twelve" not in text and "not-an-email" not in text and "anna" not in text.lower()
    assert [p["line"] for p in stored] == [2, 3]


def test_impossible_dates_say_so(layouts_store, tmp_path):
    from api.importer import _date

    with pytest.raises(ValueError, match="exists in the calendar"):
        _date("31-02-2026")


def test_an_unclosed_quote_or_huge_value_stops_the_import_with_its_line(layouts_store, tmp_path):
    path = tmp_path / "quote.csv"
    rows = ["Record Id,Last Name,Company", "1,Smit,ACME", '2,"Jansen,ACME', *[f"{i},A,B" for i in range(3, 30000)]]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(RequestError) as caught:
        import_csv(layouts_store, path, "Leads")
    assert caught.value.code == "import.unreadable"
    assert caught.value.message.startswith("quote.csv:") and "never closed" in caught.value.message
    assert layouts_store.records(limit=10) == []  # nothing of the file was imported


@pytest.mark.parametrize(
    ("lines", "line", "says"),
    [
        # the file ends inside the quoted value: a short file, no size limit reached
        (['10,A,X,"never closed', "11,B,X,ok"], 2, "never closed: the file ends inside a quoted value"),
        # opened on one line, closed lines later, the count wrong: the rows between would vanish
        (['10,A,"X,a', "11,B,X,b", '12,C,X"', "13,D,X,d"], 2, "closed only on line 4"),
        # a quote inside a quoted value that is not doubled
        (['10,A,"X"Y,z'], 2, 'write a quote inside a value as ""'),
    ],
)
def test_broken_quotes_stop_the_import_at_the_row_they_start(layouts_store, tmp_path, lines, line, says):
    path = tmp_path / "q.csv"
    path.write_text("\r\n".join(["Record Id,Last Name,Company,Description", *lines]) + "\r\n", encoding="utf-8")
    with pytest.raises(RequestError) as caught:
        import_csv(layouts_store, path, "Leads")
    assert caught.value.code == "import.unreadable"
    assert caught.value.message.startswith(f"q.csv:{line}: ") and says in caught.value.message, caught.value.message
    assert layouts_store.records(limit=10) == []


def test_rows_swallowed_by_a_quote_with_the_right_count_are_warned_about(layouts_store, tmp_path):
    """A quote closed lines later can still leave a row of the right length: the lines between
    look like rows, and the report says so, naming the line."""
    path = tmp_path / "q.csv"
    lines = ["Record Id,Last Name,Company,Description", '10,A,"X,a', "11,B,X,b", '12,C,X",c', "13,D,X,d"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = import_csv(layouts_store, path, "Leads")
    assert any(w.startswith("line 2: the value of column 'Company' runs to line 4") for w in report.warnings)
    legit = tmp_path / "notes.csv"
    legit.write_text('Record Id,Last Name,Company,Description\n20,E,X,"first line\nsecond, longer line"\n')
    assert import_csv(layouts_store, legit, "Leads").warnings == []


def test_a_subform_export_is_named_as_such(layouts_store, tmp_path):
    path = tmp_path / "contacts_previous_addresses.csv"
    path.write_text("Parent Id,Address Type,Street,City\n5830551000000000001,Home,Kade 1,Delft\n", encoding="utf-8")
    with pytest.raises(RequestError) as caught:
        import_csv(layouts_store, path, "Contacts")
    assert caught.value.code == "import.no_columns" and "its subform Previous_Addresses" in caught.value.message


def test_an_imported_value_meets_the_same_length_limit_as_the_api(layouts_store, tmp_path):
    path = tmp_path / "long.csv"
    path.write_text(f"Record Id,Last Name,Company,Description\n30,Long,X,{'d' * 32_001}\n31,Short,X,ok\n")
    report = import_csv(layouts_store, path, "Leads")
    [problem] = report.problems
    assert problem.line == 2 and "expected at most 32,000 characters, found 32,001" in problem.message
    assert [r.id for r in layouts_store.records(module="Leads", limit=10)] == ["31"]


def test_a_month_first_date_is_named_as_such():
    from api.importer import _date

    with pytest.raises(ValueError, match="looks like month first"):
        _date("12/31/1980")
    assert _date("31/12/1980") == "1980-12-31"
