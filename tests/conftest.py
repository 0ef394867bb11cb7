"""Shared fixtures: a store on SQLite and on PostgreSQL, the shipped rules, a fixed clock."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from api.rules_host import RulesHost
from api.storage import Store

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules" / "gdpr"
DATA = Path(__file__).resolve().parent / "data"
PG_URL = os.environ.get("LAWFUL_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.timezone.utc)
TEST_SECRET = bytes(range(32))


class Clock:
    """A clock tests move by hand."""

    def __init__(self, now: dt.datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def _postgres_available() -> str | None:
    try:
        engine = sa.create_engine(PG_URL)
        with engine.connect() as c:
            c.exec_driver_sql("SELECT 1")
        engine.dispose()
        return None
    except Exception as exc:  # any failure to connect means: no server here
        return f"PostgreSQL at {PG_URL} is not reachable: {exc.__class__.__name__}"


_PG_MISSING = _postgres_available()


def admin_key(store: Store, role: str = "admin") -> str:
    """Create an API key with `role` and return it."""
    from api.auth import new_api_key

    token, prefix, hashed = new_api_key()
    store.add_key(prefix, hashed, f"test-{role}-{prefix}", role, "test")
    return token


@contextlib.contextmanager
def client_for(app, store: Store, role: str = "admin"):  # type: ignore[no-untyped-def]
    """A test client for `app` that sends an API key with `role`."""
    from litestar.testing import TestClient

    with TestClient(app) as test_client:
        test_client.headers["Authorization"] = f"Bearer {admin_key(store, role)}"
        yield test_client


def ui_sign_in(client, username: str, password: str):  # type: ignore[no-untyped-def]
    """Sign in through the web UI's login page as a browser does; return the response (a redirect on success)."""
    import re

    page = client.get("/ui/login")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    form = {"_csrf_token": token, "next": "/ui/forms", "username": username, "password": password}
    return client.post("/ui/login", data=form, follow_redirects=False)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="session")
def rules_host() -> RulesHost:
    return RulesHost(RULES)


def postgres_schema_url() -> Iterator[str]:
    """Yield a URL whose tables live in a fresh PostgreSQL schema, dropped afterwards."""
    if _PG_MISSING:
        if os.environ.get("LAWFUL_REQUIRE_POSTGRES"):
            pytest.fail(_PG_MISSING)
        pytest.skip(_PG_MISSING)
    schema = "t_" + uuid.uuid4().hex[:12]
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as c:
            c.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The same test against SQLite and against PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'lawful.db'}"
    else:
        yield from postgres_schema_url()


@pytest.fixture
def store(database_url: str, clock: Clock) -> Iterator[Store]:
    opened = Store.open(database_url, clock, secret=TEST_SECRET)
    yield opened
    opened.close()


@pytest.fixture
def sqlite_store(tmp_path: Path, clock: Clock) -> Iterator[Store]:
    opened = Store.open(f"sqlite:///{tmp_path / 'lawful.db'}", clock, secret=TEST_SECRET)
    yield opened
    opened.close()
