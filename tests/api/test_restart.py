"""A waiting period that ends while the server is stopped is over when it starts again (C3)."""

import datetime as dt
import time

import httpx

from api.app import Services
from api.config import Config
from api.demo.layouts import demo_layouts
from api.storage import ControllerSettings, NewRecord, Store
from tests.conftest import RULES, TEST_SECRET, admin_key
from tests.server import running_server


def test_c3_deadline_passes_while_stopped_and_no_sweep_has_run(tmp_path):
    url = f"sqlite:///{tmp_path / 'lawful.db'}"
    store = Store.open(url, secret=TEST_SECRET)
    for layout in demo_layouts():
        store.put_module(layout, "t")
    store.save_settings(ControllerSettings(compliance_enabled=True, modules=("Leads",)), "t")
    store.upsert_records("Leads", [NewRecord("1", {"Last_Name": "X", "Company": "Y"}, "h")], {"kind": "api"}, "t")
    services = Services(Config(database_url=url, rules_path=RULES, var_dir=tmp_path), store=store)
    services.lifecycles.set_basis("1", "consent", actor="t")
    days = services.rules.active(store.clock()).parameters.consent.waiting_period.default_days
    ask = {"question": "processing", "record_id": "1"}
    auth = {"Authorization": f"Bearer {admin_key(store)}"}

    with running_server(url, tmp_path, env={"LAWFUL_SECRET": TEST_SECRET.hex()}) as base:
        # The request went out long enough ago that its waiting period ends a few seconds from now.
        real = store.clock
        store.clock = lambda: real() - dt.timedelta(days=days) + dt.timedelta(seconds=3)
        record = services.lifecycles.consent_event("1", "request_sent", channel="email", actor="t")
        store.clock = real
        assert (
            httpx.post(f"{base}/api/v1/decisions", json=ask, headers=auth).json()["decided_by"]
            == "consent.waiting.stops_processing"
        )
    while dt.datetime.now(dt.timezone.utc) <= record.consent_deadline:
        time.sleep(0.2)
    with running_server(url, tmp_path, env={"LAWFUL_SECRET": TEST_SECRET.hex()}) as base:
        decision = httpx.post(f"{base}/api/v1/decisions", json=ask, headers=auth).json()
        stored = httpx.get(f"{base}/api/v1/records/1", headers=auth).json()
    assert decision["decided_by"] == "consent.no_response.stops_processing"
    assert stored["consent_status"] == "waiting"  # no sweep has run
