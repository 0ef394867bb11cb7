"""Import CRM exports: UTF-8 with or without BOM, comma or semicolon, quoted line breaks."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import msgspec

from engine import Decision, RequestError, did_you_mean

from .addresses import email_problem
from .limits import size_problem
from .storage import RECORD_ID_PATTERN, FieldLayout, ModuleLayout, NewRecord, Store, TimelineRow

BATCH = 500
ID_HEADERS = {"record id", "record_id", "id"}
_RECORD_ID = re.compile(RECORD_ID_PATTERN)
Progress = Callable[[int, int], None]


class ImportProblem(msgspec.Struct, frozen=True, omit_defaults=True):
    """A row that was not imported, or a column that was ignored, and why."""

    line: int
    code: str
    message: str
    column: str | None = None
    record_id: str | None = None
    found: str | None = None  # the cell's value, shown to whoever imports and never stored

    def __str__(self) -> str:
        found = f", found {self.found!r}" if self.found is not None else ""
        return f"line {self.line}: {self.code}: {self.message}{found}"


class ImportReport(msgspec.Struct):
    """What an import did."""

    file: str
    module: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    problems: list[ImportProblem] = []
    warnings: list[str] = []
    flagged: list[ImportProblem] = []


def decode(data: bytes, name: str, encoding: str | None) -> str:
    """Decode a file: UTF-8 (a BOM is dropped) unless told otherwise; name the first bad line."""
    chosen = encoding or "utf-8-sig"
    try:
        codecs.lookup(chosen)
    except LookupError:
        raise RequestError(
            "import.unknown_encoding", f"unknown encoding {chosen!r}: expected a name such as utf-8, latin-1, cp1252"
        ) from None
    try:
        return data.decode(chosen)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        hint = (
            "; if the file uses another encoding, name it with --encoding (for example --encoding latin-1)"
            if encoding is None
            else ""
        )
        raise RequestError(
            "import.encoding",
            f"{name}:{line}: not valid {chosen}: byte 0x{data[exc.start]:02x} at column {column}{hint}",
        ) from None


def sniff_delimiter(text: str) -> str:
    """Pick the delimiter of a CSV export from its header line: `;`, `,` or a tab."""
    header = text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def _key(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split()).casefold()


def map_columns(header: list[str], layout: ModuleLayout) -> tuple[int | None, dict[int, FieldLayout], list[str]]:
    """Map header cells to fields by label or api name; return the id column, the map and warnings."""
    by_key: dict[str, FieldLayout] = {}
    for f in layout.fields:
        if f.subform is None and f.type != "subform":  # subform rows are not columns of the module's export
            by_key.setdefault(_key(f.label), f)
            by_key.setdefault(_key(f.name), f)
    id_column, mapped, warnings, seen = None, {}, [], set()
    for index, cell in enumerate(header):
        key = _key(cell)
        if key in ID_HEADERS and id_column is None:
            id_column = index
        elif key in by_key and by_key[key].name not in seen:
            mapped[index] = by_key[key]
            seen.add(by_key[key].name)
        elif key in by_key:
            warnings.append(
                f"column {index + 1} {cell!r} repeats field {by_key[key].name}; its values are not imported"
            )
        else:
            hint = did_you_mean(cell, [f.label for f in layout.fields])
            warnings.append(
                f"column {index + 1} {cell!r} matches no field of {layout.name}; its values are not imported{hint}"
            )
    return id_column, mapped, warnings


_DATE = (re.compile(r"^(\d{4})-(\d{2})-(\d{2})$"), re.compile(r"^(\d{2})[-/.](\d{2})[-/.](\d{4})$"))
_TIME = re.compile(r"^(?P<date>\S+)[ T](?P<h>\d{2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?$")


def _date(text: str) -> str:
    iso, european = _DATE
    if m := iso.match(text):
        y, mo, d = m.groups()
    elif m := european.match(text):
        d, mo, y = m.groups()
    else:
        raise ValueError("expected a date as YYYY-MM-DD or DD-MM-YYYY")
    if not iso.match(text) and int(mo) > 12 >= int(d):
        raise ValueError(f"expected a date as DD-MM-YYYY; {text} looks like month first (MM/DD/YYYY)")
    try:
        return dt.date(int(y), int(mo), int(d)).isoformat()
    except ValueError:
        raise ValueError("expected a date that exists in the calendar") from None


def _datetime(text: str) -> str:
    m = _TIME.match(text)
    if not m:
        raise ValueError("expected a date and time as YYYY-MM-DD HH:MM:SS or DD-MM-YYYY HH:MM")
    day = dt.date.fromisoformat(_date(m["date"]))
    return dt.datetime.combine(day, dt.time(int(m["h"]), int(m["m"]), int(m["s"] or 0))).isoformat()


def _boolean(text: str) -> bool:
    folded = text.casefold()
    if folded in ("true", "yes", "1", "ja", "waar"):
        return True
    if folded in ("false", "no", "0", "nee", "onwaar"):
        return False
    raise ValueError("expected true or false")


def _email(text: str) -> str:
    problem = email_problem(text)
    if problem:
        raise ValueError(f"not an email address: it {problem}")
    return text


def _number(text: str) -> float:
    cleaned = text.replace(" ", "")
    if "," in cleaned and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    try:
        value = float(cleaned)
    except ValueError:
        raise ValueError("expected a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError("expected a finite number")
    return value


def _integer(text: str) -> int:
    try:
        value = int(text.replace(" ", ""))
    except ValueError:
        raise ValueError("expected a whole number") from None
    if not -(2**63) <= value < 2**63:
        raise ValueError("expected a whole number that fits in 64 bits")
    return value


_COERCE: dict[str, Callable[[str], Any]] = {
    "integer": _integer,
    "bigint": _integer,
    "double": _number,
    "currency": _number,
    "boolean": _boolean,
    "date": _date,
    "datetime": _datetime,
    "email": _email,
    "multiselectpicklist": lambda text: [part.strip() for part in text.split(";") if part.strip()],
}


_BLANK = " \t\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"


def clean(raw: str) -> str:
    """Trim spaces, tabs and no-break spaces, and compose accents (NFC); keep everything else.

    Line breaks and carriage returns are data (a CSV-injection string may start with one) and
    stay as they are; exports neutralise such values.
    """
    return unicodedata.normalize("NFC", raw).strip(_BLANK)


def _looks_like_rows(cells: list[str], header: list[str], delimiter: str) -> str | None:
    """The header label of a value with line breaks whose later lines split into as many values as
    the header has: text rarely does, rows swallowed by an open quote always do."""
    if len(header) < 3:
        return None
    for label, cell in zip(header, cells, strict=True):
        later = cell.replace("\r\n", "\n").replace("\r", "\n").split("\n")[1:]
        if any(len(text.split(delimiter)) == len(header) for text in later):
            return label
    return None


class _BrokenQuoteError(Exception):
    """The CSV reader met quoting it cannot make sense of, in the row that starts on `line`."""

    def __init__(self, line: int, detail: str) -> None:
        super().__init__(detail)
        self.line, self.detail = line, detail


def _unreadable(file_name: str, line: int, exc: csv.Error | _BrokenQuoteError) -> RequestError:
    """A CSV file that cannot be read on: nothing of it is imported."""
    text = exc.detail if isinstance(exc, _BrokenQuoteError) else str(exc)
    hint = ""
    if "field larger than field limit" in text:
        found = f"a value longer than {csv.field_size_limit() // 1024} KiB"
        hint = "; a quote that is opened and never closed makes the rest of the file one value"
    elif "unexpected end of data" in text:
        found = "a quote opened in this row and never closed: the file ends inside a quoted value"
    elif "expected after" in text:
        found = f"a quote inside a quoted value that is not doubled ({text})"
        hint = '; write a quote inside a value as ""'
    else:
        found = text
    return RequestError(
        "import.unreadable",
        f"{file_name}:{line}: expected CSV values, found {found}{hint}; nothing was imported",
    )


def convert_row(
    cells: list[str], mapped: dict[int, FieldLayout]
) -> tuple[dict[str, Any], list[tuple[str, str, str | None]]]:
    """Turn one row's cells into typed field values; return them and (field, problem, value found) triples."""
    data: dict[str, Any] = {}
    problems: list[tuple[str, str, str | None]] = []
    for index, field in mapped.items():
        text = clean(cells[index])
        if not text:
            if field.required:
                problems.append((field.name, f"required field {field.label!r} ({field.name}) is empty", None))
            continue
        try:
            data[field.name] = value = _COERCE.get(field.type, str)(text)
        except ValueError as exc:
            problems.append((field.name, f"{field.label!r} ({field.name}): {exc}", text[:60]))
            continue
        if why := size_problem(value):  # the same limit as on every other path
            problems.append((field.name, f"{field.label!r} ({field.name}): {why}", text[:60]))
            del data[field.name]
    return data, problems


def content_hash(module: str, data: dict[str, Any]) -> str:
    """Return a digest of a record's content, the same for the same values in any order."""
    return hashlib.sha256(module.encode() + b"\0" + msgspec.json.encode(data, order="sorted")).hexdigest()


class Screen(Protocol):
    """What decides, for new records, whether each may be added (the blocklist check, B1)."""

    def __call__(self, layout: ModuleLayout, rows: list[NewRecord]) -> list[Decision]: ...


def import_csv(
    store: Store,
    path: Path,
    module: str,
    *,
    encoding: str | None = None,
    actor: str = "cli",
    progress: Progress | None = None,
    screen: Screen | None = None,
) -> ImportReport:
    """Import one CRM export into `module`; bad rows are reported by line, the rest is imported.

    New records pass `screen` first, as records added any other way do: a refusal is reported
    by line like any bad row, a warning is reported in `flagged` and on the record's timeline.
    """
    layout = store.module(module)
    data = path.read_bytes()
    text = decode(data, path.name, encoding)
    # strict: a quote left open, or a stray one after a closing quote, is an error, not data
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise _unreadable(path.name, reader.line_num, exc) from None
    if not header:
        raise RequestError(
            "import.empty", f"{path.name}: expected a header line with field labels, found an empty file"
        )
    id_column, mapped, warnings = map_columns(header, layout)
    if not mapped:
        labels = {_key(cell) for cell in header}
        subforms = sorted({f.subform for f in layout.fields if f.subform and _key(f.label) in labels})
        hint = (
            f"; the columns are those of its subform {subforms[0]}: subform rows are kept by the CRM with their "
            "parent record and are not imported on their own (their fields count toward the module, F4)"
            if subforms
            else ""
        )
        raise RequestError(
            "import.no_columns",
            f"{path.name}: no column of the header matches a field of {layout.name}; "
            f"expected labels such as {', '.join(repr(f.label) for f in layout.fields[:4])}{hint}",
        )
    missing = [f for f in layout.fields if f.required and f.subform is None and f not in mapped.values()]
    if missing:
        names = ", ".join(f"{f.label!r} ({f.name})" for f in missing)
        raise RequestError(
            "import.missing_required",
            f"{path.name}: {layout.name} requires {names}, and the header has no such column; "
            f"is this an export of {layout.name}?",
        )
    report = ImportReport(file=path.name, module=layout.name, warnings=warnings)
    try:
        rows, lines = _read_rows(reader, header, id_column, mapped, layout, report)
    except _BrokenQuoteError as exc:
        raise _unreadable(path.name, exc.line, exc) from None
    import_id = store.start_import(layout.name, path.name, "sha256:" + hashlib.sha256(data).hexdigest(), actor)
    try:
        _write(store, layout, rows, lines, report, screen, import_id, path.name, actor, progress)
    except BaseException as exc:
        # Every batch is one transaction: what was written stays consistent; say where it stopped.
        store.finish_import(import_id, {"aborted": 1, "created": report.created}, [{"error": exc.__class__.__name__}])
        raise
    report.failed = report.rows - report.created - report.updated - report.unchanged
    report.problems.sort(key=lambda p: p.line)
    counts = {k: getattr(report, k) for k in ("rows", "created", "updated", "unchanged", "failed")}
    # What is kept of the problems holds no cell values: they may be personal data.
    kept = [msgspec.to_builtins(msgspec.structs.replace(p, found=None)) for p in report.problems]
    store.finish_import(import_id, counts, kept)
    return report


def _write(
    store: Store,
    layout: ModuleLayout,
    rows: list[NewRecord],
    lines: dict[str, int],
    report: ImportReport,
    screen: Screen | None,
    import_id: int,
    file_name: str,
    actor: str,
    progress: Progress | None,
) -> None:
    source = {"kind": "import", "file": file_name, "import_id": import_id, "by": actor}
    for start in range(0, len(rows), BATCH):
        batch = _screened(store, layout, rows[start : start + BATCH], lines, report, screen)
        result = store.upsert_records(layout.name, [row for row, _ in batch], source, actor)
        _note_warnings(store, batch, result.created, lines, report, actor)
        report.created += len(result.created)
        report.updated += len(result.updated)
        report.unchanged += len(result.unchanged)
        for record_id, why in result.refused.items():
            report.problems.append(ImportProblem(lines[record_id], "conflict", why, record_id=record_id))
        if progress:
            progress(min(start + BATCH, len(rows)), len(rows))


def _screened(
    store: Store,
    layout: ModuleLayout,
    rows: list[NewRecord],
    lines: dict[str, int],
    report: ImportReport,
    screen: Screen | None,
) -> list[tuple[NewRecord, Decision | None]]:
    if screen is None:
        return [(row, None) for row in rows]
    existing = {r.id for r in store.records(ids=[r.id for r in rows], limit=len(rows))}
    new = [row for row in rows if row.id not in existing]
    decisions = dict(zip((row.id for row in new), screen(layout, new), strict=True))
    kept = []
    for row in rows:
        decision = decisions.get(row.id)
        if decision is not None and decision.effect == "deny":
            report.problems.append(
                ImportProblem(lines[row.id], decision.decided_by, decision.reasons[0].message, record_id=row.id)
            )
        else:
            kept.append((row, decision))
    return kept


def _note_warnings(
    store: Store,
    batch: list[tuple[NewRecord, Decision | None]],
    created: list[str],
    lines: dict[str, int],
    report: ImportReport,
    actor: str,
) -> None:
    made = set(created)
    for row, decision in batch:
        if decision is None or not decision.warnings or row.id not in made:
            continue
        for warning in decision.warnings:
            report.flagged.append(ImportProblem(lines[row.id], warning.rule, warning.message, record_id=row.id))
        store.add_timeline(
            row.id,
            [
                TimelineRow(
                    kind="blocklist.matched",
                    summary="imported although it matches the blocklist",
                    actor=actor,
                    rule_id=w.rule,
                    ruleset_version=decision.ruleset.version,
                )
                for w in decision.warnings
            ],
        )


def _read_rows(
    reader: Any,
    header: list[str],
    id_column: int | None,
    mapped: dict[int, FieldLayout],
    layout: ModuleLayout,
    report: ImportReport,
) -> tuple[list[NewRecord], dict[str, int]]:
    rows: list[NewRecord] = []
    lines: dict[str, int] = {}
    last_line = reader.line_num
    cells_of = iter(reader)
    while True:
        try:
            cells = next(cells_of)
        except StopIteration:
            break
        except csv.Error as exc:
            raise _BrokenQuoteError(last_line + 1, str(exc)) from None
        line, last_line = last_line + 1, reader.line_num
        if not any(c.strip() for c in cells):
            continue
        report.rows += 1
        if len(cells) != len(header):
            if last_line > line:
                # A row that runs over several lines with the wrong number of values: a quote was
                # opened on its first line and closed lines later, and the lines between were read
                # as one value. Importing the rest would silently lose them.
                raise _BrokenQuoteError(
                    line,
                    f"a quote opened on line {line} and closed only on line {last_line}, which makes those "
                    f"lines one row of {len(cells)} values where the header has {len(header)}",
                )
            report.problems.append(
                ImportProblem(line, "columns", f"expected {len(header)} values as in the header, found {len(cells)}")
            )
            continue
        if last_line > line and (swallowed := _looks_like_rows(cells, header, reader.dialect.delimiter)):
            report.warnings.append(
                f"line {line}: the value of column {swallowed!r} runs to line {last_line} and holds lines that "
                "look like rows of their own: check for a quote that is not closed where it should be"
            )
        if any("\x00" in cell for cell in cells):
            report.problems.append(
                ImportProblem(line, "invalid_value", "the row holds a NUL character, which no field can store")
            )
            continue
        given_id = clean(cells[id_column]) if id_column is not None else ""
        if given_id and not _RECORD_ID.match(given_id):
            report.problems.append(
                ImportProblem(
                    line,
                    "invalid_id",
                    "expected a Record Id of up to 64 letters, digits and . _ : - (starting with a letter or digit)",
                    found=given_id[:70],
                )
            )
            continue
        data, problems = convert_row(cells, mapped)
        if problems:
            report.problems.extend(
                ImportProblem(line, "invalid_value", why, column, given_id or None, found)
                for column, why, found in problems
            )
            continue
        record_id = given_id or "h" + content_hash(layout.name, data)[:31]
        if record_id in lines:
            report.problems.append(
                ImportProblem(
                    line,
                    "duplicate_id",
                    f"record id {record_id} already appears on line {lines[record_id]}",
                    record_id=record_id,
                )
            )
            continue
        lines[record_id] = line
        unique = {f.name: str(data[f.name]) for f in layout.fields if f.unique and f.name in data}
        rows.append(NewRecord(record_id, data, content_hash(layout.name, data), unique))
    return rows, lines
