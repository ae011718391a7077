"""What the map shows, read from the database: `map_data`, `building_locations`, `building_details`.

Every read is a few aggregated Core queries; the zones come from dashboard/zones.py (worked out
once per map, for the buildings and their compounds alike).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Integer, Row, Select, and_, cast, func, select
from sqlalchemy.orm import Session

from dashboard import overview, zones
from db.models import (
    Building,
    Case,
    Compound,
    DisinfectionRecord,
    DutyShift,
    Entrance,
    EntranceChange,
    Grid,
    Household,
    Person,
    Resident,
    SamplingSite,
)


@dataclass
class MapData:
    """What the map shows on one day, at one hour (for the guards on duty)."""

    as_of: dt.date
    moment: dt.datetime
    compounds: pd.DataFrame
    grids: pd.DataFrame
    buildings: pd.DataFrame
    entrances: pd.DataFrame
    sites: pd.DataFrame
    center: tuple[float, float] | None = None  # (lat, lon), WGS-84


def _frame(rows: Sequence[Sequence[Any]], columns: list[str]) -> pd.DataFrame:
    """pd.DataFrame(rows, columns=columns), built column by column (far quicker from SQL rows)."""
    if not rows:
        return pd.DataFrame(rows, columns=columns)
    return pd.DataFrame(
        {name: list(values) for name, values in zip(columns, zip(*rows, strict=True), strict=True)}
    )


def _core_rows(session: Session, stmt: Select) -> Sequence[Row]:
    """The rows of a plain select, without the ORM's work per row (pending changes flushed first,
    as session.execute would)."""
    if session.autoflush:
        session.flush()
    return session.connection().execute(stmt).all()


def moment_of(as_of: dt.date, hour: int | None) -> dt.datetime:
    """The moment the map shows: as_of at the given hour (end of the day when None)."""
    if hour is None:
        return overview.end_of(as_of)
    return dt.datetime.combine(as_of, dt.time(min(max(hour, 0), 23), 30))


def _compounds(session: Session, as_of: dt.date, building_zones: pd.DataFrame) -> pd.DataFrame:
    rows = session.execute(
        select(Compound.id, Compound.name, Compound.kind, Compound.polygon).order_by(Compound.id)
    ).all()
    df = _frame(rows, ["compound_id", "name", "kind", "polygon"])
    cz = zones.compound_zones(session, as_of, building_zones)
    if df.empty:
        return df.assign(zone=pd.Series(dtype=str), steps_down_on=None, sealed_buildings=0)
    df = df.merge(cz, on="compound_id", how="left")
    df["zone"] = df["zone"].fillna("precaution")
    df["sealed_buildings"] = df["sealed_buildings"].fillna(0).astype(int)
    return df


def _grids(session: Session) -> pd.DataFrame:
    rows = session.execute(
        select(Grid.id, Grid.number, Grid.name, Person.name, Grid.polygon)
        .outerjoin(Person, Person.id == Grid.leader_id)
        .order_by(Grid.number)
    ).all()
    return _frame(rows, ["grid_id", "number", "name", "leader", "polygon"])


def _buildings(session: Session, as_of: dt.date, building_zones: pd.DataFrame) -> pd.DataFrame:
    """Every building with its place, households, active cases and zone."""
    rows = _core_rows(
        session,
        select(
            Building.id,
            Building.name,
            Building.compound_id,
            Compound.name,
            Building.grid_id,
            Grid.number,
            Building.lat,
            Building.lon,
        )
        .join(Compound, Compound.id == Building.compound_id)
        .outerjoin(Grid, Grid.id == Building.grid_id)
        .order_by(Building.id),
    )
    households = dict(
        _core_rows(
            session, select(Household.building_id, func.count(Household.id)).group_by(Household.building_id)
        )
    )
    active = dict(
        session.execute(
            select(Household.building_id, func.count(Case.id))
            .join(Resident, Resident.household_id == Household.id)
            .join(Case, Case.resident_id == Resident.id)
            .where(overview.active_case(as_of))
            .group_by(Household.building_id)
        ).all()
    )
    columns = ["building_id", "name", "compound_id", "compound", "grid_id", "grid_number", "lat", "lon"]
    columns += ["households", "active_cases"]
    rows = [(*r, households.get(r[0], 0), active.get(r[0], 0)) for r in rows]
    df = _frame(rows, columns)
    if df.empty or building_zones.empty:
        return df.assign(zone="precaution", steps_down_on=None)
    if df["building_id"].equals(building_zones["building_id"]):  # both list every building, by id
        return df.assign(zone=building_zones["zone"], steps_down_on=building_zones["steps_down_on"])
    return df.merge(
        building_zones[["building_id", "zone", "steps_down_on"]], on="building_id", how="left"
    ).fillna({"zone": "precaution"})


def entrance_states(session: Session, moment: dt.datetime) -> pd.DataFrame:
    """Every entrance at a moment: entrance_id, name, road, lat, lon, is_open, guards (on duty then).

    The state comes from the entrance's history: its latest change at or before the moment; before
    its first change the opposite of that change; with no history at all, its current flag.
    """
    latest = (
        select(EntranceChange.entrance_id, func.max(EntranceChange.at).label("at"))
        .where(EntranceChange.at <= moment)
        .group_by(EntranceChange.entrance_id)
        .subquery()
    )
    first = (
        select(EntranceChange.entrance_id, func.min(EntranceChange.at).label("at"))
        .group_by(EntranceChange.entrance_id)
        .subquery()
    )
    was = EntranceChange.__table__.alias("was")
    first_change = EntranceChange.__table__.alias("first_change")
    rows = session.execute(
        select(
            Entrance.id,
            Entrance.name,
            Entrance.road,
            Entrance.lat,
            Entrance.lon,
            Entrance.is_open,
            func.max(cast(was.c.is_open, Integer)),
            func.max(cast(first_change.c.is_open, Integer)),
        )
        .outerjoin(latest, latest.c.entrance_id == Entrance.id)
        .outerjoin(was, and_(was.c.entrance_id == Entrance.id, was.c.at == latest.c.at))
        .outerjoin(first, first.c.entrance_id == Entrance.id)
        .outerjoin(
            first_change, and_(first_change.c.entrance_id == Entrance.id, first_change.c.at == first.c.at)
        )
        .group_by(Entrance.id, Entrance.name, Entrance.road, Entrance.lat, Entrance.lon, Entrance.is_open)
        .order_by(Entrance.id)
    ).all()
    guards: dict[int, list[str]] = {}
    for entrance_id, name in session.execute(
        select(DutyShift.entrance_id, Person.name)
        .join(Person, Person.id == DutyShift.person_id)
        .where(DutyShift.entrance_id.is_not(None), DutyShift.starts_at <= moment, DutyShift.ends_at > moment)
        .order_by(DutyShift.entrance_id, Person.name)
    ).all():
        guards.setdefault(int(entrance_id), []).append(name)
    out = []
    for eid, name, road, lat, lon, flag, was_open, first_open in rows:
        if was_open is not None:
            is_open = bool(was_open)
        elif first_open is not None:
            is_open = not bool(first_open)
        else:
            is_open = bool(flag)
        out.append(
            {
                "entrance_id": int(eid),
                "name": name,
                "road": road,
                "lat": lat,
                "lon": lon,
                "is_open": is_open,
                "guards": guards.get(int(eid), []),
            }
        )
    return pd.DataFrame(out, columns=["entrance_id", "name", "road", "lat", "lon", "is_open", "guards"])


def _sites(session: Session) -> pd.DataFrame:
    rows = session.execute(
        select(SamplingSite.id, SamplingSite.name, SamplingSite.lat, SamplingSite.lon).order_by(
            SamplingSite.id
        )
    ).all()
    return _frame(rows, ["site_id", "name", "lat", "lon"])


def _center(session: Session, compounds: pd.DataFrame, buildings: pd.DataFrame) -> tuple[float, float] | None:
    lats = [lat for poly in compounds["polygon"] if poly for _, lat in poly]
    lons = [lon for poly in compounds["polygon"] if poly for lon, _ in poly]
    placed = buildings["lat"].notna().tolist()
    lats += [a for a, ok in zip(buildings["lat"].tolist(), placed, strict=True) if ok]
    lons += [o for o, ok in zip(buildings["lon"].tolist(), placed, strict=True) if ok]
    if lats:
        return (min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2
    from dashboard.config import committee

    c = committee(session)
    if c is not None and c.center_lat is not None and c.center_lon is not None:
        return c.center_lat, c.center_lon
    return None


def map_data(session: Session, as_of: dt.date, hour: int | None = None) -> MapData:
    """Everything the map shows as of a day; guards as on duty at `hour` of that day."""
    moment = moment_of(as_of, hour)
    building_zones = zones.building_zones(session, as_of)
    compounds = _compounds(session, as_of, building_zones)
    buildings = _buildings(session, as_of, building_zones)
    return MapData(
        as_of=as_of,
        moment=moment,
        compounds=compounds,
        grids=_grids(session),
        buildings=buildings,
        entrances=entrance_states(session, moment),
        sites=_sites(session),
        center=_center(session, compounds, buildings),
    )


# --- one building ---------------------------------------------------------------------------


def building_locations(session: Session) -> pd.DataFrame:
    """building_id, lat, lon of every placed building (for resolving clicks)."""
    rows = _core_rows(
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
