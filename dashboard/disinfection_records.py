"""Recording a disinfection round (消杀记录): a building, a sampling site or a route, by whom and
with what. Re-exported by dashboard/disinfection.py (the entry module).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard import audit, config, roles, validate
from dashboard.errors import PermissionDenied, ValidationError
from db.models import (
    DISINFECTION_TARGETS,
    Building,
    DisinfectionRecord,
    DisinfectionRoute,
    Person,
    SamplingSite,
    Team,
)


def _target_grid(session: Session, kind: str, target_id: int) -> int | None:
    model = {"building": Building, "site": SamplingSite, "route": DisinfectionRoute}[kind]
    row = session.get(model, target_id)
    if row is None:
        raise ValidationError("common.not_found", what=f"{kind} {target_id}")
    return getattr(row, "grid_id", None)


def do_record_disinfection(
    session: Session,
    user: roles.CurrentUser,
    target_kind: str,
    target_id: int,
    at: dt.datetime,
    agent: str,
    *,
    team_id: int | None = None,
    person_id: int | None = None,
    now: dt.datetime | None = None,
) -> DisinfectionRecord:
    """Record one disinfection round of a building, a sampling site or a route."""
    now = now or config.now(session)
    kind = validate.choice(target_kind, DISINFECTION_TARGETS, "services.dis.target_kind")
    at = validate.moment(at, now=now)
    agent = validate.text(agent, "services.dis.agent", max_len=60)
    grid_id = _target_grid(session, kind, target_id)
    if user.role == "task" and team_id is None:
        team_id = user.team_id
    roles.require(user, "services.disinfection", grid_id=grid_id, team_id=team_id)
    if team_id is not None:
        team_kind = session.scalar(select(Team.kind).where(Team.id == team_id))
        if team_kind != "disinfection":
            if user.role == "task":
                raise PermissionDenied("auth.denied_team")
            raise ValidationError("services.dis.not_a_team")
    if person_id is not None:
        person = session.get(Person, person_id)
        if person is None:
            raise ValidationError("common.not_found", what=f"person {person_id}")
        if user.role == "task" and person.team_id != user.team_id:
            raise PermissionDenied("auth.denied_team")
    row = DisinfectionRecord(
        date=at.date(),
        at=at,
        target_kind=kind,
        building_id=target_id if kind == "building" else None,
        site_id=target_id if kind == "site" else None,
        route_id=target_id if kind == "route" else None,
        agent=agent,
        team_id=team_id,
        person_id=person_id,
        user_id=user.id,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        user,
        "services.disinfection.record",
        "disinfection_record",
        row.id,
        grid_id=grid_id,
        after=audit.snapshot(row),
        at=now,
    )
    return row
