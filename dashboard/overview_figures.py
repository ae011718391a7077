"""The headline figures of a day (what every page and the brief share), the new positives and the
epidemic curve's data, the lists the tiles open that are not about coverage (the transfer queue, the
zoned buildings, the open follow-ups), and the conditions the other overview modules share.

Part of the overview (dashboard/overview.py gathers its names).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import and_, func, literal, or_, select
from sqlalchemy.orm import Session

from dashboard import config, zones
from dashboard.config import end_of
from db.models import (
    CASE_CHANNELS,
    Building,
    Case,
    Compound,
    Contact,
    Entrance,
    EntranceChange,
    FollowUp,
    Grid,
    Household,
    Person,
    Resident,
    ScreeningRound,
    Transfer,
)

# --- shared conditions and helpers --------------------------------------------------------------


def active_case(as_of: dt.date) -> Any:
    """A case found by as_of and not yet recovered then (still counted, wherever it is treated)."""
    return and_(Case.found_on <= as_of, or_(Case.recovered_on.is_(None), Case.recovered_on > as_of))


def reference_moment(session: Session, as_of: dt.date) -> dt.datetime:
    """The moment 'as of' a day means for waiting times: its end, or now when the day is today."""
    return min(end_of(as_of), config.now(session))


def _frame(rows: Any, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame([tuple(r) for r in rows], columns=columns)


def _count(session: Session, stmt: Any) -> int:
    return int(session.scalar(stmt) or 0)


# --- the headline figures -----------------------------------------------------------------------


def positives_by_day(session: Session, as_of: dt.date) -> dict[dt.date, int]:
    """New positives per day (by the day they were found), up to as_of."""
    rows = session.execute(
        select(Case.found_on, func.count()).where(Case.found_on <= as_of).group_by(Case.found_on)
    ).all()
    return {d: int(n) for d, n in rows}


def negative_streak(session: Session, as_of: dt.date, *, last: dt.date | None = None) -> int:
    """Consecutive days up to as_of with no new positive (counting as_of itself).

    last: the day of the latest positive up to as_of when the caller knows it (None: read it)."""
    if last is None:
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
    return awaiting_transfers(session, as_of)[1 if contacts else 0]


def awaiting_transfers(session: Session, as_of: dt.date) -> tuple[int, int]:
    """(cases, contacts) requested for transfer by the end of as_of and not yet moved then, in one read."""
    end = end_of(as_of)
    cases, contacts = session.execute(
        select(
            func.count(Transfer.case_id),
            func.count(Transfer.contact_id),
        ).where(Transfer.requested_at <= end, or_(Transfer.done_at.is_(None), Transfer.done_at > end))
    ).one()
    return int(cases or 0), int(contacts or 0)


PLACES = (Compound, Grid, Building, Household, Resident)


def _sizes(session: Session) -> dict[str, int]:
    """compounds, grids, buildings, households and residents, counted in one statement."""
    counts = session.execute(
        select(*(select(func.count()).select_from(m).scalar_subquery() for m in PLACES))
    ).one()
    keys = ("compounds", "grids", "buildings", "households", "residents")
    return {k: int(n) for k, n in zip(keys, counts, strict=True)}


def _rounds(session: Session, as_of: dt.date) -> dict[str, int]:
    """pcr_rounds and antigen_rounds held up to as_of."""
    rounds = dict(
        session.execute(
            select(ScreeningRound.kind, func.count())
            .where(ScreeningRound.date <= as_of)
            .group_by(ScreeningRound.kind)
        ).all()
    )
    return {"pcr_rounds": int(rounds.get("pcr", 0)), "antigen_rounds": int(rounds.get("antigen", 0))}


def basics(session: Session, as_of: dt.date) -> dict[str, int]:
    """What the overview's caption says of a day: headline()'s compounds, grids, buildings, households,
    residents, pcr_rounds, antigen_rounds and total_positives, without reading the rest."""
    total = session.scalar(select(func.count()).select_from(Case).where(Case.found_on <= as_of))
    return {**_sizes(session), **_rounds(session, as_of), "total_positives": int(total or 0)}


def headline(session: Session, as_of: dt.date, buildings: pd.DataFrame | None = None) -> dict[str, Any]:
    """The headline figures as of a day (the keys of `python -m dashboard brief --format json`);
    `buildings` is zones.building_zones(session, as_of) when the caller already has it."""
    people = dict(
        session.execute(select(Person.kind, func.count()).where(Person.active).group_by(Person.kind)).all()
    )
    rounds = _rounds(session, as_of)
    per_day = positives_by_day(session, as_of)
    peak_date, peak = (None, 0)
    if per_day:
        peak_date, peak = max(per_day.items(), key=lambda kv: (kv[1], -kv[0].toordinal()))
    zone_count = zones.zone_counts(session, as_of, buildings)
    waiting = awaiting_transfers(session, as_of)
    return {
        "date": as_of.isoformat(),
        **_sizes(session),
        "staff": int(people.get("committee_staff", 0)),
        "cadres": int(people.get("cadre", 0)),
        "inner_field_staff": int(people.get("inner_field", 0)),
        "property_staff": int(people.get("property", 0)),
        "volunteers": int(people.get("volunteer", 0)),
        "guards": int(people.get("guard", 0)),
        "open_entrances": open_entrances(session, as_of),
        **rounds,
        "new_positives": int(per_day.get(as_of, 0)),
        "new_positives_yesterday": int(per_day.get(as_of - dt.timedelta(days=1), 0)),
        "total_positives": int(sum(per_day.values())),
        "peak_new_positives": int(peak),
        "peak_date": peak_date.isoformat() if peak_date else None,
        "negative_streak_days": negative_streak(session, as_of, last=max(per_day) if per_day else None),
        "awaiting_transfer": waiting[0],
        "contacts_awaiting_transfer": waiting[1],
        "sealed_buildings": zone_count["sealed"],
        "controlled_buildings": zone_count["controlled"],
    }


# --- new positives and the epidemic curve -------------------------------------------------------


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


# --- transfers ----------------------------------------------------------------------------------


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


# --- zones --------------------------------------------------------------------------------------


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


# --- follow-ups ---------------------------------------------------------------------------------


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
