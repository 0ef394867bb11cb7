"""The store, run against SQLite and against PostgreSQL."""

import datetime as dt
import hashlib
import hmac

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from api.crypto import FieldCipher, derive_key
from api.demo.layouts import demo_layouts
from api.storage import ControllerSettings, FieldLayout, ModuleLayout, NewRecord, Store
from api.storage import schema as t
from api.storage.database import ATTEMPTS, reading, unit_of_work, writing
from api.storage.migrations import MIGRATIONS, current_version, migrate
from api.storage.schema import metadata
from engine import ConflictError, LawfulError, NotFoundError
from tests.conftest import TEST_SECRET


def keyed(value, secret=TEST_SECRET):
    """The unique index's digest of a value: HMAC-SHA256 under a key derived from the secret."""
    key = derive_key(secret, b"lawful unique values v1")
    return hmac.new(key, value.casefold().encode(), hashlib.sha256).hexdigest()


def test_migrations_build_the_declared_schema(store):
    with store.engine.connect() as c:
        assert current_version(c) == MIGRATIONS[-1][0]
        diff = compare_metadata(MigrationContext.configure(c), metadata)
    # Only the migration bookkeeping table is not part of the declared schema.
    assert [d for d in diff if not (d[0] == "remove_table" and d[1].name == "lawful_schema")] == []


def test_migrating_again_changes_nothing_and_keeps_data(store, database_url, clock):
    store.put_module(ModuleLayout(name="Leads", label="Leads"), "t")
    assert migrate(store.engine, clock) == []
    again = Store.open(database_url, clock)
    assert again.module_names() == ["Leads"]
    again.close()


def test_settings_start_off_and_changes_are_versioned(store):
    assert store.settings().compliance_enabled is False  # S1: off until an administrator turns it on
    saved = store.save_settings(ControllerSettings(compliance_enabled=True, modules=("Leads",)), "admin")
    assert saved.version == 1 and saved.modules == ("Leads",)
    with pytest.raises(ConflictError):
        store.save_settings(ControllerSettings(compliance_enabled=False, version=5), "other")
    assert store.settings().compliance_enabled is True


def test_a_second_store_sees_a_settings_change_at_once(store, database_url, clock):
    other = Store.open(database_url, clock)
    assert other.settings().compliance_enabled is False
    store.save_settings(ControllerSettings(compliance_enabled=True), "admin")
    assert other.settings().compliance_enabled is True
    other.close()


def test_module_names_resolve_without_regard_to_case(store):
    store.put_module(ModuleLayout(name="Leads", label="Leads"), "t")
    assert store.resolve_module(" leads ") == "Leads"
    with pytest.raises(NotFoundError, match="did you mean 'Leads'"):
        store.resolve_module("Lead")


def test_layout_changes_keep_marking_and_bump_the_version(store):
    leads = next(layout for layout in demo_layouts() if layout.name == "Leads")
    first = store.put_module(leads, "t")
    unmarked = ModuleLayout(
        name="Leads",
        label="Leads",
        fields=tuple(FieldLayout(name=f.name, label=f.label, type=f.type) for f in leads.fields),
    )
    second = store.put_module(unmarked, "t")
    assert second.layout_version == first.layout_version + 1
    assert second.field("Email").classification == "normal"
    assert second.field("Tax_ID").classification == "sensitive"


def test_upsert_creates_updates_and_refuses_duplicates(store):
    store.put_module(ModuleLayout(name="Leads", label="Leads"), "t")
    source = {"kind": "import", "file": "a.csv"}
    rows = [
        NewRecord("1", {"Email": "a@example.com"}, "h1", {"Email": "a@example.com"}),
        NewRecord("2", {"Email": "A@Example.com"}, "h2", {"Email": "A@Example.com"}),
    ]
    result = store.upsert_records("Leads", rows, source, "t")
    assert result.created == ["1"] and "already used by record 1" in result.refused["2"]
    result = store.upsert_records(
        "Leads", [NewRecord("1", {"Email": "b@example.com"}, "h3", {"Email": "b@example.com"})], source, "t"
    )
    assert result.updated == ["1"]
    result = store.upsert_records(
        "Leads", [NewRecord("2", {"Email": "a@example.com"}, "h4", {"Email": "a@example.com"})], source, "t"
    )
    assert result.created == ["2"]  # the address was freed by the update
    assert [e.kind for e in store.timeline("1")] == ["record.created", "record.updated"]
    updated = store.timeline("1")[-1]  # which fields changed, not to what (A1)
    assert updated.detail["fields"] == ["Email"] and updated.summary.endswith(": Email")
    assert "b@example.com" not in str(updated)


def test_instants_come_back_in_utc(store, clock):
    store.put_module(ModuleLayout(name="Leads", label="Leads"), "t")
    store.upsert_records("Leads", [NewRecord("1", {}, "h")], {"kind": "api"}, "t")
    deadline = dt.datetime(2026, 4, 1, 12, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    record = store.change_state(
        "1", {"consent_status": "not_requested"}, {"consent_status": "waiting", "consent_deadline": deadline}, []
    )
    assert record.consent_deadline == deadline and record.consent_deadline.tzinfo == dt.timezone.utc


def test_a_failed_write_changes_nothing(store):
    store.put_module(ModuleLayout(name="Leads", label="Leads"), "t")
    # The second row's id is taken by the first: the key clash is a 409 (storage.conflict), not the driver's error.
    with pytest.raises(ConflictError):
        store.upsert_records("Leads", [NewRecord("1", {}, "h"), NewRecord("1", {}, "h")], {"kind": "api"}, "t")
    assert store.count_records() == 0
    assert store.timeline("1") == []


def test_snapshot_reads_record_settings_and_layout(store):
    store.put_module(
        ModuleLayout(
            name="Leads",
            label="Leads",
            fields=(FieldLayout(name="Email", label="Email", type="email", classification="normal"),),
        ),
        "t",
    )
    store.upsert_records("Leads", [NewRecord("1", {}, "h")], {"kind": "api"}, "t")
    snap = store.snapshot(record_id="1")
    assert (
        snap.record.id == "1" and snap.layout.field("Email").classification == "normal" and snap.settings.version == 0
    )
    with pytest.raises(NotFoundError):
        store.snapshot(record_id="2")


def test_sqlite_runs_in_wal_mode(sqlite_store):
    with sqlite_store.engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def database_at_release(database_url, clock, release):
    """A database whose schema stops at migration `release`, as an installation of that release left it."""
    from alembic.operations import Operations

    from api.storage.database import create_database, writing
    from api.storage.migrations import _VERSIONS

    engine = create_database(database_url)
    with writing(engine) as c:
        _VERSIONS.create(c, checkfirst=True)
    for number, name, step in MIGRATIONS[:release]:
        with writing(engine) as c:
            step(Operations(MigrationContext.configure(c)))
            c.execute(_VERSIONS.insert().values(version=number, name=name, applied_at=clock()))
    return engine


def test_an_upgrade_keeps_existing_data(database_url, clock):
    """Build the schema as release 3 had it, store data, then upgrade to the newest."""
    from api.storage.database import writing

    engine = database_at_release(database_url, clock, 3)
    with writing(engine) as c:
        c.exec_driver_sql(
            "INSERT INTO modules (name, label, custom, person_related, layout_version, updated_at, updated_by) "
            "VALUES ('Leads', 'Leads', false, true, 1, '2026-01-01 00:00:00', 'old')"
        )
        c.exec_driver_sql(
            "INSERT INTO records (id, module, data, content_hash, basis, consent_status, restricted, awaiting_confirmation, "
            "source, created_at, updated_at) VALUES ('1', 'Leads', '{\"Email\": \"A@example.org\"}', 'h', 'contract', "
            "'not_requested', false, false, '{}', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
        )
        c.exec_driver_sql(
            "INSERT INTO unique_values (module, field, value, record_id) VALUES ('Leads', 'Email', 'a@example.org', '1')"
        )
    assert migrate(engine, clock) == [number for number, _, _ in MIGRATIONS[3:]]
    engine.dispose()
    store = Store.open(database_url, clock, secret=TEST_SECRET)
    assert store.record("1").data == {"Email": "A@example.org"} and store.record("1").basis == "contract"
    with store.engine.connect() as c:
        assert c.exec_driver_sql("SELECT value FROM unique_values").scalar() == keyed("a@example.org")
    store.put_module(
        ModuleLayout(
            name="Leads", label="Leads", fields=(FieldLayout(name="Email", label="Email", type="email", unique=True),)
        ),
        "t",
    )
    result = store.upsert_records(
        "Leads", [NewRecord("2", {"Email": "a@EXAMPLE.org"}, "h2", {"Email": "a@EXAMPLE.org"})], {"kind": "api"}, "t"
    )
    assert "already used by record 1" in result.refused["2"]  # the converted digest still guards uniqueness
    store.close()


def test_the_unique_index_keeps_keyed_digests_only(store, database_url, clock):
    store.put_module(ModuleLayout(name="Leads", label="Leads"), "t")
    store.upsert_records(
        "Leads", [NewRecord("1", {"Email": "Ada@Example.org"}, "h", {"Email": "Ada@Example.org"})], {"kind": "api"}, "t"
    )
    with store.engine.connect() as c:
        (stored,) = c.execute(sa.select(t.unique_values.c.value)).scalars()
    assert stored == keyed("ada@example.org") != hashlib.sha256(b"ada@example.org").hexdigest()
    assert [r.id for r in store.records_by_unique({"Leads": ["Email"]}, "ADA@example.ORG")] == ["1"]
    other = Store.open(database_url, clock, secret=b"y" * 32)  # another installation's key matches nothing
    keyless = Store.open(database_url, clock)
    try:
        assert other.records_by_unique({"Leads": ["Email"]}, "ada@example.org") == []
        with pytest.raises(LawfulError, match="expected the installation's secret key, found none configured"):
            keyless.records_by_unique({"Leads": ["Email"]}, "ada@example.org")
        assert keyless.upsert_records("Leads", [NewRecord("2", {}, "h")], {"kind": "api"}, "t").created == ["2"]
    finally:
        other.close()
        keyless.close()


def test_an_index_of_plain_digests_is_rebuilt_with_the_key_once(database_url, clock):
    """A database from before keyed digests: the values are read again from the records, encrypted ones too."""
    from api.storage.database import writing

    engine = database_at_release(database_url, clock, 8)
    sealed = FieldCipher(TEST_SECRET).encrypt("NL123456789B01", "2", "Tax_ID")
    old = {"1": ("Email", "Ada@Example.org"), "2": ("Tax_ID", "NL123456789B01"), "3": ("Email", "gone@example.org")}
    with writing(engine) as c:
        c.execute(
            t.modules.insert().values(
                name="Leads",
                label="Leads",
                custom=False,
                person_related=True,
                layout_version=1,
                updated_at=clock(),
                updated_by="old",
            )
        )
        for record_id, data in (("1", {"Email": "Ada@Example.org"}), ("2", {"Tax_ID": sealed}), ("3", {})):
            c.execute(
                t.records.insert().values(
                    id=record_id,
                    module="Leads",
                    data=data,
                    content_hash="h",
                    basis="contract",
                    consent_status="not_requested",
                    restricted=False,
                    awaiting_confirmation=False,
                    source={},
                    created_at=clock(),
                    updated_at=clock(),
                )
            )
        for record_id, (field, value) in old.items():
            plain = hashlib.sha256(value.casefold().encode()).hexdigest()
            c.execute(t.unique_values.insert().values(module="Leads", field=field, value=plain, record_id=record_id))
    engine.dispose()

    keyless = Store.open(database_url, clock)  # migration 9 runs; without the secret nothing is rebuilt
    with keyless.engine.connect() as c:
        assert c.execute(sa.select(t.meta.c.value).where(t.meta.c.name == "unique_values.digest")).scalar() == "sha256"
    with pytest.raises(LawfulError, match="crypto.no_key"):
        keyless.rebuild_unique_index()
    keyless.close()

    store = Store.open(database_url, clock, secret=TEST_SECRET)
    with store.engine.connect() as c:
        index = {(r.field, r.value): r.record_id for r in c.execute(sa.select(t.unique_values))}
        mark = c.execute(sa.select(t.meta.c.value).where(t.meta.c.name == "unique_values.digest")).scalar()
    assert index == {("Email", keyed("ada@example.org")): "1", ("Tax_ID", keyed("nl123456789b01")): "2"}
    assert mark == "hmac-sha256-v1"
    assert [r.id for r in store.records_by_unique({"Leads": ["Email", "Tax_ID"]}, "nl123456789B01")] == ["2"]
    duplicate = NewRecord("4", {"Email": "ada@example.ORG"}, "h4", {"Email": "ada@example.ORG"})
    assert "already used by record 1" in store.upsert_records("Leads", [duplicate], {"kind": "api"}, "t").refused["4"]
    assert store.rebuild_unique_index() == 0  # once only
    store.close()


def mark_exists(engine, name):
    with reading(engine) as c:
        return c.execute(sa.select(t.meta.c.name).where(t.meta.c.name == name)).first() is not None


def add_mark(engine, name):
    with writing(engine) as c:
        c.execute(t.meta.insert().values(name=name, value="v"))


def test_a_unit_of_work_that_another_writer_got_ahead_of_runs_again_on_what_that_writer_left(store):
    tries = []

    @unit_of_work
    def add_once(name):
        tries.append(name)
        seen = mark_exists(store.engine, name)
        if len(tries) == 1:
            add_mark(store.engine, name)  # another writer takes the key between our read and our write
        if seen:
            return "found"
        add_mark(store.engine, name)
        return "added"

    assert add_once("claimed.meanwhile") == "found" and len(tries) == 2


def test_a_unit_of_work_that_keeps_meeting_other_writers_gives_up_with_a_409_naming_the_constraint(store):
    add_mark(store.engine, "taken")
    tries = []

    @unit_of_work
    def add_taken():
        tries.append(1)
        add_mark(store.engine, "taken")

    with pytest.raises(ConflictError) as raised:
        add_taken()
    assert raised.value.code == "storage.conflict" and len(tries) == ATTEMPTS
    found = (
        "constraint meta_pkey" if store.engine.dialect.name == "postgresql" else "UNIQUE constraint failed: meta.name"
    )
    assert f"found each of {ATTEMPTS} tries meeting another one ({found}) - in add_taken" in raised.value.message


def test_a_unit_of_work_with_a_mistake_in_its_sql_is_not_run_again(store):
    tries = []

    @unit_of_work
    def add_without_value():
        tries.append(1)
        with writing(store.engine) as c:
            c.execute(t.meta.insert().values(name="no value", value=None))

    with pytest.raises(sa.exc.IntegrityError):
        add_without_value()
    assert len(tries) == 1
