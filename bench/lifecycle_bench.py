"""Lifecycle cost: one event through durable-rules, one event on a stored record, and `lawful sweep`.

Run: .venv/bin/python bench/lifecycle_bench.py [--records 100000] [--database URL]

The sweep is measured over waiting records whose waiting period is over, in a fresh SQLite
file (or the PostgreSQL database given), created by the benchmark itself.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from api.app import Services  # noqa: E402
from api.config import Config  # noqa: E402
from api.storage import ControllerSettings, ModuleLayout, Store  # noqa: E402
from api.storage import schema as t  # noqa: E402

RULES = Path(__file__).resolve().parent.parent / "rules" / "gdpr"


def per_event(services: Services, count: int = 3000) -> None:
    chart = services.rules.active(services.store.clock()).statecharts["consent"]
    start = time.perf_counter()
    for i in range(count):
        chart.apply(
            "waiting" if i % 2 else "not_requested",
            "deadline_passed" if i % 2 else "request_sent",
            {"event.channel": "email"},
        )
    print(
        f"durable-rules transition (session, post, read back, check, delete): {(time.perf_counter() - start) / count * 1e6:.0f} us/event"
    )


def per_stored_event(services: Services, count: int = 500) -> None:
    store = services.store
    now = store.clock()
    with store.engine.begin() as c:
        c.execute(
            t.records.insert(),
            [
                dict(
                    id=f"e{i}",
                    module="Bench",
                    data={},
                    content_hash="h",
                    basis="consent",
                    lia_id=None,
                    consent_status="not_requested",
                    consent_deadline=None,
                    restricted=False,
                    awaiting_confirmation=False,
                    source={},
                    created_at=now,
                    updated_at=now,
                )
                for i in range(count)
            ],
        )
    start = time.perf_counter()
    for i in range(count):
        services.lifecycles.consent_event(f"e{i}", "request_sent", channel="email", actor="bench")
    print(
        f"consent event on a stored record (read, transition, write with timeline row): "
        f"{(time.perf_counter() - start) / count * 1e3:.2f} ms/event"
    )


def sweep(services: Services, records: int) -> None:
    store = services.store
    now = store.clock()
    past = now - dt.timedelta(minutes=1)
    rows = [
        dict(
            id=f"w{i:07d}",
            module="Bench",
            data={},
            content_hash="h",
            basis="consent",
            lia_id=None,
            consent_status="waiting",
            consent_deadline=past,
            restricted=False,
            awaiting_confirmation=False,
            source={},
            created_at=now,
            updated_at=now,
        )
        for i in range(records)
    ]
    with store.engine.begin() as c:
        for start in range(0, records, 10_000):
            c.execute(t.records.insert(), rows[start : start + 10_000])
    start = time.perf_counter()
    moved = services.lifecycles.sweep("bench-sweep")
    elapsed = time.perf_counter() - start
    with store.engine.connect() as c:
        rows_written = c.execute(
            sa.select(sa.func.count()).select_from(t.timeline).where(t.timeline.c.actor == "bench-sweep")
        ).scalar()
    print(f"lawful sweep: {moved} waiting records -> no_response with {rows_written} timeline rows in {elapsed:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--database")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="lawful-bench-"))
    url = args.database or f"sqlite:///{folder / 'bench.db'}"
    store = Store.open(url, secret=os.urandom(32))
    store.put_module(ModuleLayout(name="Bench", label="Bench"), "bench")
    store.save_settings(ControllerSettings(compliance_enabled=True, modules=("Bench",)), "bench")
    services = Services(Config(database_url=url, rules_path=RULES, var_dir=folder), store=store)
    print(f"database: {store.engine.url.render_as_string(hide_password=True)}")
    per_event(services)
    per_stored_event(services)
    sweep(services, args.records)


if __name__ == "__main__":
    main()
