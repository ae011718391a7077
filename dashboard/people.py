"""People and teams (人员与队伍): who works for the committee, in which team and grid, and the roster.

A roster entry is a duty_shift; with an entrance it is a guard shift (see dashboard/entrances.py).
Managers edit every shift; a task user edits the shifts of their own team. A roster is a plan, so a
shift may start up to a week ahead; it may last at most 24 hours. Shifts and people carry no version
column: an edit names the values the user saw (`stamp`) and is refused when they changed meanwhile.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import pandas as pd
from sqlalchemy import Row, func, or_, select
from sqlalchemy.orm import Session

from dashboard import audit, config, privacy, roles, validate
from dashboard.config import now_on  # noqa: F401 - people.now_on, as the pages call it
from dashboard.errors import PermissionDenied, StaleEdit, ValidationError
from dashboard.i18n import code, coded
from db.models import CADRE_LEVELS, PERSON_KINDS, VOLUNTEER_KINDS, DutyShift, Entrance, Grid, Person, Team

PLAN_AHEAD_DAYS = 7
MAX_SHIFT_HOURS = 24
PERSON_COLUMNS = [
    "person_id",
    "name",
    "phone",
    "kind",
    "cadre_level",
    "volunteer_kind",
    "organisation",
    "team_id",
    "team",
    "staff_grid_id",
    "grid",
    "active",
    "stamp",
]


def _stamp(*values: object) -> str:
    """A short fingerprint of the values a form showed (the optimistic lock of unversioned rows)."""
    return hashlib.sha256("|".join(str(v) for v in values).encode()).hexdigest()[:16]


def person_stamp(p: Person | Row) -> str:
    """The stamp of a person (an ORM row or a row with the same attributes)."""
    return _stamp(p.name, p.phone, p.kind, p.cadre_level, p.volunteer_kind, p.team_id, p.grid_id, p.active)


def shift_stamp(s: DutyShift) -> str:
    return _stamp(s.person_id, s.team_id, s.entrance_id, s.starts_at, s.ends_at, s.task)


# --- reads ------------------------------------------------------------------------------------


def people_list(
    session: Session, kind: str | None = None, team_id: int | None = None, grid_id: int | None = None
) -> pd.DataFrame:
    """The committee's people with their kind, team and grid (staff_grid_id: the grid they serve)."""
    conditions = []
    if kind:
        conditions.append(Person.kind == kind)
    if team_id is not None:
        conditions.append(Person.team_id == team_id)
    if grid_id is not None:
        conditions.append(Person.grid_id == grid_id)
    people = session.execute(
        select(
            Person.id,
            Person.name,
            Person.phone,
            Person.kind,
            Person.cadre_level,
            Person.volunteer_kind,
            Person.organisation,
            Person.team_id,
            Person.grid_id,
            Person.active,
        )
        .where(*conditions)
        .order_by(Person.kind, Person.id)
    ).all()
    teams = dict(session.execute(select(Team.id, Team.name)).all())
    grids = dict(session.execute(select(Grid.id, Grid.number)).all())
    rows = [
        [
            p.id,
            p.name,
            p.phone,
            p.kind,
            p.cadre_level,
            p.volunteer_kind,
            p.organisation,
            p.team_id,
            teams.get(p.team_id, ""),
            p.grid_id,
            grids.get(p.grid_id),
            bool(p.active),
            person_stamp(p),
        ]
        for p in people
    ]
    df = pd.DataFrame(rows, columns=PERSON_COLUMNS)
    df["grid"] = df["grid"].astype("Int64")
    return df


def people_counts(session: Session) -> dict[str, int]:
    """Active people by kind, plus cadres by level and volunteers by kind ('cadre.city', 'volunteer.young')."""
    out = {k: 0 for k in PERSON_KINDS}
    for kind, n in session.execute(
        select(Person.kind, func.count()).where(Person.active).group_by(Person.kind)
    ).all():
        out[kind] = int(n)
    for level, n in session.execute(
        select(Person.cadre_level, func.count())
        .where(Person.active, Person.kind == "cadre")
        .group_by(Person.cadre_level)
    ).all():
        out[f"cadre.{level}"] = int(n)
    for vkind, n in session.execute(
        select(Person.volunteer_kind, func.count())
        .where(Person.active, Person.kind == "volunteer")
        .group_by(Person.volunteer_kind)
    ).all():
        out[f"volunteer.{vkind}"] = int(n)
    return out


def teams_overview(session: Session) -> pd.DataFrame:
    """Every team: team_id, team, kind, lead (person_name), members (active)."""
    members = (
        select(Person.team_id, func.count().label("members"))
        .where(Person.active)
        .group_by(Person.team_id)
        .subquery()
    )
    rows = session.execute(
        select(Team.id, Team.name, Team.kind, Person.name, func.coalesce(members.c.members, 0))
        .outerjoin(Person, Person.id == Team.lead_id)
        .outerjoin(members, members.c.team_id == Team.id)
        .order_by(Team.id)
    ).all()
    return pd.DataFrame(rows, columns=["team_id", "team", "kind", "person_name", "members"])


def grid_assignment(session: Session) -> pd.DataFrame:
    """Per grid: its leader and how many people serve it, by kind (committee staff, cadres, volunteers)."""
    rows = session.execute(
        select(Person.grid_id, Person.kind, func.count())
        .where(Person.active, Person.grid_id.is_not(None))
        .group_by(Person.grid_id, Person.kind)
    ).all()
    counts: dict[int, dict[str, int]] = {}
    for g, kind, n in rows:
        counts.setdefault(int(g), {})[kind] = int(n)
    grids = session.execute(
        select(Grid.id, Grid.number, Grid.name, Person.name)
        .outerjoin(Person, Person.id == Grid.leader_id)
        .order_by(Grid.number)
    ).all()
    out = []
    for gid, number, name, leader in grids:
        c = counts.get(int(gid), {})
        out.append(
            {
                "grid_id": gid,
                "grid": number,
                "grid_name": name,
                "person_name": leader or "",
                "committee_staff": c.get("committee_staff", 0),
                "cadre": c.get("cadre", 0),
                "volunteer": c.get("volunteer", 0),
                "total": sum(c.values()),
            }
        )
    columns = [
        "grid_id",
        "grid",
        "grid_name",
        "person_name",
        "committee_staff",
        "cadre",
        "volunteer",
        "total",
    ]
    return pd.DataFrame(out, columns=columns)


def _shift_rows(session: Session, *conditions: object) -> pd.DataFrame:
    rows = session.execute(
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
    ).all()
    columns = [
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
    df = pd.DataFrame(rows, columns=columns)
    df["stamp"] = [
        _stamp(p, tm, e, s, en, tk)
        for p, tm, e, s, en, tk in zip(
            df["person_id"],
            df["team_id"],
            df["entrance_id"],
            df["starts_at"],
            df["ends_at"],
            df["task"],
            strict=True,
        )
    ]
    for col in ("team_id", "entrance_id"):
        df[col] = df[col].astype("Int64")
    return df


def roster(session: Session, day: dt.date, team_id: int | None = None) -> pd.DataFrame:
    """Shifts touching a day (optionally one team's), with who, where, when and the task."""
    start = dt.datetime.combine(day, dt.time())
    end = start + dt.timedelta(days=1)
    conditions = [DutyShift.starts_at < end, DutyShift.ends_at > start]
    if team_id is not None:
        conditions.append(DutyShift.team_id == team_id)
    return _shift_rows(session, *conditions)


def on_duty(session: Session, moment: dt.datetime, team_id: int | None = None) -> pd.DataFrame:
    """Who is on duty at a moment: shifts with starts_at ≤ moment < ends_at."""
    conditions = [DutyShift.starts_at <= moment, DutyShift.ends_at > moment]
    if team_id is not None:
        conditions.append(DutyShift.team_id == team_id)
    return _shift_rows(session, *conditions)


def duty_moment(session: Session, as_of: dt.date, at: dt.time | None = None) -> dt.datetime:
    """The moment 'who is on duty' looks at: now on today, else the chosen time (noon) of as_of."""
    today = config.today(session)
    if at is None and as_of == today:
        return config.now(session)
    return dt.datetime.combine(as_of, at or dt.time(12, 0))


def mask_staff(df: pd.DataFrame, user: roles.CurrentUser, *, meeting: bool = False) -> pd.DataFrame:
    """Staff lists: names and phones in full for managers and grid leaders, phones masked for task
    users, names masked and phones hidden for viewers, both hidden in meeting mode."""
    out = df.copy()
    names = [c for c in privacy.NAME_COLUMNS if c in out.columns]
    phones = [c for c in privacy.PHONE_COLUMNS if c in out.columns]
    if meeting or user.role == "meeting":
        return out.drop(columns=names + phones)
    if user.role == "viewer":
        for c in names:
            out[c] = out[c].map(privacy.mask_name)
        return out.drop(columns=phones)
    if user.role == "task":
        for c in phones:
            out[c] = out[c].map(privacy.mask_phone)
    return out


def team_kind(session: Session, team_id: int | None) -> str | None:
    """The kind of a team (transport, disinfection, medicine, guard ...), None without a team."""
    if team_id is None:
        return None
    return session.scalar(select(Team.kind).where(Team.id == team_id))


def teams_for(session: Session, user: roles.CurrentUser) -> pd.DataFrame:
    """The teams whose roster this user may edit (team_id, team, kind)."""
    may, team_id = roster_scope(user)
    if not may:
        return pd.DataFrame(columns=["team_id", "team", "kind"])
    stmt = select(Team.id, Team.name, Team.kind).order_by(Team.id)
    if team_id is not None:
        stmt = stmt.where(Team.id == team_id)
    return pd.DataFrame(session.execute(stmt).all(), columns=["team_id", "team", "kind"])


def entrance_choices(session: Session) -> pd.DataFrame:
    """Entrances for the guard-shift picker (entrance_id, entrance, is_open)."""
    rows = session.execute(select(Entrance.id, Entrance.name, Entrance.is_open).order_by(Entrance.id)).all()
    return pd.DataFrame(rows, columns=["entrance_id", "entrance", "is_open"])


# --- reads as the pages show them --------------------------------------------------------------
# The people and services pages rerun on every click: these read once through the shared cache
# (ui.cached), the stored codes already in words of `lang`. None depends on who asks: the pages
# mask names and phones per user (mask_staff) after the call.

PEOPLE_SHOWN = [
    "name", "phone", "kind", "cadre_level", "volunteer_kind", "organisation", "team", "grid", "active",
]  # fmt: skip
ROSTER_SHOWN = ["person_name", "phone", "team", "entrance", "starts_at", "ends_at", "task"]
ON_DUTY_SHOWN = ["person_name", "phone", "kind", "team", "entrance", "starts_at", "ends_at", "task"]
PERSON_CODES = {"kind": "person_kind", "cadre_level": "cadre_level", "volunteer_kind": "volunteer_kind"}


def _times(df: pd.DataFrame) -> pd.DataFrame:
    """Shift times as the lists show them (MM-DD HH:MM), no entrance as ''."""
    return df.assign(
        starts_at=[v.strftime("%m-%d %H:%M") for v in df["starts_at"]],
        ends_at=[v.strftime("%m-%d %H:%M") for v in df["ends_at"]],
        entrance=df["entrance"].fillna(""),
    )


def people_table(session: Session, kind: str | None, team_id: int | None, lang: str) -> pd.DataFrame:
    """people_list() as the people page lists it: its columns, kinds and levels in words."""
    return coded(people_list(session, kind, team_id)[PEOPLE_SHOWN], PERSON_CODES, lang)


def team_names(session: Session) -> dict[int, str]:
    """Every team for a picker: team_id → name, in teams_overview()'s order."""
    return {int(i): n for i, n in session.execute(select(Team.id, Team.name).order_by(Team.id)).all()}


def grid_names(session: Session) -> dict[int, str]:
    """Every grid for a picker: grid_id → its number, in grid_assignment()'s order."""
    return {
        int(i): str(n) for i, n in session.execute(select(Grid.id, Grid.number).order_by(Grid.number)).all()
    }


def teams_table(session: Session, lang: str) -> pd.DataFrame:
    """teams_overview() with each team's kind in words."""
    return coded(teams_overview(session), {"kind": "team_kind"}, lang)


def person_labels(session: Session, lang: str) -> dict[int, str]:
    """Everyone for a manager's picker: person_id → "name · kind", in people_list()'s order."""
    rows = session.execute(select(Person.id, Person.name, Person.kind).order_by(Person.kind, Person.id)).all()
    return {int(i): f"{n} · {code('person_kind', k, lang)}" for i, n, k in rows}


def person_record(session: Session, person_id: int) -> dict[str, object] | None:
    """What the assignment form shows of a person: team_id, staff_grid_id, phone, active, stamp."""
    p = session.get(Person, person_id)
    if p is None:
        return None
    return {
        "team_id": p.team_id,
        "staff_grid_id": p.grid_id,
        "phone": p.phone,
        "active": bool(p.active),
        "stamp": person_stamp(p),
    }


def roster_table(session: Session, day: dt.date, team_id: int | None = None) -> pd.DataFrame:
    """roster() as the lists show it (times as MM-DD HH:MM)."""
    return _times(roster(session, day, team_id))[ROSTER_SHOWN]


def roster_scope(user: roles.CurrentUser) -> tuple[bool, int | None]:
    """Whose roster a user may edit: (any at all, the one team they are confined to or None: every
    team). The write functions check again."""
    if user.is_manager:
        return True, None
    if user.role == "task" and user.team_id is not None:
        return True, user.team_id
    return False, None


def team_ids(session: Session, team_id: int | None = None) -> list[int]:
    """The teams a roster scope covers: every team (None) or the one that exists of team_id."""
    stmt = select(Team.id).order_by(Team.id)
    if team_id is not None:
        stmt = stmt.where(Team.id == team_id)
    return [int(i) for i in session.scalars(stmt)]


def roster_members(session: Session, teams: list[int]) -> dict[int, str]:
    """The active members of some teams for the roster form: person_id → "name · team"."""
    names = team_names(session)
    rows = session.execute(
        select(Person.id, Person.name, Person.team_id)
        .where(Person.active, Person.team_id.in_(teams))
        .order_by(Person.kind, Person.id)
    ).all()
    return {int(i): f"{n} · {names.get(tm, '')}" for i, n, tm in rows}


def member_names(session: Session, team_id: int) -> dict[int, str]:
    """The active members of a team for a picker: person_id → name, in people_list()'s order."""
    rows = session.execute(
        select(Person.id, Person.name)
        .where(Person.active, Person.team_id == team_id)
        .order_by(Person.kind, Person.id)
    ).all()
    return {int(i): n for i, n in rows}


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
    rows = session.execute(
        select(Person.id, Person.name).where(*conditions).order_by(Person.kind, Person.id)
    ).all()
    return {int(i): n for i, n in rows}


def shift_choices(session: Session, day: dt.date, team_id: int | None, teams: list[int]) -> pd.DataFrame:
    """The shifts of roster(day, team_id) in some teams, for the edit form: shift_id, person_name,
    starts_at, ends_at, task, entrance_id, stamp, and `span` (MM-DD HH:MM–MM-DD HH:MM)."""
    df = roster(session, day, team_id)
    df = df[df["team_id"].isin(teams)] if not df.empty else df
    df = df[["shift_id", "person_name", "starts_at", "ends_at", "task", "entrance_id", "stamp"]]
    return df.assign(
        span=[f"{s:%m-%d %H:%M}–{e:%m-%d %H:%M}" for s, e in zip(df["starts_at"], df["ends_at"], strict=True)]
    )


def entrance_names(session: Session) -> dict[int, str]:
    """Every entrance for the guard-shift picker: entrance_id → name."""
    df = entrance_choices(session)
    return dict(zip(df["entrance_id"].astype(int), df["entrance"], strict=True))


def on_duty_table(session: Session, as_of: dt.date, at: str, lang: str) -> tuple[dt.datetime, pd.DataFrame]:
    """Who is on duty at a time of a day (at: HH:MM[:SS]) as the people page lists them: the moment
    and the list (times as MM-DD HH:MM, kinds in words)."""
    moment = duty_moment(session, as_of, dt.time.fromisoformat(at))
    duty = coded(_times(on_duty(session, moment)), {"kind": "person_kind"}, lang)
    return moment, duty[ON_DUTY_SHOWN]


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


def do_add_person(
    session: Session,
    user: roles.CurrentUser,
    name: str,
    kind: str,
    *,
    phone: str = "",
    cadre_level: str | None = None,
    volunteer_kind: str | None = None,
    organisation: str = "",
    team_id: int | None = None,
    grid_id: int | None = None,
    now: dt.datetime | None = None,
) -> Person:
    """Add someone who works for the committee (managers)."""
    roles.require(user, "people.edit")
    now = now or config.now(session)
    name = validate.text(name, "common.name", max_len=60)
    kind = validate.choice(kind, PERSON_KINDS, "people.kind")
    phone = validate.phone(phone)
    organisation = validate.text(organisation, "people.organisation", max_len=100, required=False)
    cadre_level = (
        validate.choice(cadre_level, CADRE_LEVELS, "people.cadre_level") if kind == "cadre" else None
    )
    volunteer_kind = (
        validate.choice(volunteer_kind, VOLUNTEER_KINDS, "people.volunteer_kind")
        if kind == "volunteer"
        else None
    )
    _check_links(session, team_id, grid_id)
    row = Person(
        name=name,
        kind=kind,
        phone=phone,
        cadre_level=cadre_level,
        volunteer_kind=volunteer_kind,
        organisation=organisation,
        team_id=team_id,
        grid_id=grid_id,
        active=True,
    )
    session.add(row)
    session.flush()
    audit.record(
        session, user, "people.add", "person", row.id, grid_id=grid_id, after=audit.snapshot(row), at=now
    )
    return row


def _check_links(session: Session, team_id: int | None, grid_id: int | None) -> None:
    if team_id is not None and session.get(Team, team_id) is None:
        raise ValidationError("common.not_found", what=f"team {team_id}")
    if grid_id is not None and session.get(Grid, grid_id) is None:
        raise ValidationError("common.not_found", what=f"grid {grid_id}")


def do_assign_person(
    session: Session,
    user: roles.CurrentUser,
    person_id: int,
    *,
    stamp: str,
    team_id: int | None,
    grid_id: int | None,
    phone: str,
    active: bool,
    now: dt.datetime | None = None,
) -> Person:
    """Change a person's team, grid, phone or active flag (managers); refused when changed meanwhile."""
    roles.require(user, "people.edit")
    now = now or config.now(session)
    row = session.get(Person, person_id)
    if row is None:
        raise ValidationError("common.not_found", what=f"person {person_id}")
    if person_stamp(row) != stamp:
        raise StaleEdit("common.stale")
    phone = validate.phone(phone)
    _check_links(session, team_id, grid_id)
    before = audit.snapshot(row)
    row.team_id, row.grid_id, row.phone, row.active = team_id, grid_id, phone, bool(active)
    session.flush()
    audit.record(
        session,
        user,
        "people.assign",
        "person",
        row.id,
        grid_id=grid_id,
        before=before,
        after=audit.snapshot(row),
        at=now,
    )
    return row
