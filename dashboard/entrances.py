"""Entrances (出入口) and their guards (值守): open/closed history and 24-hour guard coverage.

An entrance's state at a moment comes from its history (entrance_change); before its first recorded
change it was in the opposite state, and an entrance with no history keeps its current flag. Every
moment an entrance is open must be covered by at least one guard shift at that entrance (duty_shift
with entrance_id); any uncovered stretch of the day is a gap.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard import audit, config, roles, validate
from dashboard.errors import ValidationError
from dashboard.i18n import t
from dashboard.people_roster import shifts_touching
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


@dataclass(frozen=True)
class _History:
    """Every entrance (id, name, road, current flag) and its open/closed changes in time order."""

    entrances: list[tuple[int, str, str, bool]]
    changes: dict[int, list[tuple[dt.datetime, bool]]]

    def before(self, until: dt.datetime) -> dict[int, list[tuple[dt.datetime, bool]]]:
        """The changes earlier than until, per entrance (entrances without one left out)."""
        out: dict[int, list[tuple[dt.datetime, bool]]] = {}
        for eid, own in self.changes.items():
            kept = [c for c in own if c[0] < until]
            if kept:
                out[eid] = kept
        return out

    def first(self) -> dict[int, bool]:
        """The state each entrance's earliest change set."""
        return {eid: own[0][1] for eid, own in self.changes.items()}


def _history(session: Session) -> _History:
    """The entrances and all their changes, read once (a handful of rows)."""
    changes: dict[int, list[tuple[dt.datetime, bool]]] = {}
    for eid, at, is_open in session.execute(
        select(EntranceChange.entrance_id, EntranceChange.at, EntranceChange.is_open).order_by(
            EntranceChange.entrance_id, EntranceChange.at, EntranceChange.id
        )
    ).all():
        changes.setdefault(int(eid), []).append((at, bool(is_open)))
    return _History(_entrances(session), changes)


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


def _open_intervals(history: _History, start: dt.datetime, end: dt.datetime) -> dict[int, list[Interval]]:
    changes, first = history.before(end), history.first()
    out: dict[int, list[Interval]] = {}
    for eid, _name, _road, flag in history.entrances:
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


def open_intervals(session: Session, start: dt.datetime, end: dt.datetime) -> dict[int, list[Interval]]:
    """For every entrance, the stretches of [start, end) during which it was open."""
    return _open_intervals(_history(session), start, end)


STATE_COLUMNS = ["entrance_id", "entrance", "road", "is_open", "since"]


def _state_rows(history: _History, as_of: dt.date) -> list[tuple]:
    """STATE_COLUMNS rows: every entrance at the end of as_of."""
    _, end = day_bounds(as_of)
    changes, first = history.before(end), history.first()
    rows = []
    for eid, name, road, flag in history.entrances:
        own = changes.get(eid, [])
        rows.append((eid, name, road, _state_at(own, first.get(eid), flag, end), own[-1][0] if own else None))
    return rows


def entrance_states(session: Session, as_of: dt.date) -> pd.DataFrame:
    """Every entrance at the end of as_of: entrance_id, entrance, road, is_open, since (last change)."""
    return pd.DataFrame(_state_rows(_history(session), as_of), columns=STATE_COLUMNS)


HISTORY_COLUMNS = ["change_id", "entrance", "at", "is_open", "username"]


def _history_rows(session: Session, as_of: dt.date) -> list[tuple]:
    _, end = day_bounds(as_of)
    return [
        tuple(r)
        for r in session.execute(
            select(EntranceChange.id, Entrance.name, EntranceChange.at, EntranceChange.is_open, User.username)
            .join(Entrance, Entrance.id == EntranceChange.entrance_id)
            .outerjoin(User, User.id == EntranceChange.user_id)
            .where(EntranceChange.at < end)
            .order_by(EntranceChange.at.desc(), EntranceChange.id.desc())
        ).all()
    ]


def entrance_history(session: Session, as_of: dt.date) -> pd.DataFrame:
    """The open/closed changes up to the end of as_of, newest first, with who recorded each."""
    return pd.DataFrame(_history_rows(session, as_of), columns=HISTORY_COLUMNS)


SHIFT_COLUMNS = [
    "shift_id",
    "entrance_id",
    "entrance",
    "person_name",
    "phone",
    "team",
    "starts_at",
    "ends_at",
]


def _shift_rows(session: Session, day: dt.date) -> list[tuple]:
    start, end = day_bounds(day)
    return [
        tuple(r)
        for r in session.execute(
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
            .where(*shifts_touching(start, end))
            .order_by(Entrance.id, DutyShift.starts_at, DutyShift.id)
        ).all()
    ]


def guard_shifts(session: Session, day: dt.date) -> pd.DataFrame:
    """Guard shifts touching day: shift_id, entrance_id, entrance, person_name, phone, team, starts_at, ends_at."""
    return pd.DataFrame(_shift_rows(session, day), columns=SHIFT_COLUMNS)


@dataclass(frozen=True)
class _Day:
    """What a day's coverage figures are made of, each read once: the entrances and their history,
    the guard shifts touching the day (SHIFT_COLUMNS rows), the stretches each entrance was open
    and those a guard covered (merged)."""

    history: _History
    shifts: list[tuple]
    opened: dict[int, list[Interval]]
    covered: dict[int, list[Interval]]


def _day(session: Session, day: dt.date) -> _Day:
    start, end = day_bounds(day)
    history = _history(session)
    shifts = _shift_rows(session, day)
    covered: dict[int, list[Interval]] = {}
    for _sid, eid, _entrance, _name, _phone, _team, s, e in shifts:
        covered.setdefault(int(eid), []).append((max(s, start), min(e, end)))
    return _Day(
        history, shifts, _open_intervals(history, start, end), {k: merge(v) for k, v in covered.items()}
    )


GAP_COLUMNS = ["entrance_id", "entrance", "gap_start", "gap_end", "hours"]
COVERAGE_COLUMNS = ["entrance_id", "entrance", "road", "open_hours", "guarded_hours", "gap_hours", "guards"]


def _gap_rows(d: _Day) -> list[tuple]:
    """GAP_COLUMNS rows: the stretches an open entrance had no guard."""
    names = {eid: name for eid, name, _road, _flag in d.history.entrances}
    return [
        (eid, names[eid], s, e, _hours(s, e))
        for eid, spans in d.opened.items()
        for s, e in subtract(spans, d.covered.get(eid, []))
    ]


def guard_gaps(session: Session, day: dt.date) -> pd.DataFrame:
    """Stretches of day when an open entrance had no guard: entrance_id, entrance, gap_start, gap_end, hours."""
    return pd.DataFrame(_gap_rows(_day(session, day)), columns=GAP_COLUMNS)


def _coverage_rows(d: _Day) -> list[tuple]:
    """COVERAGE_COLUMNS rows: per entrance, hours open, guarded and not, and how many guards."""
    guards: dict[int, set[str]] = {}
    for _sid, eid, _entrance, name, *_rest in d.shifts:
        if name is not None:
            guards.setdefault(eid, set()).add(name)
    rows = []
    for eid, name, road, _flag in d.history.entrances:
        spans = d.opened.get(eid, [])
        open_h = sum(_hours(s, e) for s, e in spans)
        gap_h = sum(_hours(s, e) for s, e in subtract(spans, d.covered.get(eid, [])))
        guarded = round(open_h - gap_h, 2)
        rows.append((eid, name, road, round(open_h, 2), guarded, round(gap_h, 2), len(guards.get(eid, ()))))
    return rows


def guard_coverage(session: Session, day: dt.date) -> pd.DataFrame:
    """Per entrance on day: hours open, hours guarded while open, hours of gap, and the guards on roster."""
    return pd.DataFrame(_coverage_rows(_day(session, day)), columns=COVERAGE_COLUMNS)


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


def _gaps_shown(gaps: list[tuple]) -> pd.DataFrame:
    """GAPS_SHOWN of GAP_COLUMNS rows, the times as MM-DD HH:MM."""
    if not gaps:  # what formatting the times of an empty frame gives
        return pd.DataFrame(columns=GAPS_SHOWN).assign(gap_start=[], gap_end=[])
    return pd.DataFrame(
        [(r[1], r[2].strftime("%m-%d %H:%M"), r[3].strftime("%m-%d %H:%M"), r[4]) for r in gaps],
        columns=GAPS_SHOWN,
    )


def _history_shown(rows: list[tuple], word: dict[bool, str]) -> pd.DataFrame:
    """HISTORY_SHOWN of HISTORY_COLUMNS rows, open or closed in words."""
    if not rows:  # what putting the states of an empty frame in words gives
        return pd.DataFrame(columns=HISTORY_SHOWN).assign(is_open=[])
    return pd.DataFrame([(r[1], r[2], word[bool(r[3])], r[4]) for r in rows], columns=HISTORY_SHOWN)


def entrances_view(session: Session, day: dt.date, lang: str) -> EntrancesView | None:
    """The entrances of a day for the services page (None: there is no entrance)."""
    d = _day(session, day)
    states = _state_rows(d.history, day)
    if not states:
        return None
    gaps = _gap_rows(d)
    word = {True: t("services.ent.open", lang=lang), False: t("services.ent.closed", lang=lang)}
    return EntrancesView(
        open_now=sum(1 for r in states if r[3]),
        # as pandas sums the column (numpy's pairwise sum), to the last bit
        gap_hours=round(float(np.sum(np.array([r[4] for r in gaps], dtype=float))), 2),
        gaps=_gaps_shown(gaps),
        coverage=pd.DataFrame([r[1:] for r in _coverage_rows(d)], columns=COVERAGE_SHOWN),
        states=pd.DataFrame([(r[1], r[2], word[r[3]], r[4]) for r in states], columns=STATES_SHOWN),
        shifts=pd.DataFrame([r[2:] for r in d.shifts], columns=SHIFTS_SHOWN),
        history=_history_shown(_history_rows(session, day), word),
        labels={eid: name for eid, name, _road, _flag in d.history.entrances},
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
