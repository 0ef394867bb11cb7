"""The decision path's reads on SQLite, straight through the sqlite3 driver.

A decision reads one row. Through SQLAlchemy that costs several times the read itself (a pooled
connection checked out and in, the statement's execution context, result processing), which is
most of a decision's time over HTTP. On SQLite the same statements, compiled once by SQLAlchemy,
run here on one driver connection per thread in autocommit mode: every SELECT sees what was
committed before it, as with the pool.

Rows read are kept per thread while `PRAGMA data_version` stays the same: SQLite changes that
number on this connection whenever any other connection, in this process or another, commits.
The number is read before the rows, so a row kept is never older than the last commit seen, and
any commit anywhere empties what was kept. PostgreSQL keeps the SQLAlchemy path: its reads are
network round trips, which the pool's overhead does not dominate.
"""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

import sqlalchemy as sa


class Statement:
    """A SELECT compiled once for SQLite, with its fixed parameters filled in at compile time."""

    def __init__(self, select: sa.Select[Any], dialect: sa.Dialect, name: str) -> None:
        compiled = select.compile(dialect=dialect)
        self.sql = str(compiled)
        self.columns = tuple(str(column.key) for column in select.selected_columns)
        fixed = compiled.construct_params({name: None})
        order = compiled.positiontup or ()
        if [key for key in order if key == name] != [name] or compiled.positional is False:
            raise ValueError(f"expected one positional parameter {name!r} in {self.sql}")
        self._index = order.index(name)
        self._template = [fixed[key] for key in order]

    def params(self, value: object) -> list[object]:
        """The statement's parameters with `value` in its place."""
        params = list(self._template)
        params[self._index] = value
        return params


_KEPT_ROWS = 50_000  # per thread; a full cache starts again empty
_MISSING = object()


class SqliteReader:
    """Run compiled statements on one autocommit sqlite3 connection per thread, keeping rows read
    until the database changes."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            # isolation_level=None: no implicit transaction, so no read ever sees an old snapshot.
            connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
            connection.execute("PRAGMA busy_timeout=30000")
            connection.execute("PRAGMA query_only=ON")
            self._local.connection = connection
            self._local.version = None
            self._local.rows = {}
            with self._lock:
                self._all.append(connection)
        return connection

    def one(self, statement: Statement, value: object) -> dict[str, Any] | None:
        """Return the first row of `statement` for `value`, by column key, or None (callers must not
        change the row: it may be handed out again)."""
        connection = self._connection()
        local = self._local
        version = connection.execute("PRAGMA data_version").fetchone()[0]
        rows: dict[tuple[str, object], dict[str, Any] | None] = local.rows
        if version != local.version:
            rows.clear()
            local.version = version
        key = (statement.sql, value)
        found = rows.get(key, _MISSING)
        if found is not _MISSING:
            return found  # type: ignore[return-value]
        row = connection.execute(statement.sql, statement.params(value)).fetchone()
        result = None if row is None else dict(zip(statement.columns, row, strict=True))
        if len(rows) >= _KEPT_ROWS:
            rows.clear()
        rows[key] = result
        return result

    def close(self) -> None:
        """Close every thread's connection."""
        with self._lock:
            connections, self._all = self._all, []
        for connection in connections:
            connection.close()


def sqlite_file(engine: sa.Engine) -> str | None:
    """The database file of a SQLite engine, or None (another database, or one in memory)."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    if url.database.startswith("file:") or url.query:
        return None  # URI forms and driver options: keep to the pool, which understands them
    return url.database
