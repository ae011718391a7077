"""The map's layers as GeoJSON: compounds, grids, buildings, entrances and sampling sites.

Each layer is one FeatureCollection with pre-escaped text (`safe`) and a style function of one
property. Coordinates are worked out once per map (`Drawn`), for every layer and the bounds:
stored WGS-84, shifted to GCJ-02 when drawn on Amap/Gaode tiles.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass
from typing import Any

import pandas as pd
from folium.utilities import JsCode

from dashboard.i18n import code, t
from dashboard.maps_coords import shifted_many
from dashboard.maps_data import MapData

ZONE_COLOURS = {"sealed": "#d62728", "controlled": "#ff7f0e", "precaution": "#2ca02c"}
GRID_COLOUR = "#3a4a5c"
# CSS classes the browser test (and anyone styling the map) can count on.
CLASS_COMPOUND = "juwei-compound"
CLASS_GRID = "juwei-grid"
CLASS_BUILDING = "juwei-building"
CLASS_ENTRANCE_OPEN = "juwei-entrance-open"
CLASS_ENTRANCE_CLOSED = "juwei-entrance-closed"
CLASS_SITE = "juwei-site"

# The characters html.escape changes, and the three that mean something in a template literal.
_UNSAFE = re.compile(r"[&<>\"'`$\\]")


# --- safe text ------------------------------------------------------------------------------


def safe(value: Any) -> str:
    """Text made harmless for a tooltip, label or legend: it always shows as the text it is.

    folium puts tooltip text into a JavaScript template literal and then into the page as HTML:
    escape for HTML, and also the three characters that mean something inside `...`.
    """
    if value is None:
        return ""
    text = str(value)
    if _UNSAFE.search(text) is None:
        return text  # nothing to escape (most names)
    escaped = html.escape(text, quote=True)
    return escaped.replace("`", "&#96;").replace("$", "&#36;").replace("\\", "&#92;")


# --- coordinates as drawn -------------------------------------------------------------------


@dataclass
class Drawn:
    """Every coordinate of a MapData as drawn, (lon, lat) (GeoJSON order), shifted on Amap tiles.

    Rings hold every point of each outline (also of outlines too short to draw); points are None
    where a place has no coordinates.
    """

    compounds: list[list[tuple[float, float]]]
    grids: list[list[tuple[float, float]]]
    buildings: list[tuple[float, float] | None]
    entrances: list[tuple[float, float] | None]
    sites: list[tuple[float, float] | None]

    @classmethod
    def of(cls, data: MapData, shift: bool) -> Drawn:
        lons: list[float] = []
        lats: list[float] = []
        sizes: list[int] = []  # how many points each ring or frame contributes, in order
        placed: list[list[bool]] = []
        for frame in (data.compounds, data.grids):
            for poly in frame["polygon"].tolist():
                ring = poly or []
                lons += [float(p[0]) for p in ring]
                lats += [float(p[1]) for p in ring]
                sizes.append(len(ring))
        for frame in (data.buildings, data.entrances, data.sites):
            ok = (frame["lat"].notna() & frame["lon"].notna()).tolist()
            placed.append(ok)
            lons += [float(v) for v, keep in zip(frame["lon"].tolist(), ok, strict=True) if keep]
            lats += [float(v) for v, keep in zip(frame["lat"].tolist(), ok, strict=True) if keep]
        x, y = shifted_many(lons, lats, shift)
        points = iter(list(zip(x, y, strict=True)))  # (lon, lat) pairs: tuples, no garbage to collect
        sizes_it = iter(sizes)
        rings = [
            [[next(points) for _ in range(next(sizes_it))] for _ in range(len(frame))]
            for frame in (data.compounds, data.grids)
        ]
        singles = [[next(points) if keep else None for keep in ok] for ok in placed]
        return cls(rings[0], rings[1], *singles)

    def bounds(self) -> list[list[float]] | None:
        """The box around everything placed: outlines, buildings, entrances and sites, [[s, w], [n, e]]."""
        points = [p for ring in (*self.compounds, *self.grids) for p in ring]
        points += [p for frame in (self.buildings, self.entrances, self.sites) for p in frame if p]
        if not points:
            return None
        lons = [p[0] for p in points]
        lats = [p[1] for p in points]
        return [[min(lats), min(lons)], [max(lats), max(lons)]]


def _collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}


def _feature(fid: int, geometry: dict[str, Any], **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "id": fid, "geometry": geometry, "properties": properties}


def _polygon(ring: list[tuple[float, float]]) -> dict[str, Any] | None:
    if len(ring) < 3:
        return None
    ring = list(ring)
    if ring[0] != ring[-1]:
        ring.append(ring[0])
    return {"type": "Polygon", "coordinates": [ring]}


def _date(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.date) else ""


# --- the layers -----------------------------------------------------------------------------


def _compound_tip(row: Any, lang: str) -> str:
    lines = [f"<b>{safe(row.name)}</b>", safe(code("compound_kind", row.kind, lang=lang))]
    zone_line = safe(code("zone", row.zone, lang=lang))
    if _date(row.steps_down_on):
        zone_line += " · " + safe(t("map.steps_down", lang=lang, date=_date(row.steps_down_on)))
    lines.append(zone_line)
    if row.sealed_buildings:
        lines.append(safe(t("map.sealed_buildings", lang=lang, n=int(row.sealed_buildings))))
    return "<br>".join(lines)


def compounds_geojson(data: MapData, shift: bool, lang: str, drawn: Drawn | None = None) -> dict[str, Any]:
    """Compound outlines with their zone code and a pre-escaped tooltip."""
    drawn = drawn or Drawn.of(data, shift)
    features = []
    for row, ring in zip(data.compounds.itertuples(index=False), drawn.compounds, strict=True):
        geometry = _polygon(ring)
        if geometry is not None:
            features.append(
                _feature(int(row.compound_id), geometry, zone_code=row.zone, tip=_compound_tip(row, lang))
            )
    return _collection(features)


def _compound_style(feature: dict[str, Any]) -> dict[str, Any]:
    zone = feature["properties"]["zone_code"]
    colour = ZONE_COLOURS.get(zone, ZONE_COLOURS["precaution"])
    return {
        "className": f"{CLASS_COMPOUND} {CLASS_COMPOUND}-{zone}",
        "color": colour,
        "weight": 2,
        "fill": True,
        "fillColor": colour,
        "fillOpacity": 0.3,
    }


def grids_geojson(data: MapData, shift: bool, lang: str, drawn: Drawn | None = None) -> dict[str, Any]:
    """Grid outlines with a pre-escaped label: number and leader (staff, still escaped)."""
    drawn = drawn or Drawn.of(data, shift)
    features = []
    for row, ring in zip(data.grids.itertuples(index=False), drawn.grids, strict=True):
        geometry = _polygon(ring)
        if geometry is not None:
            label = t("map.grid_label", lang=lang, number=row.number, leader=row.leader or "—")
            features.append(_feature(int(row.grid_id), geometry, label=safe(label)))
    return _collection(features)


def _grid_style(feature: dict[str, Any]) -> dict[str, Any]:
    return {"className": CLASS_GRID, "color": GRID_COLOUR, "weight": 1.5, "dashArray": "6 4", "fill": False}


# Each grid's label sits permanently at its centre (the label is escaped in Python).
_GRID_LABELS = JsCode(
    "function (feature, layer) { layer.bindTooltip(feature.properties.label, "
    "{permanent: true, direction: 'center', className: 'juwei-grid-label'}); }"
)


def buildings_geojson(data: MapData, shift: bool, lang: str, drawn: Drawn | None = None) -> dict[str, Any]:
    """Building points with zone, households and active cases (the tooltip's fields, escaped)."""
    drawn = drawn or Drawn.of(data, shift)
    b = data.buildings
    zone_names = {z: safe(code("zone", z, lang=lang)) for z in set(b["zone"].tolist())}
    grids: dict[Any, str] = {}
    features = []
    for bid, compound, name, grid, zone, households, active, point in zip(
        b["building_id"].tolist(),
        b["compound"].tolist(),
        b["name"].tolist(),
        b["grid_number"].tolist(),
        b["zone"].tolist(),
        b["households"].tolist(),
        b["active_cases"].tolist(),
        drawn.buildings,
        strict=True,
    ):
        if point is None:
            continue
        grid_text = grids.get(grid)
        if grid_text is None:
            grid_text = grids[grid] = safe(grid if pd.notna(grid) else "")
        bid = int(bid)
        features.append(
            {
                "type": "Feature",
                "id": bid,
                "geometry": {"type": "Point", "coordinates": point},
                "properties": {
                    "building_id": bid,
                    "zone_code": zone,
                    "label": safe(f"{compound} {name}"),
                    "grid": grid_text,
                    "zone": zone_names[zone],
                    "households": int(households),
                    "active_cases": int(active),
                },
            }
        )
    return _collection(features)


def _building_style(feature: dict[str, Any]) -> dict[str, Any]:
    colour = ZONE_COLOURS.get(feature["properties"]["zone_code"], ZONE_COLOURS["precaution"])
    return {
        "className": CLASS_BUILDING,
        "color": "#333333",
        "weight": 1,
        "fill": True,
        "fillColor": colour,
        "fillOpacity": 0.9,
        "radius": 5,
    }


def entrances_geojson(
    data: MapData, shift: bool, lang: str, *, open_only: bool = False, drawn: Drawn | None = None
) -> dict[str, Any]:
    """Entrance points, open or closed, with the guards on duty in the tooltip."""
    drawn = drawn or Drawn.of(data, shift)
    features = []
    for row, point in zip(data.entrances.itertuples(index=False), drawn.entrances, strict=True):
        if point is None or (open_only and not row.is_open):
            continue
        lines = [
            f"<b>{safe(row.name)}</b>",
            safe(row.road),
            safe(t("map.open", lang=lang) if row.is_open else t("map.closed", lang=lang)),
        ]
        if row.is_open:
            names = t("map.name_separator", lang=lang).join(row.guards) or t("map.nobody", lang=lang)
            lines.append(safe(t("map.guard_on_duty", lang=lang, names=names)))
        features.append(
            _feature(
                int(row.entrance_id),
                {"type": "Point", "coordinates": point},
                is_open=bool(row.is_open),
                tip="<br>".join(lines),
            )
        )
    return _collection(features)


def _entrance_style(feature: dict[str, Any]) -> dict[str, Any]:
    """Options of the entrance's awesome-markers pin (pointToLayer merges them into the icon)."""
    if feature["properties"]["is_open"]:
        return {
            "markerColor": "green",
            "icon": "door-open",
            "extraClasses": f"fa-rotate-0 {CLASS_ENTRANCE_OPEN}",
        }
    return {
        "markerColor": "gray",
        "icon": "door-closed",
        "extraClasses": f"fa-rotate-0 {CLASS_ENTRANCE_CLOSED}",
    }


def sites_geojson(data: MapData, shift: bool, drawn: Drawn | None = None) -> dict[str, Any]:
    """Sampling sites with their (escaped) names."""
    drawn = drawn or Drawn.of(data, shift)
    features = []
    for row, point in zip(data.sites.itertuples(index=False), drawn.sites, strict=True):
        if point is not None:
            features.append(
                _feature(int(row.site_id), {"type": "Point", "coordinates": point}, tip=safe(row.name))
            )
    return _collection(features)


def _site_style(feature: dict[str, Any]) -> dict[str, Any]:
    return {"markerColor": "blue", "icon": "vial", "extraClasses": f"fa-rotate-0 {CLASS_SITE}"}
