"""Seed a new installation with invented modules and records, so the main job shows something real."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from ..importer import ImportReport, import_csv
from ..storage import ControllerSettings, Store
from .layouts import demo_layouts
from .people import export_csv, invent_people

SEED = 20261203
ACTOR = "demo"
_STATES = [  # (share, basis, consent status, has deadline offset in days, restricted)
    (30, "consent", "obtained", None, False),
    (10, "consent", "waiting", 10, False),
    (5, "consent", "waiting", -2, False),
    (5, "consent", "withdrawn", None, False),
    (5, "consent", "no_response", None, False),
    (20, "contract", "not_requested", None, False),
    (10, "legitimate_interests", "not_requested", None, False),
    (5, "legal_obligation", "not_requested", None, False),
    (3, "contract", "not_requested", None, True),
    (7, "not_applicable", "not_requested", None, False),
]


def seed_demo(store: Store, directory: Path, people: int = 300) -> list[ImportReport]:
    """Create the demo modules, settings and records, unless the database already has records."""
    if store.count_records() > 0:
        return []
    for layout in demo_layouts():
        store.put_module(layout, ACTOR)
    if store.settings().version == 0:
        store.save_settings(ControllerSettings(compliance_enabled=True, modules=("Leads", "Contacts", "Vendors", "Event_Registrations")), ACTOR)
    directory.mkdir(parents=True, exist_ok=True)
    reports = []
    for index, module in enumerate(("Leads", "Contacts")):
        path = directory / f"demo_{module.lower()}.csv"
        path.write_text(export_csv(store.module(module), invent_people(people, SEED + index), 4150873000000000000 + index * 10**9), encoding="utf-8")
        reports.append(import_csv(store, path, module, actor=ACTOR))
    _assign_states(store)
    return reports


def _assign_states(store: Store) -> None:
    rng = random.Random(SEED)
    weights = [share for share, *_ in _STATES]
    now = store.clock()
    for record in store.records(limit=100_000):
        _, basis, status, days, restricted = rng.choices(_STATES, weights)[0]
        deadline = now + dt.timedelta(days=days) if days is not None else None
        # Legitimate interests without an assessment on record shows the P2 refusal in decisions.
        store.update_record_state(record.id, ACTOR, f"demo state: {basis}, consent {status}", "demo.state",
                                  basis=basis, consent_status=status, consent_deadline=deadline, restricted=restricted)
