"""The map (地图): compounds coloured by zone, grids, buildings, entrances and sampling sites.

`map_data(session, as_of, hour)` reads what the map shows (aggregated in SQL); `build_map(data, ...)`
turns it into a folium.Map and is a plain function of the data and the display options, testable
without Streamlit. `built_map` is the two together, for the page's shared cache.

Coordinates are stored WGS-84. On Amap/Gaode tiles (GCJ-02) every coordinate is shifted when
drawn; with no tiles the polygons are drawn on a plain background. Every name that reaches a
tooltip or label goes through `safe()` first.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from dataclasses import dataclass
from typing import Any

import folium
import pandas as pd
from branca.element import Element, MacroElement
from folium.template import Template
from folium.utilities import JsCode
from sqlalchemy import Integer, and_, cast, func, select
from sqlalchemy.orm import Session

from dashboard import assets, overview, zones
from dashboard.i18n import code, t
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

TILES = ("none", "osm", "amap")
ZONE_COLOURS = {"sealed": "#d62728", "controlled": "#ff7f0e", "precaution": "#2ca02c"}
BACKGROUND = "#f3f1ec"
GRID_COLOUR = "#3a4a5c"
AMAP_URL = "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}"
# CSS classes the browser test (and anyone styling the map) can count on.
CLASS_COMPOUND = "juwei-compound"
CLASS_GRID = "juwei-grid"
CLASS_BUILDING = "juwei-building"
CLASS_ENTRANCE_OPEN = "juwei-entrance-open"
CLASS_ENTRANCE_CLOSED = "juwei-entrance-closed"
CLASS_SITE = "juwei-site"
CLICK_RADIUS_M = 40.0


# --- safe text ------------------------------------------------------------------------------

# folium puts tooltip text into a JavaScript template literal and then into the page as HTML:
# escape for HTML, and also the three characters that mean something inside `...`.
_JS_TEMPLATE = str.maketrans({"`": "&#96;", "$": "&#36;", "\\": "&#92;"})


def safe(value: Any) -> str:
    """Text made harmless for a tooltip, label or legend: it always shows as the text it is."""
    if value is None:
        return ""
    return html.escape(str(value), quote=True).translate(_JS_TEMPLATE)


# --- GCJ-02 ---------------------------------------------------------------------------------
# The published GCJ-02 offset (Krasovsky 1940 ellipsoid); no shift outside China.
_A = 6378245.0
_EE = 0.00669342162296594323


def out_of_china(lon: float, lat: float) -> bool:
    """True where the GCJ-02 offset does not apply."""
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _offset_lat(x: float, y: float) -> float:
    d = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    d += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    d += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    d += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return d


def _offset_lon(x: float, y: float) -> float:
    d = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    d += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    d += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    d += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return d


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """A WGS-84 point as drawn on GCJ-02 tiles (Amap/Gaode)."""
    if out_of_china(lon, lat):
        return lon, lat
    d_lat = _offset_lat(lon - 105.0, lat - 35.0)
    d_lon = _offset_lon(lon - 105.0, lat - 35.0)
    rad = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * math.cos(rad) * math.pi)
    return lon + d_lon, lat + d_lat


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """The inverse shift, by fixed-point iteration (millimetre accuracy after a few steps)."""
    w_lon, w_lat = lon, lat
    for _ in range(6):
        g_lon, g_lat = wgs84_to_gcj02(w_lon, w_lat)
        w_lon, w_lat = w_lon - (g_lon - lon), w_lat - (g_lat - lat)
    return w_lon, w_lat


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Ground distance in metres between two nearby points (equirectangular; fine within a town)."""
    k = math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot((lon2 - lon1) * 111_320.0 * k, (lat2 - lat1) * 110_574.0)


# --- the data -------------------------------------------------------------------------------


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


def moment_of(as_of: dt.date, hour: int | None) -> dt.datetime:
    """The moment the map shows: as_of at the given hour (end of the day when None)."""
    if hour is None:
        return overview.end_of(as_of)
    return dt.datetime.combine(as_of, dt.time(min(max(hour, 0), 23), 30))


def _compounds(session: Session, as_of: dt.date) -> pd.DataFrame:
    rows = session.execute(
        select(Compound.id, Compound.name, Compound.kind, Compound.polygon).order_by(Compound.id)
    ).all()
    df = pd.DataFrame(rows, columns=["compound_id", "name", "kind", "polygon"])
    cz = zones.compound_zones(session, as_of)
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
    return pd.DataFrame(rows, columns=["grid_id", "number", "name", "leader", "polygon"])


def _buildings(session: Session, as_of: dt.date) -> pd.DataFrame:
    households = (
        select(
            Household.building_id.label("building_id"),
            func.count(func.distinct(Household.id)).label("households"),
            func.count(Resident.id).label("residents"),
        )
        .outerjoin(Resident, Resident.household_id == Household.id)
        .group_by(Household.building_id)
        .subquery()
    )
    active = (
        select(Household.building_id.label("building_id"), func.count(Case.id).label("active_cases"))
        .join(Resident, Resident.household_id == Household.id)
        .join(Case, Case.resident_id == Resident.id)
        .where(overview.active_case(as_of))
        .group_by(Household.building_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Building.id,
            Building.name,
            Building.compound_id,
            Compound.name,
            Building.grid_id,
            Grid.number,
            Building.lat,
            Building.lon,
            func.coalesce(households.c.households, 0),
            func.coalesce(households.c.residents, 0),
            func.coalesce(active.c.active_cases, 0),
        )
        .join(Compound, Compound.id == Building.compound_id)
        .outerjoin(Grid, Grid.id == Building.grid_id)
        .outerjoin(households, households.c.building_id == Building.id)
        .outerjoin(active, active.c.building_id == Building.id)
        .order_by(Building.id)
    ).all()
    df = pd.DataFrame(
        rows,
        columns=[
            "building_id",
            "name",
            "compound_id",
            "compound",
            "grid_id",
            "grid_number",
            "lat",
            "lon",
            "households",
            "residents",
            "active_cases",
        ],
    )
    bz = zones.building_zones(session, as_of)
    if df.empty or bz.empty:
        return df.assign(zone="precaution", steps_down_on=None)
    return df.merge(bz[["building_id", "zone", "steps_down_on"]], on="building_id", how="left").fillna(
        {"zone": "precaution"}
    )


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
    return pd.DataFrame(rows, columns=["site_id", "name", "lat", "lon"])


def _center(session: Session, compounds: pd.DataFrame, buildings: pd.DataFrame) -> tuple[float, float] | None:
    points = [(lat, lon) for poly in compounds["polygon"] if poly for lon, lat in poly]
    points += [(a, o) for a, o in zip(buildings["lat"], buildings["lon"], strict=True) if pd.notna(a)]
    if points:
        lats, lons = zip(*points, strict=True)
        return (min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2
    from dashboard.config import committee

    c = committee(session)
    if c is not None and c.center_lat is not None and c.center_lon is not None:
        return c.center_lat, c.center_lon
    return None


def map_data(session: Session, as_of: dt.date, hour: int | None = None) -> MapData:
    """Everything the map shows as of a day; guards as on duty at `hour` of that day."""
    moment = moment_of(as_of, hour)
    compounds = _compounds(session, as_of)
    buildings = _buildings(session, as_of)
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


# --- the folium map -------------------------------------------------------------------------


class Legend(MacroElement):
    """A Leaflet control in a corner of the map holding pre-escaped HTML."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.control({position: {{ this.position|tojson }}});
            {{ this.get_name() }}.onAdd = function () {
                var div = L.DomUtil.create('div', 'juwei-legend');
                div.innerHTML = {{ this.content|tojson }};
                return div;
            };
            {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, content: str, position: str = "bottomright") -> None:
        super().__init__()
        self._name = "Legend"
        self.content = content
        self.position = position


STYLE = f"""<style>
.leaflet-container {{ background: {BACKGROUND}; font-family: "Noto Sans CJK SC", "WenQuanYi Zen Hei",
  "PingFang SC", "Microsoft YaHei", sans-serif; }}
.juwei-legend {{ background: rgba(255,255,255,.92); padding: 6px 9px; border-radius: 6px;
  box-shadow: 0 1px 4px rgba(0,0,0,.3); font-size: 12px; line-height: 18px; color: #222; }}
.juwei-legend i {{ display: inline-block; width: 12px; height: 12px; margin-right: 6px;
  vertical-align: -1px; border-radius: 2px; }}
.juwei-legend b {{ display: block; margin-bottom: 2px; }}
.leaflet-tooltip.juwei-grid-label {{ background: rgba(255,255,255,.75); border: 0; box-shadow: none;
  font-size: 11px; font-weight: 600; color: {GRID_COLOUR}; padding: 0 3px; }}
.leaflet-tooltip.juwei-grid-label:before {{ display: none; }}
</style>"""


def _point(lon: float, lat: float, shift: bool) -> list[float]:
    """[lat, lon] as Leaflet wants it, shifted to GCJ-02 when drawing on Amap tiles."""
    if shift:
        lon, lat = wgs84_to_gcj02(lon, lat)
    return [round(lat, 7), round(lon, 7)]


def _ring(polygon: list[Any] | None, shift: bool) -> list[list[float]]:
    return [_point(float(lon), float(lat), shift) for lon, lat in (polygon or [])]


def _use_assets(m: folium.Map, mode: str) -> None:
    """Point the map at the app's own copy of Leaflet & co. (local) or leave folium's CDNs (cdn)."""
    if mode == "local":
        m.default_js = assets.local_js()
        m.default_css = assets.local_css()
    else:
        m.default_js = list(folium.Map.default_js)
        m.default_css = list(folium.Map.default_css)


def effective_assets(requested: str) -> str:
    """The asset mode to use: local only when the files are installed, else the CDN."""
    return "local" if requested == "local" and assets.installed() else "cdn"


def _tiles(m: folium.Map, tiles: str, lang: str) -> None:
    if tiles == "osm":
        folium.TileLayer("OpenStreetMap", name=t("map.tiles_osm", lang=lang), control=False).add_to(m)
    elif tiles == "amap":
        folium.TileLayer(
            tiles=AMAP_URL,
            attr=safe(t("map.attr_amap", lang=lang)),
            name=t("map.tiles_amap", lang=lang),
            subdomains="1234",
            max_zoom=19,
            control=False,
        ).add_to(m)


def _legend(lang: str, tiles: str, compact: bool = False) -> str:
    zones_part = "<br>".join(
        f'<i style="background:{colour}"></i>{safe(code("zone", zone, lang=lang))}'
        for zone, colour in ZONE_COLOURS.items()
    )
    if compact:
        return zones_part
    rows = [f"<b>{safe(t('map.legend_title', lang=lang))}</b>", zones_part + "<br>"]
    rows.append(
        f'<i style="background:none;border:2px dashed {GRID_COLOUR}"></i>'
        f"{safe(t('map.legend_grid', lang=lang))}<br>"
    )
    rows.append(f'<i style="background:#72b026"></i>{safe(t("map.legend_entrance_open", lang=lang))}<br>')
    rows.append(f'<i style="background:#a3a3a3"></i>{safe(t("map.legend_entrance_closed", lang=lang))}<br>')
    rows.append(f'<i style="background:#38aadd"></i>{safe(t("map.legend_site", lang=lang))}')
    if tiles == "amap":
        rows.append(f"<br><small>{safe(t('map.legend_gcj', lang=lang))}</small>")
    return "".join(rows)


def _date(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.date) else ""


def _lonlat(lon: float, lat: float, shift: bool) -> list[float]:
    """[lon, lat] as GeoJSON wants it, shifted to GCJ-02 on Amap tiles."""
    lat2, lon2 = _point(lon, lat, shift)
    return [lon2, lat2]


def _collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}


def _feature(fid: int, geometry: dict[str, Any], **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "id": fid, "geometry": geometry, "properties": properties}


def _polygon(polygon: list[Any] | None, shift: bool) -> dict[str, Any] | None:
    ring = [_lonlat(float(lon), float(lat), shift) for lon, lat in (polygon or [])]
    if len(ring) < 3:
        return None
    if ring[0] != ring[-1]:
        ring.append(ring[0])
    return {"type": "Polygon", "coordinates": [ring]}


def _compound_tip(row: Any, lang: str) -> str:
    lines = [f"<b>{safe(row.name)}</b>", safe(code("compound_kind", row.kind, lang=lang))]
    zone_line = safe(code("zone", row.zone, lang=lang))
    if _date(row.steps_down_on):
        zone_line += " · " + safe(t("map.steps_down", lang=lang, date=_date(row.steps_down_on)))
    lines.append(zone_line)
    if row.sealed_buildings:
        lines.append(safe(t("map.sealed_buildings", lang=lang, n=int(row.sealed_buildings))))
    return "<br>".join(lines)


def compounds_geojson(data: MapData, shift: bool, lang: str) -> dict[str, Any]:
    """Compound outlines with their zone code and a pre-escaped tooltip."""
    features = []
    for row in data.compounds.itertuples(index=False):
        geometry = _polygon(row.polygon, shift)
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


def grids_geojson(data: MapData, shift: bool, lang: str) -> dict[str, Any]:
    """Grid outlines with a pre-escaped label: number and leader (staff, still escaped)."""
    features = []
    for row in data.grids.itertuples(index=False):
        geometry = _polygon(row.polygon, shift)
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


def buildings_geojson(data: MapData, shift: bool, lang: str) -> dict[str, Any]:
    """Building points with zone, households and active cases (the tooltip's fields, escaped)."""
    features = []
    for row in data.buildings.itertuples(index=False):
        if pd.isna(row.lat) or pd.isna(row.lon):
            continue
        features.append(
            _feature(
                int(row.building_id),
                {"type": "Point", "coordinates": _lonlat(float(row.lon), float(row.lat), shift)},
                building_id=int(row.building_id),
                zone_code=row.zone,
                label=safe(f"{row.compound} {row.name}"),
                grid=safe(row.grid_number if pd.notna(row.grid_number) else ""),
                zone=safe(code("zone", row.zone, lang=lang)),
                households=int(row.households),
                active_cases=int(row.active_cases),
            )
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


def entrances_geojson(data: MapData, shift: bool, lang: str, *, open_only: bool = False) -> dict[str, Any]:
    """Entrance points, open or closed, with the guards on duty in the tooltip."""
    features = []
    for row in data.entrances.itertuples(index=False):
        if pd.isna(row.lat) or pd.isna(row.lon) or (open_only and not row.is_open):
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
                {"type": "Point", "coordinates": _lonlat(float(row.lon), float(row.lat), shift)},
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


def sites_geojson(data: MapData, shift: bool) -> dict[str, Any]:
    """Sampling sites with their (escaped) names."""
    features = []
    for row in data.sites.itertuples(index=False):
        if pd.isna(row.lat) or pd.isna(row.lon):
            continue
        features.append(
            _feature(
                int(row.site_id),
                {"type": "Point", "coordinates": _lonlat(float(row.lon), float(row.lat), shift)},
                tip=safe(row.name),
            )
        )
    return _collection(features)


def _site_style(feature: dict[str, Any]) -> dict[str, Any]:
    return {"markerColor": "blue", "icon": "vial", "extraClasses": f"fa-rotate-0 {CLASS_SITE}"}


def _pin() -> folium.Marker:
    """The marker template GeoJSON points are drawn with: a Font Awesome pin (styled per feature)."""
    return folium.Marker(icon=folium.Icon(prefix="fa"))


def _tip() -> folium.GeoJsonTooltip:
    return folium.GeoJsonTooltip(fields=["tip"], labels=False)


def build_map(
    data: MapData,
    *,
    tiles: str = "none",
    lang: str = "zh",
    assets_mode: str = "local",
    compact: bool = False,
) -> folium.Map:
    """The folium map of `data` on the chosen tiles (none | osm | amap), labels in `lang`.

    Every layer is ONE GeoJSON layer (compounds, grids, buildings, entrances, sites), so the page
    stays as fast with thousands of buildings as with a hundred.
    """
    shift = tiles == "amap"
    center = _point(data.center[1], data.center[0], shift) if data.center else [31.19, 121.33]
    m = folium.Map(
        location=center,
        zoom_start=15 if compact else 16,
        tiles=None,
        control_scale=not compact,
        max_zoom=20,
        zoom_control=not compact,
        zoom_snap=0.25,  # fit the area snugly in a narrow column, not one whole zoom level out
        zoom_delta=0.5,
    )
    _use_assets(m, assets_mode)
    m.get_root().header.add_child(Element(STYLE), name="juwei_style")
    _tiles(m, tiles, lang)

    def layer(collection: dict[str, Any], name_key: str, **kwargs: Any) -> None:
        if collection["features"]:
            folium.GeoJson(
                collection, name=safe(t(name_key, lang=lang)), zoom_on_click=False, **kwargs
            ).add_to(m)

    layer(
        compounds_geojson(data, shift, lang),
        "map.layer_compounds",
        style_function=_compound_style,
        tooltip=_tip(),
    )
    layer(
        grids_geojson(data, shift, lang),
        "map.layer_grids",
        style_function=_grid_style,
        on_each_feature=None if compact else _GRID_LABELS,
    )
    aliases = [
        safe(t(f"map.{key}", lang=lang))
        for key in ("f_building", "f_grid", "f_zone", "f_households", "f_active_cases")
    ]
    layer(
        buildings_geojson(data, shift, lang),
        "map.layer_buildings",
        marker=folium.CircleMarker(radius=5),
        style_function=_building_style,
        tooltip=folium.GeoJsonTooltip(
            fields=["label", "grid", "zone", "households", "active_cases"], aliases=aliases
        ),
    )
    layer(
        entrances_geojson(data, shift, lang, open_only=compact),
        "map.layer_entrances",
        marker=_pin(),
        style_function=_entrance_style,
        tooltip=_tip(),
    )
    if not compact:
        layer(
            sites_geojson(data, shift),
            "map.layer_sites",
            marker=_pin(),
            style_function=_site_style,
            tooltip=_tip(),
        )

    Legend(_legend(lang, tiles, compact)).add_to(m)
    if not compact:
        folium.LayerControl(collapsed=True).add_to(m)
    bounds = _bounds(data, shift)
    if bounds:
        m.fit_bounds(bounds, padding=(24, 24))
    return m


def _bounds(data: MapData, shift: bool) -> list[list[float]] | None:
    """The box around everything drawn: outlines, buildings, entrances and sites."""
    points = [p for poly in data.compounds["polygon"] for p in _ring(poly, shift)]
    points += [p for poly in data.grids["polygon"] for p in _ring(poly, shift)]
    for frame in (data.buildings, data.entrances, data.sites):
        points += [
            _point(float(o), float(a), shift)
            for a, o in zip(frame["lat"], frame["lon"], strict=True)
            if pd.notna(a) and pd.notna(o)
        ]
    if not points:
        return None
    lats = [p[0] for p in points]
    lons = [p[1] for p in points]
    return [[min(lats), min(lons)], [max(lats), max(lons)]]


def built_map(
    session: Session,
    as_of: dt.date,
    hour: int | None = None,
    tiles: str = "none",
    lang: str = "zh",
    assets_mode: str = "local",
    compact: bool = False,
) -> folium.Map:
    """map_data + build_map in one call, so the page can cache the built map per day and options."""
    return build_map(
        map_data(session, as_of, hour), tiles=tiles, lang=lang, assets_mode=assets_mode, compact=compact
    )


def map_html(session: Session, as_of: dt.date, **options: Any) -> str:
    """The map as one standalone HTML page (for a download, the bench, or a browser test)."""
    return built_map(session, as_of, **options).get_root().render()


# --- a click on the map ---------------------------------------------------------------------


def nearest_building(
    buildings: pd.DataFrame, lat: float, lng: float, *, tiles: str = "none", within_m: float = CLICK_RADIUS_M
) -> int | None:
    """The building drawn nearest to a clicked point (on the tiles' coordinates), if close enough."""
    if buildings.empty:
        return None
    if tiles == "amap":
        lng, lat = gcj02_to_wgs84(lng, lat)
    best, best_d = None, within_m
    for bid, b_lat, b_lon in zip(buildings["building_id"], buildings["lat"], buildings["lon"], strict=True):
        if pd.isna(b_lat) or pd.isna(b_lon):
            continue
        d = distance_m(lng, lat, float(b_lon), float(b_lat))
        if d <= best_d:
            best, best_d = int(bid), d
    return best


def building_locations(session: Session) -> pd.DataFrame:
    """building_id, lat, lon of every placed building (for resolving clicks)."""
    rows = session.execute(
        select(Building.id, Building.lat, Building.lon).where(
            Building.lat.is_not(None), Building.lon.is_not(None)
        )
    ).all()
    return pd.DataFrame(rows, columns=["building_id", "lat", "lon"])


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
