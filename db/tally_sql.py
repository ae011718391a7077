"""What the tallies' trigger modules share (db/tallies.py, db/tallies_deliveries.py): PostgreSQL
statement-trigger functions and triggers over transition tables, the changed rows of an UPDATE, and
dropping a set of triggers on either database."""

from __future__ import annotations

# ruff: noqa: S608 - the SQL below is assembled from the trigger modules' constants only
from collections.abc import Callable

from sqlalchemy import Connection


def pg_function(name: str, body: str) -> str:
    """A plpgsql trigger function running body once per statement."""
    return f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN{body}\n  RETURN NULL;\nEND\n$$"


def pg_trigger(name: str, table: str, event: str, tables: str) -> str:
    """The statement trigger that runs pg_function name after event, with its transition tables."""
    return (
        f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {tables} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
    )


def changed(columns: tuple[str, ...], side: str) -> str:
    """The rows of an UPDATE's old (side "o") or new ("n") transition table whose counted columns changed."""
    differs = " OR ".join(f"o.{c} IS DISTINCT FROM n.{c}" for c in columns)
    return f"(SELECT {side}.* FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE {differs})"


def create_triggers(
    connection: Connection, sqlite: Callable[[], list[str]], postgresql: Callable[[], list[str]]
) -> None:
    """Run the CREATE statements of a tally's triggers for the connection's database."""
    pg = connection.dialect.name == "postgresql"
    for sql in postgresql() if pg else sqlite():
        connection.exec_driver_sql(sql)


def drop_triggers(connection: Connection, triggers: dict[str, tuple[str, ...]]) -> None:
    """Drop triggers (table → names) and, on PostgreSQL, their functions; those missing are skipped."""
    pg = connection.dialect.name == "postgresql"
    for table, names in triggers.items():
        for name in names:
            if pg:
                connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                connection.exec_driver_sql(f"DROP FUNCTION IF EXISTS {name}()")
            else:
                connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
