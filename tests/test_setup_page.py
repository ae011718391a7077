"""The set-up page: every step renders, meeting mode, the committee form, the ledger's dry run and
commit, grid outlines from a file, assigning by list, refused to a grid leader; and the new committee
whose every page renders — up to the whole story: empty database → ledger → 3 grids → pages work."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from dashboard import auth, config, geo, imports, ledger, nav, overview, setup
from dashboard.i18n import code, t
from dashboard.roles import SYSTEM
from db import make_engine
from db.models import Building, Committee, Compound, Grid, Resident
from tests.helpers import open_app, texts
from tests.setup_world import (
    ADMIN,
    LAT0,
    LON0,
    ROOT,
    box,
    grid_id,
    small_world,
    square,
    write,
)

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
