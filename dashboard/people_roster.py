"""The roster (排班): duty shifts, who may edit them, and the pickers of the shift form.

A roster entry is a duty_shift; with an entrance it is a guard shift (see dashboard/entrances.py).
Managers edit every shift; a task user edits the shifts of their own team. A roster is a plan, so a
shift may start up to a week ahead; it may last at most 24 hours. Shifts carry no version column:
an edit names the values the user saw (shift_stamp) and is refused when they changed meanwhile.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from dashboard import audit, config, roles, validate
from dashboard.errors import PermissionDenied, StaleEdit, ValidationError
from dashboard.people_staff import fingerprint, team_names
from db.models import DutyShift, Entrance, Person, Team

PLAN_AHEAD_DAYS = 7
MAX_SHIFT_HOURS = 24


def shift_stamp(s: DutyShift) -> str:
    return fingerprint(s.person_id, s.team_id, s.entrance_id, s.starts_at, s.ends_at, s.task)


SHIFT_COLUMNS = [
    "shift_id",
    "person_id",
    "person_name",
    "phone",
    "kind",
    "team_id",
    "team",
    "entrance_id",
    "entrance",
    "starts_at",
    "ends_at",
    "task",
]


def shift_rows(session: Session, *conditions: object) -> list[Any]:
    """The shifts meeting conditions, as rows of SHIFT_COLUMNS, by start, team and id."""
    return (
        session.connection()
        .execute(
            select(
                DutyShift.id,
                DutyShift.person_id,
                Person.name,
                Person.phone,
                Person.kind,
                DutyShift.team_id,
                Team.name,
                DutyShift.entrance_id,
                Entrance.name,
                DutyShift.starts_at,
                DutyShift.ends_at,
                DutyShift.task,
            )
            .join(Person, Person.id == DutyShift.person_id)
            .outerjoin(Team, Team.id == DutyShift.team_id)
            .outerjoin(Entrance, Entrance.id == DutyShift.entrance_id)
            .where(*conditions)
            .order_by(DutyShift.starts_at, Team.name, DutyShift.id)
        )
        .all()
    )


def shift_frame(rows: list[Any], *, stamps: bool = True) -> pd.DataFrame:
    """shift_rows() as a frame, with each shift's stamp (unless stamps is False: the lists show none),
    made from the row's own values as shift_stamp() makes it from the record (not from the frame's
    columns, whose ids turn to floats when some shift has no entrance: the edit was then refused)."""
    df = pd.DataFrame(
        list(map(tuple, rows)), columns=SHIFT_COLUMNS
    )  # tuples: pandas probes a Row's attributes
    if stamps:
        df["stamp"] = [
            fingerprint(p, tm, e, st, en, tk) for _i, p, _n, _ph, _k, tm, _t, e, _e, st, en, tk in rows
        ]
    for col in ("team_id", "entrance_id"):
        df[col] = df[col].astype("Int64")
    return df


def moments(values: list[dt.datetime]) -> list[str]:
    """Moments as the lists show them (MM-DD HH:MM); shifts share a few start and end times, so
    each distinct one is formatted once."""
    shown: dict[dt.datetime, str] = {}
    return [shown.get(v) or shown.setdefault(v, v.strftime("%m-%d %H:%M")) for v in values]


def shifts_touching(start: dt.datetime, end: dt.datetime) -> list[object]:
    """The conditions of a shift that overlaps [start, end). A shift lasts at most MAX_SHIFT_HOURS
    (the roster's writes refuse longer ones), so it starts after start - MAX_SHIFT_HOURS: that bound
    changes no answer and lets the starts_at index read a day of shifts instead of all before end."""
    earliest = start - dt.timedelta(hours=MAX_SHIFT_HOURS)
    return [DutyShift.starts_at < end, DutyShift.ends_at > start, DutyShift.starts_at >= earliest]


def shifts_at(moment: dt.datetime) -> list[object]:
    """The conditions of a shift under way at moment (started by then, not yet over), bounded as
    shifts_touching is."""
    return [DutyShift.starts_at <= moment, *shifts_touching(moment, moment)[1:]]


def day_conditions(day: dt.date, team_id: int | None = None) -> list[object]:
    """The conditions of the shifts touching a day (optionally one team's)."""
    start = dt.datetime.combine(day, dt.time())
    conditions = shifts_touching(start, start + dt.timedelta(days=1))
    if team_id is not None:
        conditions.append(DutyShift.team_id == team_id)
    return conditions


def moment_conditions(moment: dt.datetime, team_id: int | None = None) -> list[object]:
    """The conditions of the shifts on at a moment: starts_at ≤ moment < ends_at."""
    conditions = shifts_at(moment)
    if team_id is not None:
        conditions.append(DutyShift.team_id == team_id)
    return conditions


def roster(session: Session, day: dt.date, team_id: int | None = None) -> pd.DataFrame:
    """Shifts touching a day (optionally one team's), with who, where, when and the task."""
    return shift_frame(shift_rows(session, *day_conditions(day, team_id)))


def on_duty(session: Session, moment: dt.datetime, team_id: int | None = None) -> pd.DataFrame:
    """Who is on duty at a moment: shifts with starts_at ≤ moment < ends_at."""
    return shift_frame(shift_rows(session, *moment_conditions(moment, team_id)))


def roster_scope(user: roles.CurrentUser) -> tuple[bool, int | None]:
    """Whose roster a user may edit: (any at all, the one team they are confined to or None: every
    team). The write functions check again."""
    if user.is_manager:
        return True, None
    if user.role == "task" and user.team_id is not None:
        return True, user.team_id
    return False, None


def teams_for(session: Session, user: roles.CurrentUser) -> pd.DataFrame:
    """The teams whose roster this user may edit (team_id, team, kind)."""
    may, team_id = roster_scope(user)
    if not may:
        return pd.DataFrame(columns=["team_id", "team", "kind"])
    stmt = select(Team.id, Team.name, Team.kind).order_by(Team.id)
    if team_id is not None:
        stmt = stmt.where(Team.id == team_id)
    rows = session.connection().execute(stmt).all()
    return pd.DataFrame(list(map(tuple, rows)), columns=["team_id", "team", "kind"])


def team_ids(session: Session, team_id: int | None = None) -> list[int]:
    """The teams a roster scope covers: every team (None) or the one that exists of team_id."""
    stmt = select(Team.id).order_by(Team.id)
    if team_id is not None:
        stmt = stmt.where(Team.id == team_id)
    return [int(i) for i in session.connection().scalars(stmt)]


def roster_members(session: Session, teams: list[int]) -> dict[int, str]:
    """The active members of some teams for the roster form: person_id → "name · team"."""
    names = team_names(session)
    rows = (
        session.connection()
        .execute(
            select(Person.id, Person.name, Person.team_id)
            .where(Person.active, Person.team_id.in_(teams))
            .order_by(Person.kind, Person.id)
        )
        .all()
    )
    return {int(i): f"{n} · {names.get(tm, '')}" for i, n, tm in rows}


def guard_labels(session: Session, team_id: int | None, own_team: int | None) -> dict[int, str]:
    """Who may stand guard in the services page's form: the active people of people_list(None,
    team_id) who are guards or in own_team; person_id → name."""
    conditions = [Person.active]
    if team_id is not None:
        conditions.append(Person.team_id == team_id)
    conditions.append(
        Person.kind == "guard"
        if own_team is None
        else or_(Person.kind == "guard", Person.team_id == own_team)
    )
    rows = (
        session.connection()
        .execute(select(Person.id, Person.name).where(*conditions).order_by(Person.kind, Person.id))
        .all()
    )
    return {int(i): n for i, n in rows}


def shift_choices(session: Session, day: dt.date, team_id: int | None, teams: list[int]) -> pd.DataFrame:
    """The shifts of roster(day, team_id) in some teams, for the edit form: shift_id, person_name,
    starts_at, ends_at, task, entrance_id, stamp, and `span` (MM-DD HH:MM–MM-DD HH:MM)."""
    rows = shift_rows(session, *day_conditions(day, team_id))
    df = shift_frame(rows)
    if rows:
        allowed = set(teams)
        kept = [r.team_id in allowed for r in rows]
        df = df[kept]
        rows = [r for r, keep in zip(rows, kept, strict=True) if keep]
    df = df[["shift_id", "person_name", "starts_at", "ends_at", "task", "entrance_id", "stamp"]]
    when = moments([t for r in rows for t in (r.starts_at, r.ends_at)])
    return df.assign(span=[f"{when[2 * k]}–{when[2 * k + 1]}" for k in range(len(rows))])


def entrance_choices(session: Session) -> pd.DataFrame:
    """Entrances for the guard-shift picker (entrance_id, entrance, is_open)."""
    rows = (
        session.connection()
        .execute(select(Entrance.id, Entrance.name, Entrance.is_open).order_by(Entrance.id))
        .all()
    )
    return pd.DataFrame(list(map(tuple, rows)), columns=["entrance_id", "entrance", "is_open"])


def entrance_names(session: Session) -> dict[int, str]:
    """Every entrance for the guard-shift picker: entrance_id → name."""
    df = entrance_choices(session)
    return dict(zip(df["entrance_id"].astype(int), df["entrance"], strict=True))


# --- writes -----------------------------------------------------------------------------------


def _check_times(starts_at: object, ends_at: object, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    horizon = now + dt.timedelta(days=PLAN_AHEAD_DAYS)
    starts_at = validate.moment(starts_at, now=horizon)
    ends_at = validate.moment(ends_at, now=horizon + dt.timedelta(hours=MAX_SHIFT_HOURS))
    if ends_at <= starts_at:
        raise ValidationError("people.shift_order")
    if ends_at - starts_at > dt.timedelta(hours=MAX_SHIFT_HOURS):
        raise ValidationError("people.shift_too_long", hours=MAX_SHIFT_HOURS)
    return starts_at, ends_at


def _check_shift(
    session: Session,
    starts_at: object,
    ends_at: object,
    entrance_id: int | None,
    task: object,
    now: dt.datetime,
) -> tuple[dt.datetime, dt.datetime, str]:
    """A shift's times, entrance and task as a new or edited shift may have them."""
    starts_at, ends_at = _check_times(starts_at, ends_at, now)
    task = validate.text(task, "people.task", max_len=100, required=False)
    if entrance_id is not None and session.get(Entrance, entrance_id) is None:
        raise ValidationError("common.not_found", what=f"entrance {entrance_id}")
    return starts_at, ends_at, task


def _require_roster(user: roles.CurrentUser, team_id: int | None) -> None:
    if user.role == "task" and team_id is None:
        raise PermissionDenied("auth.denied_team")
    roles.require(user, "services.roster", team_id=team_id)


def do_add_shift(
    session: Session,
    user: roles.CurrentUser,
    person_id: int,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    *,
    entrance_id: int | None = None,
    task: str = "",
    now: dt.datetime | None = None,
) -> DutyShift:
    """Put a person on the roster (at an entrance: a guard shift); the shift takes the person's team."""
    now = now or config.now(session)
    person = session.get(Person, person_id)
    if person is None:
        raise ValidationError("common.not_found", what=f"person {person_id}")
    _require_roster(user, person.team_id)
    if not person.active:
        raise ValidationError("people.inactive")
    starts_at, ends_at, task = _check_shift(session, starts_at, ends_at, entrance_id, task, now)
    row = DutyShift(
        person_id=person_id,
        team_id=person.team_id,
        entrance_id=entrance_id,
        starts_at=starts_at,
        ends_at=ends_at,
        task=task,
    )
    session.add(row)
    session.flush()
    audit.record(
        session, user, "services.roster.add", "duty_shift", row.id, after=audit.snapshot(row), at=now
    )
    return row


def do_edit_shift(
    session: Session,
    user: roles.CurrentUser,
    shift_id: int,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    *,
    stamp: str,
    entrance_id: int | None = None,
    task: str = "",
    now: dt.datetime | None = None,
) -> DutyShift:
    """Change a shift's times, entrance or task; refused when someone changed it since it was shown."""
    now = now or config.now(session)
    row = session.get(DutyShift, shift_id)
    if row is None:
        raise ValidationError("common.not_found", what=f"shift {shift_id}")
    _require_roster(user, row.team_id)
    if shift_stamp(row) != stamp:
        raise StaleEdit("common.stale")
    starts_at, ends_at, task = _check_shift(session, starts_at, ends_at, entrance_id, task, now)
    before = audit.snapshot(row)
    row.starts_at, row.ends_at, row.entrance_id, row.task = starts_at, ends_at, entrance_id, task
    session.flush()
    audit.record(
        session,
        user,
        "services.roster.edit",
        "duty_shift",
        row.id,
        before=before,
        after=audit.snapshot(row),
        at=now,
    )
    return row


def do_delete_shift(
    session: Session, user: roles.CurrentUser, shift_id: int, *, stamp: str, now: dt.datetime | None = None
) -> int:
    """Take a shift off the roster; refused when someone changed it since it was shown."""
    now = now or config.now(session)
    row = session.get(DutyShift, shift_id)
    if row is None:
        raise ValidationError("common.not_found", what=f"shift {shift_id}")
    _require_roster(user, row.team_id)
    if shift_stamp(row) != stamp:
        raise StaleEdit("common.stale")
    before = audit.snapshot(row)
    session.delete(row)
    session.flush()
    audit.record(session, user, "services.roster.delete", "duty_shift", shift_id, before=before, at=now)
    return shift_id
