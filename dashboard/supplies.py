"""Supplies (物资保供): batches and their allocation rule, distribution, coverage, reconciliation.

The allocation rule lives in ONE place, `entitlement(rule)`: the households a batch is owed to and
how many portions each. Preview, delivery, coverage, reconciliation and the squads' sheets all
join on it, so they can never disagree.

- per_door: one portion per door (门). Households sharing a door have the same (building, door);
  the door's portion is entitled to its lowest-id household with anyone living in it (the first
  household surveyed there), the others get nothing — batch 1's shortfall in the homestead houses.
- per_household: one portion per household with at least one person.
- large_household: `large_portions` (2) for a household of `large_threshold` (6) or more people, else 1.

A household of size 0 (emptied in a re-survey) is owed nothing under any rule.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Integer, case, func, literal, select
from sqlalchemy.orm import Session

from dashboard import audit, config, roles, validate
from dashboard.config import end_of
from dashboard.errors import ValidationError
from dashboard.roles import CurrentUser
from dashboard.store import check_version
from db.models import (
    SUPPLY_RULES,
    SUPPLY_SOURCES,
    Building,
    Compound,
    Delivery,
    Grid,
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


def entitlement(rule: Rule) -> Any:
    """The households a batch with this rule is owed to, as a subquery (one row per household).

    Columns: household_id, building_id, door, room, size, head_name, grid_id, compound_id, portions.
    """
    lived_in = Household.size >= 1
    if rule.rule == "per_door":
        door_heads = (
            select(func.min(Household.id)).where(lived_in).group_by(Household.building_id, Household.door)
        )
        owed = Household.id.in_(door_heads)
        portions: Any = literal(1, Integer)
    elif rule.rule == "per_household":
        owed = lived_in
        portions = literal(1, Integer)
    elif rule.rule == "large_household":
        owed = lived_in
        portions = case(
            (Household.size >= rule.large_threshold, literal(rule.large_portions, Integer)),
            else_=literal(1, Integer),
        )
    else:
        raise ValueError(f"unknown rule {rule.rule}")
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
    df = pd.DataFrame(rows, columns=[*cols, "stock", "released_at", "version"])
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


def portions_out(session: Session, batch_id: int, as_of: dt.date | None = None) -> int:
    """Portions handed out of a batch (by the end of as_of when given)."""
    stmt = select(func.coalesce(func.sum(Delivery.portions), 0)).where(
        Delivery.batch_id == batch_id, Delivery.status == "delivered"
    )
    if as_of is not None:
        stmt = stmt.where(Delivery.at <= end_of(as_of))
    return int(session.scalar(stmt) or 0)


# --- coverage -------------------------------------------------------------------------------


def _reached(batch_id: int, as_of: dt.date) -> Any:
    """The batch's delivery rows recorded by the end of as_of, as a subquery."""
    return (
        select(Delivery.household_id, Delivery.status, Delivery.portions)
        .where(Delivery.batch_id == batch_id, Delivery.at <= end_of(as_of))
        .subquery("reached")
    )


def _is(status_col: Any, status: str) -> Any:
    return func.coalesce(func.sum(case((status_col == status, 1), else_=0)), 0)


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


REACHED_COUNTS = ["households_reached", "not_found", "refused", "portions_delivered"]


def _reached_counts(session: Session, batch_id: int, as_of: dt.date, ent: Any, key: Any | None) -> dict:
    """REACHED_COUNTS of the entitled households per key (one grouped read of the batch's deliveries;
    a batch holds at most one delivery row per household)."""
    stmt = (
        select(
            *([key] if key is not None else []),
            _is(Delivery.status, "delivered"),
            _is(Delivery.status, "not_found"),
            _is(Delivery.status, "refused"),
            func.coalesce(func.sum(case((Delivery.status == "delivered", Delivery.portions), else_=0)), 0),
        )
        .select_from(Delivery)
        .join(ent, ent.c.household_id == Delivery.household_id)
        .where(Delivery.batch_id == batch_id, Delivery.at <= end_of(as_of))
    )
    if key is None:
        return {None: [int(v) for v in session.execute(stmt).one()]}
    return {row[0]: [int(v) for v in row[1:]] for row in session.execute(stmt.group_by(key))}


def coverage(session: Session, batch_id: int, as_of: dt.date, level: str = "grid") -> pd.DataFrame:
    """Households reached / entitled and portions delivered / needed per grid, compound or building.

    Columns: <level>_id, <level> (name; building adds compound and grid), households_entitled,
    households_reached, not_found, refused, portions_needed, portions_delivered, coverage (0..1).
    """
    if level not in LEVELS:
        raise ValueError(level)
    _name, rule = _rule(session, batch_id)
    ent = entitlement(rule)
    if level == "grid":
        keys = [ent.c.grid_id.label("grid_id"), Grid.name.label("grid")]
        joins = [(Grid, Grid.id == ent.c.grid_id)]
        group = [ent.c.grid_id, Grid.name, Grid.number]
        order = [Grid.number]
    elif level == "compound":
        keys = [ent.c.compound_id.label("compound_id"), Compound.name.label("compound")]
        joins = [(Compound, Compound.id == ent.c.compound_id)]
        group = [ent.c.compound_id, Compound.name]
        order = [ent.c.compound_id]
    else:
        keys = [
            ent.c.building_id.label("building_id"),
            Building.name.label("building"),
            Compound.name.label("compound"),
            ent.c.grid_id.label("grid_id"),
            Grid.name.label("grid"),
        ]
        joins = [
            (Building, Building.id == ent.c.building_id),
            (Compound, Compound.id == Building.compound_id),
            (Grid, Grid.id == ent.c.grid_id),
        ]
        group = [ent.c.building_id, Building.name, Compound.name, ent.c.grid_id, Grid.name]
        order = [ent.c.building_id]
    stmt = select(
        *keys,
        func.count().label("households_entitled"),
        func.coalesce(func.sum(ent.c.portions), 0).label("portions_needed"),
    ).select_from(ent)
    for model, on in joins:
        stmt = stmt.outerjoin(model, on)
    owed = session.execute(stmt.group_by(*group).order_by(*order)).all()
    reached = _reached_counts(session, batch_id, as_of, ent, group[0])
    none = [0] * len(REACHED_COUNTS)
    rows = []
    for row in owed:
        *names, entitled, needed = row
        got, not_found, refused, delivered = reached.get(names[0], none)
        rows.append((*names, entitled, got, not_found, refused, needed, delivered))
    names = [k.key for k in keys]
    counts = [
        "households_entitled",
        "households_reached",
        "not_found",
        "refused",
        "portions_needed",
        "portions_delivered",
    ]
    df = pd.DataFrame(rows, columns=[*names, *counts])
    for col in counts:
        df[col] = df[col].astype(int)
    df["coverage"] = (
        df["households_reached"] / df["households_entitled"].where(df["households_entitled"] > 0)
    ).astype(float)
    return df


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
    batch = get_batch(session, batch_id)
    ent = entitlement(Rule.of(batch))
    got = _reached(batch_id, as_of)
    stmt = (
        select(
            ent.c.household_id,
            ent.c.grid_id,
            Grid.name.label("grid"),
            Compound.name.label("compound"),
            Building.name.label("building"),
            ent.c.door,
            ent.c.room,
            ent.c.size,
            ent.c.portions,
            ent.c.head_name,
            got.c.status,
        )
        .select_from(ent)
        .join(Building, Building.id == ent.c.building_id)
        .join(Compound, Compound.id == ent.c.compound_id)
        .outerjoin(Grid, Grid.id == ent.c.grid_id)
        .outerjoin(got, got.c.household_id == ent.c.household_id)
        .where((got.c.status.is_(None)) | (got.c.status != "delivered"))
        .order_by(Grid.number, ent.c.building_id, ent.c.household_id)
    )
    if grid_id is not None:
        stmt = stmt.where(ent.c.grid_id == grid_id)
    cols = ["household_id", "grid_id", "grid", "compound", "building", "door", "room", "size", "portions"]
    return pd.DataFrame(session.execute(stmt).all(), columns=[*cols, "head_name", "status"])


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
    ent = entitlement(rule)
    entitled, needed = session.execute(
        select(func.count(), func.coalesce(func.sum(ent.c.portions), 0)).select_from(ent)
    ).one()
    reached, _not_found, _refused, delivered = _reached_counts(session, batch_id, as_of, ent, None)[None]
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
