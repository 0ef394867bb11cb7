"""The decision path's reads on SQLite: straight through the driver, kept until anything commits."""

import threading

import pytest

from api.demo.layouts import demo_layouts
from api.storage import NewRecord, Store
from api.storage.fastread import SqliteReader, sqlite_file
from tests.conftest import TEST_SECRET


@pytest.fixture
def two_stores(tmp_path, clock):
    url = f"sqlite:///{tmp_path / 'lawful.db'}"
    first = Store.open(url, clock, secret=TEST_SECRET)
    for layout in demo_layouts():
        first.put_module(layout, "t")
    first.upsert_records("Leads", [NewRecord("L1", {"Last_Name": "Smit", "Company": "ACME"}, "h1")], {}, "t")
    second = Store.open(url, clock, secret=TEST_SECRET)  # as another server on the same file would
    yield first, second
    first.close()
    second.close()


def test_a_snapshot_reads_the_state_and_never_the_data(two_stores):
    first, _ = two_stores
    snapshot = first.snapshot(record_id="L1")
    assert first._fast is not None  # the driver path is the one under test
    assert snapshot.record.id == "L1" and snapshot.record.basis == "not_applicable"
    assert not hasattr(snapshot.record, "data")
    assert snapshot.layout.name == "Leads" and snapshot.settings.version == first.settings().version


def test_a_commit_by_any_connection_is_seen_by_the_next_read(two_stores):
    first, second = two_stores
    assert first.snapshot(record_id="L1").record.restricted is False
    assert first.snapshot(record_id="L1").record.restricted is False  # kept
    second.change_state("L1", {}, {"restricted": True}, [])
    assert first.snapshot(record_id="L1").record.restricted is True
    before = first.snapshot(module="Leads").layout.layout_version
    layout = second.module("Leads")
    second.put_module(
        layout.__class__(**{**{k: getattr(layout, k) for k in layout.__struct_fields__}, "label": "Prospects"}), "t"
    )
    assert first.snapshot(module="Leads").layout.layout_version == before + 1


def test_unknown_ids_and_modules_are_not_kept_as_found(two_stores):
    first, second = two_stores
    with pytest.raises(Exception, match="no record has id"):
        first.snapshot(record_id="L2")
    second.upsert_records("Leads", [NewRecord("L2", {"Last_Name": "Jansen", "Company": "ACME"}, "h2")], {}, "t")
    assert first.snapshot(record_id="L2").record.id == "L2"


def test_each_thread_reads_on_its_own_connection(two_stores):
    first, _ = two_stores
    seen = []

    def read():
        seen.append(first.snapshot(record_id="L1").record.id)

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == ["L1"] * 4 and len(first._fast._all) >= 2


def test_only_sqlite_files_take_the_driver_path(tmp_path):
    import sqlalchemy as sa

    assert sqlite_file(sa.create_engine(f"sqlite:///{tmp_path / 'x.db'}")) == str(tmp_path / "x.db")
    assert sqlite_file(sa.create_engine("sqlite://")) is None
    assert sqlite_file(sa.create_engine("postgresql+psycopg://u@127.0.0.1/db")) is None
    reader = SqliteReader(str(tmp_path / "x.db"))
    reader.close()
