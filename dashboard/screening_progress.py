"""Progress of a screening round: residents in scope, exempt, due, sampled (door to door among them),
bedridden and missed, per building, per grid and in total.

Part of screening (dashboard/screening.py gathers its names).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, Date, DateTime, and_, bindparam, func, select
from sqlalchemy.orm import Session

from dashboard.config import end_of
from dashboard.screening_rounds import (
    R,
    RoundInfo,
    bound_scope,
    count_where,
    get_round,
    scope_params,
    status_exprs,
)
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
from db.reads import driver_rows, plain_reads

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


STATUS_COUNTS = ["residents", "transferred", "quarantine", "away", "sampled", "door", "bedridden"]


def _frame(columns: dict[str, Any], counts: Any) -> pd.DataFrame:
    """A table of the given columns, then STATUS_COUNTS (one row of counts each) and what follows
    from them: exempt, due, missed and coverage (sampled / due, 0 when nobody is due), from arrays."""
    c = np.array(counts, dtype=np.int64).reshape(len(counts), len(STATUS_COUNTS))
    named = {name: c[:, i] for i, name in enumerate(STATUS_COUNTS)}
    exempt = named["transferred"] + named["quarantine"] + named["away"]
    due = named["residents"] - exempt
    coverage = np.zeros(len(due))
    np.divide(named["sampled"], due, out=coverage, where=due > 0)
    derived = {"exempt": exempt, "due": due, "missed": due - named["sampled"], "coverage": coverage.round(4)}
    return pd.DataFrame(columns | named | derived)


def _counted(
    samples: tuple[dict[Any, int], dict[Any, list[int]]], k: Any, residents: int, bedridden: int
) -> list[int]:
    """STATUS_COUNTS of key k from its residents and bedridden and the round's samples (_sample_reads)."""
    plain, odd = samples
    transferred, quarantine, away, sampled, door, odd_bedridden, odd_flagged = odd.get(k, _NO_ODD)
    return [
        residents,
        transferred,
        quarantine,
        away,
        plain.get(k, 0) + sampled,
        door,
        bedridden - odd_flagged + odd_bedridden,
    ]


_NO_ODD = [0] * 7


def _grouped(
    session: Session,
    stmt: Any,
    building_id: Any,
    by: str | None,
    scope: ColumnElement[bool] | None,
    params: dict[str, Any],
) -> dict[Any, list[int]]:
    """stmt's counts per grid_id (by="grid") or in total (by=None, under the key None); the building
    (on building_id) joined when the grid or the scope needs it."""
    if by == "grid" or scope is not None:
        stmt = stmt.join(Building, Building.id == building_id)
    if scope is not None:
        stmt = stmt.where(scope)
    key = {"grid": [Building.grid_id], None: []}[by]
    rows = plain_reads(session).execute(stmt.add_columns(*key).group_by(*key), params).all()
    if not key:
        return {None: [int(v or 0) for v in rows[0]]}
    return {row[-1]: [int(v or 0) for v in row[:-1]] for row in rows}


# What a row that is not a plain sample counts for (_sample_reads), in _counted's order.
ODD_COUNTS = ["transferred", "quarantine", "away", "sampled", "door", "odd_bedridden", "odd_flagged"]


@cache
def _sample_reads() -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    """How to read a round's samples as of a day, each as (select, the building_id to group on),
    built once with bound round_id, as_of and end (its last second; _params): the round's plain
    samples taken by the end of the day (round_tally, which db/tallies.py keeps), and the ODD_COUNTS
    of its few other rows (an exemption, a sample at the door: NOT_PLAIN, through their partial
    index), whose status status_exprs works out: exempt transferred, quarantine, away; sampled; at
    the door; bedridden as the round sees it; bedridden on the resident's record."""
    s = status_exprs(bindparam("end", type_=DateTime))
    P = RoundTally
    plain = select(func.sum(P.results)).where(
        P.round_id == bindparam("round_id"), P.counts_from <= bindparam("as_of", type_=Date)
    )
    odd = (
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
        .where(R.round_id == bindparam("round_id"), NOT_PLAIN)
    )
    return (plain, P.building_id), (odd, Household.building_id)


def _params(session: Session, rnd: RoundInfo, as_of: dt.date) -> dict[str, Any]:
    """The values of the bound parameters of _sample_reads and bound_scope for a round as of a day."""
    return {"round_id": rnd.id, "as_of": as_of, "end": end_of(as_of)} | scope_params(session, rnd)


def _status_counts(
    session: Session, rnd: RoundInfo, as_of: dt.date, *, by: str | None
) -> dict[Any, list[int]]:
    """STATUS_COUNTS of a round as of a day per grid_id (by="grid") or in total (by=None, under the
    key None).

    Read from the tallies rather than from every resident and result row: the residents in scope and
    the bedridden among them (building_tally), and the round's samples (_sample_reads). A resident
    without a row, or whose plain sample came later, is neither sampled nor exempt, and bedridden as
    their record says.
    """
    scope = bound_scope(rnd.scope)
    params = _params(session, rnd, as_of)
    T = BuildingTally
    people = _grouped(
        session,
        select(func.sum(T.residents), func.sum(T.bedridden)).where(T.residents > 0),
        T.building_id,
        by,
        scope,
        params,
    )
    (plain, plain_building), (odd, odd_building) = _sample_reads()
    plain_counts = {k: v[0] for k, v in _grouped(session, plain, plain_building, by, scope, params).items()}
    samples = plain_counts, _grouped(session, odd, odd_building, by, scope, params)
    return {k: _counted(samples, k, residents, bedridden) for k, (residents, bedridden) in people.items()}


def _totals(counts: dict[str, int]) -> dict[str, float]:
    totals: dict[str, float] = dict(counts)
    totals["exempt"] = counts["transferred"] + counts["quarantine"] + counts["away"]
    totals["due"] = counts["residents"] - totals["exempt"]
    totals["missed"] = totals["due"] - counts["sampled"]
    totals["coverage"] = round(counts["sampled"] / totals["due"], 4) if totals["due"] else 0.0
    return totals


def totals_of(by_grid: pd.DataFrame) -> dict[str, float]:
    """The totals of a table by grid (round_by_grid's, or round_progress's by_grid)."""
    return _totals({c: int(by_grid[c].sum()) for c in STATUS_COUNTS})


def round_totals(session: Session, round_id: int, as_of: dt.date) -> dict[str, float]:
    """round_progress(...).totals alone, without the per-building breakdown (cheaper)."""
    rnd = get_round(session, round_id)
    counted = _status_counts(session, rnd, as_of, by=None)[None]
    return _totals(dict(zip(STATUS_COUNTS, counted, strict=True)))


def _placed(ids: np.ndarray, rows: list[Any], width: int) -> np.ndarray:
    """Rows of counts, the building id last, placed in the order of the building ids (one row of
    width counts each; zeros for a building without a row; a row of a building out of scope dropped)."""
    out = np.zeros((len(ids), width), dtype=np.int64)
    if not rows:
        return out
    counted = np.array(rows, dtype=np.int64).reshape(len(rows), width + 1)
    order = np.argsort(ids)
    at = np.minimum(np.searchsorted(ids, counted[:, -1], sorter=order), len(ids) - 1)
    found = ids[order[at]] == counted[:, -1]
    out[order[at[found]]] = counted[found, :width]
    return out


@cache
def _progress_reads(scope: str, one_grid: bool = False) -> tuple[Any, Any, Any]:
    """round_progress's reads for a round of a scope, built once (bound parameters: _params): the
    buildings with residents in scope, in the tables' order, each with its residents and bedridden;
    and the round's samples (_sample_reads) per building, the building id last. (Three reads: one
    joining the samples grouped per building to the buildings costs SQLite twice as much.)

    one_grid: of the buildings of one grid only (bound grid_id), samples included."""
    T = BuildingTally
    condition = bound_scope(scope)
    conditions = [] if condition is None else [condition]
    (plain, plain_building), (odd, odd_building) = _sample_reads()
    if one_grid:
        conditions.append(Building.grid_id == bindparam("grid_id"))
        of_grid = select(Building.id).where(Building.grid_id == bindparam("grid_id"))
        plain = plain.where(plain_building.in_(of_grid))
        odd = odd.where(odd_building.in_(of_grid))
    places = (
        select(
            Building.id, Building.grid_id, Grid.number, Compound.name, Building.name, T.residents, T.bedridden
        )
        .join(T, T.building_id == Building.id)
        .join(Compound, Compound.id == Building.compound_id)
        .outerjoin(Grid, Grid.id == Building.grid_id)
        .where(T.residents > 0, *conditions)
        .order_by(Grid.number, Compound.name, Building.name, Building.id)
    )
    return (
        places,
        plain.add_columns(plain_building).group_by(plain_building),
        odd.add_columns(odd_building).group_by(odd_building),
    )


def round_progress(
    session: Session, round_id: int, as_of: dt.date, grid_id: int | None = None
) -> RoundProgress:
    """Residents, exempt, due, sampled (door to door among them), bedridden and missed per grid and
    building: of every grid, or of one grid only (grid_id; its buildings alone are read)."""
    rnd = get_round(session, round_id)
    params = _params(session, rnd, as_of) | ({} if grid_id is None else {"grid_id": grid_id})
    connection = plain_reads(session)
    places_read, plain_read, odd_read = _progress_reads(rnd.scope, grid_id is not None)
    rows = driver_rows(connection, places_read, params)
    if not rows:
        b = _frame(dict.fromkeys(["building_id", "grid_id", "grid", "compound", "building"], []), [])
        b["grid"] = b["grid"].astype("Int64")
        g = pd.DataFrame(columns=["grid_id", "grid", *PROGRESS_COLUMNS])
        return RoundProgress(rnd, g, b, _totals(dict.fromkeys(STATUS_COUNTS, 0)))
    building_ids, grid_ids, grids, compounds, buildings, residents, flagged = zip(*rows, strict=True)
    ids = np.array(building_ids, dtype=np.int64)
    plain_n = _placed(ids, driver_rows(connection, plain_read, params), 1)[:, 0]
    odd = _placed(ids, driver_rows(connection, odd_read, params), len(ODD_COUNTS))
    transferred, quarantine, away, sampled, door, odd_bedridden, odd_flagged = odd.T
    residents, flagged = np.array([residents, flagged], dtype=np.int64)
    counts = np.column_stack(
        [
            residents,
            transferred,
            quarantine,
            away,
            plain_n + sampled,
            door,
            flagged - odd_flagged + odd_bedridden,
        ]
    )
    b = _frame(
        {
            "building_id": list(building_ids),
            "grid_id": list(grid_ids),
            "grid": pd.array(grids, dtype="Int64"),
            "compound": list(compounds),
            "building": list(buildings),
        },
        counts,
    )
    # Per grid (no grid: -1 while summing, shown as grid 0), in grid_id order.
    keys, first, inverse = np.unique(
        np.array([-1 if g is None else g for g in grid_ids], dtype=np.int64),
        return_index=True,
        return_inverse=True,
    )
    summed = np.zeros((len(keys), len(STATUS_COUNTS)), dtype=np.int64)
    np.add.at(summed, inverse, counts)
    g = _grid_frame(keys, [grids[i] or 0 for i in first], summed)
    totals = _totals(dict(zip(STATUS_COUNTS, counts.sum(axis=0).tolist(), strict=True)))
    return RoundProgress(rnd, g, b, totals)


def _grid_frame(keys: Any, numbers: list[int], counts: Any) -> pd.DataFrame:
    """The table by grid: grid_id (keys, -1 for the buildings of no grid: None), grid (its number,
    0 for none) and PROGRESS_COLUMNS from STATUS_COUNTS (one row each)."""
    g = _frame(
        {
            "grid_id": pd.Series(keys, dtype="int64").replace(-1, None),
            "grid": np.array(numbers, dtype=np.int64),
        },
        counts,
    )
    return g[["grid_id", "grid", *PROGRESS_COLUMNS]]


def round_by_grid(session: Session, round_id: int, as_of: dt.date) -> pd.DataFrame:
    """round_progress(...).by_grid alone, counted per grid without the per-building breakdown."""
    rnd = get_round(session, round_id)
    counted = _status_counts(session, rnd, as_of, by="grid")
    numbers = dict(plain_reads(session).execute(select(Grid.id, Grid.number)).all())
    if not counted:
        return pd.DataFrame(columns=["grid_id", "grid", *PROGRESS_COLUMNS])
    keys = sorted(counted, key=lambda g: -1 if g is None else g)
    return _grid_frame(
        [-1 if g is None else g for g in keys],
        [numbers.get(g) or 0 for g in keys],
        [counted[g] for g in keys],
    )
