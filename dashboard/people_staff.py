"""People and teams (人员与队伍): who works for the committee, in which team and grid.

Managers add people and change their team, grid, phone or active flag. People carry no version
column: an edit names the values the user saw (person_stamp, a fingerprint of them) and is refused
when they changed meanwhile. The roster of their shifts is in people_roster.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import pandas as pd
from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from dashboard import audit, config, roles, validate
from dashboard.errors import StaleEdit, ValidationError
from db.models import CADRE_LEVELS, PERSON_KINDS, VOLUNTEER_KINDS, Grid, Person, Team

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


def fingerprint(*values: object) -> str:
    """A short fingerprint of the values a form showed (the optimistic lock of unversioned rows)."""
    return hashlib.sha256("|".join(str(v) for v in values).encode()).hexdigest()[:16]


def person_stamp(p: Person | Row) -> str:
    """The stamp of a person (an ORM row or a row with the same attributes)."""
    return fingerprint(
        p.name, p.phone, p.kind, p.cadre_level, p.volunteer_kind, p.team_id, p.grid_id, p.active
    )


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
    people = (
        session.connection()
        .execute(
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
        )
        .all()
    )
    teams = dict(session.connection().execute(select(Team.id, Team.name)).all())
    grids = dict(session.connection().execute(select(Grid.id, Grid.number)).all())
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
    for kind, n in (
        session.connection()
        .execute(select(Person.kind, func.count()).where(Person.active).group_by(Person.kind))
        .all()
    ):
        out[kind] = int(n)
    for level, n in (
        session.connection()
        .execute(
            select(Person.cadre_level, func.count())
            .where(Person.active, Person.kind == "cadre")
            .group_by(Person.cadre_level)
        )
        .all()
    ):
        out[f"cadre.{level}"] = int(n)
    for vkind, n in (
        session.connection()
        .execute(
            select(Person.volunteer_kind, func.count())
            .where(Person.active, Person.kind == "volunteer")
            .group_by(Person.volunteer_kind)
        )
        .all()
    ):
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
    rows = (
        session.connection()
        .execute(
            select(Team.id, Team.name, Team.kind, Person.name, func.coalesce(members.c.members, 0))
            .outerjoin(Person, Person.id == Team.lead_id)
            .outerjoin(members, members.c.team_id == Team.id)
            .order_by(Team.id)
        )
        .all()
    )
    return pd.DataFrame(list(map(tuple, rows)), columns=["team_id", "team", "kind", "person_name", "members"])


def grid_assignment(session: Session) -> pd.DataFrame:
    """Per grid: its leader and how many people serve it, by kind (committee staff, cadres, volunteers)."""
    rows = (
        session.connection()
        .execute(
            select(Person.grid_id, Person.kind, func.count())
            .where(Person.active, Person.grid_id.is_not(None))
            .group_by(Person.grid_id, Person.kind)
        )
        .all()
    )
    counts: dict[int, dict[str, int]] = {}
    for g, kind, n in rows:
        counts.setdefault(int(g), {})[kind] = int(n)
    grids = (
        session.connection()
        .execute(
            select(Grid.id, Grid.number, Grid.name, Person.name)
            .outerjoin(Person, Person.id == Grid.leader_id)
            .order_by(Grid.number)
        )
        .all()
    )
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


def team_kind(session: Session, team_id: int | None) -> str | None:
    """The kind of a team (transport, disinfection, medicine, guard ...), None without a team."""
    if team_id is None:
        return None
    return session.connection().scalar(select(Team.kind).where(Team.id == team_id))


def team_names(session: Session) -> dict[int, str]:
    """Every team for a picker: team_id → name, in teams_overview()'s order."""
    return {
        int(i): n for i, n in session.connection().execute(select(Team.id, Team.name).order_by(Team.id)).all()
    }


def grid_names(session: Session) -> dict[int, str]:
    """Every grid for a picker: grid_id → its number, in grid_assignment()'s order."""
    return {
        int(i): str(n)
        for i, n in session.connection().execute(select(Grid.id, Grid.number).order_by(Grid.number)).all()
    }


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


def member_names(session: Session, team_id: int) -> dict[int, str]:
    """The active members of a team for a picker: person_id → name, in people_list()'s order."""
    rows = (
        session.connection()
        .execute(
            select(Person.id, Person.name)
            .where(Person.active, Person.team_id == team_id)
            .order_by(Person.kind, Person.id)
        )
        .all()
    )
    return {int(i): n for i, n in rows}


# --- writes -----------------------------------------------------------------------------------


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
