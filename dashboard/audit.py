"""The audit trail: every write records who, when, which action, which record, before and after."""

from __future__ import annotations

import datetime as dt
import decimal
import json
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.i18n import code, has
from dashboard.roles import CurrentUser, require
from db.models import AuditLog, Grid


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


# --- reading the trail (the audit page) -------------------------------------------------------

TRAIL_LIMIT = 500


def _as_text(value: dict[str, Any] | None) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str) if value else ""


def audit_trail(
    session: Session,
    user: str | None = None,
    grid_id: int | None = None,
    table: str | None = None,
    day: dt.date | None = None,
    limit: int = TRAIL_LIMIT,
) -> pd.DataFrame:
    """Audit rows matching the filters (username, grid, table, day), newest first, at most `limit`.

    Columns: id, at, username, action, table, record_id, grid (number), before, after (JSON text).
    """
    query = select(
        AuditLog.id,
        AuditLog.at,
        AuditLog.username,
        AuditLog.action,
        AuditLog.table_name.label("table"),
        AuditLog.record_id,
        Grid.number.label("grid"),
        AuditLog.before,
        AuditLog.after,
    ).outerjoin(Grid, Grid.id == AuditLog.grid_id)
    if user:
        query = query.where(AuditLog.username == user)
    if grid_id is not None:
        query = query.where(AuditLog.grid_id == grid_id)
    if table:
        query = query.where(AuditLog.table_name == table)
    if day is not None:
        start = dt.datetime.combine(day, dt.time())
        query = query.where(AuditLog.at >= start, AuditLog.at < start + dt.timedelta(days=1))
    rows = session.execute(query.order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(limit)).all()
    df = pd.DataFrame(rows, columns=list(TRAIL_COLUMNS))
    df["grid"] = df["grid"].astype("Int64")
    df["before"] = [_as_text(v) for v in df["before"]]
    df["after"] = [_as_text(v) for v in df["after"]]
    return df


TRAIL_COLUMNS = ("id", "at", "username", "action", "table", "record_id", "grid", "before", "after")


def action_label(action: str, lang: str | None = None) -> str:
    """What an audited action is called (审计 page): its own word, else its area's word and the code
    (an export names the table it exported)."""
    if has(f"code.audit_action.{action}"):
        return code("audit_action", action, lang)
    area, _, rest = action.partition(".")
    if area == "export":
        return f"{code('audit_area', area, lang)} · {table_label(rest, lang)}"
    if has(f"code.audit_area.{area}"):
        return f"{code('audit_area', area, lang)} · {rest}"
    return action


def table_label(table: str, lang: str | None = None) -> str:
    """What a table of the trail is called (its name when the catalogue has no word for it)."""
    return code("db_table", table, lang)


@dataclass(frozen=True)
class TrailChoices:
    """What the audit page's filters can offer: who wrote, which tables, which grids."""

    users: list[str]
    tables: list[str]
    grids: dict[int, int]


def trail_choices(session: Session) -> TrailChoices:
    """The usernames and tables present in the trail, and grid id → number."""
    users = session.scalars(select(AuditLog.username).group_by(AuditLog.username).order_by(AuditLog.username))
    tables = session.scalars(
        select(AuditLog.table_name).group_by(AuditLog.table_name).order_by(AuditLog.table_name)
    )
    grids = dict(session.execute(select(Grid.id, Grid.number).order_by(Grid.number)).tuples().all())
    return TrailChoices(users=list(users), tables=list(tables), grids=grids)


# --- exports --------------------------------------------------------------------------------


def record_export(
    session: Session,
    user: CurrentUser,
    table: str,
    rows: int,
    *,
    grid_id: int | None = None,
    filters: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> AuditLog:
    """Check that the user may export personal data and record the export (any area's export)."""
    require(user, "export.personal")
    return record(
        session,
        user,
        f"export.{table}",
        table,
        grid_id=grid_id,
        after={"rows": rows, **({"filters": filters} if filters else {})},
        at=at,
    )


def export_trail(
    session: Session,
    user: CurrentUser,
    *,
    username: str | None = None,
    grid_id: int | None = None,
    table: str | None = None,
    day: dt.date | None = None,
    limit: int = 100_000,
    now: dt.datetime | None = None,
) -> bytes:
    """The filtered trail as CSV (UTF-8 with BOM, so Excel opens it); the export itself is audited."""
    df = audit_trail(session, user=username, grid_id=grid_id, table=table, day=day, limit=limit)
    filters = {
        k: v
        for k, v in {
            "username": username,
            "grid_id": grid_id,
            "table": table,
            "day": day.isoformat() if day else None,
        }.items()
        if v is not None
    }
    record_export(session, user, "audit_log", len(df), filters=filters, at=now)
    return df.to_csv(index=False).encode("utf-8-sig")
