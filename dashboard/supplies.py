"""Supplies (物资保供): batches and their allocation rule, distribution, coverage, reconciliation.

The allocation rule lives in ONE place, `owed_terms(rule)` and the subquery built on it,
`entitlement(rule)`: the households a batch is owed to and how many portions each. Preview,
delivery, coverage, reconciliation and the squads' sheets all read it, so they can never disagree.

- per_door: one portion per door (门). Households sharing a door have the same (building, door);
  the door's portion is entitled to its lowest-id household with anyone living in it (the first
  household surveyed there), the others get nothing — batch 1's shortfall in the homestead houses.
- per_household: one portion per household with at least one person.
- large_household: `large_portions` (2) for a household of `large_threshold` (6) or more people, else 1.

A household of size 0 (emptied in a re-survey) is owed nothing under any rule.

Here: recording, restocking and releasing a batch, and the allocation preview. This module also
gathers the names of dashboard/supply_batches.py (the rule, the batches) and dashboard/
supply_coverage.py (coverage, the households not reached, the summary, the reconciliation).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboard import audit, config, roles, validate
from dashboard.errors import ValidationError
from dashboard.roles import CurrentUser
from dashboard.store import check_version
from dashboard.supply_batches import (
    LEVELS,
    Rule,
    batches,
    current_batch,
    entitlement,
    get_batch,
    portions_out,
    portions_owed,
)
from dashboard.supply_coverage import (
    SupplySummary,
    building_coverage,
    coverage,
    not_reached,
    reconciliation,
    supply_summary,
)
from db.models import (
    SUPPLY_RULES,
    SUPPLY_SOURCES,
    Compound,
    Grid,
    SupplyBatch,
)

__all__ = [
    "LEVELS",
    "Rule",
    "entitlement",
    "portions_owed",
    "batches",
    "current_batch",
    "get_batch",
    "portions_out",
    "coverage",
    "building_coverage",
    "not_reached",
    "SupplySummary",
    "supply_summary",
    "reconciliation",
    "create_batch",
    "set_stock",
    "release_batch",
    "Preview",
    "allocation_preview",
    "batch_preview",
]


# --- batches --------------------------------------------------------------------------------


def _batch_fields(
    session: Session,
    name: Any,
    date: Any,
    source: Any,
    items: Any,
    rule: Any,
    large_threshold: Any,
    large_portions: Any,
    stock: Any,
) -> dict[str, Any]:
    today = config.today(session)
    return {
        "name": validate.text(name, "supplies.batch_name", max_len=100),
        "date": validate.day(date, today=today),
        "source": validate.choice(source, SUPPLY_SOURCES, "supplies.source"),
        "items": validate.text(items, "supplies.items", max_len=300, required=False),
        "rule": validate.choice(rule, SUPPLY_RULES, "supplies.rule"),
        "large_threshold": _at_least_one(large_threshold, "supplies.large_threshold", 50),
        "large_portions": _at_least_one(large_portions, "supplies.large_portions", 20),
        "stock": validate.count(stock, "supplies.stock", maximum=1_000_000),
    }


def _at_least_one(value: Any, field: str, maximum: int) -> int:
    n = validate.count(value, field, maximum=maximum)
    if n < 1:
        raise ValidationError("supplies.at_least_one", field=validate._label(field))
    return n


def create_batch(
    session: Session,
    user: CurrentUser,
    name: str,
    date: dt.date,
    source: str,
    items: str,
    rule: str,
    stock: int,
    *,
    large_threshold: int | None = None,
    large_portions: int | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Record a batch received (not yet released); threshold and portions default to the committee's rule."""
    roles.require(user, "supplies.batch")
    now = now or config.now(session)
    if large_threshold is None:
        large_threshold = config.int_rule(session, "large_household_threshold")
    if large_portions is None:
        large_portions = config.int_rule(session, "large_household_portions")
    fields = _batch_fields(session, name, date, source, items, rule, large_threshold, large_portions, stock)
    if session.scalar(select(SupplyBatch.id).where(SupplyBatch.name == fields["name"])) is not None:
        raise ValidationError("supplies.batch_exists", name=fields["name"])
    batch = SupplyBatch(**fields)
    session.add(batch)
    session.flush()
    audit.record(
        session, user, "supplies.batch", "supply_batch", batch.id, after=audit.snapshot(batch), at=now
    )
    return batch.id


def set_stock(
    session: Session,
    user: CurrentUser,
    batch_id: int,
    stock: int,
    *,
    version: int,
    now: dt.datetime | None = None,
) -> int:
    """Correct the stock received (more arrived, or a miscount); never below the portions already out."""
    roles.require(user, "supplies.batch")
    now = now or config.now(session)
    stock = validate.count(stock, "supplies.stock", maximum=1_000_000)
    batch = get_batch(session, batch_id, lock=True)
    check_version(batch, int(version))
    out = portions_out(session, batch_id)
    if stock < out:
        raise ValidationError("supplies.stock_below_out", stock=stock, out=out)
    before = audit.snapshot(batch)
    batch.stock = stock
    session.flush()
    audit.record(
        session,
        user,
        "supplies.stock",
        "supply_batch",
        batch.id,
        before=before,
        after=audit.snapshot(batch),
        at=now,
    )
    return stock


def release_batch(
    session: Session, user: CurrentUser, batch_id: int, *, version: int, now: dt.datetime | None = None
) -> dt.datetime:
    """Release a batch for distribution (deliveries are only accepted into released batches)."""
    roles.require(user, "supplies.batch")
    now = now or config.now(session)
    batch = get_batch(session, batch_id, lock=True)
    check_version(batch, int(version))
    if batch.released_at is not None:
        raise ValidationError("supplies.already_released", name=batch.name)
    if now.date() < batch.date:
        raise ValidationError(
            "common.date_too_early", date=now.date().isoformat(), earliest=batch.date.isoformat()
        )
    before = audit.snapshot(batch)
    batch.released_at = now
    session.flush()
    audit.record(
        session,
        user,
        "supplies.release",
        "supply_batch",
        batch.id,
        before=before,
        after=audit.snapshot(batch),
        at=now,
    )
    return now


# --- the allocation preview -----------------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    """Portions a rule needs, by grid and compound, against the stock received."""

    needed: int
    households: int
    stock: int
    by_grid: pd.DataFrame
    by_compound: pd.DataFrame

    @property
    def shortfall(self) -> int:
        return max(0, self.needed - self.stock)


def _share(needed: list[int], stock: int) -> list[int]:
    """Stock shared in proportion to need (largest remainder), never more than a place needs."""
    total = sum(needed)
    if total <= stock:
        return list(needed)
    exact = [stock * n / total for n in needed]
    share = [int(x) for x in exact]
    order = sorted(range(len(needed)), key=lambda i: exact[i] - share[i], reverse=True)
    for i in order[: stock - sum(share)]:
        share[i] += 1
    return share


def allocation_preview(session: Session, rule: Rule, stock: int) -> Preview:
    """What a batch with rule needs per grid and compound, and each place's share when stock is short."""
    ent = entitlement(rule)
    frames = {}
    for level, model in (("grid", Grid), ("compound", Compound)):
        key = ent.c.grid_id if level == "grid" else ent.c.compound_id
        order = Grid.number if level == "grid" else Compound.id
        rows = session.execute(
            select(
                key.label(f"{level}_id"),
                model.name.label(level),
                func.count().label("households"),
                func.sum(ent.c.portions).label("portions_needed"),
            )
            .select_from(ent)
            .outerjoin(model, model.id == key)
            .group_by(key, model.name, order)
            .order_by(order)
        ).all()
        df = pd.DataFrame(rows, columns=[f"{level}_id", level, "households", "portions_needed"])
        df["portions_needed"] = df["portions_needed"].astype(int)
        df["stock_share"] = _share(df["portions_needed"].tolist(), stock)
        df["short"] = df["portions_needed"] - df["stock_share"]
        frames[level] = df
    needed = int(frames["grid"]["portions_needed"].sum())
    households = int(frames["grid"]["households"].sum())
    return Preview(needed, households, stock, frames["grid"], frames["compound"])


def batch_preview(session: Session, batch_id: int) -> Preview:
    """The allocation preview of a recorded batch (its rule against its stock)."""
    batch = get_batch(session, batch_id)
    return allocation_preview(session, Rule.of(batch), batch.stock)
