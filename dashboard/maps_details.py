"""One building on the map: where every building is (to resolve a click) and its details panel."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboard import overview, zones
from dashboard.maps_data import _frame
from db.models import Building, Case, Compound, DisinfectionRecord, Grid, Household, Resident
from db.reads import core_rows


def has_placed_buildings(session: Session) -> bool:
    """True when at least one building has its place (the map has something to show)."""
    stmt = select(Building.id).where(Building.lat.is_not(None), Building.lon.is_not(None)).limit(1)
    return session.scalar(stmt) is not None


def building_locations(session: Session) -> pd.DataFrame:
    """building_id, lat, lon of every placed building (for resolving clicks)."""
    rows = core_rows(
        session,
        select(Building.id, Building.lat, Building.lon).where(
            Building.lat.is_not(None), Building.lon.is_not(None)
        ),
    )
    return _frame(rows, ["building_id", "lat", "lon"])


@dataclass
class BuildingDetails:
    """One building as the details panel shows it (names still unmasked: the page masks them)."""

    building_id: int
    name: str
    compound: str
    grid_id: int | None
    grid_number: int | None
    zone: str
    steps_down_on: dt.date | None
    households: int
    residents: int
    active_cases: int
    cases: pd.DataFrame  # the building's active cases: name, grid_id, found_on, status, severity
    last_disinfection: dt.datetime | None
    batch: str | None  # the current supply batch
    entitled: int
    delivered: int


def building_details(session: Session, building_id: int, as_of: dt.date) -> BuildingDetails | None:
    """The details panel of one building as of a day: counts, active cases, disinfection, delivery."""
    row = session.execute(
        select(Building.id, Building.name, Compound.name, Building.grid_id, Grid.number)
        .join(Compound, Compound.id == Building.compound_id)
        .outerjoin(Grid, Grid.id == Building.grid_id)
        .where(Building.id == building_id)
    ).first()
    if row is None:
        return None
    households, residents = session.execute(
        select(func.count(func.distinct(Household.id)), func.count(Resident.id))
        .select_from(Household)
        .outerjoin(Resident, Resident.household_id == Household.id)
        .where(Household.building_id == building_id)
    ).one()
    cases = pd.DataFrame(
        session.execute(
            select(Resident.name, Case.found_on, Case.status, Case.severity)
            .join(Household, Household.id == Resident.household_id)
            .join(Case, Case.resident_id == Resident.id)
            .where(Household.building_id == building_id, overview.active_case(as_of))
            .order_by(Case.found_on, Case.id)
        ).all(),
        columns=["name", "found_on", "status", "severity"],
    )
    cases.insert(1, "grid_id", row[3])
    end = overview.end_of(as_of)
    last_disinfection = session.scalar(
        select(func.max(DisinfectionRecord.at)).where(
            DisinfectionRecord.building_id == building_id,
            DisinfectionRecord.at <= end,
        )
    )
    zone_rows = zones.building_zones(session, as_of)
    mine = zone_rows[zone_rows["building_id"] == building_id]
    zone = str(mine["zone"].iloc[0]) if not mine.empty else "precaution"
    steps = mine["steps_down_on"].iloc[0] if not mine.empty else None
    supply = overview.batch_coverage_of_building(session, as_of, building_id)
    return BuildingDetails(
        building_id=int(row[0]),
        name=row[1],
        compound=row[2],
        grid_id=row[3],
        grid_number=row[4],
        zone=zone,
        steps_down_on=steps if isinstance(steps, dt.date) else None,
        households=int(households or 0),
        residents=int(residents or 0),
        active_cases=len(cases),
        cases=cases,
        last_disinfection=last_disinfection,
        batch=supply[0],
        entitled=supply[1],
        delivered=supply[2],
    )
