"""Supplies: the allocation rule, batches, distribution, coverage, reconciliation, re-survey, sheets (the page: test_supplies_page.py).

Exact answers come from a small hand-made area (two grids, three buildings, seven households);
the Huamei seed gives the figures (batch 1 per door short, batch 2 = 2969 households).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from dashboard import distribution, supplies, supply_sheet, survey
from dashboard.errors import PermissionDenied, StaleEdit, ValidationError
from dashboard.roles import CurrentUser
from dashboard.store import run_write
from db.models import (
    AuditLog,
    Building,
    Committee,
    Compound,
    Delivery,
    Grid,
    Household,
    Resident,
    SupplyBatch,
    Team,
)

TODAY = dt.date(2022, 5, 29)
NOW = dt.datetime(2022, 5, 29, 18, 0)
RELEASED = dt.datetime(2022, 5, 29, 8, 0)


@dataclass
class Area:
    """Ids of the hand-made area."""

    grid1: int
    grid2: int
    house: int  # homestead house, grid 1: door "1号" hides households of 5, 6 and 7 people
    cottage: int  # homestead house, grid 1: door "2号", one household of 2
    block: int  # public housing, grid 2: rooms 101室 (1), 102室 (3), 201室 (6)
    hh: dict[str, int]  # room label -> household id
    team_a: int
    team_b: int
    secretary: CurrentUser
    leader1: CurrentUser
    leader2: CurrentUser
    squad_a: CurrentUser
    viewer: CurrentUser


def _make_area(session: Session) -> Area:
    session.add(Committee(name="test", is_demo=True, demo_today=TODAY))
    g1, g2 = Grid(number=1, name="G1"), Grid(number=2, name="G2")
    village, estate = (
        Compound(name="Village", kind="homestead"),
        Compound(name="Estate", kind="public_housing"),
    )
    session.add_all([g1, g2, village, estate])
    session.flush()
    house = Building(compound_id=village.id, grid_id=g1.id, name="H1")
    cottage = Building(compound_id=village.id, grid_id=g1.id, name="H2")
    block = Building(compound_id=estate.id, grid_id=g2.id, name="B1")
    session.add_all([house, cottage, block])
    session.flush()
    spec = [
        ("H1/1", house, "1号", "1户", 5, "张三丰"),
        ("H1/2", house, "1号", "2户", 6, "李小龙"),
        ("H1/3", house, "1号", "3户", 7, "王大锤"),
        ("H2/1", cottage, "2号", "1户", 2, "赵六"),
        ("B1/101", block, "101室", "101室", 1, "钱七"),
        ("B1/102", block, "102室", "102室", 3, "孙八"),
        ("B1/201", block, "201室", "201室", 6, "周九"),
    ]
    hh = {}
    for label, b, door, room, size, head in spec:
        h = Household(building_id=b.id, door=door, room=room, size=size, head_name=head)
        session.add(h)
        session.flush()
        hh[label] = h.id
    for n in range(3):
        session.add(
            Resident(household_id=hh["H1/1"], name=f"居民{n}", sex="M", birth_year=1980, phone="13800000000")
        )
    ta, tb = Team(name="Squad A", kind="transport"), Team(name="Squad B", kind="transport")
    session.add_all([ta, tb])
    session.flush()
    return Area(
        grid1=g1.id,
        grid2=g2.id,
        house=house.id,
        cottage=cottage.id,
        block=block.id,
        hh=hh,
        team_a=ta.id,
        team_b=tb.id,
        secretary=CurrentUser(id=None, username="shuji", role="secretary"),
        leader1=CurrentUser(id=None, username="g1", role="grid_leader", grid_id=g1.id, grid_number=1),
        leader2=CurrentUser(id=None, username="g2", role="grid_leader", grid_id=g2.id, grid_number=2),
        squad_a=CurrentUser(id=None, username="task", role="task", team_id=ta.id),
        viewer=CurrentUser(id=None, username="viewer", role="viewer"),
    )


@pytest.fixture
def area(engine: Engine) -> Area:
    return run_write(engine, _make_area)


def _batch(
    engine: Engine, area: Area, rule: str, stock: int, *, name: str = "B", release: bool = True, **kw
) -> int:
    bid = run_write(
        engine,
        supplies.create_batch,
        area.secretary,
        name,
        TODAY,
        "government",
        "rice, oil",
        rule,
        stock,
        now=RELEASED - dt.timedelta(hours=1),
        **kw,
    )
    if release:
        run_write(engine, supplies.release_batch, area.secretary, bid, version=1, now=RELEASED)
    return bid


def _deliver(engine: Engine, user: CurrentUser, bid: int, hid: int, **kw) -> int:
    kw.setdefault("at", NOW - dt.timedelta(hours=1))
    return run_write(engine, distribution.record_delivery, user, bid, hid, now=NOW, **kw)


def _count(engine: Engine, model: type) -> int:
    with Session(engine) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


# --- the rule -------------------------------------------------------------------------------


def test_large_household_rule_at_5_6_and_7_people(engine: Engine, area: Area) -> None:
    with Session(engine) as s:
        default = supplies.Rule("large_household", 6, 2)
        owed = [supplies.portions_owed(s, default, area.hh[k]) for k in ("H1/1", "H1/2", "H1/3")]
        assert owed == [1, 2, 2]  # 5 people → 1, 6 → 2, 7 → 2
        stricter = supplies.Rule("large_household", 7, 3)
        assert [supplies.portions_owed(s, stricter, area.hh[k]) for k in ("H1/1", "H1/2", "H1/3")] == [
            1,
            1,
            3,
        ]
        assert [
            supplies.portions_owed(s, supplies.Rule("per_household"), area.hh[k]) for k in ("H1/2", "H1/3")
        ] == [
            1,
            1,
        ]


def test_per_door_gives_one_household_per_door(engine: Engine, area: Area) -> None:
    with Session(engine) as s:
        per_door = supplies.Rule("per_door")
        # The lowest household id of the shared door is the one owed; its neighbours get nothing.
        assert supplies.portions_owed(s, per_door, area.hh["H1/1"]) == 1
        assert supplies.portions_owed(s, per_door, area.hh["H1/2"]) == 0
        assert supplies.portions_owed(s, per_door, area.hh["H1/3"]) == 0
        doors = supplies.allocation_preview(s, per_door, stock=100)
        households = supplies.allocation_preview(s, supplies.Rule("per_household"), stock=100)
        large = supplies.allocation_preview(s, supplies.Rule("large_household", 6, 2), stock=100)
    assert (doors.needed, doors.households) == (5, 5)  # 1号, 2号, 101室, 102室, 201室
    assert (households.needed, households.households) == (7, 7)
    assert large.needed == 10  # 1+2+2 + 1 + 1+1+2


def test_an_empty_household_is_owed_nothing(engine: Engine, area: Area) -> None:
    def empty(s: Session) -> None:
        s.get(Household, area.hh["H1/1"]).size = 0

    run_write(engine, empty)
    with Session(engine) as s:
        # The door's portion passes to the next lived-in household behind it.
        assert supplies.portions_owed(s, supplies.Rule("per_door"), area.hh["H1/1"]) == 0
        assert supplies.portions_owed(s, supplies.Rule("per_door"), area.hh["H1/2"]) == 1
        assert supplies.portions_owed(s, supplies.Rule("per_household"), area.hh["H1/1"]) == 0


def test_preview_by_grid_and_short_stock_in_proportion(engine: Engine, area: Area) -> None:
    with Session(engine) as s:
        preview = supplies.allocation_preview(s, supplies.Rule("large_household", 6, 2), stock=7)
    by_grid = preview.by_grid.set_index("grid")
    assert by_grid.loc["G1", "portions_needed"] == 6 and by_grid.loc["G2", "portions_needed"] == 4
    assert preview.shortfall == 3
    assert by_grid["stock_share"].sum() == 7
    assert by_grid.loc["G1", "short"] + by_grid.loc["G2", "short"] == 3
    assert preview.by_compound.set_index("compound").loc["Estate", "households"] == 3


# --- batches --------------------------------------------------------------------------------


def test_batch_create_release_and_refusals(engine: Engine, area: Area) -> None:
    bid = _batch(engine, area, "large_household", 10, release=False)
    with Session(engine) as s:
        batch = s.get(SupplyBatch, bid)
        assert (batch.large_threshold, batch.large_portions, batch.released_at) == (6, 2, None)
    # Deliveries only into released batches.
    with pytest.raises(ValidationError) as err:
        _deliver(engine, area.secretary, bid, area.hh["H1/1"])
    assert err.value.key == "supplies.not_released"
    with pytest.raises(ValidationError) as err:
        _batch(engine, area, "per_household", 5)  # same name
    assert err.value.key == "supplies.batch_exists"
    with pytest.raises(PermissionDenied):
        run_write(engine, supplies.release_batch, area.leader1, bid, version=1, now=RELEASED)
    with pytest.raises(StaleEdit):
        run_write(engine, supplies.release_batch, area.secretary, bid, version=7, now=RELEASED)
    run_write(engine, supplies.release_batch, area.secretary, bid, version=1, now=RELEASED)
    with pytest.raises(ValidationError) as err:
        run_write(engine, supplies.release_batch, area.secretary, bid, version=2, now=RELEASED)
    assert err.value.key == "supplies.already_released"
    with Session(engine) as s:
        actions = s.scalars(select(AuditLog.action).where(AuditLog.table_name == "supply_batch")).all()
    assert sorted(actions) == ["supplies.batch", "supplies.release"]


@pytest.mark.parametrize(
    ("field", "value", "key"),
    [
        ("name", "  ", "common.required"),
        ("date", dt.date(2030, 1, 1), "common.future_date"),
        ("source", "market", "common.bad_choice"),
        ("rule", "per_person", "common.bad_choice"),
        ("stock", -1, "common.not_negative"),
        ("large_threshold", 0, "supplies.at_least_one"),
    ],
)
def test_batch_bad_input_is_refused_and_nothing_written(
    engine: Engine, area: Area, field: str, value: object, key: str
) -> None:
    args = {
        "name": "X",
        "date": TODAY,
        "source": "government",
        "items": "",
        "rule": "per_household",
        "stock": 5,
    }
    extra = {}
    if field == "large_threshold":
        extra["large_threshold"] = value
    else:
        args[field] = value
    with pytest.raises(ValidationError) as err:
        run_write(engine, supplies.create_batch, area.secretary, *args.values(), now=NOW, **extra)
    assert err.value.key == key
    assert _count(engine, SupplyBatch) == 0


def test_stock_cannot_go_below_what_is_out(engine: Engine, area: Area) -> None:
    bid = _batch(engine, area, "per_household", 5)
    _deliver(engine, area.secretary, bid, area.hh["H1/1"])
    _deliver(engine, area.secretary, bid, area.hh["H1/2"])
    with pytest.raises(ValidationError) as err:
        run_write(engine, supplies.set_stock, area.secretary, bid, 1, version=2, now=NOW)
    assert err.value.key == "supplies.stock_below_out"
    run_write(engine, supplies.set_stock, area.secretary, bid, 9, version=2, now=NOW)
    with Session(engine) as s:
        assert s.get(SupplyBatch, bid).stock == 9


# --- distribution ---------------------------------------------------------------------------


def test_delivery_records_the_rule_portions_time_and_team(engine: Engine, area: Area) -> None:
    bid = _batch(engine, area, "large_household", 20)
    did = _deliver(engine, area.leader1, bid, area.hh["H1/2"], team_id=area.team_a, note="left at door")
    with Session(engine) as s:
        row = s.get(Delivery, did)
        assert (row.status, row.portions, row.team_id, row.at) == (
            "delivered",
            2,
            area.team_a,
            NOW - dt.timedelta(hours=1),
        )
        audit_row = s.scalars(select(AuditLog).where(AuditLog.action == "supplies.deliver")).one()
        assert audit_row.grid_id == area.grid1 and audit_row.after["portions"] == 2


def test_double_delivery_refused(engine: Engine, area: Area) -> None:
    bid = _batch(engine, area, "per_household", 20)
    _deliver(engine, area.secretary, bid, area.hh["B1/101"])
    with pytest.raises(ValidationError) as err:
        _deliver(engine, area.leader2, bid, area.hh["B1/101"])
    assert err.value.key == "supplies.already_delivered"
    assert "B1 101室" in err.value.message("en")
    assert _count(engine, Delivery) == 1


def test_not_found_then_delivered_replaces_the_visit(engine: Engine, area: Area) -> None:
    bid = _batch(engine, area, "per_household", 20)
    _deliver(engine, area.leader2, bid, area.hh["B1/102"], status="not_found")
    with Session(engine) as s:
        assert supplies.portions_out(s, bid) == 0
        cov = supplies.coverage(s, bid, TODAY, "grid").set_index("grid")
        assert cov.loc["G2", "not_found"] == 1 and cov.loc["G2", "households_reached"] == 0
    _deliver(engine, area.leader2, bid, area.hh["B1/102"], status="refused")
    _deliver(engine, area.leader2, bid, area.hh["B1/102"])
    with Session(engine) as s:
        rows = s.scalars(select(Delivery)).all()
        assert [(r.status, r.portions) for r in rows] == [("delivered", 1)]
        assert supplies.portions_out(s, bid) == 1


def test_over_stock_refused_with_a_clear_message(engine: Engine, area: Area) -> None:
    bid = _batch(engine, area, "large_household", 3)
    _deliver(engine, area.secretary, bid, area.hh["H1/2"])  # 2 portions, 1 left
    with pytest.raises(ValidationError) as err:
        _deliver(engine, area.secretary, bid, area.hh["H1/3"])  # needs 2
    assert err.value.key == "supplies.over_stock"
    assert err.value.params == {"need": 2, "left": 1, "name": "B"}
    assert "1 left" in err.value.message("en")
    _deliver(engine, area.secretary, bid, area.hh["H1/1"])  # 1 portion still fits
    with Session(engine) as s:
        assert supplies.portions_out(s, bid) == 3
        assert s.scalar(select(func.count()).select_from(Delivery)) == 2


def test_per_door_refuses_the_neighbours_behind_a_shared_door(engine: Engine, area: Area) -> None:
    bid = _batch(engine, area, "per_door", 10)
    with pytest.raises(ValidationError) as err:
        _deliver(engine, area.leader1, bid, area.hh["H1/2"])
    assert err.value.key == "supplies.not_entitled"


def test_delivery_time_cannot_be_future_or_before_release(engine: Engine, area: Area) -> None:
    bid = _batch(engine, area, "per_household", 10)
    for at, key in (
        (NOW + dt.timedelta(minutes=5), "common.future_date"),
        (RELEASED - dt.timedelta(hours=2), "common.date_too_early"),
    ):
        with pytest.raises(ValidationError) as err:
            _deliver(engine, area.secretary, bid, area.hh["H2/1"], at=at)
        assert err.value.key == key
    assert _count(engine, Delivery) == 0


def test_building_at_once_except_rooms(engine: Engine, area: Area) -> None:
    bid = _batch(engine, area, "large_household", 20)
    _deliver(engine, area.leader2, bid, area.hh["B1/101"])  # already done: skipped, not refused
    result = run_write(
        engine,
        distribution.deliver_building,
        area.leader2,
        bid,
        area.block,
        except_rooms=["102室"],
        at=NOW,
        team_id=area.team_b,
        now=NOW,
    )
    assert result == distribution.BuildingResult(delivered=1, portions=2, already=1, excepted=1)
    with Session(engine) as s:
        got = dict(s.execute(select(Delivery.household_id, Delivery.portions)).all())
        assert got == {area.hh["B1/101"]: 1, area.hh["B1/201"]: 2}
        audit_rows = s.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.action == "supplies.deliver_building")
        )
        assert audit_rows == 1
    with pytest.raises(ValidationError) as err:
        run_write(
            engine,
            distribution.deliver_building,
            area.leader2,
            bid,
            area.block,
            except_rooms=["909室"],
            now=NOW,
        )
    assert err.value.key == "supplies.unknown_rooms"


def test_building_at_once_is_all_or_nothing_on_stock(engine: Engine, area: Area) -> None:
    bid = _batch(engine, area, "large_household", 4)
    with pytest.raises(ValidationError) as err:
        run_write(engine, distribution.deliver_building, area.leader1, bid, area.house, now=NOW)  # needs 5
    assert err.value.key == "supplies.over_stock"
    assert _count(engine, Delivery) == 0


def test_grid_leader_cannot_deliver_in_another_grid(engine: Engine, area: Area) -> None:
    bid = _batch(engine, area, "per_household", 20)
    with pytest.raises(PermissionDenied) as err:
        _deliver(engine, area.leader1, bid, area.hh["B1/201"])
    assert err.value.key == "auth.denied_grid"
    with pytest.raises(PermissionDenied):
        run_write(engine, distribution.deliver_building, area.leader1, bid, area.block, now=NOW)
    with pytest.raises(PermissionDenied):
        run_write(engine, distribution.record_delivery, area.viewer, bid, area.hh["B1/201"], now=NOW)
    assert _count(engine, Delivery) == 0


def test_task_user_delivers_only_for_their_team(engine: Engine, area: Area) -> None:
    bid = _batch(engine, area, "per_household", 20)
    with pytest.raises(PermissionDenied) as err:
        _deliver(engine, area.squad_a, bid, area.hh["B1/201"], team_id=area.team_b)
    assert err.value.key == "auth.denied_team"
    did = _deliver(engine, area.squad_a, bid, area.hh["B1/201"])  # any grid, their own team by default
    with Session(engine) as s:
        assert s.get(Delivery, did).team_id == area.team_a
    with pytest.raises(PermissionDenied):
        run_write(
            engine, distribution.deliver_building, area.squad_a, bid, area.house, team_id=area.team_b, now=NOW
        )


# --- coverage and reconciliation ------------------------------------------------------------


def test_coverage_against_the_hand_made_area(engine: Engine, area: Area) -> None:
    bid = _batch(engine, area, "large_household", 20)
    yesterday = dt.datetime(2022, 5, 28, 10, 0)

    def backdate(s: Session) -> None:  # one delivery recorded the day before, to test as_of
        s.get(SupplyBatch, bid).released_at = yesterday - dt.timedelta(hours=1)

    run_write(engine, backdate)
    _deliver(engine, area.secretary, bid, area.hh["H1/3"], at=yesterday)  # 2 portions
    _deliver(engine, area.secretary, bid, area.hh["H1/2"])  # 2 portions
    _deliver(engine, area.secretary, bid, area.hh["B1/102"], status="refused")
    with Session(engine) as s:
        grid = supplies.coverage(s, bid, TODAY, "grid").set_index("grid")
        assert grid.loc[
            "G1", ["households_entitled", "households_reached", "portions_needed", "portions_delivered"]
        ].tolist() == [4, 2, 6, 4]
        assert grid.loc[
            "G2", ["households_entitled", "households_reached", "refused", "portions_needed"]
        ].tolist() == [3, 0, 1, 4]
        assert grid.loc["G1", "coverage"] == pytest.approx(0.5)
        compound = supplies.coverage(s, bid, TODAY, "compound").set_index("compound")
        assert compound.loc["Village", "households_reached"] == 2
        buildings = supplies.building_coverage(s, bid, TODAY).set_index("building_id")
        assert buildings.loc[area.house, "coverage"] == pytest.approx(2 / 3)
        assert buildings.loc[area.cottage, "coverage"] == 0.0
        assert buildings.loc[area.block, "coverage"] == 0.0
        # As of the day before, only the backdated delivery counts.
        before = supplies.building_coverage(s, bid, TODAY - dt.timedelta(days=1)).set_index("building_id")
        assert before.loc[area.house, "coverage"] == pytest.approx(1 / 3)
        missing = supplies.not_reached(s, bid, TODAY)
        assert sorted(missing["room"]) == ["101室", "102室", "1户", "1户", "201室"]
        assert missing.set_index("room").loc["102室", "status"] == "refused"
        assert set(supplies.not_reached(s, bid, TODAY, grid_id=area.grid1)["building"]) == {"H1", "H2"}
        summary = supplies.supply_summary(s, TODAY)
        assert (summary.households_reached, summary.households_entitled) == (2, 7)
        assert (summary.portions_delivered, summary.portions_needed) == (4, 10)
        assert supplies.supply_summary(s, TODAY - dt.timedelta(days=2)) is None


def test_reconciliation_shows_the_per_door_shortfall(engine: Engine, area: Area) -> None:
    first = _batch(engine, area, "per_door", 5, name="batch 1")
    second = _batch(engine, area, "per_household", 8, name="batch 2")
    run_write(engine, distribution.deliver_building, area.secretary, first, area.house, now=NOW)
    run_write(engine, distribution.deliver_building, area.secretary, second, area.house, now=NOW)
    with Session(engine) as s:
        recon = supplies.reconciliation(s, TODAY).set_index("batch")
        assert supplies.current_batch(s, TODAY) == second
    one = recon.loc["batch 1"]
    assert (one.stock, one.portions_needed, one.portions_out, one.remainder) == (5, 5, 1, 4)
    assert (one.households, one.households_entitled, one.households_left_out) == (7, 5, 2)
    two = recon.loc["batch 2"]
    assert (two.portions_needed, two.portions_out, two.remainder, two.households_left_out) == (7, 3, 5, 0)


# --- re-survey ------------------------------------------------------------------------------


def test_resurvey_splits_a_door_and_counts_before_and_after(engine: Engine, area: Area) -> None:
    with Session(engine) as s:
        assert survey.suggest_rooms(s, area.cottage, "2号", 2) == ["2户", "3户"]
        assert survey.suggest_rooms(s, area.block, "101室", 1) == ["101室-2"]
        before = survey.survey_counts(s, "grid").set_index("grid")
    assert before.loc["G1", ["doors", "households"]].tolist() == [2, 4]
    new = run_write(
        engine,
        survey.resurvey_door,
        area.leader1,
        area.cottage,
        "2号",
        sizes={area.hh["H2/1"]: (1, 1)},
        new=[survey.NewHousehold("2户", 4, "陈一"), survey.NewHousehold("3户", 6, is_rental=True)],
        now=NOW,
    )
    assert len(new) == 2
    with Session(engine) as s:
        after = survey.survey_counts(s, "grid").set_index("grid")
        assert after.loc[
            "G1", ["doors", "households_before", "households", "added", "large_households"]
        ].tolist() == [2, 4, 6, 2, 3]
        compound = survey.survey_counts(s, "compound").set_index("compound")
        assert compound.loc["Village", "added"] == 2 and compound.loc["Estate", "added"] == 0
        assert s.get(Household, area.hh["H2/1"]).size == 1
        log = survey.survey_log(s, TODAY)
        assert sorted(log["action"]) == [survey.SIZE, survey.SPLIT, survey.SPLIT]
        assert survey.survey_log(s, TODAY, grid_id=area.grid2).empty
        # The per-household rule now sees the new households; per door still one for the door.
        assert supplies.allocation_preview(s, supplies.Rule("per_household"), 0).needed == 9
        assert supplies.allocation_preview(s, supplies.Rule("per_door"), 0).needed == 5


def test_resurvey_refusals(engine: Engine, area: Area) -> None:
    with pytest.raises(StaleEdit):  # someone changed the household since the form was drawn
        run_write(
            engine,
            survey.resurvey_door,
            area.leader1,
            area.cottage,
            "2号",
            sizes={area.hh["H2/1"]: (3, 5)},
            now=NOW,
        )
    with pytest.raises(ValidationError) as err:
        run_write(
            engine,
            survey.resurvey_door,
            area.leader1,
            area.house,
            "1号",
            new=[survey.NewHousehold("2户", 3)],
            now=NOW,
        )
    assert err.value.key == "supplies.room_taken"
    with pytest.raises(ValidationError) as err:
        run_write(
            engine,
            survey.resurvey_door,
            area.leader1,
            area.house,
            "9号",
            new=[survey.NewHousehold("9户", 3)],
            now=NOW,
        )
    assert err.value.key == "supplies.unknown_door"
    with pytest.raises(ValidationError) as err:
        run_write(engine, survey.set_household_size, area.leader1, area.hh["H1/1"], 31, version=1, now=NOW)
    assert err.value.key == "common.too_large"
    with pytest.raises(PermissionDenied):  # grid leader 2 cannot survey grid 1
        run_write(
            engine,
            survey.resurvey_door,
            area.leader2,
            area.house,
            "1号",
            new=[survey.NewHousehold("4户", 3)],
            now=NOW,
        )
    with pytest.raises(PermissionDenied):
        run_write(engine, survey.set_household_size, area.squad_a, area.hh["H1/1"], 4, version=1, now=NOW)
    assert _count(engine, Household) == 7
    assert _count(engine, AuditLog) == 0


def test_set_size_bumps_the_version_so_a_second_stale_form_is_refused(engine: Engine, area: Area) -> None:
    run_write(engine, survey.set_household_size, area.leader1, area.hh["H1/1"], 4, version=1, now=NOW)
    with pytest.raises(StaleEdit):
        run_write(engine, survey.set_household_size, area.secretary, area.hh["H1/1"], 8, version=1, now=NOW)
    with Session(engine) as s:
        assert s.get(Household, area.hh["H1/1"]).size == 4


def test_move_residents_between_households(engine: Engine, area: Area) -> None:
    with Session(engine) as s:
        moving = survey.household_residents(s, area.hh["H1/1"])["resident_id"].tolist()[:2]
    n = run_write(
        engine,
        survey.move_residents,
        area.leader1,
        moving,
        area.hh["H2/1"],
        from_version=1,
        to_version=1,
        now=NOW,
    )
    assert n == 2
    with Session(engine) as s:
        assert s.get(Household, area.hh["H1/1"]).size == 3
        assert s.get(Household, area.hh["H2/1"]).size == 4
        assert set(survey.household_residents(s, area.hh["H2/1"])["resident_id"]) == set(moving)
        assert len(survey.survey_log(s, TODAY).query("action == @survey.MOVE")) == 2
    with pytest.raises(StaleEdit):  # the form still shows version 1
        run_write(
            engine,
            survey.move_residents,
            area.secretary,
            moving,
            area.hh["H1/1"],
            from_version=1,
            to_version=2,
            now=NOW,
        )


def test_grid_leader_cannot_move_residents_into_another_grid(engine: Engine, area: Area) -> None:
    with Session(engine) as s:
        one = survey.household_residents(s, area.hh["H1/1"])["resident_id"].tolist()[:1]
    with pytest.raises(PermissionDenied):
        run_write(
            engine,
            survey.move_residents,
            area.leader1,
            one,
            area.hh["B1/101"],
            from_version=1,
            to_version=1,
            now=NOW,
        )
    with pytest.raises(PermissionDenied):
        run_write(
            engine,
            survey.move_residents,
            area.leader2,
            one,
            area.hh["B1/101"],
            from_version=1,
            to_version=1,
            now=NOW,
        )
    with Session(engine) as s:
        assert s.get(Resident, one[0]).household_id == area.hh["H1/1"]


# --- the squads' sheet ----------------------------------------------------------------------


def test_delivery_sheet_masks_heads_and_is_audited(engine: Engine, area: Area) -> None:
    bid = _batch(engine, area, "large_household", 20)
    _deliver(engine, area.secretary, bid, area.hh["H1/2"])
    data = run_write(
        engine, supply_sheet.delivery_sheet, area.squad_a, bid, [area.house, area.cottage], now=NOW
    )
    book = load_workbook(io.BytesIO(data))
    assert len(book.sheetnames) == 2
    ws = book[book.sheetnames[0]]
    values = [[c for c in row] for row in ws.iter_rows(values_only=True)]
    body = values[3:-1]
    assert [(r[0], r[1], r[2]) for r in body] == [
        ("1户", "张*丰", 1),
        ("2户", "李*龙", 2),
        ("3户", "王*锤", 2),
    ]
    assert all(r[4] in (None, "") for r in body)  # blank signature column
    assert values[-1][2] == 5
    flat = " ".join(str(v) for row in values for v in row if v is not None)
    assert "张三丰" not in flat and "138" not in flat
    with Session(engine) as s:
        row = s.scalars(select(AuditLog).where(AuditLog.action == "supplies.export_sheet")).one()
        assert row.after == {"buildings": sorted([area.house, area.cottage])}
    with pytest.raises(PermissionDenied):
        run_write(engine, supply_sheet.delivery_sheet, area.leader1, bid, [area.block], now=NOW)


# --- the Huamei demo ------------------------------------------------------------------------


def _seeded_batch(session: Session, rule: str) -> SupplyBatch:
    return session.scalars(
        select(SupplyBatch).where(SupplyBatch.rule == rule).order_by(SupplyBatch.date)
    ).first()


def test_demo_batch_1_per_door_is_short_and_batch_2_reaches_2969_households(seeded: Session) -> None:
    from seed import story

    per_door = supplies.allocation_preview(seeded, supplies.Rule("per_door"), 0)
    per_household = supplies.allocation_preview(seeded, supplies.Rule("per_household"), 0)
    assert per_household.households == per_household.needed == story.HOUSEHOLDS == 2969
    assert per_door.needed < per_household.needed  # homestead doors hide several households
    doors = seeded.execute(select(Household.building_id, Household.door).distinct()).all()
    assert per_door.needed == len(doors)
    recon = supplies.reconciliation(seeded, story.DEMO_TODAY).set_index("batch_id")
    first, second = _seeded_batch(seeded, "per_door"), _seeded_batch(seeded, "per_household")
    one, two = recon.loc[first.id], recon.loc[second.id]
    assert one.households_entitled == len(doors) and one.households_left_out == 2969 - len(doors) > 500
    assert one.portions_out == one.stock  # every door served, the families behind them not
    assert two.households_entitled == two.households_reached == 2969 and two.households_left_out == 0
    assert two.portions_out == two.stock == 2969
    # From batch 3 on, households of 6 or more people get 2 portions.
    large = seeded.scalar(select(func.count()).select_from(Household).where(Household.size >= 6))
    third = recon[recon["rule"] == "large_household"].sort_values("date").iloc[0]
    assert third.portions_needed == 2969 + large


def test_demo_current_batch_coverage_and_building_layer(seeded: Session) -> None:
    from seed import story

    batch_id = supplies.current_batch(seeded, story.DEMO_TODAY)
    summary = supplies.supply_summary(seeded, story.DEMO_TODAY)
    assert summary.batch_id == batch_id and summary.households_entitled == 2969
    assert 0.5 < summary.coverage < 1.0  # the latest batch is still under way on 29 May
    earlier = supplies.supply_summary(seeded, story.DEMO_TODAY - dt.timedelta(days=2))
    assert earlier.batch_id == batch_id and earlier.households_reached < summary.households_reached
    layer = supplies.building_coverage(seeded, batch_id, story.DEMO_TODAY)
    assert layer["coverage"].between(0, 1).all()
    assert len(layer) == seeded.scalar(select(func.count(func.distinct(Household.building_id))))
    by_grid = supplies.coverage(seeded, batch_id, story.DEMO_TODAY, "grid")
    assert len(by_grid) == story.GRIDS and by_grid["households_entitled"].sum() == 2969
    missing = supplies.not_reached(seeded, batch_id, story.DEMO_TODAY)
    assert len(missing) == 2969 - summary.households_reached


def test_delivery_takes_a_row_lock_on_the_batch_on_postgresql(engine: Engine, area: Area) -> None:
    """Two deliverers cannot both take the last portions: the stock check holds the batch row."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE instead")
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    bid = _batch(engine, area, "per_household", 1)
    with Session(engine) as first, first.begin():
        distribution.record_delivery(first, area.secretary, bid, area.hh["H1/1"], at=NOW, now=NOW)
        # While the first deliverer's transaction is open, nobody else can lock the batch row.
        with engine.connect() as other, pytest.raises(OperationalError) as err:
            # NO KEY UPDATE: not blocked by the key-share lock the delivery's foreign key takes,
            # only by the row lock the stock check takes.
            other.execute(
                text("SELECT id FROM supply_batch WHERE id = :id FOR NO KEY UPDATE NOWAIT"), {"id": bid}
            )
        assert getattr(err.value.orig, "sqlstate", None) == "55P03"  # lock_not_available
    with pytest.raises(ValidationError) as refused:  # and once it committed, the stock is gone
        _deliver(engine, area.secretary, bid, area.hh["H1/2"])
    assert refused.value.key == "supplies.over_stock"


def test_every_supplies_word_built_at_run_time_is_in_the_catalogue() -> None:
    from dashboard import i18n

    keys = [f"supplies.tab_{s}" for s in ("deliver", "coverage", "batches", "survey", "sheets")]
    keys += [f"supplies.level_{level}" for level in supplies.LEVELS]
    keys += [f"code.delivery_status.{s}" for s in ("delivered", "not_found", "refused")]
    keys += [f"code.supply_source.{s}" for s in ("government", "street", "donation")]
    columns = (
        "households_entitled households_reached not_found refused portions_needed portions_delivered "
        "coverage stock remainder shortfall households stock_share short doors households_before added "
        "people residents portions_out released households_now"
    )
    keys += [f"supplies.col_{c}" for c in columns.split()]
    missing = [k for k in keys if not i18n.has(k)]
    assert missing == []
    for lang in i18n.LANGUAGES:  # every message formats with the parameters the code passes
        assert "{" not in i18n.t("supplies.over_stock", lang=lang, need=2, left=1, name="b")
        assert "{" not in i18n.t(
            "supplies.building_ok", lang=lang, delivered=1, portions=2, already=0, excepted=1
        )
