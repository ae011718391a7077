"""Courier (快递): parcels the transport squads receive at the gate and carry to the doors, per shift.

One row per (date, shift, grid). What a shift does not deliver is carried into the next shift of the
same grid, so the backlog of a grid after a shift is the cumulative received − delivered up to and
including that shift. A shift cannot deliver more than it received plus the backlog carried in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from dashboard import audit, config, roles, validate
from dashboard.errors import PermissionDenied, StaleEdit, ValidationError
from dashboard.i18n import code, t
from db.models import SHIFTS, CourierCount, Grid, Team

SHIFT_RANK = {s: i for i, s in enumerate(SHIFTS)}
# A shift's count cannot be recorded before the shift has started.
SHIFT_STARTS = {"morning": dt.time(6, 0), "noon": dt.time(11, 0), "evening": dt.time(17, 0)}


def _earlier_shifts(shift: str) -> tuple[str, ...]:
    return SHIFTS[: SHIFT_RANK[shift]]


def _net() -> object:
    return func.coalesce(func.sum(CourierCount.received - CourierCount.delivered), 0)


def backlog_before(session: Session, day: dt.date) -> dict[int, int]:
    """Each grid's backlog at the start of day (parcels received earlier and not yet delivered)."""
    rows = session.execute(
        select(CourierCount.grid_id, _net()).where(CourierCount.date < day).group_by(CourierCount.grid_id)
    ).all()
    return {int(g): int(n) for g, n in rows}


def carried_in(session: Session, grid_id: int, day: dt.date, shift: str) -> int:
    """The backlog a grid carries into a shift: received − delivered over every earlier shift."""
    earlier = _earlier_shifts(shift)
    return int(
        session.scalar(
            select(_net()).where(
                CourierCount.grid_id == grid_id,
                or_(
                    CourierCount.date < day,
                    and_(CourierCount.date == day, CourierCount.shift.in_(earlier)),
                ),
            )
        )
        or 0
    )


def shifts_of_day(session: Session, day: dt.date, grid_id: int | None = None) -> pd.DataFrame:
    """The day's rows with the backlog carried in and left over after each (grid, shift)."""
    conditions = [CourierCount.date == day]
    if grid_id is not None:
        conditions.append(CourierCount.grid_id == grid_id)
    rows = session.execute(
        select(
            CourierCount.id,
            CourierCount.grid_id,
            Grid.number,
            CourierCount.shift,
            CourierCount.team_id,
            Team.name,
            CourierCount.received,
            CourierCount.delivered,
            CourierCount.version,
        )
        .join(Grid, Grid.id == CourierCount.grid_id)
        .outerjoin(Team, Team.id == CourierCount.team_id)
        .where(*conditions)
    ).all()
    columns = ["count_id", "grid_id", "grid", "shift", "team_id", "team", "received", "delivered", "version"]
    df = pd.DataFrame(rows, columns=columns)
    if df.empty:
        return df.assign(carried_in=pd.Series(dtype=int), left_over=pd.Series(dtype=int))
    before = backlog_before(session, day)
    df["rank"] = df["shift"].map(SHIFT_RANK)
    df = df.sort_values(["grid", "rank"]).reset_index(drop=True)
    df["net"] = df["received"] - df["delivered"]
    df["left_over"] = df.groupby("grid_id")["net"].cumsum() + df["grid_id"].map(lambda g: before.get(g, 0))
    df["carried_in"] = df["left_over"] - df["net"]
    return df.drop(columns=["rank", "net"])


def by_squad_and_shift(session: Session, day: dt.date) -> pd.DataFrame:
    """Per squad and shift of a day: received, delivered, left over (received − delivered)."""
    rows = session.execute(
        select(
            CourierCount.team_id,
            Team.name,
            CourierCount.shift,
            func.sum(CourierCount.received),
            func.sum(CourierCount.delivered),
        )
        .outerjoin(Team, Team.id == CourierCount.team_id)
        .where(CourierCount.date == day)
        .group_by(CourierCount.team_id, Team.name, CourierCount.shift)
    ).all()
    df = pd.DataFrame(rows, columns=["team_id", "team", "shift", "received", "delivered"])
    if df.empty:
        return df.assign(left_over=pd.Series(dtype=int))
    df["received"] = df["received"].astype(int)
    df["delivered"] = df["delivered"].astype(int)
    df["left_over"] = df["received"] - df["delivered"]
    df["rank"] = df["shift"].map(SHIFT_RANK)
    return df.sort_values(["team", "rank"]).drop(columns="rank").reset_index(drop=True)


def backlog_by_shift(session: Session, day: dt.date) -> pd.DataFrame:
    """The whole area's backlog after each shift of a day (shift, received, delivered, backlog)."""
    start = sum(backlog_before(session, day).values())
    rows = dict(
        (s, (int(r), int(d)))
        for s, r, d in session.execute(
            select(CourierCount.shift, func.sum(CourierCount.received), func.sum(CourierCount.delivered))
            .where(CourierCount.date == day)
            .group_by(CourierCount.shift)
        ).all()
    )
    out, backlog = [], start
    for shift in SHIFTS:
        received, delivered = rows.get(shift, (0, 0))
        backlog += received - delivered
        out.append({"shift": shift, "received": received, "delivered": delivered, "backlog": backlog})
    return pd.DataFrame(out)


def backlog_by_grid(session: Session, as_of: dt.date) -> pd.DataFrame:
    """Every grid's backlog at the end of as_of, with the day's received and delivered."""
    cumulative = (
        select(CourierCount.grid_id, _net().label("backlog"))
        .where(CourierCount.date <= as_of)
        .group_by(CourierCount.grid_id)
        .subquery()
    )
    today = (
        select(
            CourierCount.grid_id,
            func.sum(CourierCount.received).label("received"),
            func.sum(CourierCount.delivered).label("delivered"),
            func.count().label("shifts"),
        )
        .where(CourierCount.date == as_of)
        .group_by(CourierCount.grid_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Grid.id,
            Grid.number,
            func.coalesce(today.c.received, 0),
            func.coalesce(today.c.delivered, 0),
            func.coalesce(today.c.shifts, 0),
            func.coalesce(cumulative.c.backlog, 0),
        )
        .outerjoin(cumulative, cumulative.c.grid_id == Grid.id)
        .outerjoin(today, today.c.grid_id == Grid.id)
        .order_by(Grid.number)
    ).all()
    df = pd.DataFrame(rows, columns=["grid_id", "grid", "received", "delivered", "shifts", "backlog"])
    return df.astype({c: int for c in ("received", "delivered", "shifts", "backlog")})


def daily(session: Session, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Per day in [start, end]: received, delivered and the end-of-day backlog (for the chart)."""
    opening = int(session.scalar(select(_net()).where(CourierCount.date < start)) or 0)
    rows = session.execute(
        select(CourierCount.date, func.sum(CourierCount.received), func.sum(CourierCount.delivered))
        .where(CourierCount.date >= start, CourierCount.date <= end)
        .group_by(CourierCount.date)
        .order_by(CourierCount.date)
    ).all()
    found = {d: (int(r), int(dl)) for d, r, dl in rows}
    out, backlog = [], opening
    day = start
    while day <= end:
        received, delivered = found.get(day, (0, 0))
        backlog += received - delivered
        out.append({"date": day, "received": received, "delivered": delivered, "backlog": backlog})
        day += dt.timedelta(days=1)
    return pd.DataFrame(out, columns=["date", "received", "delivered", "backlog"])


def daily_chart(df: pd.DataFrame, lang: str | None = None) -> go.Figure:
    """Bars of parcels received and delivered per day, a line of the end-of-day backlog."""
    fig = go.Figure()
    fig.add_bar(x=df["date"], y=df["received"], name=t("services.courier.received", lang=lang))
    fig.add_bar(x=df["date"], y=df["delivered"], name=t("services.courier.delivered", lang=lang))
    fig.add_scatter(
        x=df["date"], y=df["backlog"], name=t("services.courier.backlog", lang=lang), mode="lines+markers"
    )
    fig.update_layout(
        barmode="group",
        height=320,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        legend={"orientation": "h", "y": 1.15},
    )
    return fig


@dataclass(frozen=True)
class CourierDayTotals:
    """A day's parcels for the brief and the recap: the day's flow and the backlog before and after."""

    day: dt.date
    received: int
    delivered: int
    backlog_start: int
    backlog_end: int
    rows: int

    @property
    def left_over(self) -> int:
        """What the day itself left undelivered (received − delivered)."""
        return self.received - self.delivered


def courier_day_totals(session: Session, day: dt.date) -> CourierDayTotals:
    """The day's totals: parcels received and delivered, backlog at the start and end of the day."""
    received, delivered, n = session.execute(
        select(
            func.coalesce(func.sum(CourierCount.received), 0),
            func.coalesce(func.sum(CourierCount.delivered), 0),
            func.count(),
        ).where(CourierCount.date == day)
    ).one()
    start = int(session.scalar(select(_net()).where(CourierCount.date < day)) or 0)
    return CourierDayTotals(
        day=day,
        received=int(received),
        delivered=int(delivered),
        backlog_start=start,
        backlog_end=start + int(received) - int(delivered),
        rows=int(n),
    )


def transport_teams(session: Session) -> pd.DataFrame:
    """The transport squads (team_id, name)."""
    rows = session.execute(select(Team.id, Team.name).where(Team.kind == "transport").order_by(Team.id)).all()
    return pd.DataFrame(rows, columns=["team_id", "name"])


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


# --- reads as the services page shows them ---------------------------------------------------

CHART_DAYS = 14
BY_SHIFT_SHOWN = ["shift", "received", "delivered", "backlog"]
BY_SQUAD_SHOWN = ["team", "shift", "received", "delivered", "left_over"]
BY_GRID_SHOWN = ["grid", "received", "delivered", "backlog"]


@dataclass(frozen=True)
class CourierView:
    """A day's parcels as the services page shows them: the totals, the backlog by shift, by squad
    and shift, and by grid (shifts in words), and the chart of the last CHART_DAYS days as a
    plotly dict (fig.to_dict())."""

    totals: CourierDayTotals
    by_shift: pd.DataFrame = field(repr=False)
    by_squad: pd.DataFrame = field(repr=False)
    by_grid: pd.DataFrame = field(repr=False)
    chart: dict = field(repr=False)


def courier_view(session: Session, day: dt.date, lang: str) -> CourierView:
    """The courier figures of a day for the services page (no personal data)."""

    def shifts(df: pd.DataFrame) -> pd.DataFrame:
        return df.assign(shift=[code("shift", v, lang) for v in df["shift"]]) if "shift" in df.columns else df

    by_squad = by_squad_and_shift(session, day)
    return CourierView(
        totals=courier_day_totals(session, day),
        by_shift=shifts(backlog_by_shift(session, day))[BY_SHIFT_SHOWN],
        by_squad=shifts(by_squad)[[c for c in BY_SQUAD_SHOWN if c in by_squad.columns]],
        by_grid=backlog_by_grid(session, day)[BY_GRID_SHOWN],
        chart=daily_chart(daily(session, day - dt.timedelta(days=CHART_DAYS - 1), day), lang).to_dict(),
    )


def squad_labels(session: Session) -> dict[int, str]:
    """The transport squads for a picker: team_id → name."""
    df = transport_teams(session)
    return dict(zip(df["team_id"].astype(int), df["name"], strict=True))


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
