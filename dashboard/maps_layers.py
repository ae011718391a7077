"""The map's layers as GeoJSON: compounds, grids, buildings, entrances and sampling sites.

Each layer is one FeatureCollection with pre-escaped text (`safe`) and a style function of one
property (its style group), written as the JSON text folium puts into the page (maps_drawn).
Coordinates are worked out once per map (`Drawn`), for every layer and the bounds: stored WGS-84,
shifted to GCJ-02 when drawn on Amap/Gaode tiles.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

from folium.utilities import JsCode

from dashboard.i18n import code, t
from dashboard.maps_data import MapColumns, MapData
from dashboard.maps_drawn import Drawn, FeatureWriter
from dashboard.maps_geojson import PreparedFeatures

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


def _date(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.date) else ""


def _drawn(data: MapData | MapColumns, shift: bool, drawn: Drawn | None) -> tuple[MapColumns, Drawn]:
    cols = MapColumns.of(data)
    return cols, drawn or Drawn.of(cols, shift)


# --- the layers -----------------------------------------------------------------------------
# Each writes its features' properties with their keys in sorted order (as folium's JSON has them).


def _compound_tip(name: str, kind: str, zone: str, steps: Any, sealed: int, lang: str) -> str:
    lines = [f"<b>{safe(name)}</b>", safe(code("compound_kind", kind, lang=lang))]
    zone_line = safe(code("zone", zone, lang=lang))
    if _date(steps):
        zone_line += " · " + safe(t("map.steps_down", lang=lang, date=_date(steps)))
    lines.append(zone_line)
    if sealed:
        lines.append(safe(t("map.sealed_buildings", lang=lang, n=int(sealed))))
    return "<br>".join(lines)


def compounds_geojson(
    data: MapData | MapColumns, shift: bool, lang: str, drawn: Drawn | None = None
) -> PreparedFeatures:
    """Compound outlines with their zone code and a pre-escaped tooltip."""
    cols, drawn = _drawn(data, shift, drawn)
    c = cols.compounds
    out = FeatureWriter("tip", "zone_code")
    shown = []
    for i, (fid, name, kind, zone, steps, sealed) in enumerate(
        zip(
            c["compound_id"],
            c["name"],
            c["kind"],
            c["zone"],
            c["steps_down_on"],
            c["sealed_buildings"],
            strict=True,
        )
    ):
        geometry = drawn.compounds.polygon(i)
        shown.append(geometry is not None)
        if geometry is not None:
            tip = _compound_tip(name, kind, zone, steps, sealed, lang)
            out.add(int(fid), geometry, f'"tip": {out.text(tip)}, "zone_code": {out.text(zone)}', zone)
    return out.done(drawn.compounds.box(shown))


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


def grids_geojson(
    data: MapData | MapColumns, shift: bool, lang: str, drawn: Drawn | None = None
) -> PreparedFeatures:
    """Grid outlines with a pre-escaped label: number and leader (staff, still escaped)."""
    cols, drawn = _drawn(data, shift, drawn)
    g = cols.grids
    out = FeatureWriter("label")
    shown = []
    for i, (fid, number, leader) in enumerate(zip(g["grid_id"], g["number"], g["leader"], strict=True)):
        geometry = drawn.grids.polygon(i)
        shown.append(geometry is not None)
        if geometry is not None:
            label = t("map.grid_label", lang=lang, number=number, leader=leader or "—")
            out.add(int(fid), geometry, f'"label": {out.safe_text(safe(label))}', None)
    return out.done(drawn.grids.box(shown))


def _grid_style(feature: dict[str, Any]) -> dict[str, Any]:
    return {"className": CLASS_GRID, "color": GRID_COLOUR, "weight": 1.5, "dashArray": "6 4", "fill": False}


# Each grid's label sits permanently at its centre (the label is escaped in Python).
_GRID_LABELS = JsCode(
    "function (feature, layer) { layer.bindTooltip(feature.properties.label, "
    "{permanent: true, direction: 'center', className: 'juwei-grid-label'}); }"
)


def _grid_text(grid: Any) -> str:
    """A building's grid number as its tooltip shows it ('' without one)."""
    if grid is None or grid != grid:  # None, or NaN from a DataFrame
        return ""
    if isinstance(grid, float) and grid.is_integer():
        grid = int(grid)  # a number read back from a column that also holds a missing one
    return safe(grid)


def buildings_geojson(
    data: MapData | MapColumns, shift: bool, lang: str, drawn: Drawn | None = None
) -> PreparedFeatures:
    """Building points with zone, households and active cases (the tooltip's fields, escaped)."""
    cols, drawn = _drawn(data, shift, drawn)
    b = cols.buildings
    out = FeatureWriter("active_cases", "building_id", "grid", "households", "label", "zone", "zone_code")
    zone_names = {z: out.safe_text(safe(code("zone", z, lang=lang))) for z in set(b["zone"])}
    zone_codes = {z: out.text(z) for z in zone_names}
    grids: dict[Any, str] = {}
    for bid, compound, name, grid, zone, households, active, point in zip(
        b["building_id"], b["compound"], b["name"], b["grid_number"], b["zone"], b["households"],
        b["active_cases"], drawn.buildings.shapes, strict=True,
    ):  # fmt: skip
        if point is None:
            continue
        grid_json = grids.get(grid)
        if grid_json is None:
            grid_json = grids[grid] = out.safe_text(_grid_text(grid))
        bid = int(bid)
        out.add(
            bid,
            point,
            f'"active_cases": {int(active)}, "building_id": {bid}, "grid": {grid_json}, '
            f'"households": {int(households)}, "label": {out.safe_text(safe(f"{compound} {name}"))}, '
            f'"zone": {zone_names[zone]}, "zone_code": {zone_codes[zone]}',
            zone,
        )
    return out.done(drawn.buildings.box())


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
    data: MapData | MapColumns, shift: bool, lang: str, *, open_only: bool = False, drawn: Drawn | None = None
) -> PreparedFeatures:
    """Entrance points, open or closed, with the guards on duty in the tooltip."""
    cols, drawn = _drawn(data, shift, drawn)
    e = cols.entrances
    out = FeatureWriter("is_open", "tip")
    shown = []
    for fid, name, road, is_open, guards, point in zip(
        e["entrance_id"], e["name"], e["road"], e["is_open"], e["guards"], drawn.entrances.shapes, strict=True
    ):
        is_open = bool(is_open)
        shown.append(point is not None and (is_open or not open_only))
        if not shown[-1]:
            continue
        lines = [
            f"<b>{safe(name)}</b>",
            safe(road),
            safe(t("map.open", lang=lang) if is_open else t("map.closed", lang=lang)),
        ]
        if is_open:
            names = t("map.name_separator", lang=lang).join(guards) or t("map.nobody", lang=lang)
            lines.append(safe(t("map.guard_on_duty", lang=lang, names=names)))
        flag = "true" if is_open else "false"
        out.add(
            int(fid),
            point,
            f'"is_open": {flag}, "tip": {out.text("<br>".join(lines))}',
            is_open,
        )
    return out.done(drawn.entrances.box(shown))


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


def sites_geojson(data: MapData | MapColumns, shift: bool, drawn: Drawn | None = None) -> PreparedFeatures:
    """Sampling sites with their (escaped) names."""
    cols, drawn = _drawn(data, shift, drawn)
    s = cols.sites
    out = FeatureWriter("tip")
    for fid, name, point in zip(s["site_id"], s["name"], drawn.sites.shapes, strict=True):
        if point is not None:
            out.add(int(fid), point, f'"tip": {out.safe_text(safe(name))}', None)
    return out.done(drawn.sites.box())


def _site_style(feature: dict[str, Any]) -> dict[str, Any]:
    return {"markerColor": "blue", "icon": "vial", "extraClasses": f"fa-rotate-0 {CLASS_SITE}"}
