"""The situation at a glance, as of a day: the headline figures every page and the brief share."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from dashboard import zones
from db.models import (
    Building,
    Case,
    Compound,
    Entrance,
    EntranceChange,
    Grid,
    Household,
    Person,
    Resident,
    ScreeningRound,
    Transfer,
)


def _end_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(23, 59, 59))


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
    end = _end_of(as_of)
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
    end = _end_of(as_of)
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
