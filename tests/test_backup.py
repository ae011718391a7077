"""Backups of the SQLite database and restores: same rows back, the old file kept, anything that is
not a Juwei backup refused with the database untouched; PostgreSQL is sent to pg_dump/pg_restore."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard import backup
from dashboard.errors import JuweiError
from dashboard.i18n import t
from db import make_engine
from db.models import AuditLog
from tests.helpers import ROOT, forget_app_state, open_app
from tests.small_committee import small_templates  # noqa: F401


@pytest.fixture
def live(small_templates: dict[bool, Path], tmp_path: Path) -> Path:  # noqa: F811
    """A live database file (the small committee, with a session and an audit row of a sign-in)."""
    path = tmp_path / "data" / "juwei.db"
    path.parent.mkdir()
    shutil.copyfile(small_templates[True], path)
    return path


def _url(path: Path) -> str:
    return f"sqlite:///{path}"


def _counts(path: Path) -> dict[str, int]:
    engine = make_engine(_url(path))
    try:
        return backup.table_counts(engine)
    finally:
        engine.dispose()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _actions(path: Path) -> list[str]:
    engine = make_engine(_url(path))
    with Session(engine) as s:
        actions = list(s.scalars(select(AuditLog.action).order_by(AuditLog.id)))
    engine.dispose()
    return actions


def test_backup_then_restore_gives_the_same_rows(live: Path, tmp_path: Path) -> None:
    out = tmp_path / "saved" / "juwei-backup.db"
    info = backup.backup(_url(live), out)
    at_backup = _counts(live)
    assert info.counts == at_backup and info.path == out.resolve()
    assert info.committee == "测试居委" and info.revisions
    assert backup.read_backup(out).counts == at_backup
    # The backup is a plain SQLite file carrying the marker beside the committee's tables.
    with sqlite3.connect(out) as conn:
        marker = dict(conn.execute("SELECT key, value FROM juwei_backup"))
    assert marker["magic"] == backup.MAGIC

    before_restore = _counts(live)
    engine = make_engine(_url(live))  # change the live data after the backup ...
    from dashboard import auth, store
    from dashboard.roles import SYSTEM

    store.run_write(engine, auth.create_user, SYSTEM, "later", "long-enough", "viewer")
    engine.dispose()
    assert _counts(live)["app_user"] == at_backup["app_user"] + 1

    previous = backup.restore(_url(live), out)  # ... and restore: the rows of the backup are back
    restored = _counts(live)
    assert {k: v for k, v in restored.items() if k != "audit_log"} == {
        k: v for k, v in at_backup.items() if k != "audit_log"
    }
    assert restored["audit_log"] == at_backup["audit_log"] + 1
    assert _actions(live)[-2:] == ["backup.create", "backup.restore"]
    assert "juwei_backup" not in restored
    # The database as it was before the restore is kept beside it.
    assert previous == live.with_name("juwei.db.bak")
    assert _counts(previous)["app_user"] == before_restore["app_user"] + 1


def test_backup_of_the_huamei_data_restores_every_row(seeded_sqlite_template: Path, tmp_path: Path) -> None:
    live = tmp_path / "huamei.db"
    shutil.copyfile(seeded_sqlite_template, live)
    out = tmp_path / "huamei-backup.db"
    info = backup.backup(_url(live), out)
    assert info.counts["resident"] == 7500 and info.counts["household"] == 2969
    assert sum(info.counts.values()) > 100_000
    target = tmp_path / "elsewhere" / "juwei.db"  # a fresh machine: nothing to keep
    assert backup.restore(_url(target), out) is None
    restored = _counts(target)
    assert restored["audit_log"] == info.counts["audit_log"] + 1
    assert {k: v for k, v in restored.items() if k != "audit_log"} == {
        k: v for k, v in info.counts.items() if k != "audit_log"
    }


def _plain_sqlite(path: Path) -> Path:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
        conn.execute("INSERT INTO notes (text) VALUES ('hello')")
    return path


@pytest.mark.parametrize("kind", ["random", "text", "plain_sqlite", "juwei_database", "truncated", "missing"])
def test_restore_refuses_anything_but_a_juwei_backup(live: Path, tmp_path: Path, kind: str) -> None:
    bad = tmp_path / f"{kind}.db"
    if kind == "random":
        bad.write_bytes(os.urandom(4096))
    elif kind == "text":
        bad.write_text("id,name\n1,张三\n", encoding="utf-8")
    elif kind == "plain_sqlite":
        _plain_sqlite(bad)
    elif kind == "juwei_database":
        shutil.copyfile(live, bad)  # a Juwei database, but not a backup (no marker)
    elif kind == "truncated":
        backup.backup(_url(live), bad)
        bad.write_bytes(bad.read_bytes()[: bad.stat().st_size // 2])
    before = _digest(live)
    with pytest.raises(JuweiError) as refused:
        backup.restore(_url(live), bad)
    expected = {"missing": "backup.no_file", "truncated": "backup.damaged"}.get(kind, "backup.not_juwei")
    assert refused.value.key == expected
    assert _digest(live) == before
    assert not live.with_name("juwei.db.bak").exists()
    assert not live.with_name("juwei.db.restoring").exists()


def test_restore_refuses_a_backup_from_a_newer_app(live: Path, tmp_path: Path) -> None:
    out = tmp_path / "future.db"
    backup.backup(_url(live), out)
    with sqlite3.connect(out) as conn:
        conn.execute("UPDATE juwei_backup SET value = '9999_future' WHERE key = 'revisions'")
    with pytest.raises(JuweiError) as refused:
        backup.restore(_url(live), out)
    assert refused.value.key == "backup.newer_schema"


def test_restore_refuses_while_the_database_is_open(live: Path, tmp_path: Path) -> None:
    out = tmp_path / "b.db"
    backup.backup(_url(live), out)
    engine = make_engine(_url(live))
    with engine.connect() as conn:  # the app, still running
        conn.exec_driver_sql("SELECT COUNT(*) FROM committee").scalar()
        before = _counts(live)
        with pytest.raises(JuweiError) as refused:
            backup.restore(_url(live), out)
    engine.dispose()
    assert refused.value.key == "backup.in_use"
    assert _counts(live) == before


def test_a_backup_is_refused_over_the_database_itself(live: Path) -> None:
    with pytest.raises(JuweiError) as refused:
        backup.backup(_url(live), live)
    assert refused.value.key == "backup.same_file"


def test_the_restored_database_opens_in_the_app(
    live: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "b.db"
    backup.backup(_url(live), out)
    backup.restore(_url(live), out)
    monkeypatch.setenv("DATABASE_URL", _url(live))

    forget_app_state()
    at = open_app("admin", lang="en", page="pages/account.py")
    assert not at.exception
    assert at.title[0].value == t("account.title", lang="en")
    forget_app_state()


# --- the command line -----------------------------------------------------------------------------


def _cli(*args: str, stdin: str = "", url: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "JUWEI_LANG": "en"}
    if url:
        env["DATABASE_URL"] = url
    return subprocess.run(
        [sys.executable, "-m", "dashboard", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )


def test_cli_backup_and_restore(live: Path, tmp_path: Path) -> None:
    made = _cli("backup", url=_url(live))
    assert made.returncode == 0, made.stderr
    out = Path(made.stdout.strip())
    assert out.parent == live.parent / "backups" and out.name.startswith("juwei-")
    assert backup.read_backup(out).counts == _counts(live)

    # Without --yes and no answer on standard input: nothing happens.
    before = _digest(live)
    declined = _cli("restore", str(out), url=_url(live))
    assert declined.returncode == 1 and t("backup.aborted", lang="en") in declined.stderr
    assert _digest(live) == before

    restored = _cli("restore", str(out), "--yes", url=_url(live))
    assert restored.returncode == 0, restored.stderr
    assert "juwei.db.bak" in restored.stderr
    assert _actions(live)[-1] == "backup.restore"

    alien = _cli("restore", str(_plain_sqlite(tmp_path / "alien.db")), "--yes", url=_url(live))
    assert alien.returncode == 1
    assert t("backup.not_juwei", lang="en", path="alien.db") in alien.stderr


def test_cli_sends_postgresql_to_pg_dump(tmp_path: Path) -> None:
    url = "postgresql+psycopg://juwei@127.0.0.1:5432/juwei"
    for args in (("backup",), ("restore", str(tmp_path / "x.dump"), "--yes")):
        done = _cli("--database-url", url, *args)
        assert done.returncode == 2
        assert "pg_dump" in done.stderr and "pg_restore" in done.stderr
