"""Open the database: SQLite (WAL) by default, PostgreSQL by URL; one writer transaction at a time."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from ..files import create_private

_encode = msgspec.json.Encoder()


def _json_serializer(value: Any) -> str:
    return _encode.encode(value).decode()


def create_database(url: str) -> sa.Engine:
    """Create an engine for `url`; SQLite files get WAL, and a new one is made mode 0600 in a folder made 0700.

    SQLite gives the database's -wal and -shm files the database file's mode, so they are private too.
    """
    parsed = make_url(url)
    options: dict[str, Any] = {"json_serializer": _json_serializer, "json_deserializer": msgspec.json.decode}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            create_private(Path(parsed.database))
        engine = sa.create_engine(parsed, connect_args={"timeout": 30, "check_same_thread": False}, **options)
        _configure_sqlite(engine)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return sa.create_engine(parsed, pool_pre_ping=True, pool_size=10, max_overflow=10, **options)


def _configure_sqlite(engine: sa.Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, say when transactions begin (see `begin` below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=30000"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def on_begin(connection: sa.Connection) -> None:
        options = connection.get_execution_options()
        if options.get("single_read"):
            return  # one SELECT is consistent on its own: no transaction to open or close
        # A write transaction takes the write lock at once, so it never fails half-way on upgrade.
        connection.exec_driver_sql("BEGIN IMMEDIATE" if options.get("write") else "BEGIN")


@contextlib.contextmanager
def writing(engine: sa.Engine) -> Iterator[sa.Connection]:
    """Run a write transaction: all of it commits, or none of it."""
    with engine.connect().execution_options(write=True) as connection:
        with connection.begin():
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql("SET LOCAL lock_timeout = '30s'")
            yield connection


def single_read(engine: sa.Engine) -> sa.Connection:
    """A connection for one SELECT, which needs no transaction around it (the decision path)."""
    return engine.connect().execution_options(single_read=True)


@contextlib.contextmanager
def reading(engine: sa.Engine) -> Iterator[sa.Connection]:
    """Run a read-only transaction that sees one consistent snapshot."""
    with engine.connect() as connection:
        with connection.begin():
            yield connection
