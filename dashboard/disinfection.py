"""Disinfection (消杀): each day's required targets, computed from the data, against the team's records.

Required on a day: every sealed building (dashboard/zones), every building where a close contact
under control that day lives (identified on or before the day, not released by then), every sampling
site used by a screening round that day, and every active residents' route. A target is done when it
has at least `disinfection_rounds_min` records that day (sealed buildings) or one (the others); more
than `disinfection_rounds_max` rounds is flagged too (the 1–2 rounds a day rule).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import func, null, or_, select
from sqlalchemy.orm import Session

from dashboard import audit, config, roles, validate, zones
from dashboard.errors import PermissionDenied, ValidationError
from dashboard.i18n import code, t
from db.models import (
    DISINFECTION_TARGETS,
    Building,
    Compound,
    Contact,
    DisinfectionRecord,
    DisinfectionRoute,
    Grid,
    Household,
    Person,
    Resident,
    RoundSite,
    SamplingSite,
    ScreeningRound,
    Team,
)

TARGET_COLUMNS = ["target_kind", "target_id", "target", "grid_id", "grid", "reason", "rounds_needed"]
# The order a reader scans the list in: the most dangerous places first.
REASON_ORDER = {"sealed": 0, "close_contact": 1, "site": 2, "route": 3}


def _building_names(session: Session, ids: list[int]) -> dict[int, tuple[str, int | None, int | None]]:
    if not ids:
        return {}
    rows = session.execute(
        select(Building.id, Compound.name, Building.name, Building.grid_id, Grid.number)
        .join(Compound, Compound.id == Building.compound_id)
        .outerjoin(Grid, Grid.id == Building.grid_id)
        .where(Building.id.in_(ids))
    ).all()
    return {b: (f"{c} {n}", g, num) for b, c, n, g, num in rows}


def close_contact_buildings(session: Session, day: dt.date) -> list[int]:
    """Buildings where a close contact lives who is under control on day (identified, not released)."""
    rows = session.scalars(
        select(Household.building_id)
        .join(Resident, Resident.household_id == Household.id)
        .join(Contact, Contact.resident_id == Resident.id)
        .where(
            Contact.kind == "close",
            Contact.identified_on <= day,
            or_(Contact.released_on.is_(None), Contact.released_on > day),
        )
        .distinct()
    ).all()
    return sorted(int(b) for b in rows)


def required_targets(session: Session, day: dt.date, buildings: pd.DataFrame | None = None) -> pd.DataFrame:
    """The day's required targets: target_kind, target_id, target, grid_id, grid, reason, rounds_needed.

    `buildings` is zones.building_zones(session, day) when the caller already has it."""
    rounds_min = config.int_rule(session, "disinfection_rounds_min")
    b = zones.building_zones(session, day) if buildings is None else buildings
    sealed = [int(i) for i in b.loc[b["zone"] == "sealed", "building_id"]] if not b.empty else []
    contact = [i for i in close_contact_buildings(session, day) if i not in set(sealed)]
    names = _building_names(session, sealed + contact)
    out: list[dict[str, object]] = []
    for ids, reason, needed in ((sealed, "sealed", rounds_min), (contact, "close_contact", 1)):
        for i in ids:
            name, grid_id, grid = names[i]
            out.append(
                {
                    "target_kind": "building",
                    "target_id": i,
                    "target": name,
                    "grid_id": grid_id,
                    "grid": grid,
                    "reason": reason,
                    "rounds_needed": max(1, needed),
                }
            )
    sites = session.execute(
        select(SamplingSite.id, SamplingSite.name, SamplingSite.grid_id, Grid.number)
        .join(RoundSite, RoundSite.site_id == SamplingSite.id)
        .join(ScreeningRound, ScreeningRound.id == RoundSite.round_id)
        .outerjoin(Grid, Grid.id == SamplingSite.grid_id)
        .where(ScreeningRound.date == day)
        .distinct()
        .order_by(SamplingSite.id)
    ).all()
    for i, name, grid_id, grid in sites:
        out.append(
            {
                "target_kind": "site",
                "target_id": i,
                "target": name,
                "grid_id": grid_id,
                "grid": grid,
                "reason": "site",
                "rounds_needed": 1,
            }
        )
    for i, name in session.execute(
        select(DisinfectionRoute.id, DisinfectionRoute.name)
        .where(DisinfectionRoute.active)
        .order_by(DisinfectionRoute.id)
    ).all():
        out.append(
            {
                "target_kind": "route",
                "target_id": i,
                "target": name,
                "grid_id": None,
                "grid": None,
                "reason": "route",
                "rounds_needed": 1,
            }
        )
    df = pd.DataFrame(out, columns=TARGET_COLUMNS)
    df["grid_id"] = df["grid_id"].astype("Int64")
    df["grid"] = df["grid"].astype("Int64")
    return df


def records_of_day(session: Session, day: dt.date, grid_id: int | None = None) -> pd.DataFrame:
    """The day's disinfection records with their target's name, team and who did it."""
    site = SamplingSite.__table__.alias("s")
    route = DisinfectionRoute.__table__.alias("r")
    conditions = [DisinfectionRecord.date == day]
    if grid_id is not None:
        conditions.append(func.coalesce(Building.grid_id, site.c.grid_id) == grid_id)
    rows = session.execute(
        select(
            DisinfectionRecord.id,
            DisinfectionRecord.at,
            DisinfectionRecord.target_kind,
            func.coalesce(
                DisinfectionRecord.building_id, DisinfectionRecord.site_id, DisinfectionRecord.route_id
            ),
            Compound.name,
            Building.name,
            site.c.name,
            route.c.name,
            func.coalesce(Building.grid_id, site.c.grid_id),
            DisinfectionRecord.agent,
            Team.name,
            Person.name,
        )
        .outerjoin(Building, Building.id == DisinfectionRecord.building_id)
        .outerjoin(Compound, Compound.id == Building.compound_id)
        .outerjoin(site, site.c.id == DisinfectionRecord.site_id)
        .outerjoin(route, route.c.id == DisinfectionRecord.route_id)
        .outerjoin(Team, Team.id == DisinfectionRecord.team_id)
        .outerjoin(Person, Person.id == DisinfectionRecord.person_id)
        .where(*conditions)
        .order_by(DisinfectionRecord.at, DisinfectionRecord.id)
    ).all()
    out = []
    for rid, at, kind, target_id, compound, building, site_name, route_name, g, agent, team, person in rows:
        name = (
            f"{compound} {building}" if kind == "building" else (site_name if kind == "site" else route_name)
        )
        out.append([rid, at, kind, target_id, name or "", g, agent, team or "", person or ""])
    return pd.DataFrame(
        out,
        columns=[
            "record_id",
            "at",
            "target_kind",
            "target_id",
            "target",
            "grid_id",
            "agent",
            "team",
            "person_name",
        ],
    )


@dataclass(frozen=True)
class DisinfectionStatus:
    """Done / required on a day, what is still missing, and targets above the daily maximum."""

    day: dt.date
    required: int
    done: int
    targets: pd.DataFrame = field(repr=False)
    missing: pd.DataFrame = field(repr=False)
    over_max: pd.DataFrame = field(repr=False)
    rounds_min: int = 1
    rounds_max: int = 2
    records: int = 0

    @property
    def all_done(self) -> bool:
        return self.required == self.done


def disinfection_status(
    session: Session, day: dt.date, buildings: pd.DataFrame | None = None
) -> DisinfectionStatus:
    """The day's required targets against the records: done, missing, and rounds above the maximum
    (`buildings`: zones.building_zones(session, day) when the caller already has it)."""
    rounds_min = config.int_rule(session, "disinfection_rounds_min")
    rounds_max = config.int_rule(session, "disinfection_rounds_max")
    targets = required_targets(session, day, buildings)
    counts = {
        (kind, int(tid)): int(n)
        for kind, tid, n in session.execute(
            select(
                DisinfectionRecord.target_kind,
                func.coalesce(
                    DisinfectionRecord.building_id, DisinfectionRecord.site_id, DisinfectionRecord.route_id
                ),
                func.count(),
            )
            .where(DisinfectionRecord.date == day)
            .group_by(
                DisinfectionRecord.target_kind,
                DisinfectionRecord.building_id,
                DisinfectionRecord.site_id,
                DisinfectionRecord.route_id,
            )
        ).all()
        if tid is not None
    }
    targets["rounds"] = [
        counts.get((k, int(i)), 0) for k, i in zip(targets["target_kind"], targets["target_id"], strict=True)
    ]
    targets["done"] = targets["rounds"] >= targets["rounds_needed"]
    targets["rank"] = targets["reason"].map(REASON_ORDER)
    targets = (
        targets.sort_values(["done", "rank", "grid", "target"]).drop(columns="rank").reset_index(drop=True)
    )
    missing = targets[~targets["done"]].reset_index(drop=True)
    over = targets[targets["rounds"] > rounds_max].reset_index(drop=True)
    return DisinfectionStatus(
        day=day,
        required=len(targets),
        done=int(targets["done"].sum()),
        targets=targets,
        missing=missing,
        over_max=over,
        rounds_min=rounds_min,
        rounds_max=rounds_max,
        records=int(sum(counts.values())),
    )


def target_choices(session: Session, kind: str, grid_id: int | None = None) -> pd.DataFrame:
    """Everything of a kind that can be disinfected (target_id, target, grid_id), for the form's picker."""
    if kind == "building":
        stmt = (
            select(Building.id, Compound.name + " " + Building.name, Building.grid_id)
            .join(Compound, Compound.id == Building.compound_id)
            .order_by(Compound.name, Building.id)
        )
        if grid_id is not None:
            stmt = stmt.where(Building.grid_id == grid_id)
    elif kind == "site":
        stmt = select(SamplingSite.id, SamplingSite.name, SamplingSite.grid_id).order_by(SamplingSite.id)
        if grid_id is not None:
            stmt = stmt.where(SamplingSite.grid_id == grid_id)
    else:
        if grid_id is not None:
            return pd.DataFrame(columns=["target_id", "target", "grid_id"])
        stmt = select(DisinfectionRoute.id, DisinfectionRoute.name, null()).where(DisinfectionRoute.active)
    return pd.DataFrame(session.execute(stmt).all(), columns=["target_id", "target", "grid_id"])


def disinfection_teams(session: Session) -> pd.DataFrame:
    """Teams that disinfect (team_id, name)."""
    rows = session.execute(
        select(Team.id, Team.name).where(Team.kind == "disinfection").order_by(Team.id)
    ).all()
    return pd.DataFrame(rows, columns=["team_id", "name"])


# --- reads as the services page shows them ---------------------------------------------------

TARGETS_SHOWN = ["grid", "target_kind", "target", "reason", "rounds_needed", "rounds"]
RECORDS_SHOWN = ["target_kind", "target", "at", "agent", "team", "person_name"]


@dataclass(frozen=True)
class DisinfectionView:
    """disinfection_status() and the day's records as the services page lists them: the targets
    still undone, those above the maximum and all of them (TARGETS_SHOWN), the records
    (RECORDS_SHOWN: mask person_name per user); target kinds and reasons in words."""

    required: int
    done: int
    rounds_min: int
    rounds_max: int
    missing: pd.DataFrame = field(repr=False)
    over_max: pd.DataFrame = field(repr=False)
    targets: pd.DataFrame = field(repr=False)
    records: pd.DataFrame = field(repr=False)

    @property
    def all_done(self) -> bool:
        return self.required == self.done


def _in_words(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    out = df.assign(target_kind=[code("disinfection_target", v, lang) for v in df["target_kind"]])
    if "reason" in out.columns:
        out["reason"] = [t(f"services.dis.reason.{v}", lang=lang) for v in out["reason"]]
    return out


def disinfection_view(session: Session, day: dt.date, lang: str) -> DisinfectionView:
    """The day's disinfection as the services page shows it (whoever asks)."""
    status = disinfection_status(session, day)
    return DisinfectionView(
        required=status.required,
        done=status.done,
        rounds_min=status.rounds_min,
        rounds_max=status.rounds_max,
        missing=_in_words(status.missing, lang)[TARGETS_SHOWN],
        over_max=_in_words(status.over_max, lang)[TARGETS_SHOWN],
        targets=_in_words(status.targets, lang)[TARGETS_SHOWN],
        records=_in_words(records_of_day(session, day), lang)[RECORDS_SHOWN],
    )


def target_options(
    session: Session, kind: str, grid_id: int | None, today: dt.date, lang: str
) -> tuple[list[int], dict[int, str]]:
    """The form's choice of targets of a kind: today's undone ones first (marked so), then the rest
    by id; and their labels."""
    choices = target_choices(session, kind, grid_id)
    missing = disinfection_status(session, today).missing
    wanted = {int(i) for i in missing.loc[missing["target_kind"] == kind, "target_id"]}
    names = dict(zip(choices["target_id"].astype(int), choices["target"], strict=True))
    ordered = sorted(names, key=lambda i: (i not in wanted, i))
    first = " " + t("services.dis.required_first", lang=lang)
    return ordered, {i: names[i] + (first if i in wanted else "") for i in ordered}


def target_labels(session: Session, kind: str, grid_id: int | None = None) -> dict[int, str]:
    """target_choices() for a picker: target_id → name, in its order."""
    df = target_choices(session, kind, grid_id)
    return dict(zip(df["target_id"].astype(int), df["target"], strict=True))


def team_labels(session: Session) -> dict[int, str]:
    """The disinfection teams for a picker: team_id → name."""
    df = disinfection_teams(session)
    return dict(zip(df["team_id"].astype(int), df["name"], strict=True))


# --- writes -----------------------------------------------------------------------------------


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
