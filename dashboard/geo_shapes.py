"""Shapes: a polygon (closed outer ring) or a point, checked and rounded; inside a ring and its
area; the shapes of a GeoJSON, KML or KMZ file and of a drawing on the map; the GCJ-02 shift of
Chinese tiles undone before a shape is stored, and done again to draw it.

Coordinates are stored WGS-84 as [lon, lat]; a polygon is its closed outer ring [[lon, lat], ...].
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

from dashboard.errors import ValidationError
from dashboard.maps_coords import gcj02_to_wgs84

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
