"""Geometry of the committee's area: outlines and points, GeoJSON/KML files, drawings from the map,
the GCJ-02 shift of Chinese tiles, and assigning buildings to grids by drawing a grid around them.

Coordinates are stored WGS-84 as [lon, lat]; a polygon is its closed outer ring [[lon, lat], ...].
Tiles from Amap/Gaode are GCJ-02, so whatever is drawn on them is shifted back before it is stored.

The entry the pages use; the work lives in three modules, whose names this one gathers:
- geo_shapes: `Shape`, checking rings and points, inside and area, reading GeoJSON/KML/KMZ files
  and drawings, the GCJ-02 shift both ways;
- geo_writes: outlines and positions stored on their records, buildings assigned to a grid;
- geo_match: a file's shapes matched to records by name, and stored.
Here: `drawing_map`, the area's map with folium's drawing tools for one target.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from dashboard import validate
from dashboard.geo_match import TARGETS, ShapeMatch, apply_shapes, match_shapes
from dashboard.geo_shapes import (
    DECIMALS,
    MAX_RING_POINTS,
    MAX_SHAPE_BYTES,
    Shape,
    clean_point,
    clean_ring,
    point_in_polygon,
    read_shapes,
    ring_area_m2,
    shape_to_wgs84,
    shapes_from_drawing,
    shapes_from_geojson,
    shapes_from_kml,
)
from dashboard.geo_writes import (
    Assigned,
    assign_buildings,
    buildings_inside,
    draw_new_grid,
    place_building,
    place_entrance,
    set_compound_outline,
    set_grid_outline,
)
from dashboard.maps_coords import gcj02_to_wgs84, wgs84_to_gcj02

__all__ = [
    "DECIMALS",
    "MAX_RING_POINTS",
    "MAX_SHAPE_BYTES",
    "TARGETS",
    "Assigned",
    "Shape",
    "ShapeMatch",
    "apply_shapes",
    "assign_buildings",
    "buildings_inside",
    "clean_point",
    "clean_ring",
    "draw_new_grid",
    "drawing_map",
    "gcj02_to_wgs84",
    "match_shapes",
    "place_building",
    "place_entrance",
    "point_in_polygon",
    "read_shapes",
    "ring_area_m2",
    "set_compound_outline",
    "set_grid_outline",
    "shape_to_wgs84",
    "shapes_from_drawing",
    "shapes_from_geojson",
    "shapes_from_kml",
    "wgs84_to_gcj02",
]


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
