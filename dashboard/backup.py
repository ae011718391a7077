"""Backups of the SQLite database: an online copy that carries a Juwei marker, and a safe restore.

`backup` copies the live database with SQLite's online backup API (consistent while the app runs),
then adds a `juwei_backup` table (a marker, the schema revision, the row count of every table).
`restore` refuses any file without that marker, copies it to a temporary file beside the database,
brings its schema up to date, records the restore in its audit trail, keeps the previous database
as `<name>.bak` and swaps the new file in with one atomic rename. PostgreSQL has its own tools
(pg_dump / pg_restore): see POSTGRES_HELP.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import Engine, column, func, inspect, select, table
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from dashboard import audit
from dashboard.errors import JuweiError
from dashboard.roles import SYSTEM, CurrentUser, require
from dashboard.store import transaction
from db import make_engine, upgrade
from db.migrate import alembic_config

MARKER_TABLE = "juwei_backup"
MAGIC = "juwei-backup-1"
SQLITE_HEADER = b"SQLite format 3\x00"
# Tables every Juwei database has; a backup without them is not one of ours.
REQUIRED_TABLES = ("alembic_version", "committee", "app_user", "audit_log")
POSTGRES_HELP = """\
This database is PostgreSQL: back it up and restore it with PostgreSQL's own tools, e.g.
  pg_dump -Fc -d "$DATABASE_URL_WITHOUT_DRIVER" -f juwei.dump        # backup (custom format)
  pg_restore --clean --if-exists -d "$DATABASE_URL_WITHOUT_DRIVER" juwei.dump   # restore
(use the URL without "+psycopg", e.g. postgresql://juwei:secret@127.0.0.1:5432/juwei; stop the app
before a restore; `python -m dashboard migrate` afterwards brings an older dump's schema up to date)."""


@dataclass(frozen=True)
class BackupInfo:
    """What a backup file says about itself."""

    path: Path
    created_at: str
    committee: str
    revisions: list[str]
    counts: dict[str, int]


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL, or None for any other database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    if not parsed.database or parsed.database == ":memory:":
        raise JuweiError("backup.not_a_file")
    return Path(parsed.database)


def table_counts(engine: Engine) -> dict[str, int]:
    """Rows in every table of the database (the marker table excluded), by table name."""
    names = sorted(n for n in inspect(engine).get_table_names() if n != MARKER_TABLE)
    with engine.connect() as conn:
        return {n: conn.scalar(select(func.count()).select_from(table(n))) or 0 for n in names}


def _file_engine(path: Path) -> Engine:
    return make_engine(f"sqlite:///{path}")


def _copy_sqlite(source: Path, dest: Path) -> None:
    """A consistent copy of source into dest (a new file) through SQLite's online backup API,
    left as a single self-contained file (rollback journal, not WAL)."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(dest)) as dst:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")


def backup(url: str, out: Path, *, user: CurrentUser = SYSTEM, now: dt.datetime | None = None) -> BackupInfo:
    """Copy the SQLite database at url into the file out, marked as a Juwei backup; audited."""
    require(user, "export.personal")
    source = sqlite_file(url)
    if source is None:
        raise JuweiError("backup.postgres")
    if not source.exists():
        raise JuweiError("backup.no_database", path=str(source))
    out = out.resolve()
    if out == source.resolve():
        raise JuweiError("backup.same_file")
    now = now or dt.datetime.now().replace(microsecond=0)
    engine = _file_engine(source)
    try:
        # Recorded first, so the copy carries the row of its own making.
        with transaction(engine) as s:
            audit.record(s, user, "backup.create", "database", source.name, after={"file": out.name}, at=now)
    finally:
        engine.dispose()
    out.parent.mkdir(parents=True, exist_ok=True)
    part = out.with_name(out.name + ".part")
    part.unlink(missing_ok=True)
    try:
        _copy_sqlite(source, part)
        copy = _file_engine(part)
        try:
            counts = table_counts(copy)
            with Session(copy) as s:
                revisions = list(
                    s.scalars(select(column("version_num")).select_from(table("alembic_version")))
                )
                committee = s.scalar(select(column("name")).select_from(table("committee")).limit(1)) or ""
        finally:
            copy.dispose()
        with closing(sqlite3.connect(part)) as conn, conn:
            conn.execute("PRAGMA journal_mode=DELETE")
            conn.execute(f"CREATE TABLE {MARKER_TABLE} (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            conn.executemany(
                f"INSERT INTO {MARKER_TABLE} (key, value) VALUES (?, ?)",  # noqa: S608 - a constant name
                [
                    ("magic", MAGIC),
                    ("created_at", now.isoformat()),
                    ("source", source.name),
                    ("committee", committee),
                    ("revisions", ",".join(revisions)),
                    ("counts", json.dumps(counts, sort_keys=True)),
                ],
            )
        os.replace(part, out)
    finally:
        part.unlink(missing_ok=True)
    return BackupInfo(out, now.isoformat(), committee, revisions, counts)


def read_backup(path: Path) -> BackupInfo:
    """The marker of a Juwei backup file; refuses (JuweiError) anything else."""
    path = Path(path)
    if not path.is_file():
        raise JuweiError("backup.no_file", path=str(path))
    with path.open("rb") as fh:
        if fh.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise JuweiError("backup.not_juwei", path=path.name)
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as conn:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if MARKER_TABLE not in tables or not set(REQUIRED_TABLES) <= tables:
                raise JuweiError("backup.not_juwei", path=path.name)
            marker = dict(conn.execute(f"SELECT key, value FROM {MARKER_TABLE}").fetchall())  # noqa: S608
            if marker.get("magic") != MAGIC:
                raise JuweiError("backup.not_juwei", path=path.name)
            if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise JuweiError("backup.damaged", path=path.name)
    except sqlite3.DatabaseError as exc:
        raise JuweiError("backup.damaged", path=path.name) from exc
    revisions = [r for r in marker.get("revisions", "").split(",") if r]
    known = ScriptDirectory.from_config(alembic_config("sqlite://"))
    for rev in revisions:
        try:
            known.get_revision(rev)
        except Exception as exc:  # noqa: BLE001 - alembic raises several kinds for an unknown revision
            raise JuweiError("backup.newer_schema", revision=rev) from exc
    return BackupInfo(
        path=path,
        created_at=marker.get("created_at", ""),
        committee=marker.get("committee", ""),
        revisions=revisions,
        counts=json.loads(marker.get("counts", "{}")),
    )


def restore(
    url: str, backup_file: Path, *, user: CurrentUser = SYSTEM, now: dt.datetime | None = None
) -> Path | None:
    """Replace the SQLite database at url by a Juwei backup; returns the kept previous file (.bak).

    Stop the app first: the swap is refused while another connection holds the database open.
    """
    require(user, "users.manage")
    target = sqlite_file(url)
    if target is None:
        raise JuweiError("backup.postgres")
    info = read_backup(backup_file)
    now = now or dt.datetime.now().replace(microsecond=0)
    target = target.resolve()
    if target == Path(backup_file).resolve():
        raise JuweiError("backup.same_file")
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.with_name(target.name + ".restoring")
    staged.unlink(missing_ok=True)
    try:
        _copy_sqlite(Path(backup_file), staged)
        with closing(sqlite3.connect(staged)) as conn, conn:
            conn.execute(f"DROP TABLE {MARKER_TABLE}")
        engine = _file_engine(staged)
        try:
            upgrade(engine)  # an older backup comes back with today's schema
            with transaction(engine) as s:
                audit.record(
                    s,
                    user,
                    "backup.restore",
                    "database",
                    target.name,
                    after={"file": Path(backup_file).name, "backup_created_at": info.created_at},
                    at=now,
                )
        finally:
            engine.dispose()
        _settle(staged)
        previous = None
        if target.exists():
            _settle(target)
            previous = target.with_name(target.name + ".bak")
            _copy_sqlite(target, previous)
        os.replace(staged, target)
        return previous
    finally:
        staged.unlink(missing_ok=True)


def _settle(path: Path) -> None:
    """Fold the write-ahead log into the file and make sure nobody else has it open."""
    with closing(sqlite3.connect(path)) as conn:
        busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
    # The last connection to close removes the -wal file; if it is still there, someone else is in.
    if busy or Path(f"{path}-wal").exists():
        raise JuweiError("backup.in_use", path=path.name)
    Path(f"{path}-shm").unlink(missing_ok=True)
