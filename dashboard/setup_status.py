"""Where the set-up stands: the checklist of what is done and still missing, and the reads that
show it — grid sizes, the buildings with their grid and position, the set-up map's layers and
centre, the number a new grid gets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboard import config
from db.models import (
    Building,
    Compound,
    Entrance,
    Grid,
    Household,
    Person,
    Resident,
    Team,
    User,
)

# --- the checklist --------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One item of the set-up checklist: done or not, and how many things are missing."""

    key: str
    done: bool
    missing_key: str
    count: int = 0
    required: bool = True

    @property
    def label_key(self) -> str:
        return f"setup.check.{self.key}"


def _n(session: Session, stmt: Any) -> int:
    return int(session.scalar(stmt) or 0)


def readiness(session: Session) -> list[Step]:
    """What is done and what is still missing before the committee can start, in set-up order."""
    committee = config.committee(session)
    compounds = _n(session, select(func.count()).select_from(Compound))
    buildings = _n(session, select(func.count()).select_from(Building))
    households = _n(session, select(func.count()).select_from(Household))
    residents = _n(session, select(func.count()).select_from(Resident))
    grids = _n(session, select(func.count()).select_from(Grid))
    unassigned = _n(session, select(func.count()).select_from(Building).where(Building.grid_id.is_(None)))
    unplaced = _n(session, select(func.count()).select_from(Building).where(Building.lat.is_(None)))
    leaderless = _n(session, select(func.count()).select_from(Grid).where(Grid.leader_id.is_(None)))
    entrances = _n(session, select(func.count()).select_from(Entrance))
    staff = _n(
        session,
        select(func.count()).select_from(Person).where(Person.active, Person.kind == "committee_staff"),
    )
    teams = _n(session, select(func.count()).select_from(Team))
    with_account = select(User.grid_id).where(
        User.role == "grid_leader", User.active, User.grid_id.is_not(None)
    )
    no_account = _n(session, select(func.count()).select_from(Grid).where(Grid.id.not_in(with_account)))
    # A step that depends on an earlier one names the earlier one while that is missing.
    no_buildings = "" if buildings else "setup.missing.buildings"
    no_grids = "" if grids else "setup.missing.grids"
    return [
        Step("committee", committee is not None and bool(committee.name), "setup.missing.committee"),
        Step("compounds", compounds > 0, "setup.missing.compounds", compounds),
        Step("buildings", buildings > 0, "setup.missing.buildings", buildings),
        Step("households", households > 0, "setup.missing.households", households),
        Step("residents", residents > 0, "setup.missing.residents", residents),
        Step("grids", grids > 0, "setup.missing.grids", grids),
        Step(
            "assigned",
            buildings > 0 and unassigned == 0,
            no_buildings or "setup.missing.assigned",
            unassigned,
        ),
        Step(
            "placed",
            buildings > 0 and unplaced == 0,
            no_buildings or "setup.missing.placed",
            unplaced,
            required=False,
        ),
        Step("leaders", grids > 0 and leaderless == 0, no_grids or "setup.missing.leaders", leaderless),
        Step("entrances", entrances > 0, "setup.missing.entrances", entrances),
        Step("staff", staff > 0, "setup.missing.staff", staff),
        Step("teams", teams > 0, "setup.missing.teams", teams, required=False),
        Step("accounts", grids > 0 and no_account == 0, no_grids or "setup.missing.accounts", no_account),
    ]


def is_ready(session: Session) -> bool:
    """True when every required step is done."""
    return all(s.done for s in readiness(session) if s.required)


# --- reads for the page ---------------------------------------------------------------------


def next_grid_number(session: Session) -> int:
    """The number a new grid gets by default."""
    return _n(session, select(func.max(Grid.number))) + 1


def grid_sizes(session: Session) -> pd.DataFrame:
    """Buildings, households and residents per grid (and the unassigned), to balance the grids."""
    residents = (
        select(Household.building_id, func.count(Resident.id).label("n"))
        .join(Resident, Resident.household_id == Household.id)
        .group_by(Household.building_id)
        .subquery()
    )
    households = (
        select(Household.building_id, func.count(Household.id).label("n"))
        .group_by(Household.building_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Building.grid_id,
            func.count(Building.id),
            func.coalesce(func.sum(households.c.n), 0),
            func.coalesce(func.sum(residents.c.n), 0),
        )
        .outerjoin(households, households.c.building_id == Building.id)
        .outerjoin(residents, residents.c.building_id == Building.id)
        .group_by(Building.grid_id)
    ).all()
    counts = {gid: (int(b), int(h), int(r)) for gid, b, h, r in rows}
    grids = session.execute(select(Grid.id, Grid.number, Grid.name).order_by(Grid.number)).all()
    data = [
        {
            "grid_id": gid,
            "number": number,
            "grid": name,
            **dict(zip(("buildings", "households", "residents"), counts.get(gid, (0, 0, 0)), strict=True)),
        }
        for gid, number, name in grids
    ]
    if None in counts:
        b, h, r = counts[None]
        data.append(
            {"grid_id": None, "number": None, "grid": "", "buildings": b, "households": h, "residents": r}
        )
    return pd.DataFrame(data, columns=["grid_id", "number", "grid", "buildings", "households", "residents"])


def buildings_list(session: Session) -> pd.DataFrame:
    """Every building with its compound, grid, position and household count (for assigning by list)."""
    households = (
        select(Household.building_id, func.count(Household.id).label("n"))
        .group_by(Household.building_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Building.id,
            Compound.name,
            Building.name,
            Building.grid_id,
            Grid.number,
            Building.lon,
            Building.lat,
            func.coalesce(households.c.n, 0),
        )
        .join(Compound, Compound.id == Building.compound_id)
        .outerjoin(Grid, Grid.id == Building.grid_id)
        .outerjoin(households, households.c.building_id == Building.id)
        .order_by(Compound.name, Building.id)
    ).all()
    return pd.DataFrame(
        rows, columns=["id", "compound", "building", "grid_id", "grid_number", "lon", "lat", "households"]
    )
