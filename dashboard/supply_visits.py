"""A batch's visits by the end of a day, read in one statement for coverage and the households not
reached: only the households that differ from "owed, and delivered what it is owed now" come back.

Every other owed household was delivered exactly the portions the rule owes it, so coverage needs
no row of it: households reached = entitled - not reached, portions delivered = needed - owed to
those not reached + what the deliveries of the others gave beyond what they are owed now.

Part of supplies (dashboard/supply_coverage.py builds coverage and the list of households not
reached on it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import DateTime, Integer, Select, bindparam, except_, exists, literal, select, union_all
from sqlalchemy.orm import Session

from dashboard.config import end_of
from dashboard.supply_batches import Rule, owed_terms
from db.models import Building, Compound, Delivery, Grid, Household

# The columns a read may ask of each household kept (owed and given always come last).
COLUMNS = (
    "household_id", "grid_id", "grid", "compound", "building", "door", "room", "size", "portions",
    "head_name", "status", "compound_id", "building_id",
)  # fmt: skip
PLACE_NAMES = frozenset({"grid", "compound", "building"})
# Enough for coverage: the keys of every level, and what the tally needs.
TALLY = ("grid_id", "compound_id", "building_id", "portions", "status")

_BATCH = bindparam("batch_id", type_=Integer)
_UNTIL = bindparam("until", type_=DateTime)


@dataclass(frozen=True)
class Visits:
    """The households a batch's visits by the end of a day leave apart (visits()), as rows of the
    columns asked for, then owed (1: the rule owes the household something, else 0) and given (the
    portions its delivery row recorded; None without one).

    missing: the owed households not reached (no delivery yet, or a 'not found' or 'refused' visit),
    ordered by grid number, building and household when place names were asked for; beyond: the
    owed households delivered another number of portions than they are owed now (a size changed in
    a re-survey since); given_unowed: the portions delivered to households owed nothing.
    """

    columns: tuple[str, ...]
    missing: list[Any]
    beyond: list[Any]
    given_unowed: int

    def not_reached(self, grid_id: int | None = None) -> list[Any]:
        """The owed households not reached, of one grid or all (rows as missing)."""
        if grid_id is None:
            return self.missing
        at = self.columns.index("grid_id")
        return [r for r in self.missing if r[at] == grid_id]

    def open_by(self, key: str) -> dict[Any, list[int]]:
        """Per key (grid_id, compound_id or building_id) of the owed households: [not reached,
        not found, refused, portions owed to those not reached, portions delivered beyond owed]."""
        at, status_at, owes, given = (self.columns.index(c) for c in (key, "status", "portions", "given"))
        tally: dict[Any, list[int]] = {}
        for r in self.missing:
            counts = tally.get(r[at])
            if counts is None:
                counts = tally[r[at]] = [0, 0, 0, 0, 0]
            counts[0] += 1
            status = r[status_at]
            if status is not None:
                counts[1] += status == "not_found"
                counts[2] += status == "refused"
            counts[3] += r[owes]
        for r in self.beyond:
            tally.setdefault(r[at], [0, 0, 0, 0, 0])[4] += r[given] - r[owes]
        return tally


@cache
def _statement(rule: Rule, columns: tuple[str, ...]) -> Select:
    """visits()' statement for a rule and columns, built once per process (building it costs more
    than running it from SQLAlchemy's compiled cache); the batch and the moment are bound.

    The owed households whose (household, portions) no delivery made by then matches — not reached,
    or delivered another number of portions — are the difference of two lists ordered by household
    (an ordered EXCEPT, which SQLite merges in one pass instead of looking each household's delivery
    up); the households owed nothing (a few) are looked up one by one. Only the rows kept are then
    joined to their household, visit and place.
    """
    owed, portions = owed_terms(rule)
    delivered = Delivery.status == "delivered"
    visit = (Delivery.household_id == Household.id) & (Delivery.batch_id == _BATCH) & (Delivery.at <= _UNTIL)
    unmatched = except_(
        select(Household.id.label("household_id"), portions.label("portions")).where(owed),
        select(Delivery.household_id, Delivery.portions).where(
            Delivery.batch_id == _BATCH, Delivery.at <= _UNTIL, delivered
        ),
    )
    unmatched = unmatched.order_by(*unmatched.selected_columns).cte("unmatched").prefix_with("MATERIALIZED")
    # Materialised too: read alone, the ordered difference keeps its ORDER BY (SQLite drops the
    # ORDER BY of a subquery joined to other tables, and would then sort both lists instead).
    kept = (
        union_all(
            select(unmatched.c.household_id, literal(1, Integer).label("owed")),
            select(Household.id, literal(0, Integer)).where(~owed, exists().where(visit, delivered)),
        )
        .cte("kept")
        .prefix_with("MATERIALIZED")
    )
    column = {
        "household_id": kept.c.household_id,
        "grid_id": Building.grid_id,
        "grid": Grid.name.label("grid"),
        "compound": Compound.name.label("compound"),
        "building": Building.name.label("building"),
        "door": Household.door,
        "room": Household.room,
        "size": Household.size,
        "portions": portions.label("portions"),
        "head_name": Household.head_name,
        "status": Delivery.status,
        "compound_id": Building.compound_id,
        "building_id": Household.building_id,
        "owed": kept.c.owed,
        "given": Delivery.portions.label("given"),
    }
    stmt = (
        select(*(column[c] for c in (*columns, "owed", "given")))
        .select_from(kept)
        .join(Household, Household.id == kept.c.household_id)
        .outerjoin(Delivery, visit)
        .join(Building, Building.id == Household.building_id)
    )
    if PLACE_NAMES & set(columns):  # a list: named, in its order
        stmt = (
            stmt.join(Compound, Compound.id == Building.compound_id)
            .outerjoin(Grid, Grid.id == Building.grid_id)
            .order_by(Grid.number, Household.building_id, Household.id)
        )
    return stmt


def visits(
    session: Session, batch_id: int, as_of: dt.date, rule: Rule, columns: tuple[str, ...] = TALLY
) -> Visits:
    """The households the batch's delivery rows recorded by the end of as_of leave apart, with
    columns (of COLUMNS; a list asks for place names, coverage for TALLY)."""
    result = session.connection().execute(
        _statement(rule, columns), {"batch_id": batch_id, "until": end_of(as_of)}
    )
    owed, status, given = len(columns), columns.index("status"), len(columns) + 1
    missing, beyond, unowed = [], [], 0
    for r in result.all():
        if not r[owed]:
            unowed += r[given]
        elif r[status] == "delivered":
            beyond.append(r)
        else:
            missing.append(r)
    return Visits((*columns, "owed", "given"), missing, beyond, unowed)
