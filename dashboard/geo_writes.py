"""Storing the geometry on its records: a compound's or grid's outline, a building's or entrance's
position, and buildings assigned to a grid — by list, or by drawing the grid around them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard import audit
from dashboard.errors import ValidationError
from dashboard.geo_shapes import clean_point, clean_ring, point_in_polygon
from dashboard.roles import CurrentUser, require
from dashboard.setup_edits import add_grid
from db.models import Building, Compound, Entrance, Grid

# --- reads ----------------------------------------------------------------------------------


def buildings_inside(session: Session, ring: list[list[float]]) -> list[int]:
    """Ids of the placed buildings that lie inside the ring."""
    lons = [p[0] for p in ring]
    lats = [p[1] for p in ring]
    rows = session.execute(
        select(Building.id, Building.lon, Building.lat).where(
            Building.lon.between(min(lons), max(lons)), Building.lat.between(min(lats), max(lats))
        )
    ).all()
    return sorted(bid for bid, lon, lat in rows if point_in_polygon(lon, lat, ring))


# --- writes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Assigned:
    """What drawing a grid did: buildings moved into it, and those already in it."""

    moved: int
    already: int


def set_compound_outline(
    session: Session, user: CurrentUser, compound_id: int, ring: Any, *, now: Any = None
) -> int:
    """Store a compound's outline (WGS-84 ring)."""
    require(user, "setup.edit")
    ring = clean_ring(ring)
    compound = session.get(Compound, compound_id)
    if compound is None:
        raise ValidationError("common.not_found", what=compound_id)
    before = {"polygon": compound.polygon}
    compound.polygon = ring
    audit.record(
        session,
        user,
        "setup.compound_outline",
        "compound",
        compound.id,
        before=before,
        after={"polygon": ring},
    )
    return compound.id


def assign_buildings(
    session: Session, user: CurrentUser, grid_id: int | None, building_ids: list[int], *, now: Any = None
) -> Assigned:
    """Put these buildings into a grid (None: take them out of any grid)."""
    require(user, "setup.edit")
    if grid_id is not None and session.get(Grid, grid_id) is None:
        raise ValidationError("common.not_found", what=grid_id)
    moved = already = 0
    for building in session.scalars(select(Building).where(Building.id.in_(list(building_ids)))):
        if building.grid_id == grid_id:
            already += 1
            continue
        audit.record(
            session,
            user,
            "setup.building_grid",
            "building",
            building.id,
            grid_id=grid_id,
            before={"grid_id": building.grid_id},
            after={"grid_id": grid_id},
        )
        building.grid_id = grid_id
        moved += 1
    return Assigned(moved, already)


def set_grid_outline(
    session: Session, user: CurrentUser, grid_id: int, ring: Any, *, assign: bool = True, now: Any = None
) -> Assigned:
    """Store a grid's outline and (by default) move every placed building inside it into the grid."""
    require(user, "setup.edit")
    ring = clean_ring(ring)
    grid = session.get(Grid, grid_id)
    if grid is None:
        raise ValidationError("common.not_found", what=grid_id)
    before = {"polygon": grid.polygon}
    grid.polygon = ring
    audit.record(
        session,
        user,
        "setup.grid_outline",
        "grid",
        grid.id,
        grid_id=grid.id,
        before=before,
        after={"polygon": ring},
    )
    if not assign:
        return Assigned(0, 0)
    session.flush()
    return assign_buildings(session, user, grid.id, buildings_inside(session, ring))


def draw_new_grid(
    session: Session, user: CurrentUser, number: Any, name: Any, ring: Any, *, now: Any = None
) -> tuple[int, Assigned]:
    """Create a grid from a drawn outline and move the buildings inside it into the grid."""
    grid_id = add_grid(session, user, number, name)
    return grid_id, set_grid_outline(session, user, grid_id, ring)


def place_building(
    session: Session, user: CurrentUser, building_id: int, point: Any, *, now: Any = None
) -> int:
    """Put a building on the map (WGS-84 [lon, lat])."""
    require(user, "setup.edit")
    lon, lat = clean_point(point)
    building = session.get(Building, building_id)
    if building is None:
        raise ValidationError("common.not_found", what=building_id)
    before = {"lon": building.lon, "lat": building.lat}
    building.lon, building.lat = lon, lat
    audit.record(
        session,
        user,
        "setup.building_place",
        "building",
        building.id,
        grid_id=building.grid_id,
        before=before,
        after={"lon": lon, "lat": lat},
    )
    return building.id


def place_entrance(
    session: Session, user: CurrentUser, entrance_id: int, point: Any, *, now: Any = None
) -> int:
    """Put an entrance on the map (WGS-84 [lon, lat])."""
    require(user, "setup.edit")
    lon, lat = clean_point(point)
    entrance = session.get(Entrance, entrance_id)
    if entrance is None:
        raise ValidationError("common.not_found", what=entrance_id)
    before = {"lon": entrance.lon, "lat": entrance.lat}
    entrance.lon, entrance.lat = lon, lat
    audit.record(
        session,
        user,
        "setup.entrance_place",
        "entrance",
        entrance.id,
        before=before,
        after={"lon": lon, "lat": lat},
    )
    return entrance.id
