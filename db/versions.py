"""Data versions: which tables changed, so a cached read is dropped exactly when what it read changed.

Writes: while a write transaction is open (dashboard/store.transaction), a cursor listener on every
engine notes the table of each INSERT, UPDATE and DELETE it sends; just before the transaction
commits, each of those tables gets a new random token in `data_version` — in the same transaction,
so the stamp lands with the data or not at all. The seed and the migrations stamp every table.

Reads: `tracked(session, fn)` runs a read while noting every table its SQL names, after taking a
snapshot of the tokens; the result comes back with the tokens of the tables it read (its
dependencies). A cache may keep the result while `is_current(deps, snapshot())` holds. The tokens
live in the database, so a write made through another server process invalidates this one's cache.

Tokens are random (not counters) so a restored backup or another database never matches by accident.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from db.models import Base

T = TypeVar("T")
TABLE = "data_version"
TABLES: frozenset[str] = frozenset(Base.metadata.tables) - {TABLE}
_VERSION = Base.metadata.tables[TABLE]
Deps = dict[str, str | None]

# The table an INSERT / UPDATE / DELETE writes (SQLAlchemy and the seed quote names only when needed).
_DML = re.compile(r'^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)', re.IGNORECASE)
# Every table a statement names; a column that happens to share a table's name only adds a dependency.
_NAMED = re.compile(r"\b(" + "|".join(sorted(TABLES, key=len, reverse=True)) + r")\b")

# Tables written by database triggers (db/tallies.py) rather than by statements the listener sees:
# a read of one depends on the tables it is counted from.
DERIVED: dict[str, tuple[str, ...]] = {
    "building_tally": ("resident", "household"),
    "round_tally": ("screening_result", "resident", "household"),
    "delivery_tally": ("delivery", "household"),
    "household_tally": ("household",),
}

_written: ContextVar[set[str] | None] = ContextVar("juwei_written", default=None)
_read: ContextVar[set[str] | None] = ContextVar("juwei_read", default=None)


def _on_cursor_execute(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001, ARG001
    written = _written.get()
    if written is not None:
        m = _DML.match(statement)
        if m and m.group(1) in TABLES:
            written.add(m.group(1))
    read = _read.get()
    if read is not None:
        for name in _NAMED.findall(statement):
            read.update(DERIVED.get(name, (name,)))


def listen(engine: Engine) -> None:
    """Install the statement listener on an engine (db.make_engine does this for every engine)."""
    event.listen(engine, "before_cursor_execute", _on_cursor_execute)


# --- writes ---------------------------------------------------------------------------------


@contextmanager
def recording() -> Iterator[set[str]]:
    """Note the tables written in this context (the current thread or task)."""
    tables: set[str] = set()
    token = _written.set(tables)
    try:
        yield tables
    finally:
        _written.reset(token)


def stamp(connection: Connection | Session, tables: Iterable[str]) -> None:
    """Give each table a new token, in the caller's transaction (sorted: concurrent writers of
    PostgreSQL lock the version rows in one order, so they never deadlock on them)."""
    names = sorted(set(tables) & TABLES)
    if not names:
        return
    now = dt.datetime.now().replace(microsecond=0)
    dialect = connection.get_bind().dialect if isinstance(connection, Session) else connection.dialect
    insert = (postgresql if dialect.name == "postgresql" else sqlite).insert(_VERSION)
    statement = insert.on_conflict_do_update(
        index_elements=[_VERSION.c.table_name],
        set_={"token": insert.excluded.token, "changed_at": insert.excluded.changed_at},
    )
    connection.execute(
        statement, [{"table_name": n, "token": secrets.token_hex(8), "changed_at": now} for n in names]
    )


def stamp_all(connection: Connection | Session) -> None:
    """Every table changed (after the seed, a migration or a restore)."""
    stamp(connection, TABLES)


def stamp_before_commit(session: Session, tables: set[str]) -> None:
    """Flush what is pending, then stamp the tables written so far (a Session before_commit hook)."""
    session.flush()
    if tables:
        stamp(session, set(tables))
        tables.clear()


# --- reads ----------------------------------------------------------------------------------


def snapshot(connection: Connection | Session) -> dict[str, str]:
    """The current token of every table that has one."""
    rows = connection.execute(select(_VERSION.c.table_name, _VERSION.c.token))
    return {name: token for name, token in rows}


def tracked(session: Session, fn: Callable[[], T], before: dict[str, str] | None = None) -> tuple[Deps, T]:
    """fn()'s result and the tokens, taken before it ran, of the tables its statements named.

    The tokens are read first (or given: a snapshot taken earlier, such as the page run's): a write
    committing while fn runs can only make the result look older than it is (and be read again),
    never newer.
    """
    if before is None:
        before = snapshot(session)
    tables: set[str] = set()
    token = _read.set(tables)
    try:
        result = fn()
    finally:
        _read.reset(token)
    return {name: before.get(name) for name in sorted(tables)}, result


def is_current(deps: Mapping[str, Any], now: Mapping[str, str]) -> bool:
    """True while no table the read depended on has changed."""
    return all(now.get(name) == token for name, token in deps.items())
