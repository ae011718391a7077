"""Supply coverage: households reached against entitled and portions delivered against needed, per
grid, compound or building, the households not reached yet, the current batch at a glance, and the
reconciliation of every batch.

Part of supplies (dashboard/supplies.py gathers its names).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from typing import Any

import pandas as pd
from sqlalchemy import (
    Date,
    DateTime,
    Integer,
    Select,
    and_,
    bindparam,
    case,
    func,
    literal,
    select,
)
from sqlalchemy.orm import Session

from dashboard.config import end_of
from dashboard.supply_batches import LEVELS, Rule, _rule, batches, current_batch, entitlement, owed_terms
from dashboard.supply_visits import Visits, visits
from db.models import (
    Building,
    Compound,
    Delivery,
    DeliveryTally,
    Grid,
    Household,
    SupplyBatch,
)

# not_reached()'s columns.
NOT_REACHED_COLUMNS = [
    "household_id", "grid_id", "grid", "compound", "building", "door", "room", "size", "portions",
    "head_name", "status",
]  # fmt: skip


# --- coverage -------------------------------------------------------------------------------

COVERAGE_COUNTS = [
    "households_entitled",
    "households_reached",
    "not_found",
    "refused",
    "portions_needed",
    "portions_delivered",
]


@cache
def _owed_statement(rule: Rule, level: str) -> tuple[list[str], Select]:
    """(key columns, statement) of _owed_by(), built once per process."""
    ent = entitlement(rule)
    ids = {
        "grid": [ent.c.grid_id],
        "compound": [ent.c.compound_id],
        "building": [ent.c.building_id, ent.c.grid_id],
    }
    owed = (
        select(
            *ids[level],
            func.count().label("entitled"),
            func.coalesce(func.sum(ent.c.portions), 0).label("needed"),
        )
        .group_by(*ids[level])
        .subquery("owed")
    )
    if level == "grid":
        keys = [owed.c.grid_id.label("grid_id"), Grid.name.label("grid")]
        joins = [(Grid, Grid.id == owed.c.grid_id)]
        order = Grid.number
    elif level == "compound":
        keys = [owed.c.compound_id.label("compound_id"), Compound.name.label("compound")]
        joins = [(Compound, Compound.id == owed.c.compound_id)]
        order = owed.c.compound_id
    else:
        keys = [
            owed.c.building_id.label("building_id"),
            Building.name.label("building"),
            Compound.name.label("compound"),
            owed.c.grid_id.label("grid_id"),
            Grid.name.label("grid"),
        ]
        joins = [
            (Building, Building.id == owed.c.building_id),
            (Compound, Compound.id == Building.compound_id),
            (Grid, Grid.id == owed.c.grid_id),
        ]
        order = owed.c.building_id
    stmt = select(*keys, owed.c.entitled, owed.c.needed).select_from(owed)
    for model, on in joins:
        stmt = stmt.outerjoin(model, on)
    return [k.key for k in keys], stmt.order_by(order)


def _owed_by(session: Session, rule: Rule, level: str) -> tuple[list[str], list[Any]]:
    """(key columns, rows of keys + households entitled + portions needed) per grid, compound or
    building, in coverage()'s order. Counted per id first; the names are joined to those rows."""
    names, stmt = _owed_statement(rule, level)
    return names, session.connection().execute(stmt).all()


def coverage_rows(session: Session, rule: Rule, level: str, seen: Visits) -> tuple[list[str], list[tuple]]:
    """coverage()'s key columns and rows (keys, then COVERAGE_COUNTS) from a batch's visits."""
    if level not in LEVELS:
        raise ValueError(level)
    names, owed = _owed_by(session, rule, level)
    open_ = seen.open_by(names[0])
    none = [0, 0, 0, 0, 0]
    rows = []
    for *keys, entitled, needed in owed:
        missing, not_found, refused, short, beyond = open_.get(keys[0], none)
        rows.append(
            (*keys, entitled, entitled - missing, not_found, refused, needed, needed - short + beyond)
        )
    return names, rows


def coverage_frame(names: list[str], rows: list[tuple]) -> pd.DataFrame:
    """coverage()'s table from its key columns and rows."""
    df = pd.DataFrame(rows, columns=[*names, *COVERAGE_COUNTS])
    for col in COVERAGE_COUNTS:
        df[col] = df[col].astype(int)
    df["coverage"] = (
        df["households_reached"] / df["households_entitled"].where(df["households_entitled"] > 0)
    ).astype(float)
    return df


def coverage_of(session: Session, rule: Rule, level: str, seen: Visits) -> pd.DataFrame:
    """coverage() of a batch with this rule from its visits read household by household (the
    reference tallied_rows() is checked against)."""
    return coverage_frame(*coverage_rows(session, rule, level, seen))


# --- the same from the delivery tally -----------------------------------------------------------

_OUTCOMES = ("delivered", "not_found", "refused")


def _visit_counts(status: Any, households: Any, portions: Any) -> list[Any]:
    """Households delivered, not found and refused, and the portions delivered, summed."""
    counted = [func.coalesce(func.sum(case((status == s, households), else_=0)), 0) for s in _OUTCOMES]
    return [*counted, func.coalesce(func.sum(case((status == "delivered", portions), else_=0)), 0)]


@cache
def _tally_statement(level: str) -> Select:
    """_visit_counts of a batch's visits by the end of a day (every household visited, owed or
    not) per key of a level, from the delivery tally (db/tallies_deliveries.py); bound batch_id and
    as_of. Built once per process."""
    T = DeliveryTally
    key = {"grid": Building.grid_id, "compound": Building.compound_id, "building": T.building_id}[level]
    stmt = select(key, *_visit_counts(T.status, T.households, T.portions)).where(
        T.batch_id == bindparam("batch_id"), T.day <= bindparam("as_of", type_=Date)
    )
    if level != "building":
        stmt = stmt.join(Building, Building.id == T.building_id)
    return stmt.group_by(key)


@cache
def _unowed_statement(rule: Rule, level: str) -> Select:
    """_visit_counts of the visits to the households the rule owes nothing (a few: the households of
    no one; under the per-door rule, the other households of a door), per key of a level; bound
    batch_id and until. Built once per process; those households are read first (materialised, so
    the planner does not read every delivery of the batch to find them)."""
    owed, _portions = owed_terms(rule)
    unowed = (
        select(Household.id, Household.building_id).where(~owed).cte("unowed").prefix_with("MATERIALIZED")
    )
    key = {"grid": Building.grid_id, "compound": Building.compound_id, "building": unowed.c.building_id}[
        level
    ]
    stmt = (
        select(key, *_visit_counts(Delivery.status, literal(1, Integer), Delivery.portions))
        .select_from(unowed)
        .join(
            Delivery, and_(Delivery.household_id == unowed.c.id, Delivery.batch_id == bindparam("batch_id"))
        )
        .where(Delivery.at <= bindparam("until", type_=DateTime))
    )
    if level != "building":
        stmt = stmt.join(Building, Building.id == unowed.c.building_id)
    return stmt.group_by(key)


def tallied_rows(
    session: Session, batch_id: int, as_of: dt.date, rule: Rule, level: str
) -> tuple[list[str], list[tuple], int]:
    """coverage_rows()' key columns and rows from the delivery tally, and the portions delivered to
    households owed nothing: a batch holds one delivery row per household (its last visit), so the
    owed households reached are the rows delivered by then less those of households owed nothing,
    and likewise for the outcomes and portions. No household is read but the few owed nothing."""
    if level not in LEVELS:
        raise ValueError(level)
    names, owed = _owed_by(session, rule, level)
    connection = session.connection()
    params = {"batch_id": batch_id, "as_of": as_of, "until": end_of(as_of)}
    visited = {key: counts for key, *counts in connection.execute(_tally_statement(level), params)}
    unowed = {key: counts for key, *counts in connection.execute(_unowed_statement(rule, level), params)}
    none = (0, 0, 0, 0)
    rows = []
    for *keys, entitled, needed in owed:
        delivered, not_found, refused, portions = visited.get(keys[0], none)
        u_delivered, u_not_found, u_refused, u_portions = unowed.get(keys[0], none)
        rows.append(
            (
                *keys,
                entitled,
                delivered - u_delivered,
                not_found - u_not_found,
                refused - u_refused,
                needed,
                portions - u_portions,
            )
        )
    return names, rows, sum(counts[3] for counts in unowed.values())


def coverage(session: Session, batch_id: int, as_of: dt.date, level: str = "grid") -> pd.DataFrame:
    """Households reached / entitled and portions delivered / needed per grid, compound or building.

    Columns: <level>_id, <level> (name; building adds compound and grid), households_entitled,
    households_reached, not_found, refused, portions_needed, portions_delivered, coverage (0..1).
    """
    if level not in LEVELS:
        raise ValueError(level)
    _name, rule = _rule(session, batch_id)
    names, rows, _unowed = tallied_rows(session, batch_id, as_of, rule, level)
    return coverage_frame(names, rows)


def building_coverage(session: Session, batch_id: int, as_of: dt.date) -> pd.DataFrame:
    """Per building: building_id, households_entitled, households_reached, coverage (0..1) — the map layer.

    Buildings nobody is owed anything in are left out (no colour on the map).
    """
    df = coverage(session, batch_id, as_of, "building")
    return df[["building_id", "households_entitled", "households_reached", "coverage"]].reset_index(drop=True)


def not_reached(session: Session, batch_id: int, as_of: dt.date, grid_id: int | None = None) -> pd.DataFrame:
    """Entitled households not yet delivered by the end of as_of, with the last visit's outcome if any.

    Columns: household_id, grid_id, grid, compound, building, door, room, size, portions, head_name, status.
    """
    _name, rule = _rule(session, batch_id)
    seen = visits(session, batch_id, as_of, rule, tuple(NOT_REACHED_COLUMNS))
    width = len(NOT_REACHED_COLUMNS)
    return pd.DataFrame([r[:width] for r in seen.not_reached(grid_id)], columns=NOT_REACHED_COLUMNS)


@dataclass(frozen=True)
class SupplySummary:
    """The current batch at a glance (the overview's supply tile)."""

    batch_id: int
    batch_name: str
    households_entitled: int
    households_reached: int
    portions_needed: int
    portions_delivered: int
    stock: int

    @property
    def coverage(self) -> float:
        return self.households_reached / self.households_entitled if self.households_entitled else 0.0


def supply_summary(session: Session, as_of: dt.date) -> SupplySummary | None:
    """Coverage of the batch being handed out as of a day, or None before the first release."""
    batch_id = current_batch(session, as_of)
    if batch_id is None:
        return None
    name, rule = _rule(session, batch_id)
    names, rows, _unowed = tallied_rows(session, batch_id, as_of, rule, "grid")
    at = len(names)  # the counts follow the keys: entitled, reached, not found, refused, needed, delivered
    entitled, reached, needed, delivered = (sum(r[at + i] for r in rows) for i in (0, 1, 4, 5))
    return SupplySummary(
        batch_id=batch_id,
        batch_name=name,
        households_entitled=int(entitled),
        households_reached=reached,
        portions_needed=int(needed),
        portions_delivered=delivered,
        stock=int(session.scalar(select(SupplyBatch.stock).where(SupplyBatch.id == batch_id))),
    )


# --- reconciliation -------------------------------------------------------------------------


def reconciliation(session: Session, as_of: dt.date) -> pd.DataFrame:
    """Per batch dated up to as_of: stock in, portions needed and out, the remainder, who was left out.

    households_left_out counts the lived-in households the rule gave nothing (batch 1, per door).
    """
    lived_in = int(
        session.scalar(select(func.count()).select_from(Household).where(Household.size >= 1)) or 0
    )
    # Deliveries of every batch in one grouped read; the entitlement once per distinct rule.
    out_by_batch = {
        batch_id: (int(reached or 0), int(out or 0))
        for batch_id, reached, out in session.execute(
            select(
                Delivery.batch_id,
                func.sum(case((Delivery.status == "delivered", 1), else_=0)),
                func.sum(case((Delivery.status == "delivered", Delivery.portions), else_=0)),
            )
            .where(Delivery.at <= end_of(as_of))
            .group_by(Delivery.batch_id)
        )
    }
    owed: dict[Rule, tuple[int, int]] = {}
    rows = []
    for b in batches(session, as_of).itertuples(index=False):
        rule = Rule(b.rule, int(b.large_threshold), int(b.large_portions))
        if rule not in owed:
            ent = entitlement(rule)
            entitled, needed = session.execute(
                select(func.count(), func.coalesce(func.sum(ent.c.portions), 0)).select_from(ent)
            ).one()
            owed[rule] = (int(entitled), int(needed))
        entitled, needed = owed[rule]
        reached, out = out_by_batch.get(int(b.id), (0, 0))
        rows.append(
            {
                "batch_id": int(b.id),
                "batch": b.name,
                "date": b.date,
                "source": b.source,
                "rule": b.rule,
                "released": bool(b.released),
                "stock": int(b.stock),
                "portions_needed": needed,
                "portions_out": out,
                "remainder": int(b.stock) - out,
                "shortfall": max(0, needed - int(b.stock)),
                "households": lived_in,
                "households_entitled": entitled,
                "households_reached": reached,
                "households_left_out": lived_in - entitled,
            }
        )
    columns = [
        "batch_id", "batch", "date", "source", "rule", "released", "stock", "portions_needed", "portions_out",
        "remainder", "shortfall", "households", "households_entitled", "households_reached", "households_left_out",
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)
