"""Supply batches and their allocation rule (the entitlement), as the rest of supplies reads them.

The allocation rule lives in ONE place, `owed_terms(rule)` and the subquery built on it,
`entitlement(rule)`: the households a batch is owed to and how many portions each. Preview,
delivery, coverage, reconciliation and the squads' sheets all read it, so they can never disagree.

- per_door: one portion per door (门). Households sharing a door have the same (building, door);
  the door's portion is entitled to its lowest-id household with anyone living in it (the first
  household surveyed there), the others get nothing — batch 1's shortfall in the homestead houses.
- per_household: one portion per household with at least one person.
- large_household: `large_portions` (2) for a household of `large_threshold` (6) or more people, else 1.

A household of size 0 (emptied in a re-survey) is owed nothing under any rule.

Part of supplies (dashboard/supplies.py gathers its names).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Integer, case, func, literal, select
from sqlalchemy.orm import Session

from dashboard.config import end_of
from dashboard.errors import ValidationError
from db.models import (
    Building,
    Delivery,
    Household,
    SupplyBatch,
)

LEVELS = ("grid", "compound", "building")


# --- the rule -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """A batch's allocation rule: per_door, per_household or large_household (threshold, portions)."""

    rule: str
    large_threshold: int = 6
    large_portions: int = 2

    @classmethod
    def of(cls, batch: SupplyBatch) -> Rule:
        return cls(batch.rule, batch.large_threshold, batch.large_portions)


def owed_terms(rule: Rule) -> tuple[Any, Any]:
    """The rule over Household rows: (who is owed, as a condition; their portions, as an expression).

    entitlement() is built on it; a read that must also see the households owed nothing (a delivery
    made to one of them: supply_visits) uses the condition itself.
    """
    lived_in = Household.size >= 1
    if rule.rule == "per_door":
        door_heads = (
            select(func.min(Household.id)).where(lived_in).group_by(Household.building_id, Household.door)
        )
        return Household.id.in_(door_heads), literal(1, Integer)
    if rule.rule == "per_household":
        return lived_in, literal(1, Integer)
    if rule.rule == "large_household":
        portions = case(
            (Household.size >= rule.large_threshold, literal(rule.large_portions, Integer)),
            else_=literal(1, Integer),
        )
        return lived_in, portions
    raise ValueError(f"unknown rule {rule.rule}")


def entitlement(rule: Rule) -> Any:
    """The households a batch with this rule is owed to, as a subquery (one row per household).

    Columns: household_id, building_id, door, room, size, head_name, grid_id, compound_id, portions.
    """
    owed, portions = owed_terms(rule)
    return (
        select(
            Household.id.label("household_id"),
            Household.building_id,
            Household.door,
            Household.room,
            Household.size,
            Household.head_name,
            Building.grid_id,
            Building.compound_id,
            portions.label("portions"),
        )
        .join(Building, Building.id == Household.building_id)
        .where(owed)
        .subquery("entitled")
    )


def portions_owed(session: Session, rule: Rule, household_id: int) -> int:
    """Portions a household is owed under rule (0 when none)."""
    ent = entitlement(rule)
    value = session.scalar(select(ent.c.portions).where(ent.c.household_id == household_id))
    return int(value or 0)


# --- batches --------------------------------------------------------------------------------


def batches(session: Session, as_of: dt.date) -> pd.DataFrame:
    """Batches dated up to as_of, newest first, with released = released by the end of as_of."""
    end = end_of(as_of)
    rows = session.execute(
        select(
            SupplyBatch.id,
            SupplyBatch.name,
            SupplyBatch.date,
            SupplyBatch.source,
            SupplyBatch.items,
            SupplyBatch.rule,
            SupplyBatch.large_threshold,
            SupplyBatch.large_portions,
            SupplyBatch.stock,
            SupplyBatch.released_at,
            SupplyBatch.version,
        )
        .where(SupplyBatch.date <= as_of)
        .order_by(SupplyBatch.date.desc(), SupplyBatch.id.desc())
    ).all()
    cols = ["id", "name", "date", "source", "items", "rule", "large_threshold", "large_portions"]
    df = pd.DataFrame(list(map(tuple, rows)), columns=[*cols, "stock", "released_at", "version"])
    df["released"] = [pd.notna(r) and r <= end for r in df["released_at"]]
    return df


def current_batch(session: Session, as_of: dt.date) -> int | None:
    """The latest batch released by the end of as_of (the one being handed out), or None."""
    return session.scalar(
        select(SupplyBatch.id)
        .where(SupplyBatch.released_at.is_not(None), SupplyBatch.released_at <= end_of(as_of))
        .order_by(SupplyBatch.date.desc(), SupplyBatch.released_at.desc(), SupplyBatch.id.desc())
        .limit(1)
    )


def get_batch(session: Session, batch_id: int, *, lock: bool = False) -> SupplyBatch:
    """The batch (row-locked on PostgreSQL when lock) or a not-found refusal."""
    stmt = select(SupplyBatch).where(SupplyBatch.id == batch_id)
    if lock:
        stmt = stmt.with_for_update()
    batch = session.scalars(stmt).one_or_none()
    if batch is None:
        raise ValidationError("common.not_found", what=f"batch {batch_id}")
    return batch


def _rule(session: Session, batch_id: int) -> tuple[str, Rule]:
    """(name, rule) of a batch, or a not-found refusal."""
    row = session.execute(
        select(
            SupplyBatch.name, SupplyBatch.rule, SupplyBatch.large_threshold, SupplyBatch.large_portions
        ).where(SupplyBatch.id == batch_id)
    ).first()
    if row is None:
        raise ValidationError("common.not_found", what=f"batch {batch_id}")
    return row[0], Rule(row[1], row[2], row[3])


def portions_out(session: Session, batch_id: int, as_of: dt.date | None = None) -> int:
    """Portions handed out of a batch (by the end of as_of when given)."""
    stmt = select(func.coalesce(func.sum(Delivery.portions), 0)).where(
        Delivery.batch_id == batch_id, Delivery.status == "delivered"
    )
    if as_of is not None:
        stmt = stmt.where(Delivery.at <= end_of(as_of))
    return int(session.scalar(stmt) or 0)
