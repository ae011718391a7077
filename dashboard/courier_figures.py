"""Courier figures (快递): a day's parcels and backlog by shift, squad and grid, the days before it,
and the services page's view of them. Re-exported by dashboard/courier.py (the entry module).

One row per (date, shift, grid). What a shift does not deliver is carried into the next shift of the
same grid, so the backlog of a grid after a shift is the cumulative received − delivered up to and
including that shift. Each figure is summed in SQL (per grid, per day, per squad and shift) and
worked out from those sums; the services page's view reads each sum once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from _plotly_utils.utils import to_typed_array_spec
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboard import charts
from dashboard.i18n import code, t
from db.models import SHIFTS, CourierCount, Grid, Team

SHIFT_RANK = {s: i for i, s in enumerate(SHIFTS)}


def net() -> object:
    """received − delivered summed (0 when there is no row)."""
    return func.coalesce(func.sum(CourierCount.received - CourierCount.delivered), 0)


def backlog_before(session: Session, day: dt.date) -> dict[int, int]:
    """Each grid's backlog at the start of day (parcels received earlier and not yet delivered)."""
    rows = session.execute(
        select(CourierCount.grid_id, net()).where(CourierCount.date < day).group_by(CourierCount.grid_id)
    ).all()
    return {int(g): int(n) for g, n in rows}


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


SQUAD_COLUMNS = ["team_id", "team", "shift", "received", "delivered"]


def _squad_rows(session: Session, day: dt.date) -> list[tuple]:
    """SQUAD_COLUMNS rows: per squad (none: team_id None) and shift of a day."""
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
    return [(team_id, team, shift, int(r), int(d)) for team_id, team, shift, r, d in rows]


def _squads_in_order(rows: list[tuple]) -> list[tuple]:
    """SQUAD_COLUMNS rows with what each left over, by squad (none last) and shift."""
    return sorted(
        ((*row, row[3] - row[4]) for row in rows),
        key=lambda row: (row[1] is None, row[1] or "", SHIFT_RANK[row[2]]),
    )


def _squad_frame(rows: list[tuple]) -> pd.DataFrame:
    if not rows:
        return pd.DataFrame(rows, columns=SQUAD_COLUMNS).assign(left_over=pd.Series(dtype=int))
    return pd.DataFrame(_squads_in_order(rows), columns=[*SQUAD_COLUMNS, "left_over"])


def by_squad_and_shift(session: Session, day: dt.date) -> pd.DataFrame:
    """Per squad and shift of a day: received, delivered, left over (received − delivered)."""
    return _squad_frame(_squad_rows(session, day))


def _shift_rows(sums: dict[str, tuple[int, int]], start: int) -> list[tuple]:
    """(shift, received, delivered, backlog after it) of each shift, from the shifts' sums and the
    day's opening backlog."""
    out, backlog = [], start
    for shift in SHIFTS:
        received, delivered = sums.get(shift, (0, 0))
        backlog += received - delivered
        out.append((shift, received, delivered, backlog))
    return out


def _shift_frame(sums: dict[str, tuple[int, int]], start: int) -> pd.DataFrame:
    return pd.DataFrame(_shift_rows(sums, start), columns=["shift", "received", "delivered", "backlog"])


def backlog_by_shift(session: Session, day: dt.date) -> pd.DataFrame:
    """The whole area's backlog after each shift of a day (shift, received, delivered, backlog)."""
    start = sum(backlog_before(session, day).values())
    sums = {
        s: (int(r), int(d))
        for s, r, d in session.execute(
            select(CourierCount.shift, func.sum(CourierCount.received), func.sum(CourierCount.delivered))
            .where(CourierCount.date == day)
            .group_by(CourierCount.shift)
        ).all()
    }
    return _shift_frame(sums, start)


GRID_COLUMNS = ["grid_id", "grid", "received", "delivered", "shifts", "backlog"]


def _grid_rows(session: Session, as_of: dt.date) -> list[tuple]:
    """GRID_COLUMNS rows: every grid's day (received, delivered, shifts) and backlog at its end."""
    cumulative = (
        select(CourierCount.grid_id, net().label("backlog"))
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
    return [(g, number, int(r), int(d), int(n), int(b)) for g, number, r, d, n, b in rows]


def _grid_frame(rows: list[tuple]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=GRID_COLUMNS)
    return df.astype({c: int for c in GRID_COLUMNS[2:]}) if not rows else df  # rows hold ints


def backlog_by_grid(session: Session, as_of: dt.date) -> pd.DataFrame:
    """Every grid's backlog at the end of as_of, with the day's received and delivered."""
    return _grid_frame(_grid_rows(session, as_of))


def _by_date(session: Session, start: dt.date, end: dt.date) -> dict[dt.date, tuple[int, int, int]]:
    """Per day of [start, end] with a count: received, delivered, how many rows."""
    rows = session.execute(
        select(
            CourierCount.date, func.sum(CourierCount.received), func.sum(CourierCount.delivered), func.count()
        )
        .where(CourierCount.date >= start, CourierCount.date <= end)
        .group_by(CourierCount.date)
    ).all()
    return {d: (int(r), int(dl), int(n)) for d, r, dl, n in rows}


def _daily_rows(
    found: dict[dt.date, tuple[int, int, int]], opening: int, start: dt.date, end: dt.date
) -> list[tuple]:
    """(date, received, delivered, backlog at its end) of each day of [start, end], from `opening`."""
    out, backlog = [], opening
    day = start
    while day <= end:
        received, delivered, _n = found.get(day, (0, 0, 0))
        backlog += received - delivered
        out.append((day, received, delivered, backlog))
        day += dt.timedelta(days=1)
    return out


def daily(session: Session, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Per day in [start, end]: received, delivered and the end-of-day backlog (for the chart)."""
    opening = int(session.scalar(select(net()).where(CourierCount.date < start)) or 0)
    rows = _daily_rows(_by_date(session, start, end), opening, start, end)
    return pd.DataFrame(rows, columns=["date", "received", "delivered", "backlog"])


def _chart_traces(columns: tuple[list, list, list, list], lang: str | None) -> tuple[list[dict], dict]:
    """The chart's traces and layout (but the template) as plotly JSON, from the days' dates,
    received, delivered and backlog; the data as numpy arrays (as a figure holds them)."""
    dates, received, delivered, backlog = columns

    def x() -> np.ndarray:
        return np.array(dates, dtype=object)

    traces = [
        {
            "name": t("services.courier.received", lang=lang),
            "x": x(),
            "y": np.array(received, dtype=np.int64),
            "type": "bar",
        },
        {
            "name": t("services.courier.delivered", lang=lang),
            "x": x(),
            "y": np.array(delivered, dtype=np.int64),
            "type": "bar",
        },
        {
            "mode": "lines+markers",
            "name": t("services.courier.backlog", lang=lang),
            "x": x(),
            "y": np.array(backlog, dtype=np.int64),
            "type": "scatter",
        },
    ]
    layout = {
        "margin": {"l": 10, "r": 10, "t": 30, "b": 10},
        "legend": {"orientation": "h", "y": 1.15},
        "barmode": "group",
        "height": 320,
    }
    return traces, layout


def daily_chart(df: pd.DataFrame, lang: str | None = None) -> go.Figure:
    """Bars of parcels received and delivered per day, a line of the end-of-day backlog."""
    columns = (list(df["date"]), list(df["received"]), list(df["delivered"]), list(df["backlog"]))
    traces, layout = _chart_traces(columns, lang)
    fig = go.Figure(data=traces)
    fig.update_layout(**layout)
    return fig


def _chart_spec(rows: list[tuple], lang: str | None) -> dict:
    """daily_chart() of _daily_rows() rows, to_dict(): written out as plotly JSON (plotly's
    validation of every property costs more than the data)."""
    columns = tuple(list(c) for c in zip(*rows, strict=True)) if rows else ([], [], [], [])
    traces, layout = _chart_traces(columns, lang)
    for trace in traces:  # what to_dict() does to the arrays
        trace["x"], trace["y"] = to_typed_array_spec(trace["x"]), to_typed_array_spec(trace["y"])
    return {"data": traces, "layout": {"template": charts._template(), **layout}}


def daily_chart_spec(df: pd.DataFrame, lang: str | None = None) -> dict:
    """daily_chart(df, lang).to_dict(), written out as plotly JSON."""
    return _chart_spec(list(df.itertuples(index=False, name=None)), lang)


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
    start = int(session.scalar(select(net()).where(CourierCount.date < day)) or 0)
    return CourierDayTotals(
        day=day,
        received=int(received),
        delivered=int(delivered),
        backlog_start=start,
        backlog_end=start + int(received) - int(delivered),
        rows=int(n),
    )


def transport_rows(session: Session) -> list[tuple]:
    """(team_id, name) of the transport squads, by id."""
    rows = session.execute(select(Team.id, Team.name).where(Team.kind == "transport").order_by(Team.id)).all()
    return [tuple(r) for r in rows]


def squad_labels(session: Session) -> dict[int, str]:
    """The transport squads for a picker: team_id → name."""
    return {int(team_id): name for team_id, name in transport_rows(session)}


# --- reads as the services page shows them ---------------------------------------------------

CHART_DAYS = 14
BY_SHIFT_SHOWN = ["shift", "received", "delivered", "backlog"]
BY_SQUAD_SHOWN = ["team", "shift", "received", "delivered", "left_over"]
BY_GRID_SHOWN = ["grid", "received", "delivered", "backlog"]


@dataclass(frozen=True)
class CourierView:
    """A day's parcels as the services page shows them: the totals, the backlog by shift, by squad
    and shift, and by grid (shifts in words), and the chart of the last CHART_DAYS days as a
    plotly dict (fig.to_dict()); and the squads for the form (squad_labels())."""

    totals: CourierDayTotals
    by_shift: pd.DataFrame = field(repr=False)
    by_squad: pd.DataFrame = field(repr=False)
    by_grid: pd.DataFrame = field(repr=False)
    chart: dict = field(repr=False)
    squads: dict[int, str] = field(repr=False, default_factory=dict)


def courier_view(session: Session, day: dt.date, lang: str) -> CourierView:
    """The courier figures of a day for the services page (no personal data), from three reads:
    every grid's day and backlog, the last CHART_DAYS days' flows, the day's squads and shifts (the
    area's backlog before a day is its backlog at the end of the day less the day's flow)."""

    def word(shift: str) -> str:
        return code("shift", shift, lang)

    grids = _grid_rows(session, day)
    backlog_end = sum(r[5] for r in grids)
    start = day - dt.timedelta(days=CHART_DAYS - 1)
    found = _by_date(session, start, day)
    received, delivered, n = found.get(day, (0, 0, 0))
    backlog_start = backlog_end - received + delivered
    squads = _squad_rows(session, day)
    sums: dict[str, tuple[int, int]] = {}
    for _team_id, _team, shift, r, d in squads:
        r0, d0 = sums.get(shift, (0, 0))
        sums[shift] = (r0 + r, d0 + d)
    by_shift = [(word(s), r, d, b) for s, r, d, b in _shift_rows(sums, backlog_start)]
    if squads:
        by_squad = pd.DataFrame(
            [(team, word(s), r, d, left) for _id, team, s, r, d, left in _squads_in_order(squads)],
            columns=BY_SQUAD_SHOWN,
        )
    else:  # the columns an empty list has always had
        by_squad = _squad_frame(squads)
        by_squad = by_squad.assign(shift=[])[[c for c in BY_SQUAD_SHOWN if c in by_squad.columns]]
    opening = backlog_end - sum(r - d for r, d, _n in found.values())
    return CourierView(
        totals=CourierDayTotals(day, received, delivered, backlog_start, backlog_end, n),
        by_shift=pd.DataFrame(by_shift, columns=BY_SHIFT_SHOWN),
        by_squad=by_squad,
        by_grid=pd.DataFrame([(g, r, d, b) for _id, g, r, d, _n, b in grids], columns=BY_GRID_SHOWN)
        if grids
        else _grid_frame(grids)[BY_GRID_SHOWN],
        chart=_chart_spec(_daily_rows(found, opening, start, day), lang),
        squads=squad_labels(session),
    )
