"""Setting up a new committee: the checklist, the committee, who may set up, editable tables mapped
to primary keys, households and residents by hand. The map and files of shapes are in
tests/test_setup_geo.py, the page and a new committee's whole story in tests/test_setup_page.py."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from dashboard import auth, config, geo, overview, setup
from dashboard.errors import PermissionDenied, StaleEdit, ValidationError
from dashboard.i18n import code
from dashboard.roles import SYSTEM
from db.models import AuditLog, Building, Committee, Compound, EntranceChange, Grid, Household, Resident
from tests.setup_world import (
    ADMIN,
    LAT0,
    LON0,
    OTHERS,
    SECRETARY,
    grid_id,
    small_world,
    square,
    write,
)

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
