"""Courier (快递): parcels the transport squads receive at the gate and carry to the doors, per shift.

One row per (date, shift, grid). What a shift does not deliver is carried into the next shift of the
same grid, so the backlog of a grid after a shift is the cumulative received − delivered up to and
including that shift. A shift cannot deliver more than it received plus the backlog carried in.

The entry the pages, the recap and the tests use: the day's figures and the services page's view of
them live in dashboard/courier_figures.py (re-exported here); this module keeps the form's reads and
the write.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from dashboard import audit, config, roles, validate
from dashboard.courier_figures import (
    BY_GRID_SHOWN,
    BY_SHIFT_SHOWN,
    BY_SQUAD_SHOWN,
    CHART_DAYS,
    SHIFT_RANK,
    CourierDayTotals,
    CourierView,
    backlog_before,
    backlog_by_grid,
    backlog_by_shift,
    by_squad_and_shift,
    courier_day_totals,
    courier_view,
    daily,
    daily_chart,
    daily_chart_spec,
    net,
    shifts_of_day,
    squad_labels,
    transport_rows,
)
from dashboard.errors import PermissionDenied, StaleEdit, ValidationError
from dashboard.i18n import code
from db.models import SHIFTS, CourierCount, Grid, Team

__all__ = [
    "BY_GRID_SHOWN",
    "BY_SHIFT_SHOWN",
    "BY_SQUAD_SHOWN",
    "CHART_DAYS",
    "SHIFT_RANK",
    "SHIFT_STARTS",
    "CourierDayTotals",
    "CourierView",
    "backlog_before",
    "backlog_by_grid",
    "backlog_by_shift",
    "by_squad_and_shift",
    "carried_in",
    "courier_day_totals",
    "courier_view",
    "daily",
    "daily_chart",
    "daily_chart_spec",
    "do_record_courier",
    "existing_count",
    "form_state",
    "shifts_of_day",
    "squad_labels",
    "transport_teams",
]

# A shift's count cannot be recorded before the shift has started.
SHIFT_STARTS = {"morning": dt.time(6, 0), "noon": dt.time(11, 0), "evening": dt.time(17, 0)}


def _earlier_shifts(shift: str) -> tuple[str, ...]:
    return SHIFTS[: SHIFT_RANK[shift]]


def carried_in(session: Session, grid_id: int, day: dt.date, shift: str) -> int:
    """The backlog a grid carries into a shift: received − delivered over every earlier shift."""
    earlier = _earlier_shifts(shift)
    return int(
        session.scalar(
            select(net()).where(
                CourierCount.grid_id == grid_id,
                or_(
                    CourierCount.date < day,
                    and_(CourierCount.date == day, CourierCount.shift.in_(earlier)),
                ),
            )
        )
        or 0
    )


def transport_teams(session: Session) -> pd.DataFrame:
    """The transport squads (team_id, name)."""
    return pd.DataFrame(transport_rows(session), columns=["team_id", "name"])


def existing_count(session: Session, day: dt.date, shift: str, grid_id: int) -> dict[str, int] | None:
    """The stored row for (day, shift, grid) as the form shows it: received, delivered, team_id, version."""
    row = session.scalar(
        select(CourierCount).where(
            CourierCount.date == day, CourierCount.shift == shift, CourierCount.grid_id == grid_id
        )
    )
    if row is None:
        return None
    return {
        "received": row.received,
        "delivered": row.delivered,
        "team_id": row.team_id,
        "version": row.version,
    }


# --- reads as the services page's form shows them ------------------------------------------


def form_state(session: Session, day: dt.date, shift: str, grid_id: int) -> tuple[dict[str, int] | None, int]:
    """What the courier form shows for (day, shift, grid): the stored row (existing_count()) and the
    backlog carried into the shift."""
    return existing_count(session, day, shift, grid_id), carried_in(session, grid_id, day, shift)


# --- writes -----------------------------------------------------------------------------------


def _first_negative_after(
    session: Session, grid_id: int, day: dt.date, shift: str, backlog_after: int
) -> tuple[dt.date, str] | None:
    """The first later shift of the grid whose backlog would fall below zero, given this shift's."""
    later = session.execute(
        select(CourierCount.date, CourierCount.shift, CourierCount.received, CourierCount.delivered).where(
            CourierCount.grid_id == grid_id,
            or_(
                CourierCount.date > day,
                and_(CourierCount.date == day, CourierCount.shift.in_(SHIFTS[SHIFT_RANK[shift] + 1 :])),
            ),
        )
    ).all()
    running = backlog_after
    for d, s, received, delivered in sorted(later, key=lambda r: (r[0], SHIFT_RANK[r[1]])):
        running += received - delivered
        if running < 0:
            return d, s
    return None


def do_record_courier(
    session: Session,
    user: roles.CurrentUser,
    day: dt.date,
    shift: str,
    grid_id: int,
    received: int,
    delivered: int,
    *,
    team_id: int | None = None,
    version: int | None = None,
    now: dt.datetime | None = None,
) -> CourierCount:
    """Record (or correct) one shift's parcels for a grid; `version` is what the form showed (None: new)."""
    now = now or config.now(session)
    shift = validate.choice(shift, SHIFTS, "services.courier.shift")
    day = validate.day(day, today=now.date())
    if dt.datetime.combine(day, SHIFT_STARTS[shift]) > now:
        raise ValidationError("services.courier.shift_not_started", shift=code("shift", shift))
    received = validate.count(received, "services.courier.received", maximum=100_000)
    delivered = validate.count(delivered, "services.courier.delivered", maximum=100_000)
    if session.get(Grid, grid_id) is None:
        raise ValidationError("common.not_found", what=f"grid {grid_id}")
    if user.role == "task" and team_id is None:
        team_id = user.team_id
    row = session.scalar(
        select(CourierCount).where(
            CourierCount.date == day, CourierCount.shift == shift, CourierCount.grid_id == grid_id
        )
    )
    roles.require(user, "services.courier", grid_id=grid_id, team_id=team_id)
    if row is not None and user.role == "task" and row.team_id not in (None, user.team_id):
        raise PermissionDenied("auth.denied_team")
    if team_id is not None:
        kind = session.scalar(select(Team.kind).where(Team.id == team_id))
        if kind != "transport":
            if user.role == "task":
                raise PermissionDenied("auth.denied_team")
            raise ValidationError("services.courier.not_a_squad")
    if (row is None and version is not None) or (row is not None and version != row.version):
        raise StaleEdit("common.stale")
    available = carried_in(session, grid_id, day, shift) + received
    if delivered > available:
        raise ValidationError("services.courier.over", delivered=delivered, available=available)
    broken = _first_negative_after(session, grid_id, day, shift, available - delivered)
    if broken is not None:
        raise ValidationError(
            "services.courier.breaks_later", date=broken[0].isoformat(), shift=code("shift", broken[1])
        )
    before = audit.snapshot(row)
    if row is None:
        row = CourierCount(date=day, shift=shift, grid_id=grid_id)
        session.add(row)
    row.received = received
    row.delivered = delivered
    row.team_id = team_id if team_id is not None else row.team_id
    row.user_id = user.id
    session.flush()
    audit.record(
        session,
        user,
        "services.courier.record",
        "courier_count",
        row.id,
        grid_id=grid_id,
        before=before,
        after=audit.snapshot(row),
        at=now,
    )
    return row
