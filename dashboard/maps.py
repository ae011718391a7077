"""The map (地图): compounds coloured by zone, grids, buildings, entrances and sampling sites.

The entry the pages use; the work lives in these modules:

- maps_data: `map_columns(session, as_of, hour)` reads what the map shows (aggregated in SQL) as
  plain columns, `map_data` the same as DataFrames; maps_details: one building's details for the
  panel beside the map, and where the buildings are (to resolve a click);
- maps_layers / maps_drawn / maps_draw: `build_map(data, ...)` turns either into a folium.Map, a
  plain function of the data and the display options, testable without Streamlit; each layer's
  features are written as the JSON text folium puts into the page (maps_geojson's layer classes);
- maps_coords: the GCJ-02 shift of Amap tiles, distances, which building a click is on;
- maps_render: `folium_parts(m, key, streamlit_folium)`, the map as streamlit-folium's component arguments.

`built_map` is map_columns and build_map together, for the page's shared cache.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import folium
from sqlalchemy.orm import Session

from dashboard.maps_coords import (
    CLICK_RADIUS_M,
    distance_m,
    gcj02_to_wgs84,
    nearest_building,
    out_of_china,
    wgs84_to_gcj02,
)
from dashboard.maps_data import MapColumns, MapData, entrance_states, map_columns, map_data, moment_of
from dashboard.maps_details import BuildingDetails, building_details, building_locations, has_placed_buildings
from dashboard.maps_draw import AMAP_URL, BACKGROUND, STYLE, TILES, Legend, build_map, effective_assets
from dashboard.maps_layers import (
    CLASS_BUILDING,
    CLASS_COMPOUND,
    CLASS_ENTRANCE_CLOSED,
    CLASS_ENTRANCE_OPEN,
    CLASS_GRID,
    CLASS_SITE,
    GRID_COLOUR,
    ZONE_COLOURS,
    buildings_geojson,
    compounds_geojson,
    entrances_geojson,
    grids_geojson,
    safe,
    sites_geojson,
)
from dashboard.maps_render import folium_parts

__all__ = [
    "AMAP_URL",
    "BACKGROUND",
    "CLASS_BUILDING",
    "CLASS_COMPOUND",
    "CLASS_ENTRANCE_CLOSED",
    "CLASS_ENTRANCE_OPEN",
    "CLASS_GRID",
    "CLASS_SITE",
    "CLICK_RADIUS_M",
    "GRID_COLOUR",
    "STYLE",
    "TILES",
    "ZONE_COLOURS",
    "BuildingDetails",
    "Legend",
    "MapColumns",
    "MapData",
    "build_map",
    "building_details",
    "building_locations",
    "buildings_geojson",
    "built_map",
    "compounds_geojson",
    "distance_m",
    "effective_assets",
    "entrance_states",
    "entrances_geojson",
    "folium_parts",
    "gcj02_to_wgs84",
    "grids_geojson",
    "has_placed_buildings",
    "map_columns",
    "map_data",
    "map_html",
    "moment_of",
    "nearest_building",
    "out_of_china",
    "safe",
    "sites_geojson",
    "wgs84_to_gcj02",
]


def built_map(
    session: Session,
    as_of: dt.date,
    hour: int | None = None,
    tiles: str = "none",
    lang: str = "zh",
    assets_mode: str = "local",
    compact: bool = False,
) -> folium.Map:
    """map_columns + build_map in one call, so the page can cache the built map per day and options."""
    return build_map(
        map_columns(session, as_of, hour), tiles=tiles, lang=lang, assets_mode=assets_mode, compact=compact
    )


def map_html(session: Session, as_of: dt.date, **options: Any) -> str:
    """The map as one standalone HTML page (for a download, the bench, or a browser test)."""
    return built_map(session, as_of, **options).get_root().render()
