"""What the map shows, read from the database: `map_columns` (plain columns, what the map is drawn
from) and `map_data` (the same as DataFrames), and `entrance_states`.

Each layer is one or two Core queries, aggregated in SQL (the buildings with their households from
the household tally; their latest case and active cases in one statement); the zones follow dashboard/zones.py's rule,
worked out once per map for the buildings and their compounds alike.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

import pandas as pd
from sqlalchemy import Integer, and_, case, cast, func, or_, select
from sqlalchemy.orm import Session

from dashboard import overview, zones
from dashboard.people_roster import shifts_at
from db.models import (
    Building,
    Case,
    Compound,
    DutyShift,
    Entrance,
    EntranceChange,
    Grid,
    Household,
    HouseholdTally,
    Person,
    Resident,
    SamplingSite,
)
from db.reads import core_rows, driver_rows

Columns = dict[str, list[Any]]

COMPOUND_COLUMNS = ["compound_id", "name", "kind", "polygon", "zone", "steps_down_on", "sealed_buildings"]
GRID_COLUMNS = ["grid_id", "number", "name", "leader", "polygon"]
BUILDING_COLUMNS = [
    "building_id", "name", "compound_id", "compound", "grid_id", "grid_number", "lat", "lon",
    "households", "active_cases", "zone", "steps_down_on",
]  # fmt: skip
ENTRANCE_COLUMNS = ["entrance_id", "name", "road", "lat", "lon", "is_open", "guards"]
SITE_COLUMNS = ["site_id", "name", "lat", "lon"]
_OBJECT = ("steps_down_on",)  # date or None: kept as objects


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


@dataclass
class MapColumns:
    """MapData as plain columns (name → values, one list per column), as read from the rows.

    The map is drawn from these: thousands of buildings never go through a DataFrame on their way
    to the page. `frames()` gives the MapData, `of(data)` the columns of one.
    """

    as_of: dt.date
    moment: dt.datetime
    compounds: Columns
    grids: Columns
    buildings: Columns
    entrances: Columns
    sites: Columns
    center: tuple[float, float] | None = None

    @classmethod
    def of(cls, data: MapData | MapColumns) -> MapColumns:
        if isinstance(data, MapColumns):
            return data
        layers = {
            f.name: {name: values.tolist() for name, values in getattr(data, f.name).items()}
            for f in fields(MapData)
            if f.name in _LAYERS
        }
        return cls(as_of=data.as_of, moment=data.moment, center=data.center, **layers)

    def frames(self) -> MapData:
        buildings = _table(self.buildings, BUILDING_COLUMNS)
        if buildings.empty:
            buildings = buildings.assign(zone="precaution", steps_down_on=None)
        compounds = _table(self.compounds, COMPOUND_COLUMNS)
        if compounds.empty:
            compounds = compounds.drop(columns=["zone", "steps_down_on", "sealed_buildings"]).assign(
                zone=pd.Series(dtype=str), steps_down_on=None, sealed_buildings=0
            )
        elif not self.buildings["building_id"]:  # no building gave a zone: all filled in
            compounds["zone"] = compounds["zone"].astype(object)
        return MapData(
            as_of=self.as_of,
            moment=self.moment,
            compounds=compounds,
            grids=_table(self.grids, GRID_COLUMNS),
            buildings=buildings,
            entrances=_table(self.entrances, ENTRANCE_COLUMNS),
            sites=_table(self.sites, SITE_COLUMNS),
            center=self.center,
        )


_LAYERS = ("compounds", "grids", "buildings", "entrances", "sites")


def _table(columns: Columns, names: list[str]) -> pd.DataFrame:
    """The DataFrame of one layer's columns (no rows: every column of object dtype)."""
    if not columns[names[0]]:
        return pd.DataFrame([], columns=names)
    return pd.DataFrame(
        {n: pd.Series(columns[n], dtype=object) if n in _OBJECT else columns[n] for n in names}
    )


def _frame(rows: Sequence[Sequence[Any]], columns: list[str]) -> pd.DataFrame:
    """pd.DataFrame(rows, columns=columns), built column by column (far quicker from SQL rows)."""
    if not rows:
        return pd.DataFrame(rows, columns=columns)
    return pd.DataFrame(_columns(rows, columns))


def _columns(rows: Sequence[Sequence[Any]], names: list[str]) -> Columns:
    """Rows as columns: name → list of values."""
    if not rows:
        return {name: [] for name in names}
    return {name: list(values) for name, values in zip(names, zip(*rows, strict=True), strict=True)}


def moment_of(as_of: dt.date, hour: int | None) -> dt.datetime:
    """The moment the map shows: as_of at the given hour (end of the day when None)."""
    if hour is None:
        return overview.end_of(as_of)
    return dt.datetime.combine(as_of, dt.time(min(max(hour, 0), 23), 30))


# --- the layers -----------------------------------------------------------------------------


def _buildings(
    session: Session, as_of: dt.date, announced: dict[str, dict[int, str]], compounds: Columns, grids: Columns
) -> Columns:
    """Every building with its place, households, active cases and zone (its compound's name and
    its grid's number from those layers' rows)."""
    rows = driver_rows(
        session,
        select(
            Building.id,
            Building.name,
            Building.compound_id,
            Building.grid_id,
            Building.lat,
            Building.lon,
            func.coalesce(HouseholdTally.households, 0),
        )
        .outerjoin(HouseholdTally, HouseholdTally.building_id == Building.id)
        .order_by(Building.id),
    )
    # Per building: the day of its latest case (its zone) and how many of its cases are active.
    # Only the cases that can tell either are read: those found within the zone rule's days (an
    # older latest case leaves the building in precaution, as no case does) and those still
    # active; on a quiet day that is none of the many found weeks before.
    rule = zones.rule_for(session)
    recent = as_of - dt.timedelta(days=max(rule.sealed_days, rule.controlled_days))
    recovered_later = or_(Case.recovered_on.is_(None), Case.recovered_on > as_of)
    cases = {
        building_id: (last_case, active)
        for building_id, last_case, active in core_rows(
            session,
            select(
                Household.building_id, func.max(Case.found_on), func.sum(case((recovered_later, 1), else_=0))
            )
            .join(Resident, Resident.household_id == Household.id)
            .join(Case, Case.resident_id == Resident.id)
            .where(Case.found_on <= as_of, or_(Case.found_on > recent, recovered_later))
            .group_by(Household.building_id),
        )
    }
    out = _columns(rows, ["building_id", "name", "compound_id", "grid_id", "lat", "lon", "households"])
    ids = out["building_id"]
    compound_name = dict(zip(compounds["compound_id"], compounds["name"], strict=True))
    grid_number = dict(zip(grids["grid_id"], grids["number"], strict=True))
    none = (None, 0)
    of = [cases.get(b, none) for b in ids]
    out["compound"] = [compound_name[c] for c in out["compound_id"]]
    out["grid_number"] = [grid_number.get(g) for g in out["grid_id"]]
    out["active_cases"] = [int(c[1]) for c in of]
    out["zone"], out["steps_down_on"] = zones.zoned(
        rule, as_of, ids, [c[0] for c in of], announced["building"]
    )
    return {name: out[name] for name in BUILDING_COLUMNS}


def _compounds(session: Session) -> Columns:
    rows = core_rows(
        session, select(Compound.id, Compound.name, Compound.kind, Compound.polygon).order_by(Compound.id)
    )
    return _columns(rows, COMPOUND_COLUMNS[:4])


def _compound_zones(compounds: Columns, buildings: Columns, announced: dict[str, dict[int, str]]) -> None:
    """Each compound's zone: the strictest of its buildings' (precaution with none)."""
    of = zones.strictest(buildings["compound_id"], buildings["zone"], buildings["steps_down_on"], announced)
    none = ("precaution", math.nan, 0)  # a compound without buildings
    zoned = [of.get(c, none) for c in compounds["compound_id"]]
    compounds["zone"] = [z[0] for z in zoned]
    compounds["steps_down_on"] = [z[1] for z in zoned]
    compounds["sealed_buildings"] = [z[2] for z in zoned]


def _grids(session: Session) -> Columns:
    rows = core_rows(
        session,
        select(Grid.id, Grid.number, Grid.name, Person.name, Grid.polygon)
        .outerjoin(Person, Person.id == Grid.leader_id)
        .order_by(Grid.number),
    )
    return _columns(rows, GRID_COLUMNS)


def _entrances(session: Session, moment: dt.datetime) -> Columns:
    """Every entrance at a moment, with its state then and the guards on duty (see entrance_states)."""
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
    rows = core_rows(
        session,
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
        .order_by(Entrance.id),
    )
    guards: dict[int, list[str]] = {}
    for entrance_id, name in core_rows(
        session,
        select(DutyShift.entrance_id, Person.name)
        .join(Person, Person.id == DutyShift.person_id)
        .where(DutyShift.entrance_id.is_not(None), *shifts_at(moment))
        .order_by(DutyShift.entrance_id, Person.name),
    ):
        guards.setdefault(int(entrance_id), []).append(name)
    out: Columns = {name: [] for name in ENTRANCE_COLUMNS}
    for eid, name, road, lat, lon, flag, was_open, first_open in rows:
        # The latest change at or before the moment; before the first change the opposite of it;
        # with no history at all, the entrance's current flag.
        if was_open is not None:
            is_open = bool(was_open)
        elif first_open is not None:
            is_open = not bool(first_open)
        else:
            is_open = bool(flag)
        for column, value in zip(
            ENTRANCE_COLUMNS,
            (int(eid), name, road, lat, lon, is_open, guards.get(int(eid), [])),
            strict=True,
        ):
            out[column].append(value)
    return out


def entrance_states(session: Session, moment: dt.datetime) -> pd.DataFrame:
    """Every entrance at a moment: entrance_id, name, road, lat, lon, is_open, guards (on duty then).

    The state comes from the entrance's history: its latest change at or before the moment; before
    its first change the opposite of that change; with no history at all, its current flag.
    """
    return _table(_entrances(session, moment), ENTRANCE_COLUMNS)


def _sites(session: Session) -> Columns:
    rows = core_rows(
        session,
        select(SamplingSite.id, SamplingSite.name, SamplingSite.lat, SamplingSite.lon).order_by(
            SamplingSite.id
        ),
    )
    return _columns(rows, SITE_COLUMNS)


def _center(session: Session, compounds: Columns, buildings: Columns) -> tuple[float, float] | None:
    """The middle of every outline point and placed building; else the committee's centre."""
    lats = [lat for poly in compounds["polygon"] if poly for _, lat in poly]
    lons = [lon for poly in compounds["polygon"] if poly for lon, _ in poly]
    placed = [lat is not None for lat in buildings["lat"]]
    lats += [a for a, ok in zip(buildings["lat"], placed, strict=True) if ok]
    lons += [o for o, ok in zip(buildings["lon"], placed, strict=True) if ok]
    if lats:
        return (min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2
    from dashboard.config import committee

    c = committee(session)
    if c is not None and c.center_lat is not None and c.center_lon is not None:
        return c.center_lat, c.center_lon
    return None


def map_columns(session: Session, as_of: dt.date, hour: int | None = None) -> MapColumns:
    """Everything the map shows as of a day, as columns; guards as on duty at `hour` of that day."""
    moment = moment_of(as_of, hour)
    announced = zones.overrides(session, as_of)
    compounds, grids = _compounds(session), _grids(session)
    buildings = _buildings(session, as_of, announced, compounds, grids)
    _compound_zones(compounds, buildings, announced)
    return MapColumns(
        as_of=as_of,
        moment=moment,
        compounds=compounds,
        grids=grids,
        buildings=buildings,
        entrances=_entrances(session, moment),
        sites=_sites(session),
        center=_center(session, compounds, buildings),
    )


def map_data(session: Session, as_of: dt.date, hour: int | None = None) -> MapData:
    """Everything the map shows as of a day; guards as on duty at `hour` of that day."""
    return map_columns(session, as_of, hour).frames()
