"""The audit trail: every write records who, when, which action, which record, before and after."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from dashboard.roles import CurrentUser
from db.models import AuditLog


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    return value


# Secrets never enter the audit trail, even hashed.
_HIDDEN = {"password_hash", "token_hash", "bind_hash"}


def snapshot(obj: object | None) -> dict[str, Any] | None:
    """The column values of an ORM object as a JSON-safe dict (None for None)."""
    if obj is None:
        return None
    mapper = sa_inspect(obj).mapper
    return {c.key: _jsonable(getattr(obj, c.key)) for c in mapper.column_attrs if c.key not in _HIDDEN}


def record(
    session: Session,
    user: CurrentUser,
    action: str,
    table: str,
    record_id: object = "",
    *,
    grid_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> AuditLog:
    """Append one audit row in the caller's transaction."""
    row = AuditLog(
        at=at or dt.datetime.now().replace(microsecond=0),
        user_id=user.id,
        username=user.username,
        action=action,
        table_name=table,
        record_id=str(record_id if record_id is not None else ""),
        grid_id=grid_id,
        before={k: _jsonable(v) for k, v in before.items()} if before else None,
        after={k: _jsonable(v) for k, v in after.items()} if after else None,
    )
    session.add(row)
    return row
