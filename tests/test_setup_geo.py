"""Setting up on the map: inside a ring, the GCJ-02 shift, shapes from GeoJSON/KML/KMZ and from a
drawing, grids by polygon taking the buildings inside them, file shapes matched by name, the drawing
map."""

from __future__ import annotations

import io
import json
import zipfile

import pandas as pd
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from dashboard import config, geo, setup
from dashboard.errors import ValidationError
from db.models import AuditLog, Building, Compound, Grid
from tests.setup_world import (
    ADMIN,
    LAT0,
    LON0,
    box,
    grid_id,
    small_world,
    square,
    write,
)

# --- geometry -------------------------------------------------------------------------------


def test_point_in_polygon() -> None:
    ring = [[0, 0], [4, 0], [4, 4], [2, 2], [0, 4], [0, 0]]  # a notched square
    assert geo.point_in_polygon(1, 1, ring) and geo.point_in_polygon(3, 3, ring)
    assert not geo.point_in_polygon(2, 3, ring)  # in the notch
    assert not geo.point_in_polygon(5, 1, ring) and not geo.point_in_polygon(-1, 1, ring)
    assert geo.ring_area_m2(square(0)) == pytest.approx(200 * 222, rel=0.05)


def test_gcj02_round_trip_is_below_a_centimetre() -> None:
    for lon, lat in ((121.33, 31.19), (116.39, 39.91), (113.26, 23.13)):
        g_lon, g_lat = geo.wgs84_to_gcj02(lon, lat)
        assert 0.001 < abs(g_lon - lon) + abs(g_lat - lat) < 0.02  # Amap's offset: hundreds of metres
        back = geo.gcj02_to_wgs84(g_lon, g_lat)
        assert abs(back[0] - lon) < 1e-7 and abs(back[1] - lat) < 1e-7
    assert geo.gcj02_to_wgs84(2.35, 48.85) == (2.35, 48.85)  # no shift outside China


def test_drawn_on_amap_tiles_is_stored_as_wgs84() -> None:
    ring = square(0)
    drawn = [list(geo.wgs84_to_gcj02(lon, lat)) for lon, lat in ring]
    output = {
        "last_active_drawing": {
            "type": "Feature",
            "properties": {},
            "geometry": {"type": "Polygon", "coordinates": [drawn]},
        }
    }
    shape = geo.shape_to_wgs84(geo.shapes_from_drawing(output, last_only=True)[0], "amap")
    assert all(
        abs(a - b) < 1e-6 for p, q in zip(shape.coords, ring, strict=True) for a, b in zip(p, q, strict=True)
    )
    osm = geo.shape_to_wgs84(geo.shapes_from_drawing(output, last_only=True)[0], "osm")
    assert osm.coords[0] == [round(v, 7) for v in drawn[0]]


def test_shapes_from_geojson_kml_and_kmz() -> None:
    fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "G1"},
                "geometry": {"type": "Polygon", "coordinates": [square(0)]},
            },
            {
                "type": "Feature",
                "properties": {"name": "Gate"},
                "geometry": {"type": "Point", "coordinates": [LON0, LAT0]},
            },
            {
                "type": "Feature",
                "properties": {},
                "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
            },
        ],
    }
    shapes = geo.read_shapes(json.dumps(fc).encode(), "grids.geojson")
    assert [(s.kind, s.name) for s in shapes] == [("polygon", "G1"), ("point", "Gate")]
    coords = " ".join(f"{lon},{lat},0" for lon, lat in square(1))
    kml = (
        '<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
        f"<Placemark><name>C1</name><Polygon><outerBoundaryIs><LinearRing><coordinates>{coords}"
        "</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>"
        f"<Placemark><name>Gate</name><Point><coordinates>{LON0},{LAT0}</coordinates></Point></Placemark>"
        "</Document></kml>"
    ).encode()
    shapes = geo.read_shapes(kml, "area.kml")
    assert [(s.kind, s.name) for s in shapes] == [("polygon", "C1"), ("point", "Gate")]
    assert shapes[0].coords == geo.clean_ring(square(1))
    kmz = io.BytesIO()
    with zipfile.ZipFile(kmz, "w") as z:
        z.writestr("doc.kml", kml)
    assert len(geo.read_shapes(kmz.getvalue(), "area.kmz")) == 2


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not json at all",
        b'<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY a "aaaa">]><kml>&a;</kml>',
        b'{"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[1, 1], [2, 2], [1, 1]]]}}',
        b'{"type": "Feature", "geometry": {"type": "Point", "coordinates": [200, 1]}}',
        b'{"type": "Feature", "geometry": {"type": "Point", "coordinates": ["x", 1]}}',
    ],
)
def test_bad_map_files_are_refused(data: bytes) -> None:
    with pytest.raises(ValidationError):
        geo.read_shapes(data, "file.geojson")


def test_drawing_a_grid_takes_the_buildings_inside_it(engine: Engine) -> None:
    ids = small_world(engine)
    g1, g2 = grid_id(engine, 1), grid_id(engine, 2)
    result = write(engine, geo.set_grid_outline, ADMIN, g1, square(0, size=0.004))  # C0 and C1
    assert (result.moved, result.already) == (4, 0)
    result = write(engine, geo.set_grid_outline, ADMIN, g2, box(0.002, 0.006))  # C1 and C2: C1 moves over
    assert (result.moved, result.already) == (4, 0)
    with Session(engine) as s:
        grids = dict(s.execute(select(Building.id, Building.grid_id)).all())
        sizes = setup.grid_sizes(s)
        moved = s.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.action == "setup.building_grid")
        )
    assert grids[ids["C0/B0"]] == g1 and grids[ids["C1/B0"]] == g2 and grids[ids["C2/B1"]] == g2
    assert moved == 8
    assert sizes[["number", "buildings", "households", "residents"]].values.tolist() == [
        [1, 2, 4, 8],
        [2, 4, 8, 16],
    ]
    # A new grid drawn around one building; the grid sizes show the unassigned too.
    new_id, result = write(engine, geo.draw_new_grid, ADMIN, 3, "G3", [[LON0 + 0.0004, LAT0 + 0.0009],
        [LON0 + 0.0006, LAT0 + 0.0009], [LON0 + 0.0006, LAT0 + 0.0011], [LON0 + 0.0004, LAT0 + 0.0011]])  # fmt: skip
    assert result.moved == 1
    write(engine, geo.assign_buildings, ADMIN, None, [ids["C2/B1"]])
    with Session(engine) as s:
        sizes = setup.grid_sizes(s)
    assert sizes["buildings"].tolist() == [1, 3, 1, 1] and pd.isna(sizes["grid_id"].iloc[-1])


def test_file_shapes_are_matched_by_name_and_stored(engine: Engine) -> None:
    small_world(engine)
    write(engine, setup.apply_edits, ADMIN, "entrance", setup.TableEdits(added=[{"name": "North gate"}]))
    shapes = [
        geo.Shape("polygon", square(0), "c0"),
        geo.Shape("polygon", square(1), "Unknown estate"),
        geo.Shape("point", [LON0, LAT0], "North gate"),
    ]
    with Session(engine) as s:
        matches = geo.match_shapes(s, "compound", shapes)
        assert [m.record_label for m in matches] == ["C0", ""]
        gates = geo.match_shapes(s, "entrance", shapes)
        buildings = geo.match_shapes(s, "building", [geo.Shape("point", [LON0, LAT0], "C1 B0"),
                                                      geo.Shape("point", [LON0, LAT0], "B0")])  # fmt: skip
        grids = geo.match_shapes(s, "grid", [geo.Shape("polygon", square(2), "grid 2")])
    assert [m.record_label for m in buildings] == ["C1 B0", ""]  # "B0" alone is ambiguous
    assert grids[0].record_label == "G2"
    assert write(engine, geo.apply_shapes, ADMIN, "compound", matches) == 1
    assert write(engine, geo.apply_shapes, ADMIN, "entrance", gates) == 1
    assert write(engine, geo.apply_shapes, ADMIN, "grid", grids) == 1
    with Session(engine) as s:
        assert s.scalar(select(Compound.polygon).where(Compound.name == "C0")) == geo.clean_ring(square(0))
        assert s.scalar(select(Grid.polygon).where(Grid.number == 2)) == geo.clean_ring(square(2))
        assert (
            s.scalar(select(func.count()).select_from(Building).where(Building.grid_id == grid_id(engine, 2)))
            == 2
        )


def test_drawing_map_has_the_draw_tools_and_the_area(engine: Engine) -> None:
    small_world(engine)
    write(engine, geo.set_grid_outline, ADMIN, grid_id(engine, 1), square(0))
    with Session(engine) as s:
        today = config.today(s)
        polygon = geo.drawing_map(s, today, "grid", lang="en").get_root().render()
        point = geo.drawing_map(s, today, "entrance", tiles="amap", lang="en").get_root().render()
    assert "L.Control.Draw" in polygon and '"polygon": true' in polygon and '"marker": false' in polygon
    assert '"marker": true' in point and "autonavi" in point


def test_the_drawing_tools_load_from_the_app_when_the_assets_are_installed(engine: Engine) -> None:
    from dashboard import assets

    if not assets.installed():
        pytest.skip("map assets not installed: python -m dashboard assets")
    small_world(engine)
    with Session(engine) as s:
        html = geo.drawing_map(s, config.today(s), "grid", assets_mode="local").get_root().render()
    assert "/juwei-static/vendor/leaflet-draw-1.0.2/dist/leaflet.draw.js" in html
    assert "cdnjs" not in html
