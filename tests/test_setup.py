"""Setting up a new committee: the checklist, writes by hand, editable tables mapped to primary keys,
the map (outlines, positions, GeoJSON/KML, GCJ-02), grids by polygon, the page, and the new committee
whose every page renders — up to the whole story: empty database → ledger → 3 grids → pages work."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from dashboard import auth, config, geo, imports, ledger, nav, overview, setup, store
from dashboard.errors import PermissionDenied, StaleEdit, ValidationError
from dashboard.i18n import code, t
from dashboard.roles import SYSTEM, CurrentUser
from db import make_engine
from db.models import AuditLog, Building, Committee, Compound, EntranceChange, Grid, Household, Resident
from tests.helpers import open_app, texts

ADMIN = CurrentUser(id=None, username="admin", role="admin")
SECRETARY = CurrentUser(id=None, username="shuji", role="secretary")
LEADER = CurrentUser(id=None, username="grid01", role="grid_leader", grid_id=1, grid_number=1)
OTHERS = (
    LEADER,
    CurrentUser(id=None, username="task", role="task", team_id=1),
    CurrentUser(id=None, username="viewer", role="viewer"),
    CurrentUser(id=None, username="meeting", role="meeting"),
)
ROOT = Path(__file__).resolve().parent.parent

# A small area near Huamei: a 3 x 1 row of compounds, 0.002° (~200 m) wide each.
LON0, LAT0 = 121.33, 31.19


def square(i: int, j: int = 0, size: float = 0.002) -> list[list[float]]:
    lon, lat = LON0 + i * size, LAT0 + j * size
    return [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]


def box(west: float, east: float) -> list[list[float]]:
    """A rectangle from LON0 + west to LON0 + east over the row of compounds."""
    w, e = LON0 + west, LON0 + east
    return [[w, LAT0], [e, LAT0], [e, LAT0 + 0.002], [w, LAT0 + 0.002], [w, LAT0]]


def write(engine: Engine, fn: Any, *args: Any, **kwargs: Any) -> Any:
    return store.run_write(engine, fn, *args, **kwargs)


def small_world(engine: Engine) -> dict[str, int]:
    """Committee, 3 compounds with 2 placed buildings each, 2 households per building, 2 grids (no outlines)."""
    write(engine, setup.save_committee, ADMIN, "Test committee", street="Xinhong")
    kind = code("compound_kind", "public_housing")
    compounds = [{"name": f"C{i}", "kind": kind} for i in range(3)]
    write(engine, setup.apply_edits, ADMIN, "compound", setup.TableEdits(added=compounds))
    buildings = [{"compound_id": f"C{i}", "name": f"B{k}"} for i in range(3) for k in range(2)]
    write(engine, setup.apply_edits, ADMIN, "building", setup.TableEdits(added=buildings))
    grids = [{"number": n, "name": f"G{n}"} for n in (1, 2)]
    write(engine, setup.apply_edits, ADMIN, "grid", setup.TableEdits(added=grids))
    ids: dict[str, int] = {}
    with Session(engine) as s:
        for b in s.scalars(select(Building).join(Compound).order_by(Building.id)):
            ids[f"{b.compound.name}/{b.name}"] = b.id
    for key, bid in ids.items():
        i, k = int(key[1]), int(key[-1])
        # Buildings sit inside their compound's square, one at a quarter and one at three quarters.
        write(engine, geo.place_building, ADMIN, bid, [LON0 + i * 0.002 + 0.0005 + k * 0.001, LAT0 + 0.001])
        for room in ("101", "102"):
            hid = write(engine, setup.save_household, ADMIN, bid, room, size=2)
            for p in range(2):
                write(engine, setup.add_resident, ADMIN, hid, f"P{bid}{room}{p}", "F", 1960 + p)
    write(
        engine,
        setup.apply_edits,
        ADMIN,
        "entrance",
        setup.TableEdits(added=[{"name": "Main gate", "is_open": True}]),
    )
    return ids


def grid_id(engine: Engine, number: int) -> int:
    with Session(engine) as s:
        return int(s.scalar(select(Grid.id).where(Grid.number == number)))


# --- the checklist --------------------------------------------------------------------------


def test_readiness_of_an_empty_database_names_every_missing_step(engine: Engine) -> None:
    with Session(engine) as s:
        steps = setup.readiness(s)
        assert not setup.is_ready(s)
    assert [st.key for st in steps][:6] == [
        "committee",
        "compounds",
        "buildings",
        "households",
        "residents",
        "grids",
    ]
    assert not any(st.done for st in steps)
    by_key = {st.key: st for st in steps}
    # A step that depends on a missing one names the missing one.
    assert by_key["assigned"].missing_key == "setup.missing.buildings"
    assert by_key["leaders"].missing_key == "setup.missing.grids"


def test_readiness_follows_the_set_up(engine: Engine) -> None:
    small_world(engine)
    with Session(engine) as s:
        by_key = {st.key: st for st in setup.readiness(s)}
    assert all(
        by_key[k].done for k in ("committee", "compounds", "buildings", "households", "residents", "grids")
    )
    assert by_key["placed"].done and not by_key["assigned"].done and by_key["assigned"].count == 6
    assert by_key["assigned"].missing_key == "setup.missing.assigned"
    write(engine, geo.set_grid_outline, ADMIN, grid_id(engine, 1), square(0, size=0.004))
    write(engine, geo.set_grid_outline, ADMIN, grid_id(engine, 2), square(2))
    staff = [
        {"name": f"S{n}", "kind": code("person_kind", "committee_staff"), "phone": "13800000000"}
        for n in (1, 2)
    ]
    write(engine, setup.apply_edits, ADMIN, "person", setup.TableEdits(added=staff))
    with Session(engine) as s:
        leaders = list(setup.options(s, "grid")["leader_id"])
    write(
        engine,
        setup.apply_edits,
        ADMIN,
        "grid",
        setup.TableEdits(
            changed={
                grid_id(engine, 1): {"leader_id": leaders[0]},
                grid_id(engine, 2): {"leader_id": leaders[1]},
            }
        ),
    )
    write(
        engine,
        setup.apply_edits,
        ADMIN,
        "entrance",
        setup.TableEdits(added=[{"name": "Gate", "is_open": False}]),
    )
    with Session(engine) as s:
        auth.create_user(s, SYSTEM, "boss", "password123", "admin")
        for n in (1, 2):
            gid = s.scalar(select(Grid.id).where(Grid.number == n))
            auth.create_user(s, SYSTEM, f"lead{n}", "password123", "grid_leader", grid_id=gid)
        s.commit()
        by_key = {st.key: st for st in setup.readiness(s)}
        assert setup.is_ready(s), [k for k, v in by_key.items() if not v.done]
    assert not by_key["teams"].done and not by_key["teams"].required


# --- the committee --------------------------------------------------------------------------


def test_committee_is_created_then_changed_and_audited(engine: Engine) -> None:
    cid = write(engine, setup.save_committee, SECRETARY, " Huamei ", district="Minhang", center_lat=31.19)
    write(engine, setup.save_committee, ADMIN, "Huamei residents' committee", center_lat="", center_lon=None)
    with Session(engine) as s:
        c = s.get(Committee, cid)
        assert (c.name, c.district, c.center_lat, c.is_demo) == (
            "Huamei residents' committee",
            "",
            None,
            False,
        )
        assert s.scalar(select(func.count()).select_from(Committee)) == 1
        rows = s.scalars(
            select(AuditLog).where(AuditLog.action == "setup.committee").order_by(AuditLog.id)
        ).all()
        assert [r.username for r in rows] == ["shuji", "admin"] and rows[1].before["name"] == "Huamei"
    for bad, key in (
        ({"name": " "}, "common.required"),
        ({"name": "x", "center_lat": 123}, "setup.out_of_range"),
    ):
        name = bad.pop("name")
        with pytest.raises(ValidationError) as exc:
            write(engine, setup.save_committee, ADMIN, name, **bad)
        assert exc.value.key == key
    with Session(engine) as s:
        assert s.scalar(select(Committee.name)) == "Huamei residents' committee"


WRITES = {
    "committee": lambda: (setup.save_committee, ("x",), {}),
    "table": lambda: (
        setup.apply_edits,
        ("compound", setup.TableEdits(added=[{"name": "x", "kind": "villa"}])),
        {},
    ),
    "household": lambda: (setup.save_household, (1, "909"), {}),
    "resident": lambda: (setup.add_resident, (1, "x", "M", 1970), {}),
    "compound_outline": lambda: (geo.set_compound_outline, (1, square(0)), {}),
    "grid_outline": lambda: (geo.set_grid_outline, (1, square(0)), {}),
    "new_grid": lambda: (geo.draw_new_grid, (3, "G3", square(0)), {}),
    "assign": lambda: (geo.assign_buildings, (1, [1]), {}),
    "place_building": lambda: (geo.place_building, (1, [LON0, LAT0]), {}),
    "place_entrance": lambda: (geo.place_entrance, (1, [LON0, LAT0]), {}),
    "apply_shapes": lambda: (
        geo.apply_shapes,
        ("grid", [geo.ShapeMatch(geo.Shape("polygon", square(0)), 1, "")]),
        {},
    ),
}


@pytest.mark.parametrize("name", sorted(WRITES))
def test_only_managers_set_up(engine: Engine, name: str) -> None:
    """Set-up is for the admin and the secretary: a grid leader cannot write it even for their own grid."""
    small_world(engine)
    fn, args, kwargs = WRITES[name]()
    with Session(engine) as s:
        audit_rows = s.scalar(select(func.count()).select_from(AuditLog))
    for who in OTHERS:
        with pytest.raises(PermissionDenied):
            write(engine, fn, who, *args, **kwargs)
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(AuditLog)) == audit_rows
    write(engine, fn, SECRETARY, *args, **kwargs)  # and a manager can
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(AuditLog)) > audit_rows


# --- editable tables ------------------------------------------------------------------------


def test_editor_positions_are_mapped_to_primary_keys() -> None:
    """st.data_editor reports edits by row position; the shown frame may be in any id order."""
    shown = pd.DataFrame({"id": [7, 3, 9], "name": ["a", "b", "c"]})
    state = {
        "edited_rows": {1: {"name": "B"}, "2": {"name": "C"}, 5: {"name": "ghost"}},
        "added_rows": [{"name": "new"}, {}, {"name": None}],
        "deleted_rows": [2],
    }
    edits = setup.edits_from_editor(shown, state)
    assert edits.changed == {3: {"name": "B"}}  # row 2 (id 9) is deleted, so its edit is dropped
    assert edits.deleted == [9] and edits.added == [{"name": "new"}]
    assert not setup.edits_from_editor(shown, None)


def test_tables_take_labels_back_to_ids_and_codes(engine: Engine) -> None:
    small_world(engine)
    with Session(engine) as s:
        shown = setup.table(s, "building", "en")
        opts = setup.options(s, "building", "en")
    assert list(shown.columns) == ["id", "compound_id", "name", "floors", "grid_id"]
    assert set(shown["compound_id"]) == {"C0", "C1", "C2"} and "1 G1" in opts["grid_id"]
    first = int(shown["id"].iloc[0])
    result = write(
        engine, setup.apply_edits, ADMIN, "building",
        setup.TableEdits(changed={first: {"grid_id": "1 G1", "floors": 6.0}}, added=[{"compound_id": "C2", "name": "B9"}]),
        lang="en",
    )  # fmt: skip
    assert (result.added, result.changed, result.deleted) == (1, 1, 0)
    with Session(engine) as s:
        b = s.get(Building, first)
        assert (b.grid_id, b.floors) == (grid_id(engine, 1), 6)
        kinds = setup.options(s, "compound", "zh")["kind"]
    assert kinds[code("compound_kind", "villa", lang="zh")] == "villa"


def test_table_refusals_name_the_row_and_change_nothing(engine: Engine) -> None:
    small_world(engine)
    with Session(engine) as s:
        before = s.scalar(select(func.count()).select_from(Compound))
        c0 = s.scalar(select(Compound.id).where(Compound.name == "C0"))
    cases = [
        (
            setup.TableEdits(added=[{"name": "C9", "kind": "villa"}, {"name": "C0", "kind": "villa"}]),
            "setup.duplicate",
        ),
        (setup.TableEdits(added=[{"name": "C9", "kind": "castle"}]), "setup.row_error"),
        (setup.TableEdits(added=[{"name": "", "kind": "villa"}]), "setup.row_error"),
        (setup.TableEdits(deleted=[c0]), "setup.in_use"),
        (setup.TableEdits(changed={c0: {"name": "C1"}}), "setup.duplicate"),
    ]
    for edits, key in cases:
        with pytest.raises(ValidationError) as exc:
            write(engine, setup.apply_edits, ADMIN, "compound", edits, lang="en")
        assert exc.value.key == key
    with pytest.raises(ValidationError) as exc:
        write(
            engine, setup.apply_edits, ADMIN, "compound", setup.TableEdits(added=[{"name": "C9"}]), lang="en"
        )
    assert "new 1" in exc.value.message("en") and "Kind" in exc.value.message("en")
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Compound)) == before
    # A free row can be deleted, and the deletion is audited with what was there.
    write(
        engine,
        setup.apply_edits,
        ADMIN,
        "compound",
        setup.TableEdits(added=[{"name": "Gone", "kind": "villa"}]),
    )
    with Session(engine) as s:
        gone = s.scalar(select(Compound.id).where(Compound.name == "Gone"))
    write(engine, setup.apply_edits, ADMIN, "compound", setup.TableEdits(deleted=[gone]))
    with Session(engine) as s:
        row = s.scalar(select(AuditLog).where(AuditLog.action == "setup.compound_delete"))
        assert row.before["name"] == "Gone" and s.get(Compound, gone) is None


def test_a_new_open_entrance_counts_as_open_on_the_overview(engine: Engine) -> None:
    write(engine, setup.save_committee, ADMIN, "x")
    added = [
        {"name": "North gate", "road": "Huamei Rd", "is_open": True},
        {"name": "Side gate", "is_open": False},
    ]
    write(engine, setup.apply_edits, ADMIN, "entrance", setup.TableEdits(added=added))
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(EntranceChange)) == 2
        today = config.today(s)
        assert overview.open_entrances(s, today) == 1


def test_staff_phone_is_checked(engine: Engine) -> None:
    bad = [{"name": "S", "kind": code("person_kind", "cadre"), "phone": "12345"}]
    with pytest.raises(ValidationError) as exc:
        write(engine, setup.apply_edits, ADMIN, "person", setup.TableEdits(added=bad))
    assert "12345" in exc.value.message("en")


# --- households and residents by hand -------------------------------------------------------


def test_household_by_hand_with_stale_edit_and_zero_people(engine: Engine) -> None:
    small_world(engine)
    with Session(engine) as s:
        bid = s.scalar(select(Building.id))
    hid = write(engine, setup.save_household, ADMIN, bid, "999", size=3, is_rental=True, head_name="H")
    with Session(engine) as s:
        seen = s.get(Household, hid).version
    write(engine, setup.save_household, ADMIN, bid, "999", size=4, household_id=hid, version=seen)
    with pytest.raises(StaleEdit):  # a second user still holding the old version
        write(engine, setup.save_household, SECRETARY, bid, "999", size=5, household_id=hid, version=seen)
    with pytest.raises(ValidationError) as exc:
        write(engine, setup.save_household, ADMIN, bid, "998", size=0)
    assert exc.value.key == "ledger.reject.zero_size"
    with pytest.raises(ValidationError):
        write(engine, setup.save_household, ADMIN, bid, "101", size=1)  # room taken
    with Session(engine) as s:
        assert s.get(Household, hid).size == 4
        assert s.scalar(select(func.count()).select_from(Household).where(Household.room == "998")) == 0


def test_resident_by_hand_checks_id_and_phone(engine: Engine) -> None:
    small_world(engine)
    with Session(engine) as s:
        hid = s.scalar(select(Household.id))
    for kwargs, key in (
        ({"id_number": "110105194912310021"}, "common.bad_id_number"),
        ({"phone": "139"}, "common.bad_phone"),
    ):
        with pytest.raises(ValidationError) as exc:
            write(engine, setup.add_resident, ADMIN, hid, "N", "M", 1949, **kwargs)
        assert exc.value.key == key
    rid = write(engine, setup.add_resident, ADMIN, hid, "N", "M", 1949, id_number="11010519491231002x",
                chronic_condition="asthma")  # fmt: skip
    with Session(engine) as s:
        r = s.get(Resident, rid)
        assert (r.id_number, r.is_chronic) == ("11010519491231002X", True)
        row = s.scalar(
            select(AuditLog).where(AuditLog.action == "setup.resident_add", AuditLog.record_id == str(rid))
        )
        assert "id_number" not in row.after


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


# --- the page -------------------------------------------------------------------------------


@pytest.fixture
def new_committee(empty_app_db: str) -> str:
    """A new install after its first start: one admin, the committee's name, no history at all."""
    engine = make_engine(empty_app_db)
    write(engine, auth.create_user, SYSTEM, "boss", "password123", "admin", display_name="Boss")
    write(engine, setup.save_committee, SYSTEM, "New committee")
    engine.dispose()
    return empty_app_db


@pytest.mark.parametrize("filled", [False, True], ids=["empty", "filled"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_setup_page_every_step_renders(new_committee: str, lang: str, filled: bool) -> None:
    if filled:
        engine = make_engine(new_committee)
        small_world(engine)
        write(engine, geo.set_grid_outline, ADMIN, grid_id(engine, 1), square(0))
        engine.dispose()
    at = open_app("boss", lang, "pages/setup.py")
    assert not at.exception
    assert t("setup.title", lang=lang) in texts(at)
    for step in ("committee", "compounds", "buildings", "ledger", "grids", "entrances", "staff"):
        at.radio(key="setup_step").set_value(step).run()
        assert not at.exception, (step, at.exception)
        assert t(f"setup.step.{step}", lang=lang)


def test_meeting_mode_hides_the_staff_lists(new_committee: str) -> None:
    engine = make_engine(new_committee)
    staff = [{"name": "Wang Xiaoyan", "kind": code("person_kind", "committee_staff"), "phone": "13912345678"}]
    write(engine, setup.apply_edits, ADMIN, "person", setup.TableEdits(added=staff))
    at = open_app("boss", "en", "pages/setup.py")
    at.radio(key="setup_step").set_value("staff").run()
    assert "Wang Xiaoyan" in texts(at)
    at.toggle(key="meeting_mode").set_value(True).run()
    assert not at.exception
    assert "Wang Xiaoyan" not in texts(at) and "13912345678" not in texts(at)
    assert t("setup.hidden_in_meeting", lang="en") in texts(at)


def test_setup_page_committee_form_refuses_an_empty_name(new_committee: str) -> None:
    at = open_app("boss", "en", "pages/setup.py")
    at.text_input[0].set_value("")
    at.button[0].click().run()
    assert not at.exception
    assert t("common.required", lang="en", field=t("setup.committee_name", lang="en")) in texts(at)
    with Session(make_engine(new_committee)) as s:
        assert s.scalar(select(Committee.name)) == "New committee"
    at.text_input[0].set_value("Renamed")
    at.button[0].click().run()
    assert t("setup.committee_saved", lang="en") in texts(at)
    with Session(make_engine(new_committee)) as s:
        assert s.scalar(select(Committee.name)) == "Renamed"


def test_setup_page_dry_run_then_commit(new_committee: str) -> None:
    """Upload a ledger on step 4: mapping, dry run with rejects and row numbers, commit, sizes on step 5."""
    from tests.test_ledger import H, bad_check_digit, make_ledger, xlsx

    rows = make_ledger(12, grids=2)
    rows[3][H["id_number"]] = bad_check_digit(rows[3][H["id_number"]])  # row 5 of the sheet
    mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    at = open_app("boss", "en", "pages/setup.py")
    at.radio(key="setup_step").set_value("ledger").run()
    at.file_uploader(key="setup_ledger_file").set_value(("ledger.xlsx", b"\x00\x01 not a sheet", mime)).run()
    assert not at.exception and at.error  # a refused file is a message, not a traceback
    data = xlsx(rows)
    at.file_uploader(key="setup_ledger_file").set_value(("ledger.xlsx", data, mime)).run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[t("ledger.add", lang="en")] == str(len(rows) - 1)
    assert metrics[t("ledger.rejected", lang="en")] == "1"
    issues = next(df.value for df in at.dataframe if t("imports.row", lang="en") in df.value.columns)
    assert issues[t("imports.row", lang="en")].tolist() == [5]
    assert at.selectbox(key=f"setup_map_{imports.file_digest(data)[:12]}_room").value == H["room"]
    at.button(key="setup_ledger_commit").click().run()
    assert not at.exception
    assert t("ledger.done", lang="en").split(":")[0] in texts(at)
    with Session(make_engine(new_committee)) as s:
        assert s.scalar(select(func.count()).select_from(Resident)) == len(rows) - 1
    # The same sheet again: nothing to write.
    assert t("ledger.nothing_to_commit", lang="en") in texts(at)
    at.radio(key="setup_step").set_value("grids").run()
    assert not at.exception
    sizes = next(df.value for df in at.dataframe if "households" in df.value.columns)
    assert sizes["households"].sum() == 12 and len(sizes) == 2


def test_setup_page_imports_grid_outlines_from_geojson(new_committee: str) -> None:
    engine = make_engine(new_committee)
    small_world(engine)
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "G2"}, "geometry": {"type": "Polygon", "coordinates": [box(0.002, 0.006)]}},
        {"type": "Feature", "properties": {"name": "nowhere"}, "geometry": {"type": "Polygon", "coordinates": [square(9)]}},
    ]}  # fmt: skip
    at = open_app("boss", "en", "pages/setup.py")
    at.radio(key="setup_step").set_value("grids").run()
    at.file_uploader(key="setup_shapes_grid").set_value(
        ("grids.geojson", json.dumps(fc).encode(), "application/json")
    )
    at.run()
    assert not at.exception
    matched = next(df.value for df in at.dataframe if t("setup.shapes_match", lang="en") in df.value.columns)
    assert matched[t("setup.shapes_match", lang="en")].tolist() == [
        "G2",
        t("setup.shapes_unmatched", lang="en"),
    ]
    at.button(key="setup_shapes_apply_grid").click().run()
    assert not at.exception and t("setup.shapes_saved", lang="en", n=1) in texts(at)
    with Session(engine) as s:
        assert (
            s.scalar(select(func.count()).select_from(Building).where(Building.grid_id == grid_id(engine, 2)))
            == 4
        )


def test_setup_page_assign_by_list(new_committee: str) -> None:
    engine = make_engine(new_committee)
    small = [{"name": "C0", "kind": "villa"}]
    write(engine, setup.apply_edits, ADMIN, "compound", setup.TableEdits(added=small))
    write(
        engine,
        setup.apply_edits,
        ADMIN,
        "building",
        setup.TableEdits(added=[{"compound_id": "C0", "name": "B1"}]),
    )
    write(engine, setup.apply_edits, ADMIN, "grid", setup.TableEdits(added=[{"number": 1, "name": "G1"}]))
    at = open_app("boss", "en", "pages/setup.py")
    at.radio(key="setup_step").set_value("grids").run()
    at.selectbox(key="setup_assign_grid").select_index(1)
    with Session(engine) as s:
        bid = s.scalar(select(Building.id))
    at.multiselect(key="setup_assign_buildings").set_value([bid])
    next(b for b in at.button if b.label == t("setup.assign_submit", lang="en")).click().run()
    assert not at.exception
    with Session(engine) as s:
        assert s.scalar(select(Building.grid_id)) == s.scalar(select(Grid.id))


def test_setup_page_is_refused_to_a_grid_leader(new_committee: str) -> None:
    engine = make_engine(new_committee)
    write(engine, setup.apply_edits, ADMIN, "grid", setup.TableEdits(added=[{"number": 1, "name": "G1"}]))
    with Session(engine) as s:
        gid = s.scalar(select(Grid.id))
        auth.create_user(s, ADMIN, "lead", "password123", "grid_leader", grid_id=gid)
        s.commit()
        leader = auth.to_current(s, s.scalar(select(auth.User).where(auth.User.username == "lead")))
    assert "pages/setup.py" not in [p.path for p in nav.pages_for(leader)]
    at = AppTest.from_file(str(ROOT / "pages" / "setup.py"), default_timeout=60)
    at.session_state["user"] = leader
    at.run()
    assert not at.exception and t("setup.denied", lang="zh") in texts(at) and not at.radio


# --- a new committee: every page works without history --------------------------------------

EXISTING_PAGES = [p.path for p in nav.PAGES if (ROOT / p.path).exists()]


@pytest.mark.parametrize("page", EXISTING_PAGES)
def test_every_page_renders_for_a_new_committee(new_committee: str, page: str) -> None:
    """Just the committee and its first admin: no compounds, no rounds, no cases. No page may fail."""
    at = open_app("boss", "zh", page)
    assert not at.exception, [e.value for e in at.exception]


# --- done when: empty database → ledger from xlsx → 3 grids drawn → the pages work ----------


def test_a_new_committee_runs_on_its_own_data(empty_app_db: str) -> None:
    from tests.test_ledger import make_ledger, xlsx

    engine = make_engine(empty_app_db)
    # The first admin and the committee, as the first-admin screen and step 1 do.
    admin_row = write(engine, auth.create_user, SYSTEM, "boss", "password123", "admin")
    with Session(engine) as s:
        admin = auth.to_current(s, s.get(auth.User, admin_row.id))
    write(engine, setup.save_committee, admin, "Sunrise committee", district="Minhang")
    # A 500-household ledger from xlsx, no grid column.
    rows = make_ledger(500)
    data = xlsx(rows)
    frame = imports.read_table(data, "ledger.xlsx", max_bytes=10**8)
    mapping = ledger.suggest_mapping(list(frame.columns))
    with Session(engine) as s:
        run = ledger.dry_run(s, admin, frame, mapping)
    assert run.issues == [] and len(run.add) == len(rows)
    write(
        engine,
        ledger.commit,
        admin,
        frame,
        mapping,
        filename="ledger.xlsx",
        digest=imports.file_digest(data),
    )
    # The buildings are placed (a GeoJSON of points, as a surveyor's file would give) ...
    with Session(engine) as s:
        buildings = s.execute(
            select(Building.id, Compound.name, Building.name).join(Compound).order_by(Building.id)
        ).all()
    features = [
        {"type": "Feature", "properties": {"compound": c, "building": b},
         "geometry": {"type": "Point", "coordinates": [LON0 + 0.0003 * (i % 30), LAT0 + 0.0003 * (i // 30)]}}
        for i, (_, c, b) in enumerate(buildings)
    ]  # fmt: skip
    shapes = geo.read_shapes(
        json.dumps({"type": "FeatureCollection", "features": features}).encode(), "b.geojson"
    )
    with Session(engine) as s:
        matches = geo.match_shapes(s, "building", shapes)
    assert write(engine, geo.apply_shapes, admin, "building", matches) == len(buildings)
    # ... and 3 grids are drawn on the map: st_folium's drawing output, one rectangle each.
    width = 0.0003 * 10
    for n in range(3):
        west = LON0 - 0.00015 + n * width
        ring = [
            [west, LAT0 - 1],
            [west + width, LAT0 - 1],
            [west + width, LAT0 + 1],
            [west, LAT0 + 1],
            [west, LAT0 - 1],
        ]
        drawing = {
            "last_active_drawing": {
                "type": "Feature",
                "properties": {},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        }
        shape = geo.shape_to_wgs84(geo.shapes_from_drawing(drawing, last_only=True)[0], "none")
        write(engine, geo.draw_new_grid, admin, n + 1, t("setup.grid_default_name", n=n + 1), shape.coords)
    with Session(engine) as s:
        sizes = setup.grid_sizes(s)
        figures = overview.headline(s, config.today(s))
        steps = {st.key: st for st in setup.readiness(s)}
    assert len(sizes) == 3 and sizes["households"].sum() == 500 and sizes["residents"].sum() == len(rows)
    assert steps["assigned"].done
    assert (figures["households"], figures["residents"], figures["grids"], figures["compounds"]) == (
        500,
        len(rows),
        3,
        5,
    )
    # The overview, screening and supply pages work for it, in both languages.
    for page in ("pages/overview.py", "pages/screening.py", "pages/supplies.py"):
        if not (ROOT / page).exists():
            pytest.fail(f"{page} is missing")
        for lang in ("zh", "en"):
            at = open_app("boss", lang, page)
            assert not at.exception, (page, lang, [e.value for e in at.exception])
    at = open_app("boss", "en", "pages/overview.py")
    assert "500" in texts(at)
