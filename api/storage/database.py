"""Open the database: SQLite (WAL) by default, PostgreSQL by URL; one writer transaction at a time.

Writers meet each other differently on the two databases. SQLite's write transaction is
exclusive from its first statement, so what it reads inside cannot change before it commits.
PostgreSQL (READ COMMITTED) runs writers side by side: two can read the same state, decide the
same insert, and the second then fails on a unique key, or two bulk changes deadlock. A store
method marked `unit_of_work` meets this by running again from its first read.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from engine import ConflictError

from ..files import create_private

_encode = msgspec.json.Encoder()
log = logging.getLogger("lawful.storage")
P = ParamSpec("P")
R = TypeVar("R")
ATTEMPTS = 3  # a unit of work that meets other writers this often in a row gives up with a 409
# What a writer meets when another one got there first: a key, or a referenced row, it took or
# removed (PostgreSQL SQLSTATEs, SQLite's extended result codes), a serialization failure, a deadlock.
_CONCURRENT_SQLSTATES = frozenset({"23505", "23503", "40001", "40P01"})
_CONCURRENT_SQLITE_ERRORS = frozenset(
    {"SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY", "SQLITE_CONSTRAINT_FOREIGNKEY"}
)


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


def lock_for_transaction(connection: sa.Connection, key: int) -> None:
    """Make transactions that take the same `key` run one after another, on every server.

    On PostgreSQL this is an advisory lock held until the transaction ends; SQLite's write
    transaction is exclusive already.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(key)))


def is_concurrent_write(exc: sa.exc.DBAPIError) -> bool:
    """Tell whether a database error means that another writer got there first (not a mistake in the SQL)."""
    driver_error = exc.orig
    return (
        getattr(driver_error, "sqlstate", None) in _CONCURRENT_SQLSTATES
        or getattr(driver_error, "sqlite_errorname", None) in _CONCURRENT_SQLITE_ERRORS
    )


def unit_of_work(method: Callable[P, R]) -> Callable[P, R]:
    """Run a store method again, from its first read, when a concurrent writer got there first.

    The method must make exactly one write transaction and change nothing outside the database,
    so that the transaction's rollback undoes all of it. Run again, it reads the state the other
    writer left and decides on that: a unique value now taken is the method's own refusal (a 409
    that names the value's record), a version now newer is a stale change. After ATTEMPTS tries
    in a row it raises `storage.conflict` (409), never the driver's error (a 500).
    """

    @functools.wraps(method)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        attempt = 1
        while True:
            try:
                return method(*args, **kwargs)
            except sa.exc.DBAPIError as exc:
                if not is_concurrent_write(exc):
                    raise
                found = _what_was_met(exc)
                if attempt == ATTEMPTS:
                    raise ConflictError(
                        "storage.conflict",
                        f"expected to write once the changes made at the same time were stored, found each of "
                        f"{ATTEMPTS} tries meeting another one ({found}) - in {method.__name__}; "
                        "nothing was changed, try again",
                    ) from exc
                log.info("%s met a concurrent writer (%s); running it again", method.__name__, found)
                attempt += 1

    return run


def _what_was_met(exc: sa.exc.DBAPIError) -> str:
    """Name the constraint or condition the database met, without the values (they may be personal data)."""
    driver_error = exc.orig
    constraint = getattr(getattr(driver_error, "diag", None), "constraint_name", None)
    if constraint:
        return f"constraint {constraint}"
    sqlstate = getattr(driver_error, "sqlstate", None)
    if sqlstate:
        return {"40001": "a serialization failure", "40P01": "a deadlock"}.get(sqlstate, f"SQLSTATE {sqlstate}")
    return str(driver_error)  # SQLite names the table and columns, never the values


def single_read(engine: sa.Engine) -> sa.Connection:
    """A connection for one SELECT, which needs no transaction around it (the decision path)."""
    return engine.connect().execution_options(single_read=True)


@contextlib.contextmanager
def reading(engine: sa.Engine) -> Iterator[sa.Connection]:
    """Run a read-only transaction that sees one consistent snapshot."""
    with engine.connect() as connection:
        with connection.begin():
            yield connection
