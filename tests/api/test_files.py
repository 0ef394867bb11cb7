"""Files that hold personal data or secrets are readable by the server's user only (0600, folders 0700)."""

import os
import stat

from api.demo import ensure_demo_access, seed_demo
from api.files import write_private
from api.mail import Message, OutboxMailer
from api.secrets import load_secret
from api.storage import ModuleLayout, NewRecord, Store
from tests.conftest import RULES, TEST_SECRET


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_sqlite_database_and_its_folders_are_private(tmp_path, clock):
    path = tmp_path / "new" / "data" / "lawful.db"
    store = Store.open(f"sqlite:///{path}", clock, secret=TEST_SECRET)
    store.put_module(ModuleLayout(name="Leads", label="Leads"), "t")
    store.upsert_records("Leads", [NewRecord("1", {"Email": "a@example.org"}, "h")], {"kind": "api"}, "t")
    with store.engine.connect() as c:  # keep a connection open so the WAL files exist
        c.exec_driver_sql("SELECT count(*) FROM records").scalar()
        assert mode(path) == 0o600
        assert mode(f"{path}-wal") == 0o600 and mode(f"{path}-shm") == 0o600
    store.close()
    assert mode(tmp_path / "new") == 0o700 and mode(tmp_path / "new" / "data") == 0o700


def test_an_existing_database_keeps_its_mode(tmp_path, clock):
    path = tmp_path / "lawful.db"
    path.touch(mode=0o640)
    os.chmod(path, 0o640)
    Store.open(f"sqlite:///{path}", clock).close()
    assert mode(path) == 0o640  # the administrator chose it


def test_the_secret_file_is_private(tmp_path, monkeypatch):
    monkeypatch.delenv("LAWFUL_SECRET", raising=False)
    var = tmp_path / "var"
    secret = load_secret(var)
    assert len(secret) == 32 and load_secret(var) == secret
    assert mode(var / "lawful.secret") == 0o600 and mode(var) == 0o700
    assert [p.name for p in var.iterdir()] == ["lawful.secret"]  # no draft left behind


def test_outbox_mail_is_private(tmp_path):
    outbox = tmp_path / "var" / "outbox"
    OutboxMailer(outbox, "privacy@example.com").send(Message(to="subject@example.org", subject="Hi", text="Hello"))
    (written,) = outbox.iterdir()
    assert written.suffix == ".eml" and b"subject@example.org" in written.read_bytes()
    assert mode(written) == 0o600 and mode(outbox) == 0o700 and mode(tmp_path / "var") == 0o700


def test_demo_credentials_and_records_are_private(tmp_path, sqlite_store, rules_host):
    from api.app import Services
    from api.config import Config

    config = Config(database_url="unused://", rules_path=RULES, var_dir=tmp_path / "var")
    services = Services(config, store=sqlite_store, rules=rules_host)
    seed_demo(sqlite_store, services.lifecycles, tmp_path / "var" / "demo", people=5)
    written = ensure_demo_access(sqlite_store, tmp_path / "var")
    assert sorted(p.name for p in written) == ["demo-admin.key", "demo-admin.password"]
    for path in [*written, *(tmp_path / "var" / "demo").iterdir()]:
        assert mode(path) == 0o600, path
    assert mode(tmp_path / "var" / "demo") == 0o700


def test_rewriting_a_file_makes_it_private(tmp_path):
    path = tmp_path / "key"
    path.write_text("old")
    os.chmod(path, 0o644)
    assert write_private(path, b"new") and path.read_bytes() == b"new" and mode(path) == 0o600
    assert not write_private(path, b"other", exclusive=True) and path.read_bytes() == b"new"
