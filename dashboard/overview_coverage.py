"""Coverage of a day per grid: the day's screening round (who was due, sampled, exempt) and the
current supply batch (units entitled and reached), with the lists behind them (the missed residents,
the households the batch has not reached).

Part of the overview (dashboard/overview.py gathers its names).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import and_, case, false, func, or_, select
from sqlalchemy.orm import Session

from dashboard import supply_batches, supply_coverage, zones
from dashboard.config import end_of
from dashboard.overview_figures import _frame
from db.models import (
    NOT_PLAIN,
    Building,
    BuildingTally,
    Compound,
    Grid,
    Household,
    MissedFollowUp,
    Resident,
    RoundTally,
    ScreeningResult,
    ScreeningRound,
    SupplyBatch,
)

# --- screening coverage of the day's round ------------------------------------------------------


@dataclass(frozen=True)
class RoundRef:
    """The round a day's screening coverage is about."""

    round_id: int
    number: int
    date: dt.date
    scope: str
    scope_grid_id: int | None


def day_round(session: Session, as_of: dt.date) -> RoundRef | None:
    """The day's round: the latest PCR round on or before as_of."""
    row = session.execute(
        select(
            ScreeningRound.id,
            ScreeningRound.number,
            ScreeningRound.date,
            ScreeningRound.scope,
            ScreeningRound.scope_grid_id,
        )
        .where(ScreeningRound.kind == "pcr", ScreeningRound.date <= as_of)
        .order_by(ScreeningRound.date.desc(), ScreeningRound.number.desc())
        .limit(1)
    ).first()
    return RoundRef(*row) if row else None


def _scope(session: Session, rnd: RoundRef) -> list[Any]:
    """Conditions on Building limiting residents to the round's scope."""
    if rnd.scope == "grid":
        return [Building.grid_id == rnd.scope_grid_id]
    if rnd.scope == "sealed":
        b = zones.building_zones(session, rnd.date)
        ids = [int(i) for i in b.loc[b["zone"] == "sealed", "building_id"]] if not b.empty else []
        return [Building.id.in_(ids)] if ids else [false()]
    return []


def _sampled(as_of: dt.date) -> Any:
    return and_(
        ScreeningResult.id.is_not(None),
        ScreeningResult.exempt_reason.is_(None),
        or_(ScreeningResult.sampled_at.is_(None), ScreeningResult.sampled_at <= end_of(as_of)),
    )


def _grouped(session: Session, stmt: Any, key: Any | None) -> dict[Any, list[int]]:
    """{key: counts} of a select of counts, grouped by key in key order (or one row under the key None)."""
    if key is None:
        return {None: [int(v or 0) for v in session.execute(stmt).one()]}
    rows = session.execute(stmt.group_by(key).order_by(key))
    return {row[0]: [int(v or 0) for v in row[1:]] for row in rows}


def residents_by_grid(session: Session, *where: Any) -> dict[int | None, int]:
    """Residents per grid_id (of the buildings matching where), in grid_id order (from the buildings'
    tallies, db/tallies.py)."""
    stmt = (
        select(Building.grid_id, func.sum(BuildingTally.residents))
        .select_from(BuildingTally)
        .join(Building, Building.id == BuildingTally.building_id)
        .where(BuildingTally.residents > 0, *where)
    )
    return {k: v[0] for k, v in _grouped(session, stmt, Building.grid_id).items()}


def _screening_counts(
    session: Session,
    rnd: RoundRef,
    as_of: dt.date,
    *,
    by_grid: bool,
    residents: dict[int | None, int] | None = None,
) -> dict[int | None, list[int]]:
    """[in_scope, exempt, sampled] of the day's round per grid_id (or in total, under the key None).

    Read from the tallies (db/tallies.py) rather than the round's result rows: the residents in
    scope (or `residents`, everyone per grid, when the round covers everyone), the round's plain
    results sampled by the end of the day, and the few rows that are not plain (an exemption, a
    door-to-door sample), whose status is worked out one by one.
    """
    scope = _scope(session, rnd)
    key = Building.grid_id if by_grid else None
    keys = [key] if by_grid else []

    if residents is not None and rnd.scope == "all":
        in_scope = residents if by_grid else {None: sum(residents.values())}
    elif by_grid:
        in_scope = residents_by_grid(session, *scope)
    else:
        people = (
            select(func.sum(BuildingTally.residents))
            .select_from(BuildingTally)
            .join(Building, Building.id == BuildingTally.building_id)
            .where(*scope)
        )
        in_scope = {k: v[0] for k, v in _grouped(session, people, None).items()}
    plain = (
        select(*keys, func.sum(RoundTally.results))
        .select_from(RoundTally)
        .join(Building, Building.id == RoundTally.building_id)
        .where(RoundTally.round_id == rnd.round_id, RoundTally.counts_from <= as_of, *scope)
    )
    sampled_plain = _grouped(session, plain, key)
    odd = (
        select(
            *keys,
            func.sum(case((ScreeningResult.exempt_reason.is_not(None), 1), else_=0)),
            func.sum(case((_sampled(as_of), 1), else_=0)),
        )
        .select_from(ScreeningResult)
        .join(Resident, Resident.id == ScreeningResult.resident_id)
        .join(Household, Household.id == Resident.household_id)
        .join(Building, Building.id == Household.building_id)
        .where(ScreeningResult.round_id == rnd.round_id, NOT_PLAIN, *scope)
    )
    odd_rows = _grouped(session, odd, key)
    out = {}
    for k, n in in_scope.items():
        exempt, sampled = odd_rows.get(k, [0, 0])
        out[k] = [n, exempt, sampled_plain.get(k, [0])[0] + sampled]
    return out


def screening_by_grid(
    session: Session, as_of: dt.date, *, residents: dict[int | None, int] | None = None
) -> pd.DataFrame:
    """Coverage of the day's round per grid: grid_id, in_scope, exempt, due, sampled, missed, coverage.

    Sampled = residents with a result row that is not an exemption; due = residents of the round's
    scope minus the exempt; coverage = sampled / due (NaN for a grid with nobody due). `residents`
    (residents_by_grid) saves reading them again when the caller has them.
    """
    columns = ["grid_id", "in_scope", "exempt", "due", "sampled", "missed", "coverage"]
    rnd = day_round(session, as_of)
    if rnd is None:
        return pd.DataFrame(columns=columns)
    counts = _screening_counts(session, rnd, as_of, by_grid=True, residents=residents)
    df = _frame([(k, *v) for k, v in counts.items()], ["grid_id", "in_scope", "exempt", "sampled"])
    for col in ("in_scope", "exempt", "sampled"):
        df[col] = df[col].fillna(0).astype(int)
    df["due"] = df["in_scope"] - df["exempt"]
    df["missed"] = df["due"] - df["sampled"]
    df["coverage"] = [s / d if d else float("nan") for s, d in zip(df["sampled"], df["due"], strict=True)]
    return df[columns]


def missed_residents(session: Session, as_of: dt.date) -> pd.DataFrame:
    """Residents due in the day's round with no result yet (漏检), with what their grid leader learned.

    Columns: grid_id, grid, compound, building, room, name, phone, outcome.
    """
    columns = ["grid_id", "grid", "compound", "building", "room", "name", "phone", "outcome"]
    rnd = day_round(session, as_of)
    if rnd is None:
        return pd.DataFrame(columns=columns)
    end = end_of(as_of)
    rows = session.execute(
        select(
            Building.grid_id,
            Grid.number,
            Compound.name,
            Building.name,
            Household.room,
            Resident.name,
            Resident.phone,
            MissedFollowUp.outcome,
        )
        .select_from(Resident)
        .join(Household, Household.id == Resident.household_id)
        .join(Building, Building.id == Household.building_id)
        .join(Compound, Compound.id == Building.compound_id)
        .outerjoin(Grid, Grid.id == Building.grid_id)
        .outerjoin(
            ScreeningResult,
            and_(ScreeningResult.round_id == rnd.round_id, ScreeningResult.resident_id == Resident.id),
        )
        .outerjoin(
            MissedFollowUp,
            and_(
                MissedFollowUp.round_id == rnd.round_id,
                MissedFollowUp.resident_id == Resident.id,
                MissedFollowUp.at <= end,
            ),
        )
        .where(
            *_scope(session, rnd),
            or_(
                ScreeningResult.id.is_(None),
                and_(ScreeningResult.exempt_reason.is_(None), ScreeningResult.sampled_at > end),
            ),
        )
        .order_by(Grid.number, Compound.name, Building.name, Household.room, Resident.id)
    ).all()
    return _frame(rows, columns)


# --- supplies -----------------------------------------------------------------------------------
# The current batch and its coverage are the supplies page's own (dashboard/supply_batches.py,
# supply_coverage.py): one definition of who is owed and who was reached, on every page.


@dataclass(frozen=True)
class BatchRef:
    """The current supply batch and its rule."""

    batch_id: int
    name: str
    date: dt.date
    rule: str
    large_threshold: int
    large_portions: int


def current_batch(session: Session, as_of: dt.date) -> BatchRef | None:
    """The batch being handed out as of a day: the latest released by its end (supplies.current_batch)."""
    batch_id = supply_batches.current_batch(session, as_of)
    if batch_id is None:
        return None
    row = session.execute(
        select(
            SupplyBatch.id,
            SupplyBatch.name,
            SupplyBatch.date,
            SupplyBatch.rule,
            SupplyBatch.large_threshold,
            SupplyBatch.large_portions,
        ).where(SupplyBatch.id == batch_id)
    ).one()
    return BatchRef(*row)


SUPPLY_COLUMNS = ["grid_id", "entitled", "reached", "portions_due", "portions_reached", "coverage"]


def supply_by_grid(session: Session, as_of: dt.date) -> pd.DataFrame:
    """Coverage of the current batch per grid (supplies.coverage): grid_id, entitled, reached,
    portions_due, portions_reached, coverage (households, or doors under the per-door rule)."""
    batch = current_batch(session, as_of)
    if batch is None:
        return pd.DataFrame(columns=SUPPLY_COLUMNS)
    return _supply_frame(supply_coverage.coverage(session, batch.batch_id, as_of, "grid"))


def _supply_frame(cov: pd.DataFrame) -> pd.DataFrame:
    df = cov.rename(
        columns={
            "households_entitled": "entitled",
            "households_reached": "reached",
            "portions_needed": "portions_due",
            "portions_delivered": "portions_reached",
        }
    )
    df["coverage"] = [
        r / e if e else float("nan") for r, e in zip(df["reached"], df["entitled"], strict=True)
    ]
    return df[SUPPLY_COLUMNS].reset_index(drop=True)


def batch_coverage_of_building(
    session: Session, as_of: dt.date, building_id: int
) -> tuple[str | None, int, int]:
    """(current batch name, entitled units, reached units) for one building (supplies.coverage)."""
    batch = current_batch(session, as_of)
    if batch is None:
        return None, 0, 0
    cov = supply_coverage.coverage(session, batch.batch_id, as_of, "building")
    mine = cov[cov["building_id"] == building_id]
    return batch.name, int(mine["households_entitled"].sum()), int(mine["households_reached"].sum())


WITHOUT_BATCH_COLUMNS = [
    "grid_id",
    "grid",
    "compound",
    "building",
    "door",
    "room",
    "head_name",
    "size",
    "portions",
]


def households_without_batch(session: Session, as_of: dt.date) -> pd.DataFrame:
    """The owed households (one per door under the per-door rule) the current batch has not reached
    (supplies.not_reached), in grid, compound, building and room order.

    Columns: grid_id, grid (its number), compound, building, door, room, head_name, size, portions.
    """
    batch = current_batch(session, as_of)
    if batch is None:
        return pd.DataFrame(columns=WITHOUT_BATCH_COLUMNS)
    df = supply_coverage.not_reached(session, batch.batch_id, as_of)
    numbers = dict(session.execute(select(Grid.id, Grid.number)).all())
    df["grid"] = [numbers.get(g) for g in df["grid_id"]]
    df = df.sort_values(["grid", "compound", "building", "room"], kind="stable", na_position="last")
    return df[WITHOUT_BATCH_COLUMNS].reset_index(drop=True)
