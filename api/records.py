"""Add records from any entry path (API, import, web form) with the same blocklist check (B1, CC3)."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any

import msgspec

from engine import (
    ConflictError,
    Decision,
    DecisionRequest,
    Lang,
    Problem,
    RecordFacts,
    RequestError,
    did_you_mean,
    evaluate,
)

from .addresses import email_problem
from .blocklist import Blocklist
from .decisions import engine_settings, module_facts
from .importer import content_hash
from .limits import size_problem
from .release import whole
from .rules_host import RulesHost
from .storage import (
    RECORD_ID_PATTERN,
    FieldLayout,
    ModuleLayout,
    NewRecord,
    ReleasedRecord,
    Store,
    StoredRecord,
    TimelineRow,
)

_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "integer": (int,),
    "bigint": (int,),
    "double": (int, float),
    "currency": (int, float),
    "boolean": (bool,),
    "multiselectpicklist": (list,),
}


class AddedRecord(msgspec.Struct, frozen=True):
    """A record that was added, and the decision that let it in (with any warnings).

    The service gives the record whole; the API leaves out what the caller may not see (see release).
    """

    record: ReleasedRecord
    decision: Decision


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def value_problem(field: FieldLayout, value: Any) -> str | None:
    """What is wrong with a JSON value for a field, in words, or None when it fits."""
    wanted = _JSON_TYPES.get(field.type, (str,))
    # JSON true/false are ints to Python; a number field does not take them.
    if not isinstance(value, wanted) or (isinstance(value, bool) and bool not in wanted):
        return f"expected {' or '.join(t.__name__ for t in wanted)}, found {type(value).__name__}"
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return "expected a finite number"
    texts = value if isinstance(value, list) else [value]
    if not all(isinstance(text, str) for text in texts) and field.type == "multiselectpicklist":
        return "expected a list of texts"
    if any("\x00" in text for text in texts if isinstance(text, str)):
        return "a NUL character cannot be stored"
    if field.type == "email" and isinstance(value, str) and (why := email_problem(value.strip())):
        return f"not an email address: it {why}"
    if field.type == "date" and isinstance(value, str) and value.strip():
        return _date_problem(value.strip())
    if field.type == "datetime" and isinstance(value, str) and value.strip():
        try:
            dt.datetime.fromisoformat(value.strip())
        except ValueError:
            return f"expected a date and time as YYYY-MM-DDTHH:MM:SS, found {value.strip()[:40]!r}"
    return None


def _date_problem(text: str) -> str | None:
    if not _ISO_DATE.match(text):
        return f"expected a date as YYYY-MM-DD, found {text[:40]!r}"
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return f"expected a date that exists in the calendar, found {text!r}"
    return None


def check_data(layout: ModuleLayout, data: dict[str, Any], partial: bool = False, at: str = "$.data") -> dict[str, Any]:
    """Check values given as JSON against a module's fields; raise with every problem found.

    With `partial`, only the fields given are checked (a rectification), and null clears a field.
    `at` is where the values sit in the request, for the problems' paths.
    """
    problems = []
    known = {f.name: f for f in layout.fields}
    for name, value in data.items():
        field = known.get(name)
        if field is None:
            problems.append(
                Problem(
                    "unknown_field",
                    f"module {layout.name} has no field {name!r}{did_you_mean(name, known)}",
                    path=f"{at}.{name}",
                )
            )
            continue
        if value is None:
            continue
        # A value too long or too large for the CRM is one to shorten; any other is of the wrong kind.
        if why := size_problem(value):
            problems.append(Problem("too_large", f"{name}: {why}", path=f"{at}.{name}"))
        elif why := value_problem(field, value):
            problems.append(Problem("invalid_value", f"{name}: {why}", path=f"{at}.{name}"))
    for field in layout.fields:
        if (
            field.required
            and field.subform is None
            and (data.get(field.name) is None or (isinstance(data[field.name], str) and not data[field.name].strip()))
            and (not partial or field.name in data)
        ):
            problems.append(Problem("required", f"{field.name} is required", path=f"{at}.{field.name}"))
    if problems:
        raise RequestError("record.invalid", f"{len(problems)} problem(s) with the record's data", problems)
    return {k: v.strip() if isinstance(v, str) else v for k, v in data.items() if v is not None or partial}


class RecordService:
    """Create records after the engine's record_add decision."""

    def __init__(self, store: Store, rules: RulesHost, blocklist: Blocklist) -> None:
        self.store, self.rules, self.blocklist = store, rules, blocklist

    def admit(self, layout: ModuleLayout, blocklisted: bool, lang: Lang = "en") -> Decision:
        """Ask the engine whether a record may be added (B1)."""
        settings = self.store.settings()
        now = self.store.clock()
        request = DecisionRequest(
            question="record_add",
            at=now,
            module=module_facts(layout),
            settings=engine_settings(settings),
            record=RecordFacts(blocklisted=blocklisted),
            lang=lang,
        )
        return evaluate(self.rules.active(now, settings.pinned_version), request)

    def screen(self, layout: ModuleLayout, rows: list[NewRecord]) -> list[Decision]:
        """Decide for many new records at once whether each may be added (imports, B1, CC3)."""
        matched = self.blocklist.matching_many(
            layout, [row.data for row in rows], self.store.settings().phone_country_code
        )
        answers = {flag: self.admit(layout, flag) for flag in set(matched)}
        return [answers[flag] for flag in matched]

    def add(
        self,
        module: str,
        data: dict[str, Any],
        *,
        source: dict[str, Any],
        actor: str,
        record_id: str | None = None,
        lang: Lang = "en",
    ) -> AddedRecord:
        """Add one record; a blocklist match warns, or refuses when the rules say so (CC3)."""
        if record_id is not None and not re.match(RECORD_ID_PATTERN, record_id):
            raise RequestError(
                "record.bad_id",
                "expected a record id of up to 64 letters, digits and . _ : - (starting with a letter or digit), "
                f"found {record_id[:70]!r} - at $.id",
            )
        layout = self.store.module(module)
        clean = check_data(layout, data)
        settings = self.store.settings()
        matched = self.blocklist.matches(layout, clean, settings.phone_country_code)
        decision = self.admit(layout, bool(matched), lang)
        if decision.effect == "deny":
            raise ConflictError(
                "record.refused",
                f"{decision.reasons[0].message} (rule {decision.decided_by})",
                [Problem(decision.decided_by, decision.reasons[0].message)],
            )
        # A random id: two adds of the same data at the same instant are two adds, not one id twice.
        record_id = record_id or "r" + secrets.token_hex(15)
        unique = {f.name: str(clean[f.name]) for f in layout.fields if f.unique and f.name in clean}
        result = self.store.upsert_records(
            layout.name, [NewRecord(record_id, clean, content_hash(layout.name, clean), unique)], source, actor
        )
        if record_id in result.refused:
            raise ConflictError("record.conflict", result.refused[record_id])
        if result.unchanged or result.updated:
            raise ConflictError("record.exists", f"a record with id {record_id} already exists")
        if decision.warnings:
            self.store.add_timeline(
                record_id,
                [
                    TimelineRow(
                        kind="blocklist.matched",
                        summary="added although it matches the blocklist",
                        actor=actor,
                        rule_id=w.rule,
                        ruleset_version=decision.ruleset.version,
                        detail={"entries": [m.id for m in matched]},
                    )
                    for w in decision.warnings
                ],
            )
        return AddedRecord(whole(self.store.record(record_id)), decision)

    def rectify(
        self, record_id: str, changes: dict[str, Any], actor: str, reason: str = "rectification"
    ) -> StoredRecord:
        """Correct or complete a record's data (DS2); the timeline names the fields, not the values."""
        record = self.store.record(record_id)
        layout = self.store.module(record.module)
        clean = check_data(layout, changes, partial=True)
        data = {**record.data, **{k: v for k, v in clean.items() if v is not None}}
        for name in (k for k, v in clean.items() if v is None):
            data.pop(name, None)
        check_data(layout, data)
        unique = {f.name: str(data[f.name]) for f in layout.fields if f.unique and f.name in data}
        row = TimelineRow(
            kind="record.rectified",
            summary=f"{reason}: {', '.join(sorted(clean))}",
            actor=actor,
            detail={"fields": sorted(clean), "reason": reason},
        )
        return self.store.replace_data(record_id, data, unique, content_hash(layout.name, data), row)
