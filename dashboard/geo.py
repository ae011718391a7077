"""Geometry of the committee's area: outlines and points, GeoJSON/KML files, drawings from the map,
the GCJ-02 shift of Chinese tiles, and assigning buildings to grids by drawing a grid around them.

Coordinates are stored WGS-84 as [lon, lat]; a polygon is its closed outer ring [[lon, lat], ...].
Tiles from Amap/Gaode are GCJ-02, so whatever is drawn on them is shifted back before it is stored.
"""

from __future__ import annotations

import io
import json
import math
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard import audit, validate
from dashboard.errors import ValidationError
from dashboard.maps import gcj02_to_wgs84, wgs84_to_gcj02
from dashboard.roles import CurrentUser, require
from db.models import Building, Compound, Entrance, Grid

MAX_SHAPE_BYTES = 5 * 1_048_576
MAX_RING_POINTS = 5000
DECIMALS = 7  # ~1 cm


# --- shapes ---------------------------------------------------------------------------------


@dataclass
class Shape:
    """A polygon (closed outer ring) or a point, with the name and properties it came with."""

    kind: str  # "polygon" | "point"
    coords: list[Any]  # ring [[lon, lat], ...] or point [lon, lat]
    name: str = ""
    properties: dict[str, Any] = field(default_factory=dict)


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValidationError("geo.bad_coordinates")
    try:
        x = float(value)
    except ValueError as exc:
        raise ValidationError("geo.bad_coordinates") from exc
    if not math.isfinite(x):
        raise ValidationError("geo.bad_coordinates")
    return x


def clean_point(point: Any) -> list[float]:
    """[lon, lat] as finite numbers within the globe, rounded to about a centimetre."""
    if not isinstance(point, list | tuple) or len(point) < 2:
        raise ValidationError("geo.bad_coordinates")
    lon, lat = _number(point[0]), _number(point[1])
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValidationError("geo.bad_coordinates")
    return [round(lon, DECIMALS), round(lat, DECIMALS)]


def clean_ring(ring: Any) -> list[list[float]]:
    """A closed ring of at least three distinct points (refused: too few, too many, not numbers)."""
    if not isinstance(ring, list | tuple):
        raise ValidationError("geo.bad_polygon")
    points = [clean_point(p) for p in ring]
    if len(points) > MAX_RING_POINTS:
        raise ValidationError("geo.too_many_points", max=MAX_RING_POINTS)
    if points and points[0] != points[-1]:
        points.append(list(points[0]))
    if len({tuple(p) for p in points}) < 3:
        raise ValidationError("geo.bad_polygon")
    return points


def point_in_polygon(lon: float, lat: float, ring: list[list[float]]) -> bool:
    """Ray casting: True when (lon, lat) lies inside the closed ring."""
    inside = False
    for (ax, ay), (bx, by) in zip(ring, ring[1:], strict=False):
        if (ay > lat) != (by > lat):
            x = ax + (lat - ay) * (bx - ax) / (by - ay)
            if lon < x:
                inside = not inside
    return inside


def ring_area_m2(ring: list[list[float]]) -> float:
    """The approximate area of a small ring in square metres (equirectangular, shoelace)."""
    if len(ring) < 4:
        return 0.0
    lat0 = math.radians(sum(p[1] for p in ring) / len(ring))
    kx, ky = 111_320.0 * math.cos(lat0), 110_940.0
    s = 0.0
    for (ax, ay), (bx, by) in zip(ring, ring[1:], strict=False):
        s += (ax * kx) * (by * ky) - (bx * kx) * (ay * ky)
    return abs(s) / 2


def _from_geometry(geom: dict[str, Any], name: str, props: dict[str, Any]) -> list[Shape]:
    kind = geom.get("type")
    coords = geom.get("coordinates")
    if kind == "Polygon" and coords:
        return [Shape("polygon", clean_ring(coords[0]), name, props)]
    if kind == "MultiPolygon" and coords:
        return [Shape("polygon", clean_ring(poly[0]), name, props) for poly in coords if poly]
    if kind == "Point" and coords:
        return [Shape("point", clean_point(coords), name, props)]
    if kind == "MultiPoint" and coords:
        return [Shape("point", clean_point(p), name, props) for p in coords]
    if kind == "GeometryCollection":
        out: list[Shape] = []
        for g in geom.get("geometries") or []:
            out.extend(_from_geometry(g, name, props))
        return out
    return []  # lines and unknown geometry are not areas or places: ignored


def _feature_name(props: dict[str, Any]) -> str:
    for key in ("name", "Name", "NAME", "title", "label"):
        value = props.get(key)
        if value not in (None, ""):
            return str(value).strip()[:100]
    return ""


def shapes_from_geojson(obj: Any) -> list[Shape]:
    """The polygons and points of a GeoJSON object (FeatureCollection, Feature or bare geometry)."""
    if isinstance(obj, list):
        return [s for item in obj for s in shapes_from_geojson(item)]
    if not isinstance(obj, dict):
        raise ValidationError("geo.bad_file")
    kind = obj.get("type")
    if kind == "FeatureCollection":
        return shapes_from_geojson(obj.get("features") or [])
    if kind == "Feature":
        props = obj.get("properties") or {}
        if not isinstance(props, dict):
            props = {}
        geom = obj.get("geometry") or {}
        return _from_geometry(geom, _feature_name(props), props) if isinstance(geom, dict) else []
    if kind in ("Polygon", "MultiPolygon", "Point", "MultiPoint", "GeometryCollection"):
        return _from_geometry(obj, "", {})
    raise ValidationError("geo.bad_file")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _kml_coords(text: str | None) -> list[list[float]]:
    out = []
    for token in (text or "").split():
        parts = token.split(",")
        if len(parts) >= 2:
            out.append(clean_point([parts[0], parts[1]]))
    return out


def shapes_from_kml(data: bytes) -> list[Shape]:
    """The polygons and points of the Placemarks of a KML document (Google Earth, 91卫图, LocaSpace)."""
    # A KML never needs a DTD; refusing one rules out entity-expansion attacks on the parser.
    if re.search(rb"<!(DOCTYPE|ENTITY)", data[:65536], flags=re.IGNORECASE):
        raise ValidationError("geo.bad_file")
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise ValidationError("geo.bad_file") from exc
    shapes: list[Shape] = []
    for placemark in root.iter():
        if _local(placemark.tag) != "Placemark":
            continue
        name = ""
        props: dict[str, Any] = {}
        for child in placemark.iter():
            tag = _local(child.tag)
            if tag == "name" and not name:
                name = (child.text or "").strip()[:100]
            elif tag == "Data" and child.get("name"):
                value = next((v.text for v in child if _local(v.tag) == "value"), None)
                props[child.get("name")] = (value or "").strip()
            elif tag == "SimpleData" and child.get("name"):
                props[child.get("name")] = (child.text or "").strip()
        for geom in placemark.iter():
            tag = _local(geom.tag)
            if tag == "Polygon":
                outer = next((e for e in geom.iter() if _local(e.tag) == "outerBoundaryIs"), geom)
                coords = next((e for e in outer.iter() if _local(e.tag) == "coordinates"), None)
                if coords is not None:
                    shapes.append(Shape("polygon", clean_ring(_kml_coords(coords.text)), name, props))
            elif tag == "Point":
                coords = next((e for e in geom.iter() if _local(e.tag) == "coordinates"), None)
                points = _kml_coords(coords.text if coords is not None else "")
                if points:
                    shapes.append(Shape("point", points[0], name, props))
    return shapes


def read_shapes(data: bytes, filename: str) -> list[Shape]:
    """The shapes of an uploaded GeoJSON, KML or KMZ file (refused: empty, too large, unreadable)."""
    if not data:
        raise ValidationError("imports.empty")
    if len(data) > MAX_SHAPE_BYTES:
        raise ValidationError("imports.too_large", mb=MAX_SHAPE_BYTES // 1_048_576)
    name = (filename or "").lower()
    if data.startswith(b"PK\x03\x04") or name.endswith(".kmz"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                inner = next((n for n in z.namelist() if n.lower().endswith(".kml")), None)
                if inner is None or z.getinfo(inner).file_size > MAX_SHAPE_BYTES:
                    raise ValidationError("geo.bad_file")
                data = z.read(inner)
        except zipfile.BadZipFile as exc:
            raise ValidationError("geo.bad_file") from exc
        return shapes_from_kml(data)
    if name.endswith(".kml") or data.lstrip()[:1] == b"<":
        return shapes_from_kml(data)
    try:
        obj = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError("geo.bad_file") from exc
    return shapes_from_geojson(obj)


def shapes_from_drawing(output: dict[str, Any] | None, *, last_only: bool = False) -> list[Shape]:
    """The shapes a user drew with folium's Draw tool, from st_folium's return value."""
    if not output:
        return []
    if last_only:
        last = output.get("last_active_drawing")
        return shapes_from_geojson(last) if last else []
    return shapes_from_geojson(output.get("all_drawings") or [])


def shape_to_wgs84(shape: Shape, tiles: str) -> Shape:
    """The shape in WGS-84: shifted back from GCJ-02 when it was drawn on Amap tiles."""
    if tiles != "amap":
        return shape
    if shape.kind == "point":
        coords: list[Any] = clean_point(gcj02_to_wgs84(*shape.coords))
    else:
        coords = clean_ring([gcj02_to_wgs84(lon, lat) for lon, lat in shape.coords])
    return Shape(shape.kind, coords, shape.name, dict(shape.properties))


def ring_for_tiles(ring: list[list[float]], tiles: str) -> list[list[float]]:
    """A stored WGS-84 ring as it must be drawn on these tiles."""
    if tiles != "amap":
        return ring
    return [list(wgs84_to_gcj02(lon, lat)) for lon, lat in ring]


def point_for_tiles(lon: float, lat: float, tiles: str) -> tuple[float, float]:
    """A stored WGS-84 point as it must be drawn on these tiles."""
    return wgs84_to_gcj02(lon, lat) if tiles == "amap" else (lon, lat)


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
    from dashboard import setup

    grid_id = setup.add_grid(session, user, number, name)
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


# --- importing a file of shapes -------------------------------------------------------------

TARGETS = ("compound", "grid", "building", "entrance")


def _key(text: str) -> str:
    return re.sub(r"[\s\-_/·]", "", str(text or "")).lower()


def _grid_by_shape(grids: list[Grid], shape: Shape) -> Grid | None:
    names = {_key(g.name): g for g in grids}
    numbers = {g.number: g for g in grids}
    for candidate in (shape.name, shape.properties.get("grid"), shape.properties.get("name")):
        if candidate in (None, ""):
            continue
        if _key(str(candidate)) in names:
            return names[_key(str(candidate))]
    for candidate in (shape.properties.get("number"), shape.properties.get("grid"), shape.name):
        digits = re.findall(r"\d+", str(candidate or ""))
        if len(digits) == 1 and int(digits[0]) in numbers:
            return numbers[int(digits[0])]
    return None


def _building_by_shape(session: Session, shape: Shape) -> Building | None:
    rows = session.execute(select(Building, Compound.name).join(Compound)).all()
    compound = shape.properties.get("compound")
    building = shape.properties.get("building")
    if compound and building:
        wanted = {(_key(compound), _key(building))}
        found = [b for b, c in rows if (_key(c), _key(b.name)) in wanted]
        return found[0] if len(found) == 1 else None
    name = _key(shape.name)
    full = [b for b, c in rows if _key(c) + _key(b.name) == name]
    if len(full) == 1:
        return full[0]
    alone = [b for b, _ in rows if _key(b.name) == name]
    return alone[0] if len(alone) == 1 else None


@dataclass
class ShapeMatch:
    """One shape of a file and the record it would be stored on (None: no record matches)."""

    shape: Shape
    record_id: int | None
    record_label: str


def match_shapes(session: Session, target: str, shapes: list[Shape]) -> list[ShapeMatch]:
    """Which record each shape belongs to, by name (compounds, grids, entrances) or compound+building."""
    validate.choice(target, TARGETS, "geo.target")
    wanted = "polygon" if target in ("compound", "grid") else "point"
    out: list[ShapeMatch] = []
    grids = list(session.scalars(select(Grid))) if target == "grid" else []
    for shape in shapes:
        if shape.kind != wanted:
            continue
        record: Any = None
        if target == "compound":
            record = next(
                (c for c in session.scalars(select(Compound)) if _key(c.name) == _key(shape.name)), None
            )
        elif target == "grid":
            record = _grid_by_shape(grids, shape)
        elif target == "entrance":
            record = next(
                (e for e in session.scalars(select(Entrance)) if _key(e.name) == _key(shape.name)), None
            )
        else:
            record = _building_by_shape(session, shape)
        label = ""
        if record is not None:
            label = record.name if target != "building" else f"{record.compound.name} {record.name}"
        out.append(ShapeMatch(shape, record.id if record is not None else None, label))
    return out


def apply_shapes(
    session: Session, user: CurrentUser, target: str, matches: list[ShapeMatch], *, now: Any = None
) -> int:
    """Store every matched shape on its record (grids also take the buildings inside them)."""
    require(user, "setup.edit")
    done = 0
    for m in matches:
        if m.record_id is None:
            continue
        if target == "compound":
            set_compound_outline(session, user, m.record_id, m.shape.coords)
        elif target == "grid":
            set_grid_outline(session, user, m.record_id, m.shape.coords)
        elif target == "building":
            place_building(session, user, m.record_id, m.shape.coords)
        elif target == "entrance":
            place_entrance(session, user, m.record_id, m.shape.coords)
        done += 1
    return done


# --- the drawing map ------------------------------------------------------------------------


def drawing_map(
    session: Session,
    as_of: Any,
    target: str,
    *,
    tiles: str = "none",
    lang: str = "zh",
    assets_mode: str = "local",
) -> Any:
    """The area's map (as the map page draws it) with folium's drawing tools for this target.

    Compounds and grids are drawn as polygons (or rectangles); buildings and entrances as markers.
    """
    from folium.plugins import Draw

    from dashboard import maps

    validate.choice(target, TARGETS, "geo.target")
    m = maps.built_map(session, as_of, tiles=tiles, lang=lang, assets_mode=assets_mode)
    polygon = target in ("compound", "grid")
    draw = Draw(
        export=False,
        position="topleft",
        draw_options={
            "polyline": False,
            "circle": False,
            "circlemarker": False,
            "polygon": polygon,
            "rectangle": polygon,
            "marker": not polygon,
        },
        edit_options={"edit": True, "remove": True},
    )
    if maps.effective_assets(assets_mode) == "local":
        from dashboard import assets

        # The drawing tools load from the app too, so set-up works with no internet.
        draw.default_js = assets.draw_js()
        draw.default_css = assets.draw_css()
    draw.add_to(m)
    return m
