"""Plain reads: Core selects run on a session's connection, without the ORM's work per row.

The pages read thousands of rows for figures and map layers; an ORM entity, or even a SQLAlchemy
Row, per row costs more than the read itself. What is pending in the session is flushed first, as
session.execute would, so a read sees the session's own writes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Executable, Row
from sqlalchemy.orm import Session


def plain_reads(session: Session) -> Connection:
    """The session's connection for plain (Core) reads; what is pending is flushed first."""
    if session.autoflush:
        session.flush()
    return session.connection()


def core_rows(session: Session, stmt: Executable, params: Mapping[str, Any] | None = None) -> Sequence[Row]:
    """The rows of a plain select (SQLAlchemy Rows: results converted to their column types)."""
    return plain_reads(session).execute(stmt, params).all()


def driver_rows(
    session_or_connection: Session | Connection, stmt: Executable, params: Mapping[str, Any] | None = None
) -> list[tuple]:
    """The rows of a read of integers, floats and texts as the database driver gives them (plain
    tuples): no column needs converting (not dates, not JSON: SQLite gives those as text), and a
    SQLAlchemy Row per row costs more than the read."""
    connection = (
        plain_reads(session_or_connection)
        if isinstance(session_or_connection, Session)
        else session_or_connection
    )
    result = connection.execute(stmt, params)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()
