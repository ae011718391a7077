"""Run Alembic migrations programmatically (make run, the tests and the CLI all come through here)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError

from db import versions

HERE = Path(__file__).resolve().parent


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at db/migrations and the given database URL."""
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


@cache
def _heads() -> frozenset[str]:
    """The newest revision of every branch of db/migrations (read once per process)."""
    return frozenset(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def _at_heads(engine: Engine) -> bool:
    """True when the database already stands at every head (one query instead of Alembic's run)."""
    try:
        with engine.connect() as connection:
            current = {row[0] for row in connection.execute(text("SELECT version_num FROM alembic_version"))}
    except DBAPIError:  # no alembic_version table yet: a new database
        return False
    return current == _heads()


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the database schema up to revision (default: the newest)."""
    if revision == "heads" and _at_heads(engine):
        return
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)
        if revision == "heads":  # a migration may have changed any table: every cached read is stale
            versions.stamp_all(connection)


def is_empty(engine: Engine) -> bool:
    """True when the database holds no committee yet (a fresh install)."""
    from sqlalchemy import text

    if "committee" not in inspect(engine).get_table_names():
        return True
    with engine.connect() as conn:
        return conn.execute(text("SELECT COUNT(*) FROM committee")).scalar_one() == 0
