"""The situation at a glance, as of a day: the headline figures every page and the brief share, the
KPI tiles of the overview with the lists behind them, the epidemic curve and the grid scoreboard.

Every figure is computed here from the schema with SQL aggregates, so the overview does not depend
on the area modules (screening, cases, supplies, recap) and a replayed day gives that day's view.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import and_, case, false, func, literal, or_, select
from sqlalchemy.orm import Session

from dashboard import config, zones
from dashboard.config import end_of
from db.models import (
    CASE_CHANNELS,
    Building,
    Case,
    Compound,
    Contact,
    Delivery,
    Entrance,
    EntranceChange,
    FollowUp,
    Grid,
    Household,
    MissedFollowUp,
    Person,
    Resident,
    ScreeningResult,
    ScreeningRound,
    SupplyBatch,
    Transfer,
)


def _count(session: Session, stmt: Any) -> int:
    return int(session.scalar(stmt) or 0)


def positives_by_day(session: Session, as_of: dt.date) -> dict[dt.date, int]:
    """New positives per day (by the day they were found), up to as_of."""
    rows = session.execute(
        select(Case.found_on, func.count()).where(Case.found_on <= as_of).group_by(Case.found_on)
    ).all()
    return {d: int(n) for d, n in rows}


def negative_streak(session: Session, as_of: dt.date) -> int:
    """Consecutive days up to as_of with no new positive (counting as_of itself)."""
    last = session.scalar(select(func.max(Case.found_on)).where(Case.found_on <= as_of))
    if last is None:
        first = session.scalar(select(func.min(ScreeningRound.date)).where(ScreeningRound.date <= as_of))
        return (as_of - first).days + 1 if first else 0
    return (as_of - last).days


def open_entrances(session: Session, as_of: dt.date) -> int:
    """Entrances open at the end of as_of (from their history; the current flag when there is none)."""
    end = end_of(as_of)
    latest = (
        select(EntranceChange.entrance_id, func.max(EntranceChange.at).label("at"))
        .where(EntranceChange.at <= end)
        .group_by(EntranceChange.entrance_id)
        .subquery()
    )
    rows = session.execute(
        select(Entrance.id, Entrance.is_open, EntranceChange.is_open)
        .outerjoin(latest, latest.c.entrance_id == Entrance.id)
        .outerjoin(
            EntranceChange,
            and_(EntranceChange.entrance_id == Entrance.id, EntranceChange.at == latest.c.at),
        )
    ).all()
    has_history = _count(session, select(func.count()).select_from(EntranceChange)) > 0
    if not has_history:
        return sum(1 for _, now_open, _ in rows if now_open)
    return sum(1 for _, _, was_open in rows if was_open)


def awaiting_transfer(session: Session, as_of: dt.date, *, contacts: bool = False) -> int:
    """Cases (or contacts) requested for transfer by the end of as_of and not yet moved then."""
    end = end_of(as_of)
    subject = Transfer.contact_id if contacts else Transfer.case_id
    return _count(
        session,
        select(func.count())
        .select_from(Transfer)
        .where(
            subject.is_not(None),
            Transfer.requested_at <= end,
            or_(Transfer.done_at.is_(None), Transfer.done_at > end),
        ),
    )


def headline(session: Session, as_of: dt.date) -> dict[str, Any]:
    """The headline figures as of a day (the keys of `python -m dashboard brief --format json`)."""
    people = dict(
        session.execute(select(Person.kind, func.count()).where(Person.active).group_by(Person.kind)).all()
    )
    rounds = dict(
        session.execute(
            select(ScreeningRound.kind, func.count())
            .where(ScreeningRound.date <= as_of)
            .group_by(ScreeningRound.kind)
        ).all()
    )
    per_day = positives_by_day(session, as_of)
    peak_date, peak = (None, 0)
    if per_day:
        peak_date, peak = max(per_day.items(), key=lambda kv: (kv[1], -kv[0].toordinal()))
    zone_count = zones.zone_counts(session, as_of)
    return {
        "date": as_of.isoformat(),
        "compounds": _count(session, select(func.count()).select_from(Compound)),
        "grids": _count(session, select(func.count()).select_from(Grid)),
        "buildings": _count(session, select(func.count()).select_from(Building)),
        "households": _count(session, select(func.count()).select_from(Household)),
        "residents": _count(session, select(func.count()).select_from(Resident)),
        "staff": int(people.get("committee_staff", 0)),
        "cadres": int(people.get("cadre", 0)),
        "inner_field_staff": int(people.get("inner_field", 0)),
        "property_staff": int(people.get("property", 0)),
        "volunteers": int(people.get("volunteer", 0)),
        "guards": int(people.get("guard", 0)),
        "open_entrances": open_entrances(session, as_of),
        "pcr_rounds": int(rounds.get("pcr", 0)),
        "antigen_rounds": int(rounds.get("antigen", 0)),
        "new_positives": int(per_day.get(as_of, 0)),
        "new_positives_yesterday": int(per_day.get(as_of - dt.timedelta(days=1), 0)),
        "total_positives": int(sum(per_day.values())),
        "peak_new_positives": int(peak),
        "peak_date": peak_date.isoformat() if peak_date else None,
        "negative_streak_days": negative_streak(session, as_of),
        "awaiting_transfer": awaiting_transfer(session, as_of),
        "contacts_awaiting_transfer": awaiting_transfer(session, as_of, contacts=True),
        "sealed_buildings": zone_count["sealed"],
        "controlled_buildings": zone_count["controlled"],
    }


# --- shared conditions ----------------------------------------------------------------------


def active_case(as_of: dt.date) -> Any:
    """A case found by as_of and not yet recovered then (still counted, wherever it is treated)."""
    return and_(Case.found_on <= as_of, or_(Case.recovered_on.is_(None), Case.recovered_on > as_of))


def reference_moment(session: Session, as_of: dt.date) -> dt.datetime:
    """The moment 'as of' a day means for waiting times: its end, or now when the day is today."""
    return min(end_of(as_of), config.now(session))


def _frame(rows: Any, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame([tuple(r) for r in rows], columns=columns)


def _grid_names(session: Session) -> pd.DataFrame:
    return _frame(
        session.execute(
            select(Grid.id, Grid.number, Grid.name, Person.name)
            .outerjoin(Person, Person.id == Grid.leader_id)
            .order_by(Grid.number)
        ).all(),
        ["grid_id", "grid", "grid_name", "leader"],
    )


# --- new positives and the epidemic curve ---------------------------------------------------


def new_cases(session: Session, as_of: dt.date) -> pd.DataFrame:
    """The cases found on as_of: found_at, channel, severity, status, name, grid_id, grid, compound, building."""
    rows = session.execute(
        select(
            Case.id,
            Case.found_at,
            Case.channel,
            Case.severity,
            Case.status,
            Resident.name,
            Building.grid_id,
            Grid.number,
            Compound.name,
            Building.name,
        )
        .join(Resident, Resident.id == Case.resident_id)
        .join(Household, Household.id == Resident.household_id)
        .join(Building, Building.id == Household.building_id)
        .join(Compound, Compound.id == Building.compound_id)
        .outerjoin(Grid, Grid.id == Building.grid_id)
        .where(Case.found_on == as_of)
        .order_by(Case.found_at, Case.id)
    ).all()
    return _frame(
        rows,
        [
            "case_id",
            "found_at",
            "channel",
            "severity",
            "status",
            "name",
            "grid_id",
            "grid",
            "compound",
            "building",
        ],
    )


def first_day(session: Session) -> dt.date | None:
    """The first day on record (first case or first screening round)."""
    days = [
        session.scalar(select(func.min(Case.found_on))),
        session.scalar(select(func.min(ScreeningRound.date))),
    ]
    days = [d for d in days if d is not None]
    return min(days) if days else None


def positives_by_channel(session: Session, as_of: dt.date, start: dt.date | None = None) -> pd.DataFrame:
    """New positives per day and channel from start (default: the first day on record) to as_of.

    Columns: date, channel, positives — every day present (zero days too), so the curve has no gaps.
    """
    start = start or first_day(session)
    if start is None or start > as_of:
        return pd.DataFrame(columns=["date", "channel", "positives"])
    rows = session.execute(
        select(Case.found_on, Case.channel, func.count())
        .where(Case.found_on >= start, Case.found_on <= as_of)
        .group_by(Case.found_on, Case.channel)
    ).all()
    counts = {(d, c): int(n) for d, c, n in rows}
    channels = [c for c in CASE_CHANNELS if any(k[1] == c for k in counts)] or [CASE_CHANNELS[0]]
    days = [start + dt.timedelta(days=i) for i in range((as_of - start).days + 1)]
    return pd.DataFrame(
        [(d, c, counts.get((d, c), 0)) for d in days for c in channels],
        columns=["date", "channel", "positives"],
    )


# --- screening coverage of the day's round --------------------------------------------------


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


def screening_by_grid(session: Session, as_of: dt.date) -> pd.DataFrame:
    """Coverage of the day's round per grid: grid_id, in_scope, exempt, due, sampled, missed, coverage.

    Sampled = residents with a result row that is not an exemption; due = residents of the round's
    scope minus the exempt; coverage = sampled / due (NaN for a grid with nobody due).
    """
    columns = ["grid_id", "in_scope", "exempt", "due", "sampled", "missed", "coverage"]
    rnd = day_round(session, as_of)
    if rnd is None:
        return pd.DataFrame(columns=columns)
    rows = session.execute(
        select(
            Building.grid_id,
            func.count(Resident.id),
            func.sum(case((ScreeningResult.exempt_reason.is_not(None), 1), else_=0)),
            func.sum(case((_sampled(as_of), 1), else_=0)),
        )
        .select_from(Resident)
        .join(Household, Household.id == Resident.household_id)
        .join(Building, Building.id == Household.building_id)
        .outerjoin(
            ScreeningResult,
            and_(ScreeningResult.round_id == rnd.round_id, ScreeningResult.resident_id == Resident.id),
        )
        .where(*_scope(session, rnd))
        .group_by(Building.grid_id)
    ).all()
    df = _frame(rows, ["grid_id", "in_scope", "exempt", "sampled"])
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


# --- transfers ------------------------------------------------------------------------------


def transfer_queue(session: Session, as_of: dt.date) -> pd.DataFrame:
    """Cases and contacts waiting for transfer as of a day, longest wait first.

    Columns: kind (case | contact), name, grid_id, grid, compound, building, requested_at, hours, overdue.
    Waiting is counted from the transfer request to the end of as_of (or now, today).
    """
    columns = ["kind", "name", "grid_id", "grid", "compound", "building", "requested_at", "hours", "overdue"]
    ref = reference_moment(session, as_of)
    waiting = and_(
        Transfer.requested_at <= ref,
        or_(Transfer.done_at.is_(None), Transfer.done_at > ref),
    )
    place = (
        Building.grid_id,
        Grid.number,
        Compound.name,
        Building.name,
        Transfer.requested_at,
    )
    cases = session.execute(
        select(literal("case"), Resident.name, *place)
        .select_from(Transfer)
        .join(Case, Case.id == Transfer.case_id)
        .join(Resident, Resident.id == Case.resident_id)
        .join(Household, Household.id == Resident.household_id)
        .join(Building, Building.id == Household.building_id)
        .join(Compound, Compound.id == Building.compound_id)
        .outerjoin(Grid, Grid.id == Building.grid_id)
        .where(waiting)
    ).all()
    contacts = session.execute(
        select(literal("contact"), func.coalesce(Resident.name, Contact.outside_name), *place)
        .select_from(Transfer)
        .join(Contact, Contact.id == Transfer.contact_id)
        .outerjoin(Resident, Resident.id == Contact.resident_id)
        .outerjoin(Household, Household.id == Resident.household_id)
        .outerjoin(Building, Building.id == Household.building_id)
        .outerjoin(Compound, Compound.id == Building.compound_id)
        .outerjoin(Grid, Grid.id == Building.grid_id)
        .where(waiting)
    ).all()
    df = _frame(list(cases) + list(contacts), columns[:7])
    if df.empty:
        return pd.DataFrame(columns=columns)
    limit = config.int_rule(session, "transfer_overdue_hours")
    df["hours"] = [round(max(0.0, (ref - r).total_seconds() / 3600), 1) for r in df["requested_at"]]
    df["overdue"] = df["hours"] > limit
    return df.sort_values(["hours", "kind"], ascending=[False, True]).reset_index(drop=True)


# --- zones ----------------------------------------------------------------------------------


def zoned_buildings(session: Session, as_of: dt.date) -> pd.DataFrame:
    """Sealed and controlled buildings as of a day, with the day each steps down (解封倒计时).

    Columns: grid_id, grid, compound, building, zone, last_case, steps_down_on, days_left.
    """
    columns = ["grid_id", "grid", "compound", "building", "zone", "last_case", "steps_down_on", "days_left"]
    b = zones.building_zones(session, as_of)
    b = b[b["zone"] != "precaution"] if not b.empty else b
    if b.empty:
        return pd.DataFrame(columns=columns)
    ids = [int(i) for i in b["building_id"]]
    names = _frame(
        session.execute(
            select(Building.id, Grid.number, Compound.name, Building.name)
            .join(Compound, Compound.id == Building.compound_id)
            .outerjoin(Grid, Grid.id == Building.grid_id)
            .where(Building.id.in_(ids))
        ).all(),
        ["building_id", "grid", "compound", "building"],
    )
    df = b.merge(names, on="building_id")
    df["days_left"] = [(d - as_of).days if isinstance(d, dt.date) else None for d in df["steps_down_on"]]
    df["rank"] = df["zone"].map(zones.ORDER)
    df = df.sort_values(["rank", "grid", "compound", "building"]).reset_index(drop=True)
    return df[columns]


# --- supplies -------------------------------------------------------------------------------


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
    """The latest batch released or dated on or before as_of."""
    row = session.execute(
        select(
            SupplyBatch.id,
            SupplyBatch.name,
            SupplyBatch.date,
            SupplyBatch.rule,
            SupplyBatch.large_threshold,
            SupplyBatch.large_portions,
        )
        .where(or_(SupplyBatch.date <= as_of, SupplyBatch.released_at <= end_of(as_of)))
        .order_by(SupplyBatch.date.desc(), SupplyBatch.id.desc())
        .limit(1)
    ).first()
    return BatchRef(*row) if row else None


def _delivered_join(batch: BatchRef, as_of: dt.date) -> Any:
    return and_(
        Delivery.batch_id == batch.batch_id,
        Delivery.household_id == Household.id,
        Delivery.status == "delivered",
        Delivery.at <= end_of(as_of),
    )


def _portions(batch: BatchRef) -> Any:
    if batch.rule == "large_household":
        return case((Household.size >= batch.large_threshold, batch.large_portions), else_=1)
    return literal(1)


def _supply_units(session: Session, batch: BatchRef, as_of: dt.date, key: Any, *where: Any) -> pd.DataFrame:
    """Entitled units (doors or households), how many were reached, and portions, per key."""
    served = case((Delivery.id.is_not(None), 1), else_=0)
    if batch.rule == "per_door":
        doors = (
            select(
                Household.building_id.label("building_id"),
                Household.door.label("door"),
                func.max(served).label("served"),
            )
            .select_from(Household)
            .outerjoin(Delivery, _delivered_join(batch, as_of))
            .group_by(Household.building_id, Household.door)
            .subquery()
        )
        rows = session.execute(
            select(key, func.count(), func.sum(doors.c.served), func.count(), func.sum(doors.c.served))
            .select_from(doors)
            .join(Building, Building.id == doors.c.building_id)
            .where(*where)
            .group_by(key)
        ).all()
    else:
        portions = _portions(batch)
        rows = session.execute(
            select(
                key,
                func.count(Household.id),
                func.sum(served),
                func.sum(portions),
                func.sum(case((Delivery.id.is_not(None), portions), else_=0)),
            )
            .select_from(Household)
            .join(Building, Building.id == Household.building_id)
            .outerjoin(Delivery, _delivered_join(batch, as_of))
            .where(*where)
            .group_by(key)
        ).all()
    df = _frame(rows, ["key", "entitled", "reached", "portions_due", "portions_reached"])
    for col in ("entitled", "reached", "portions_due", "portions_reached"):
        df[col] = df[col].fillna(0).astype(int)
    return df


def supply_by_grid(session: Session, as_of: dt.date) -> pd.DataFrame:
    """Coverage of the current batch per grid: grid_id, entitled, reached, portions_due, coverage."""
    columns = ["grid_id", "entitled", "reached", "portions_due", "portions_reached", "coverage"]
    batch = current_batch(session, as_of)
    if batch is None:
        return pd.DataFrame(columns=columns)
    df = _supply_units(session, batch, as_of, Building.grid_id).rename(columns={"key": "grid_id"})
    df["coverage"] = [
        r / e if e else float("nan") for r, e in zip(df["reached"], df["entitled"], strict=True)
    ]
    return df[columns]


def batch_coverage_of_building(
    session: Session, as_of: dt.date, building_id: int
) -> tuple[str | None, int, int]:
    """(current batch name, entitled units, reached units) for one building."""
    batch = current_batch(session, as_of)
    if batch is None:
        return None, 0, 0
    df = _supply_units(session, batch, as_of, Building.id, Building.id == building_id)
    if df.empty:
        return batch.name, 0, 0
    return batch.name, int(df["entitled"].sum()), int(df["reached"].sum())


def households_without_batch(session: Session, as_of: dt.date) -> pd.DataFrame:
    """Households (doors, under the per-door rule) the current batch has not reached.

    Columns: grid_id, grid, compound, building, door, room, head_name, size, portions.
    """
    columns = ["grid_id", "grid", "compound", "building", "door", "room", "head_name", "size", "portions"]
    batch = current_batch(session, as_of)
    if batch is None:
        return pd.DataFrame(columns=columns)
    base = (
        select(Household.building_id, Household.door)
        .select_from(Household)
        .join(Delivery, _delivered_join(batch, as_of))
    )
    place = (Building.grid_id, Grid.number, Compound.name, Building.name, Household.door)
    joins = (
        select()
        .select_from(Household)
        .join(Building, Building.id == Household.building_id)
        .join(Compound, Compound.id == Building.compound_id)
        .outerjoin(Grid, Grid.id == Building.grid_id)
    )
    if batch.rule == "per_door":
        served = base.subquery()
        rows = session.execute(
            joins.add_columns(
                *place,
                literal(""),
                func.min(Household.head_name),
                func.sum(Household.size),
                literal(1),
            )
            .outerjoin(
                served,
                and_(served.c.building_id == Household.building_id, served.c.door == Household.door),
            )
            .where(served.c.building_id.is_(None))
            .group_by(*place)
            .order_by(Grid.number, Compound.name, Building.name, Household.door)
        ).all()
    else:
        rows = session.execute(
            joins.add_columns(*place, Household.room, Household.head_name, Household.size, _portions(batch))
            .outerjoin(Delivery, _delivered_join(batch, as_of))
            .where(Delivery.id.is_(None))
            .order_by(Grid.number, Compound.name, Building.name, Household.room)
        ).all()
    return _frame(rows, columns)


# --- follow-ups -----------------------------------------------------------------------------


def _still_open(as_of: dt.date) -> Any:
    end = end_of(as_of)
    return and_(
        FollowUp.created_on <= as_of,
        or_(
            FollowUp.closed_at > end,
            and_(FollowUp.closed_at.is_(None), FollowUp.status == "open"),
        ),
    )


def open_follow_ups(session: Session, as_of: dt.date) -> pd.DataFrame:
    """Follow-ups (查遗补漏) created by as_of and not closed by then, oldest due first.

    Columns: follow_up_id, created_on, item, grid_id, grid, owner, due_on, days_overdue.
    """
    rows = session.execute(
        select(
            FollowUp.id,
            FollowUp.created_on,
            FollowUp.item,
            FollowUp.grid_id,
            Grid.number,
            FollowUp.owner,
            FollowUp.due_on,
        )
        .outerjoin(Grid, Grid.id == FollowUp.grid_id)
        .where(_still_open(as_of))
        .order_by(FollowUp.due_on, FollowUp.id)
    ).all()
    df = _frame(rows, ["follow_up_id", "created_on", "item", "grid_id", "grid", "owner", "due_on"])
    df["days_overdue"] = [max(0, (as_of - d).days) for d in df["due_on"]]
    return df


# --- the tiles ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kpis:
    """The figures of the overview's tiles as of one day."""

    as_of: dt.date
    new_positives: int
    negative_streak: int
    round_number: int | None
    round_date: dt.date | None
    screening_due: int
    screening_sampled: int
    screening_coverage: float | None
    awaiting_cases: int
    awaiting_contacts: int
    longest_wait_hours: float | None
    overdue_transfers: int
    sealed_buildings: int
    controlled_buildings: int
    batch_name: str | None
    supply_entitled: int
    supply_reached: int
    supply_coverage: float | None
    open_follow_ups: int
    overdue_follow_ups: int


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


@dataclass(frozen=True)
class DayParts:
    """The per-grid reads both the tiles and the scoreboard are made of (read once per day)."""

    screening: pd.DataFrame
    queue: pd.DataFrame
    supply: pd.DataFrame
    building_zones: pd.DataFrame


def day_parts(session: Session, as_of: dt.date) -> DayParts:
    """Screening by grid, the transfer queue, supply by grid and every building's zone on a day."""
    return DayParts(
        screening=screening_by_grid(session, as_of),
        queue=transfer_queue(session, as_of),
        supply=supply_by_grid(session, as_of),
        building_zones=zones.building_zones(session, as_of),
    )


def kpis(session: Session, as_of: dt.date, parts: DayParts | None = None) -> Kpis:
    """Every tile's figure as of a day (call again for the day before to get the change)."""
    parts = parts or day_parts(session, as_of)
    rnd = day_round(session, as_of)
    screening, queue, supply, b = parts.screening, parts.queue, parts.supply, parts.building_zones
    due, sampled = int(screening["due"].sum()), int(screening["sampled"].sum())
    zone_count = b["zone"].value_counts().to_dict() if not b.empty else {}
    batch = current_batch(session, as_of)
    entitled, reached = int(supply["entitled"].sum()), int(supply["reached"].sum())
    follow = session.execute(
        select(func.count(), func.sum(case((FollowUp.due_on < as_of, 1), else_=0))).where(_still_open(as_of))
    ).one()
    return Kpis(
        as_of=as_of,
        new_positives=_count(session, select(func.count()).select_from(Case).where(Case.found_on == as_of)),
        negative_streak=negative_streak(session, as_of),
        round_number=rnd.number if rnd else None,
        round_date=rnd.date if rnd else None,
        screening_due=due,
        screening_sampled=sampled,
        screening_coverage=_ratio(sampled, due),
        awaiting_cases=int((queue["kind"] == "case").sum()),
        awaiting_contacts=int((queue["kind"] == "contact").sum()),
        longest_wait_hours=float(queue["hours"].max()) if not queue.empty else None,
        overdue_transfers=int(queue["overdue"].sum()) if not queue.empty else 0,
        sealed_buildings=int(zone_count.get("sealed", 0)),
        controlled_buildings=int(zone_count.get("controlled", 0)),
        batch_name=batch.name if batch else None,
        supply_entitled=entitled,
        supply_reached=reached,
        supply_coverage=_ratio(reached, entitled),
        open_follow_ups=int(follow[0] or 0),
        overdue_follow_ups=int(follow[1] or 0),
    )


# --- the grid scoreboard --------------------------------------------------------------------

# Status of a grid on the scoreboard: alert (red) when something needs action today, watch
# (orange) while the grid is under restriction or has gaps, ok (green) otherwise.
SCREENING_ALERT_BELOW = 0.90
SCREENING_WATCH_BELOW = 0.98
SUPPLY_WATCH_BELOW = 0.95


def _status(row: Any) -> str:
    cov = row.screening_coverage
    if row.new_cases or row.overdue_transfers or (pd.notna(cov) and cov < SCREENING_ALERT_BELOW):
        return "alert"
    supply = row.supply_coverage
    if (
        row.sealed_buildings
        or row.awaiting_transfer
        or row.open_follow_ups
        or (pd.notna(cov) and cov < SCREENING_WATCH_BELOW)
        or (pd.notna(supply) and supply < SUPPLY_WATCH_BELOW)
    ):
        return "watch"
    return "ok"


def grid_scoreboard(session: Session, as_of: dt.date, parts: DayParts | None = None) -> pd.DataFrame:
    """One row per grid as of a day (计分板).

    Columns: grid_id, grid, grid_name, leader, households, residents, screening_coverage, missed,
    new_cases, active_cases, sealed_buildings, controlled_buildings, awaiting_transfer,
    overdue_transfers, supply_coverage, open_follow_ups, status (alert | watch | ok).
    """
    parts = parts or day_parts(session, as_of)
    df = _grid_names(session)
    people = _frame(
        session.execute(
            select(Building.grid_id, func.count(func.distinct(Household.id)), func.count(Resident.id))
            .select_from(Household)
            .join(Building, Building.id == Household.building_id)
            .outerjoin(Resident, Resident.household_id == Household.id)
            .group_by(Building.grid_id)
        ).all(),
        ["grid_id", "households", "residents"],
    )
    cases_by_grid = _frame(
        session.execute(
            select(
                Building.grid_id,
                func.sum(case((Case.found_on == as_of, 1), else_=0)),
                func.count(Case.id),
            )
            .select_from(Case)
            .join(Resident, Resident.id == Case.resident_id)
            .join(Household, Household.id == Resident.household_id)
            .join(Building, Building.id == Household.building_id)
            .where(active_case(as_of))
            .group_by(Building.grid_id)
        ).all(),
        ["grid_id", "new_cases", "active_cases"],
    )
    b = parts.building_zones
    zoned = (
        b.assign(
            sealed_buildings=(b["zone"] == "sealed").astype(int),
            controlled_buildings=(b["zone"] == "controlled").astype(int),
        )
        .groupby("grid_id", as_index=False)[["sealed_buildings", "controlled_buildings"]]
        .sum()
        if not b.empty
        else pd.DataFrame(columns=["grid_id", "sealed_buildings", "controlled_buildings"])
    )
    screening = parts.screening[["grid_id", "coverage", "missed"]].rename(
        columns={"coverage": "screening_coverage"}
    )
    supply = parts.supply[["grid_id", "coverage"]].rename(columns={"coverage": "supply_coverage"})
    queue = parts.queue
    waiting = (
        queue.dropna(subset=["grid_id"])
        .assign(awaiting_transfer=1, overdue_transfers=queue["overdue"].astype(int))
        .groupby("grid_id", as_index=False)[["awaiting_transfer", "overdue_transfers"]]
        .sum()
        if not queue.empty
        else pd.DataFrame(columns=["grid_id", "awaiting_transfer", "overdue_transfers"])
    )
    follow = _frame(
        session.execute(
            select(FollowUp.grid_id, func.count()).where(_still_open(as_of)).group_by(FollowUp.grid_id)
        ).all(),
        ["grid_id", "open_follow_ups"],
    )
    for part in (people, cases_by_grid, zoned, screening, supply, waiting, follow):
        part = part.dropna(subset=["grid_id"]).astype({"grid_id": int})
        df = df.merge(part, on="grid_id", how="left")
    counts = [
        "households",
        "residents",
        "missed",
        "new_cases",
        "active_cases",
        "sealed_buildings",
        "controlled_buildings",
        "awaiting_transfer",
        "overdue_transfers",
        "open_follow_ups",
    ]
    for col in counts:
        df[col] = df[col].fillna(0).astype(int)
    for col in ("screening_coverage", "supply_coverage"):
        df[col] = df[col].astype(float)
    df["status"] = [_status(r) for r in df.itertuples(index=False)]
    return df[
        [
            "grid_id",
            "grid",
            "grid_name",
            "leader",
            "households",
            "residents",
            "screening_coverage",
            "missed",
            "new_cases",
            "active_cases",
            "sealed_buildings",
            "controlled_buildings",
            "awaiting_transfer",
            "overdue_transfers",
            "supply_coverage",
            "open_follow_ups",
            "status",
        ]
    ]


@dataclass(frozen=True)
class DayView:
    """The tiles and the scoreboard of one day, from one set of reads."""

    kpis: Kpis
    scoreboard: pd.DataFrame


def day_view(session: Session, as_of: dt.date) -> DayView:
    """kpis() and grid_scoreboard() of a day together (the overview caches this one call)."""
    parts = day_parts(session, as_of)
    return DayView(kpis=kpis(session, as_of, parts), scoreboard=grid_scoreboard(session, as_of, parts))


def page_reads(session: Session, as_of: dt.date) -> dict[str, Any]:
    """Everything the overview page reads for a day, uncached: what `make bench` times as the cold cost.

    (The page also draws charts.epidemic_curve_json(session, as_of, lang) and the compact map
    maps.built_map(session, as_of, hour, tiles, lang, assets, compact=True).)
    """
    return {
        "headline": headline(session, as_of),
        "day": day_view(session, as_of),
        "kpis_day_before": kpis(session, as_of - dt.timedelta(days=1)),
        "curve": positives_by_channel(session, as_of),
    }
