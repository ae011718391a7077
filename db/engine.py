"""Engine and session factory: SQLite (a file, WAL) by default, PostgreSQL when DATABASE_URL says so."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from db import versions

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = f"sqlite:///{ROOT / 'data' / 'juwei.db'}"


def database_url() -> str:
    """The configured database: DATABASE_URL, else a SQLite file under data/."""
    url = os.environ.get("DATABASE_URL", "").strip() or DEFAULT_URL
    # Accept the plain postgres:// spelling that hosting providers hand out.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://") :]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001 - DBAPI objects are untyped
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=15000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    # A page cache of 32 MiB per connection (SQLite's default is 2 MiB): the figures scan the same
    # tallies and indexes over and over, and a pooled connection keeps its cache between reads.
    cur.execute("PRAGMA cache_size=-32768")
    cur.close()


def make_engine(url: str | None = None, **kwargs: object) -> Engine:
    """Create an engine for url (default: database_url()) with the project's connection settings."""
    url = url or database_url()
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 15, "check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        _use_explicit_begin(engine)
    else:
        kwargs.setdefault("pool_pre_ping", True)
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
        engine = create_engine(url, **kwargs)
    versions.listen(engine)
    return engine


_SHARED: dict[str, Engine] = {}
_PREPARED: set[tuple[str, Callable[[Engine], None]]] = set()
_SHARED_LOCK = threading.Lock()


def shared_engine(url: str | None = None, prepare: Callable[[Engine], None] | None = None) -> Engine:
    """The process's one engine for url (default: database_url()), made (and prepare(engine) run, a
    migration say) on first use. An engine is meant to live as long as the process: it holds the
    connection pool (on SQLite, connections with their page cache warm) and the cache of compiled
    statements, which clearing Streamlit's caches need not throw away. prepare runs once per engine."""
    url = url or database_url()
    with _SHARED_LOCK:
        engine = _SHARED.get(url)
        if engine is None:
            engine = _SHARED[url] = make_engine(url)
        if prepare is not None and (url, prepare) not in _PREPARED:
            prepare(engine)
            _PREPARED.add((url, prepare))
    return engine


def dispose_shared() -> None:
    """Close every shared engine's connections and forget the engines (tests, a restored database)."""
    with _SHARED_LOCK:
        engines = list(_SHARED.values())
        _SHARED.clear()
        _PREPARED.clear()
    for engine in engines:
        engine.dispose()


WRITE_OPTION = "juwei_write"


def _sqlite_begin(conn) -> None:  # noqa: ANN001 - a Connection
    # A write transaction takes the write lock at BEGIN (IMMEDIATE) so two writers queue on
    # busy_timeout instead of failing with "database is locked" when a reader upgrades to a
    # writer; reads stay deferred so they never block anyone (WAL).
    immediate = conn.get_execution_options().get(WRITE_OPTION, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def writer(engine: Engine) -> Engine:
    """The engine to open write transactions with (on SQLite: BEGIN IMMEDIATE)."""
    return engine.execution_options(**{WRITE_OPTION: True})


def _use_explicit_begin(engine: Engine) -> None:
    """Let SQLAlchemy own BEGIN on SQLite (pysqlite's implicit transactions are unreliable)."""

    @event.listens_for(engine, "connect")
    def _no_implicit_begin(dbapi_connection, _record) -> None:  # noqa: ANN001
        dbapi_connection.isolation_level = None


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """A sessionmaker whose objects stay readable after commit (pages render them afterwards)."""
    return sessionmaker(engine, expire_on_commit=False)
