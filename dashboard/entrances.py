"""Entrances (出入口) and their guards (值守): open/closed history and 24-hour guard coverage.

An entrance's state at a moment comes from its history (entrance_change); before its first recorded
change it was in the opposite state, and an entrance with no history keeps its current flag. Every
moment an entrance is open must be covered by at least one guard shift at that entrance (duty_shift
with entrance_id); any uncovered stretch of the day is a gap.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard import audit, config, roles, validate
from dashboard.errors import ValidationError
from dashboard.i18n import t
from db.models import DutyShift, Entrance, EntranceChange, Person, Team, User

Interval = tuple[dt.datetime, dt.datetime]


def day_bounds(day: dt.date) -> Interval:
    """[00:00 of day, 00:00 of the next day)."""
    start = dt.datetime.combine(day, dt.time())
    return start, start + dt.timedelta(days=1)


def merge(intervals: list[Interval]) -> list[Interval]:
    """The union of intervals as sorted, non-overlapping intervals (touching ones joined)."""
    out: list[Interval] = []
    for s, e in sorted(i for i in intervals if i[1] > i[0]):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def subtract(base: list[Interval], cover: list[Interval]) -> list[Interval]:
    """The parts of base that cover does not reach."""
    cover = merge(cover)
    out: list[Interval] = []
    for s, e in merge(base):
        cursor = s
        for cs, ce in cover:
            if ce <= cursor or cs >= e:
                continue
            if cs > cursor:
                out.append((cursor, cs))
            cursor = max(cursor, ce)
            if cursor >= e:
                break
        if cursor < e:
            out.append((cursor, e))
    return out


def _hours(s: dt.datetime, e: dt.datetime) -> float:
    return round((e - s).total_seconds() / 3600, 2)


def _entrances(session: Session) -> list[tuple[int, str, str, bool]]:
    return [
        (i, n, r, bool(o))
        for i, n, r, o in session.execute(
            select(Entrance.id, Entrance.name, Entrance.road, Entrance.is_open).order_by(Entrance.id)
        ).all()
    ]


def _changes(session: Session, until: dt.datetime) -> dict[int, list[tuple[dt.datetime, bool]]]:
    out: dict[int, list[tuple[dt.datetime, bool]]] = {}
    for eid, at, is_open in session.execute(
        select(EntranceChange.entrance_id, EntranceChange.at, EntranceChange.is_open)
        .where(EntranceChange.at < until)
        .order_by(EntranceChange.entrance_id, EntranceChange.at, EntranceChange.id)
    ).all():
        out.setdefault(int(eid), []).append((at, bool(is_open)))
    return out


def _state_at(
    changes: list[tuple[dt.datetime, bool]], first: bool | None, flag: bool, moment: dt.datetime
) -> bool:
    """The state at moment from the changes before it; before the first change, its opposite."""
    state = (not first) if first is not None else flag
    for at, is_open in changes:
        if at > moment:
            break
        state = is_open
    return state


def _first_changes(session: Session) -> dict[int, bool]:
    out: dict[int, bool] = {}
    for eid, is_open in session.execute(
        select(EntranceChange.entrance_id, EntranceChange.is_open).order_by(
            EntranceChange.entrance_id, EntranceChange.at.desc(), EntranceChange.id.desc()
        )
    ).all():
        out[int(eid)] = bool(is_open)  # the last assignment per entrance is its earliest change
    return out


def open_intervals(session: Session, start: dt.datetime, end: dt.datetime) -> dict[int, list[Interval]]:
    """For every entrance, the stretches of [start, end) during which it was open."""
    changes = _changes(session, end)
    first = _first_changes(session)
    out: dict[int, list[Interval]] = {}
    for eid, _name, _road, flag in _entrances(session):
        own = changes.get(eid, [])
        state = _state_at(own, first.get(eid), flag, start)
        cursor, spans = start, []
        for at, is_open in own:
            if at <= start:
                continue
            if state and not is_open:
                spans.append((cursor, at))
            if not state and is_open:
                cursor = at
            state = is_open
        if state:
            spans.append((cursor, end))
        out[eid] = merge(spans)
    return out


def entrance_states(session: Session, as_of: dt.date) -> pd.DataFrame:
    """Every entrance at the end of as_of: entrance_id, entrance, road, is_open, since (last change)."""
    _, end = day_bounds(as_of)
    changes = _changes(session, end)
    first = _first_changes(session)
    rows = []
    for eid, name, road, flag in _entrances(session):
        own = changes.get(eid, [])
        state = _state_at(own, first.get(eid), flag, end)
        rows.append(
            {
                "entrance_id": eid,
                "entrance": name,
                "road": road,
                "is_open": state,
                "since": own[-1][0] if own else None,
            }
        )
    return pd.DataFrame(rows, columns=["entrance_id", "entrance", "road", "is_open", "since"])


def entrance_history(session: Session, as_of: dt.date) -> pd.DataFrame:
    """The open/closed changes up to the end of as_of, newest first, with who recorded each."""
    _, end = day_bounds(as_of)
    rows = session.execute(
        select(EntranceChange.id, Entrance.name, EntranceChange.at, EntranceChange.is_open, User.username)
        .join(Entrance, Entrance.id == EntranceChange.entrance_id)
        .outerjoin(User, User.id == EntranceChange.user_id)
        .where(EntranceChange.at < end)
        .order_by(EntranceChange.at.desc(), EntranceChange.id.desc())
    ).all()
    return pd.DataFrame(rows, columns=["change_id", "entrance", "at", "is_open", "username"])


def guard_shifts(session: Session, day: dt.date) -> pd.DataFrame:
    """Guard shifts touching day: shift_id, entrance_id, entrance, person_name, phone, team, starts_at, ends_at."""
    start, end = day_bounds(day)
    rows = session.execute(
        select(
            DutyShift.id,
            DutyShift.entrance_id,
            Entrance.name,
            Person.name,
            Person.phone,
            Team.name,
            DutyShift.starts_at,
            DutyShift.ends_at,
        )
        .join(Entrance, Entrance.id == DutyShift.entrance_id)
        .join(Person, Person.id == DutyShift.person_id)
        .outerjoin(Team, Team.id == DutyShift.team_id)
        .where(DutyShift.starts_at < end, DutyShift.ends_at > start)
        .order_by(Entrance.id, DutyShift.starts_at, DutyShift.id)
    ).all()
    return pd.DataFrame(
        rows,
        columns=[
            "shift_id",
            "entrance_id",
            "entrance",
            "person_name",
            "phone",
            "team",
            "starts_at",
            "ends_at",
        ],
    )


def _coverage(session: Session, day: dt.date) -> tuple[dict[int, list[Interval]], dict[int, list[Interval]]]:
    start, end = day_bounds(day)
    opened = open_intervals(session, start, end)
    covered: dict[int, list[Interval]] = {}
    for eid, s, e in session.execute(
        select(DutyShift.entrance_id, DutyShift.starts_at, DutyShift.ends_at).where(
            DutyShift.entrance_id.is_not(None), DutyShift.starts_at < end, DutyShift.ends_at > start
        )
    ).all():
        covered.setdefault(int(eid), []).append((max(s, start), min(e, end)))
    return opened, {k: merge(v) for k, v in covered.items()}


def guard_gaps(session: Session, day: dt.date) -> pd.DataFrame:
    """Stretches of day when an open entrance had no guard: entrance_id, entrance, gap_start, gap_end, hours."""
    opened, covered = _coverage(session, day)
    names = {eid: name for eid, name, _road, _flag in _entrances(session)}
    rows = []
    for eid, spans in opened.items():
        for s, e in subtract(spans, covered.get(eid, [])):
            rows.append(
                {
                    "entrance_id": eid,
                    "entrance": names[eid],
                    "gap_start": s,
                    "gap_end": e,
                    "hours": _hours(s, e),
                }
            )
    return pd.DataFrame(rows, columns=["entrance_id", "entrance", "gap_start", "gap_end", "hours"])


def guard_coverage(session: Session, day: dt.date) -> pd.DataFrame:
    """Per entrance on day: hours open, hours guarded while open, hours of gap, and the guards on roster."""
    opened, covered = _coverage(session, day)
    guards = guard_shifts(session, day).groupby("entrance_id")["person_name"].nunique().to_dict()
    rows = []
    for eid, name, road, _flag in _entrances(session):
        spans = opened.get(eid, [])
        open_h = sum(_hours(s, e) for s, e in spans)
        gap_h = sum(_hours(s, e) for s, e in subtract(spans, covered.get(eid, [])))
        rows.append(
            {
                "entrance_id": eid,
                "entrance": name,
                "road": road,
                "open_hours": round(open_h, 2),
                "guarded_hours": round(open_h - gap_h, 2),
                "gap_hours": round(gap_h, 2),
                "guards": int(guards.get(eid, 0)),
            }
        )
    return pd.DataFrame(
        rows,
        columns=["entrance_id", "entrance", "road", "open_hours", "guarded_hours", "gap_hours", "guards"],
    )


# --- reads as the services page shows them ---------------------------------------------------

GAPS_SHOWN = ["entrance", "gap_start", "gap_end", "hours"]
COVERAGE_SHOWN = ["entrance", "road", "open_hours", "guarded_hours", "gap_hours", "guards"]
STATES_SHOWN = ["entrance", "road", "is_open", "since"]
SHIFTS_SHOWN = ["entrance", "person_name", "phone", "team", "starts_at", "ends_at"]
HISTORY_SHOWN = ["entrance", "at", "is_open", "username"]


@dataclass(frozen=True)
class EntrancesView:
    """A day's entrances and guards as the services page shows them: the figures, the unguarded
    stretches (times as MM-DD HH:MM), coverage, states and history (open/closed in words), the guard
    shifts (mask names and phones per user), and the entrances for the forms (id → name)."""

    open_now: int
    gap_hours: float
    gaps: pd.DataFrame = field(repr=False)
    coverage: pd.DataFrame = field(repr=False)
    states: pd.DataFrame = field(repr=False)
    shifts: pd.DataFrame = field(repr=False)
    history: pd.DataFrame = field(repr=False)
    labels: dict[int, str] = field(repr=False, default_factory=dict)


def entrances_view(session: Session, day: dt.date, lang: str) -> EntrancesView | None:
    """The entrances of a day for the services page (None: there is no entrance)."""
    states = entrance_states(session, day)
    if states.empty:
        return None
    gaps = guard_gaps(session, day)
    history = entrance_history(session, day)
    opened, closed = t("services.ent.open", lang=lang), t("services.ent.closed", lang=lang)
    return EntrancesView(
        open_now=int(states["is_open"].sum()),
        gap_hours=round(float(gaps["hours"].sum()), 2),
        gaps=gaps.assign(
            gap_start=[v.strftime("%m-%d %H:%M") for v in gaps["gap_start"]],
            gap_end=[v.strftime("%m-%d %H:%M") for v in gaps["gap_end"]],
        )[GAPS_SHOWN],
        coverage=guard_coverage(session, day)[COVERAGE_SHOWN],
        states=states.assign(is_open=[opened if v else closed for v in states["is_open"]])[STATES_SHOWN],
        shifts=guard_shifts(session, day)[SHIFTS_SHOWN],
        history=history.assign(is_open=[opened if v else closed for v in history["is_open"]])[HISTORY_SHOWN],
        labels=dict(zip(states["entrance_id"].astype(int), states["entrance"], strict=True)),
    )


# --- writes -----------------------------------------------------------------------------------


def do_set_entrance(
    session: Session,
    user: roles.CurrentUser,
    entrance_id: int,
    is_open: bool,
    *,
    at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> EntranceChange:
    """Open or close an entrance at a moment (managers only); the history only grows forward."""
    roles.require(user, "services.entrance")
    now = now or config.now(session)
    entrance = session.get(Entrance, entrance_id)
    if entrance is None:
        raise ValidationError("common.not_found", what=f"entrance {entrance_id}")
    latest = session.execute(
        select(EntranceChange.at, EntranceChange.is_open)
        .where(EntranceChange.entrance_id == entrance_id)
        .order_by(EntranceChange.at.desc(), EntranceChange.id.desc())
        .limit(1)
    ).first()
    moment = validate.moment(at or now, now=now, not_before=latest[0] if latest else None)
    current = bool(latest[1]) if latest else bool(entrance.is_open)
    if current == bool(is_open):
        raise ValidationError("services.ent.already_open" if is_open else "services.ent.already_closed")
    before = audit.snapshot(entrance)
    change = EntranceChange(entrance_id=entrance_id, at=moment, is_open=bool(is_open), user_id=user.id)
    entrance.is_open = bool(is_open)
    session.add(change)
    session.flush()
    audit.record(
        session,
        user,
        "services.entrance.open" if is_open else "services.entrance.close",
        "entrance",
        entrance_id,
        before=before,
        after={**(audit.snapshot(entrance) or {}), "at": moment},
        at=now,
    )
    return change
