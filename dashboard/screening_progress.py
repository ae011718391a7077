"""Progress of a screening round: residents in scope, exempt, due, sampled (door to door among them),
bedridden and missed, per building, per grid and in total.

Part of screening (dashboard/screening.py gathers its names).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from dashboard.screening_rounds import R, RoundInfo, count_where, get_round, scope_clause, status_exprs
from db.models import (
    NOT_PLAIN,
    Building,
    BuildingTally,
    Compound,
    Grid,
    Household,
    Resident,
    RoundTally,
)

PROGRESS_COLUMNS = [
    "residents",
    "transferred",
    "quarantine",
    "away",
    "exempt",
    "due",
    "sampled",
    "door",
    "bedridden",
    "missed",
    "coverage",
]


@dataclass(frozen=True)
class RoundProgress:
    """Sampled against due for one round, by grid and by building, with the totals."""

    round: RoundInfo
    by_grid: pd.DataFrame
    by_building: pd.DataFrame
    totals: dict[str, float]


def _finish(df: pd.DataFrame) -> pd.DataFrame:
    df["exempt"] = df["transferred"] + df["quarantine"] + df["away"]
    df["due"] = df["residents"] - df["exempt"]
    df["missed"] = df["due"] - df["sampled"]
    df["coverage"] = (df["sampled"] / df["due"].where(df["due"] > 0)).fillna(0.0).round(4)
    return df


STATUS_COUNTS = ["residents", "transferred", "quarantine", "away", "sampled", "door", "bedridden"]


def _status_counts(
    session: Session, rnd: RoundInfo, as_of: dt.date, scope: ColumnElement[bool], *, by: str | None
) -> dict[int | None, list[int]]:
    """STATUS_COUNTS of a round as of a day per building_id (by="building"), per grid_id (by="grid")
    or in total (by=None, under the key None).

    Three grouped reads rather than one pass over every resident and result row: the residents in
    scope and the bedridden among them (building_tally), the round's plain samples taken by the end of
    the day (round_tally; db/tallies.py keeps both), and the few rows that are not plain (an exemption,
    a sample at the door: NOT_PLAIN, through their partial index), whose status status_exprs works out.
    A resident without a row, or whose plain sample came later, is neither sampled nor exempt, and
    bedridden as their record says.
    """
    s = status_exprs(as_of)
    scoped = rnd.scope != "all"

    def grouped(stmt: Any, building_id: Any) -> dict[int | None, list[int]]:
        """stmt's counts per key; the building (on building_id) joined when the key or scope needs it."""
        if by == "grid" or scoped:
            stmt = stmt.join(Building, Building.id == building_id).where(scope)
        key = {"building": [building_id], "grid": [Building.grid_id], None: []}[by]
        rows = session.execute(stmt.add_columns(*key).group_by(*key)).all()
        if not key:
            return {None: [int(v or 0) for v in rows[0]]}
        return {row[-1]: [int(v or 0) for v in row[:-1]] for row in rows}

    T, P = BuildingTally, RoundTally
    people = grouped(
        select(func.sum(T.residents), func.sum(T.bedridden)).where(T.residents > 0), T.building_id
    )
    plain = grouped(
        select(func.sum(P.results)).where(P.round_id == rnd.id, P.counts_from <= as_of), P.building_id
    )
    odd = grouped(
        select(
            count_where(and_(s["exempt"], s["reason"] == "transferred")),
            count_where(and_(s["exempt"], s["reason"] == "quarantine")),
            count_where(and_(s["exempt"], s["reason"] == "away")),
            count_where(s["sampled"]),
            count_where(s["door"]),
            count_where(s["bedridden"]),
            count_where(Resident.is_bedridden),
        )
        .select_from(R)
        .join(Resident, Resident.id == R.resident_id)
        .join(Household, Household.id == Resident.household_id)
        .where(R.round_id == rnd.id, NOT_PLAIN),
        Household.building_id,
    )
    out = {}
    for k, (residents, bedridden) in people.items():
        transferred, quarantine, away, sampled, door, odd_bedridden, odd_flagged = odd.get(k, [0] * 7)
        out[k] = [
            residents,
            transferred,
            quarantine,
            away,
            plain.get(k, [0])[0] + sampled,
            door,
            bedridden - odd_flagged + odd_bedridden,
        ]
    return out


def _totals(counts: dict[str, int]) -> dict[str, float]:
    totals: dict[str, float] = dict(counts)
    totals["exempt"] = counts["transferred"] + counts["quarantine"] + counts["away"]
    totals["due"] = counts["residents"] - totals["exempt"]
    totals["missed"] = totals["due"] - counts["sampled"]
    totals["coverage"] = round(counts["sampled"] / totals["due"], 4) if totals["due"] else 0.0
    return totals


def round_totals(session: Session, round_id: int, as_of: dt.date) -> dict[str, float]:
    """round_progress(...).totals alone, without the per-building breakdown (cheaper)."""
    rnd = get_round(session, round_id)
    counted = _status_counts(session, rnd, as_of, scope_clause(session, rnd), by=None)[None]
    return _totals(dict(zip(STATUS_COUNTS, counted, strict=True)))


def round_progress(session: Session, round_id: int, as_of: dt.date) -> RoundProgress:
    """Residents, exempt, due, sampled (door to door among them), bedridden and missed per grid and building."""
    rnd = get_round(session, round_id)
    counted = _status_counts(session, rnd, as_of, scope_clause(session, rnd), by="building")
    places = session.execute(
        select(Building.id, Building.grid_id, Grid.number, Compound.name, Building.name)
        .join(Compound, Compound.id == Building.compound_id)
        .outerjoin(Grid, Grid.id == Building.grid_id)
        .order_by(Grid.number, Compound.name, Building.name)
    ).all()
    counts = STATUS_COUNTS
    b = pd.DataFrame(
        [(*place, *counted[place[0]]) for place in places if place[0] in counted],
        columns=["building_id", "grid_id", "grid", "compound", "building", *counts],
    )
    for col in counts:
        b[col] = b[col].astype(int)
    b = _finish(b)
    if b.empty:
        g = pd.DataFrame(columns=["grid_id", "grid", *PROGRESS_COLUMNS])
    else:
        g = (
            b.assign(grid_id=b["grid_id"].fillna(-1), grid=b["grid"].fillna(0))
            .groupby(["grid_id", "grid"], as_index=False)[counts]
            .sum()
        )
        g = _finish(g)
        g["grid_id"] = g["grid_id"].astype(int).replace(-1, None)
        g["grid"] = g["grid"].astype(int)
    totals = _totals({c: int(b[c].sum()) if not b.empty else 0 for c in counts})
    b["grid"] = b["grid"].astype("Int64")
    return RoundProgress(rnd, g[["grid_id", "grid", *PROGRESS_COLUMNS]], b, totals)


def round_by_grid(session: Session, round_id: int, as_of: dt.date) -> pd.DataFrame:
    """round_progress(...).by_grid alone, counted per grid without the per-building breakdown."""
    rnd = get_round(session, round_id)
    counted = _status_counts(session, rnd, as_of, scope_clause(session, rnd), by="grid")
    numbers = dict(session.execute(select(Grid.id, Grid.number)).all())
    rows = sorted(
        ((-1 if g is None else g, numbers.get(g) or 0, *counts) for g, counts in counted.items()),
        key=lambda r: r[0],
    )
    g = pd.DataFrame(rows, columns=["grid_id", "grid", *STATUS_COUNTS])
    if g.empty:
        return pd.DataFrame(columns=["grid_id", "grid", *PROGRESS_COLUMNS])
    g = _finish(g.astype(int))
    g["grid_id"] = g["grid_id"].astype(int).replace(-1, None)
    return g[["grid_id", "grid", *PROGRESS_COLUMNS]]
