"""Distribution (派送): marking households delivered, one by one or a whole building at once,
and the lists the delivery forms pick from.

Both paths check, in the same transaction, that the batch is released, that the household is owed
something under the batch's rule (supplies.entitlement), that it was not delivered already, and
that the portions fit in what is left of the stock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from dashboard import audit, config, roles, validate
from dashboard.errors import ValidationError
from dashboard.roles import CurrentUser
from dashboard.supplies import Rule, entitlement, get_batch, portions_out, portions_owed
from db.models import DELIVERY_STATUSES, Building, Compound, Delivery, Grid, Household, SupplyBatch, Team


@dataclass(frozen=True)
class DeliveryContext:
    batch: SupplyBatch
    at: dt.datetime
    team_id: int | None
    note: str
    now: dt.datetime


def _delivery_context(
    session: Session,
    user: CurrentUser,
    batch_id: int,
    at: Any,
    team_id: int | None,
    note: Any,
    now: dt.datetime | None,
) -> DeliveryContext:
    """The checks shared by single and whole-building delivery (after the rights check).

    Locks the batch row (PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises writers) so two
    deliverers cannot both take the last portions.
    """
    now = now or config.now(session)
    batch = get_batch(session, batch_id, lock=True)
    if batch.released_at is None:
        raise ValidationError("supplies.not_released", name=batch.name)
    at = validate.moment(at if at is not None else now, now=now, not_before=batch.released_at)
    if user.role == "task":
        team_id = user.team_id if team_id is None else team_id
    if team_id is not None and session.get(Team, team_id) is None:
        raise ValidationError("common.not_found", what=f"team {team_id}")
    note = validate.text(note, "common.note", max_len=200, required=False)
    return DeliveryContext(batch, at, team_id, note, now)


def _record_one(
    session: Session,
    user: CurrentUser,
    ctx: DeliveryContext,
    household_id: int,
    grid_id: int | None,
    status: str,
    portions: int,
    existing: Delivery | None,
    action: str,
) -> Delivery:
    before = audit.snapshot(existing)
    row = existing or Delivery(batch_id=ctx.batch.id, household_id=household_id)
    row.status, row.portions, row.at = status, portions, ctx.at
    row.team_id, row.user_id, row.note = ctx.team_id, user.id, ctx.note
    session.add(row)
    session.flush()
    audit.record(
        session,
        user,
        action,
        "delivery",
        row.id,
        grid_id=grid_id,
        before=before,
        after=audit.snapshot(row),
        at=ctx.now,
    )
    return row


def _room_label(session: Session, household_id: int) -> str:
    row = session.execute(
        select(Building.name, Household.room)
        .join(Household, Household.building_id == Building.id)
        .where(Household.id == household_id)
    ).first()
    return f"{row[0]} {row[1]}" if row else str(household_id)


def record_delivery(
    session: Session,
    user: CurrentUser,
    batch_id: int,
    household_id: int,
    *,
    status: str = "delivered",
    at: dt.datetime | None = None,
    team_id: int | None = None,
    note: str = "",
    now: dt.datetime | None = None,
) -> int:
    """Record one household's visit: delivered (its portions), not found or refused. Returns the row id.

    A household already delivered in this batch is refused; a 'not found' or 'refused' visit may be
    followed by a later one, which replaces it.
    """
    status = validate.choice(status, DELIVERY_STATUSES, "common.status")
    household = session.get(Household, household_id)
    if household is None:
        raise ValidationError("common.not_found", what=f"household {household_id}")
    grid_id = household.building.grid_id
    roles.require(user, "supplies.deliver", grid_id=grid_id, team_id=team_id)
    ctx = _delivery_context(session, user, batch_id, at, team_id, note, now)
    owed = portions_owed(session, Rule.of(ctx.batch), household_id)
    if owed == 0:
        raise ValidationError("supplies.not_entitled", room=_room_label(session, household_id))
    existing = session.scalars(
        select(Delivery).where(Delivery.batch_id == batch_id, Delivery.household_id == household_id)
    ).one_or_none()
    if existing is not None and existing.status == "delivered":
        raise ValidationError(
            "supplies.already_delivered",
            room=_room_label(session, household_id),
            at=existing.at.isoformat(sep=" "),
        )
    portions = owed if status == "delivered" else 0
    if portions:
        left = ctx.batch.stock - portions_out(session, batch_id)
        if portions > left:
            raise ValidationError(
                "supplies.over_stock", need=portions, left=max(0, left), name=ctx.batch.name
            )
    row = _record_one(
        session, user, ctx, household_id, grid_id, status, portions, existing, "supplies.deliver"
    )
    return row.id


@dataclass(frozen=True)
class BuildingResult:
    """What a whole-building delivery did."""

    delivered: int
    portions: int
    already: int
    excepted: int


def deliver_building(
    session: Session,
    user: CurrentUser,
    batch_id: int,
    building_id: int,
    *,
    except_rooms: list[str] | tuple[str, ...] = (),
    at: dt.datetime | None = None,
    team_id: int | None = None,
    note: str = "",
    now: dt.datetime | None = None,
) -> BuildingResult:
    """Mark every entitled household of a building delivered, except the named rooms (all or nothing)."""
    building = session.get(Building, building_id)
    if building is None:
        raise ValidationError("common.not_found", what=f"building {building_id}")
    roles.require(user, "supplies.deliver", grid_id=building.grid_id, team_id=team_id)
    ctx = _delivery_context(session, user, batch_id, at, team_id, note, now)
    rooms = set(session.scalars(select(Household.room).where(Household.building_id == building_id)))
    skip = {validate.text(r, "common.room", max_len=30) for r in except_rooms}
    unknown = sorted(skip - rooms)
    if unknown:
        raise ValidationError("supplies.unknown_rooms", rooms=", ".join(unknown), building=building.name)
    ent = entitlement(Rule.of(ctx.batch))
    owed = session.execute(
        select(ent.c.household_id, ent.c.room, ent.c.portions)
        .where(ent.c.building_id == building_id)
        .order_by(ent.c.household_id)
    ).all()
    existing = {
        d.household_id: d
        for d in session.scalars(
            select(Delivery).where(
                Delivery.batch_id == batch_id, Delivery.household_id.in_([h for h, _, _ in owed])
            )
        )
    }
    todo = [
        (hid, portions)
        for hid, room, portions in owed
        if room not in skip and not (hid in existing and existing[hid].status == "delivered")
    ]
    already = sum(
        1
        for hid, room, _ in owed
        if room not in skip and hid in existing and existing[hid].status == "delivered"
    )
    need = sum(p for _, p in todo)
    left = ctx.batch.stock - portions_out(session, batch_id)
    if need > left:
        raise ValidationError("supplies.over_stock", need=need, left=max(0, left), name=ctx.batch.name)
    for hid, portions in todo:
        _record_one(
            session,
            user,
            ctx,
            hid,
            building.grid_id,
            "delivered",
            portions,
            existing.get(hid),
            "supplies.deliver_building",
        )
    excepted = sum(1 for _, room, _ in owed if room in skip)
    return BuildingResult(delivered=len(todo), portions=need, already=already, excepted=excepted)


# --- what the forms list --------------------------------------------------------------------


def buildings_for(session: Session, grid_id: int | None = None) -> pd.DataFrame:
    """Buildings (of one grid, or all) for the pickers: building_id, building, compound, grid_id, grid."""
    stmt = (
        select(
            Building.id.label("building_id"),
            Building.name.label("building"),
            Compound.name.label("compound"),
            Building.grid_id,
            Grid.name.label("grid"),
        )
        .join(Compound, Compound.id == Building.compound_id)
        .outerjoin(Grid, Grid.id == Building.grid_id)
        .order_by(Building.compound_id, Building.id)
    )
    if grid_id is not None:
        stmt = stmt.where(Building.grid_id == grid_id)
    return pd.DataFrame(
        session.execute(stmt).all(), columns=["building_id", "building", "compound", "grid_id", "grid"]
    )


def building_households(session: Session, batch_id: int, building_id: int) -> pd.DataFrame:
    """A building's households with what the batch owes each and its delivery so far (any date).

    Columns: household_id, door, room, size, portions (0: owed nothing), head_name, grid_id, status, at.
    """
    batch = get_batch(session, batch_id)
    ent = entitlement(Rule.of(batch))
    stmt = (
        select(
            Household.id,
            Household.door,
            Household.room,
            Household.size,
            func.coalesce(ent.c.portions, 0),
            Household.head_name,
            Building.grid_id,
            Delivery.status,
            Delivery.at,
        )
        .join(Building, Building.id == Household.building_id)
        .outerjoin(ent, ent.c.household_id == Household.id)
        .outerjoin(Delivery, (Delivery.household_id == Household.id) & (Delivery.batch_id == batch_id))
        .where(Household.building_id == building_id)
        .order_by(Household.id)
    )
    cols = ["household_id", "door", "room", "size", "portions", "head_name", "grid_id", "status", "at"]
    df = pd.DataFrame([tuple(r) for r in session.execute(stmt)], columns=cols)
    df["portions"] = df["portions"].astype(int)
    return df


def teams(session: Session) -> pd.DataFrame:
    """Teams that may hand out supplies (transport squads first): team_id, team, kind."""
    rows = session.execute(
        select(Team.id, Team.name, Team.kind).order_by(case((Team.kind == "transport", 0), else_=1), Team.id)
    ).all()
    return pd.DataFrame(rows, columns=["team_id", "team", "kind"])
