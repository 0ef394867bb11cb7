"""Seed a new installation with invented modules and records, so the main job shows something real."""

from __future__ import annotations

import contextlib
import datetime as dt
import random
import secrets
from collections.abc import Iterator
from pathlib import Path

from ..auth import hash_password, new_api_key
from ..files import private_directory, write_private
from ..importer import ImportReport, Screen, import_csv
from ..lifecycles import LifecycleService
from ..storage import ControllerSettings, Store
from .layouts import demo_layouts
from .people import export_csv, invent_people

SEED = 20261203
ACTOR = "demo"
# (share, basis, consent events, days ago the consent request went out)
_STATES: list[tuple[int, str, tuple[str, ...], int]] = [
    (30, "consent", ("request_sent", "answer_obtained"), 5),
    (10, "consent", ("request_sent",), 2),
    (5, "consent", ("request_sent", "answer_obtained", "withdrawn"), 20),
    (5, "consent", ("request_sent", "answer_denied"), 3),
    (5, "consent", ("request_sent",), 60),  # no answer in time: the sweep moves these to no_response
    (20, "contract", (), 0),
    (10, "legitimate_interests", (), 0),
    (5, "legal_obligation", (), 0),
    (8, "not_applicable", (), 0),
]
_OVERDUE = (7, "consent", ("request_sent",), 120)  # waiting periods that ran out; the sweep has not run


def seed_demo(
    store: Store, lifecycles: LifecycleService, directory: Path, people: int = 300, screen: Screen | None = None
) -> list[ImportReport]:
    """Create the demo modules, settings and records, unless the database already has records."""
    if store.count_records() > 0:
        return []
    for layout in demo_layouts():
        store.put_module(layout, ACTOR)
    if store.settings().version == 0:
        store.save_settings(
            ControllerSettings(
                compliance_enabled=True,
                modules=("Leads", "Contacts", "Vendors", "Event_Registrations"),
                timezone="Europe/Amsterdam",
                phone_country_code="31",
            ),
            ACTOR,
        )
    private_directory(directory)
    reports = []
    for index, (module, prefix) in enumerate((("Leads", "demo-lead-"), ("Contacts", "demo-contact-"))):
        path = directory / f"demo_{module.lower()}.csv"
        people_csv = export_csv(store.module(module), invent_people(people, SEED + index), prefix)
        write_private(path, people_csv.encode("utf-8"))  # invented, but shaped like personal data: mode 0600
        reports.append(import_csv(store, path, module, actor=ACTOR, screen=screen))
    _play_lifecycles(store, lifecycles)
    return reports


@contextlib.contextmanager
def _clock_at(store: Store, instant: dt.datetime) -> Iterator[None]:
    """Run the demo's lifecycle events as if they happened at `instant`."""
    real = store.clock
    store.clock = lambda: instant
    try:
        yield
    finally:
        store.clock = real


def _play_lifecycles(store: Store, lifecycles: LifecycleService) -> None:
    rng = random.Random(SEED)
    now = store.clock()
    lia = store.add_lia(
        "Offering related products to existing business contacts",
        "No less intrusive way reaches them",
        "Business contacts expect it; an opt-out is in every message",
        "Data protection officer",
        now - dt.timedelta(days=30),
        ACTOR,
    )
    choices = [*_STATES, _OVERDUE]
    plan = [
        (record, rng.choices(choices, [share for share, *_ in choices])[0]) for record in store.records(limit=100_000)
    ]
    # Requests whose waiting period ran out are played after the sweep: no sweep has run since,
    # and decisions already treat them as no_response (C3) and say so.
    for overdue_pass in (False, True):
        for record, state in plan:
            if (state is _OVERDUE) != overdue_pass:
                continue
            _, basis, events, days = state
            if basis != "not_applicable":
                lifecycles.set_basis(
                    record.id, basis, actor=ACTOR, lia_id=lia.id if basis == "legitimate_interests" else None
                )
            for step, event in enumerate(events):
                with _clock_at(store, now - dt.timedelta(days=days) + dt.timedelta(hours=step)):
                    lifecycles.consent_event(record.id, event, channel="email", actor=ACTOR)
        if not overdue_pass:
            lifecycles.sweep(ACTOR)


def ensure_demo_access(store: Store, var_dir: Path) -> list[Path]:
    """Give a demo installation an admin API key and an admin user, written to files in var/ (mode 0600)."""
    written = []
    key_file, password_file = var_dir / "demo-admin.key", var_dir / "demo-admin.password"
    if not key_file.exists():
        token, prefix, hashed = new_api_key()
        store.add_key(prefix, hashed, "demo-admin", "admin", ACTOR)
        write_private(key_file, f"{token}\n".encode())
        written.append(key_file)
    if not password_file.exists() and not any(u.username == "admin" for u in store.users()):
        password = secrets.token_urlsafe(12)
        store.add_user("admin", hash_password(password), "admin", ACTOR)
        write_private(password_file, f"{password}\n".encode())
        written.append(password_file)
    return written
