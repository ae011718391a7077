"""The overview: KPI tiles against a hand-made world whose every figure is worked out below, the
lists behind the tiles, the epidemic curve, the grid scoreboard, and the page (AppTest, zh and en)."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from dashboard import charts, i18n, overview, overview_board
from db import make_engine, upgrade
from db.models import (
    Building,
    Case,
    Committee,
    Compound,
    Contact,
    Delivery,
    DisinfectionRecord,
    DutyShift,
    Entrance,
    EntranceChange,
    FollowUp,
    Grid,
    Household,
    MissedFollowUp,
    Person,
    Resident,
    SamplingSite,
    ScreeningResult,
    ScreeningRound,
    SupplyBatch,
    Transfer,
    User,
)
from tests.helpers import forget_app_state, open_app, texts

D = dt.date(2022, 4, 10)  # the day the fixture is read on
TODAY = dt.date(2022, 4, 12)
XSS = "<img src=x onerror=alert(1)>"
JS_BREAK = "李`${alert(2)}`"


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute))


def square(lon: float, lat: float, d: float = 0.001) -> list[list[float]]:
    return [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]


def build_world(s: Session) -> dict[str, int]:
    """A tiny committee: 2 compounds, 3 grids (one empty), 4 buildings, 5 households, 13 residents.

    As of D (2022-04-10), worked out by hand:
    - zones: A1 sealed (case 04-07, 3 days ago), A2 sealed (case today), B1 controlled (case 03-31,
      10 days ago), B2 precaution → compound A sealed, compound B controlled.
    - new positives today 1 (r9); yesterday 0; negative streak 0 today, 2 yesterday.
    - the day's round = PCR round 2 (D): 13 residents, 1 exempt (r1, transferred), due 12,
      sampled 10 (r5 and r13 missed) → 10/12; grid 1: 7/8, grid 2: 3/4.
    - waiting for transfer at the end of D: case r9 (requested 09:30 → 14.5 h) and contact r3
      (requested 04-09 20:00 → 28.0 h, overdue); the outside contact was moved at 18:00.
    - current batch: batch 2 (04-08, large_household 6→2): 5 households entitled, reached h1, h2
      (h3 not found, h4 only on 04-11) → 2/5; portions due 6, reached 3; grid 1: 2/3, grid 2: 0/2.
    - follow-ups open at the end of D: f1 (overdue since 04-09) and f4 (closed only on 04-12) → 2, 1 overdue.
    """
    # A demo committee whose "today" is two days after D, so the sidebar can replay D.
    s.add(Committee(name="测试居委", is_demo=True, demo_today=TODAY))
    staff = [Person(name=n, kind="committee_staff") for n in ("张网格", JS_BREAK, "王网格")]
    guard = Person(name="赵保安", kind="guard")
    s.add_all([*staff, guard])
    s.flush()
    g1 = Grid(number=1, name="一网格", leader_id=staff[0].id, polygon=square(121.330, 31.190, 0.004))
    g2 = Grid(number=2, name="二网格", leader_id=staff[1].id, polygon=square(121.336, 31.190, 0.004))
    g3 = Grid(number=3, name="三网格", leader_id=staff[2].id, polygon=None)
    ca = Compound(name="华美新村", kind="public_housing", polygon=square(121.331, 31.191, 0.002))
    cb = Compound(name="许家宅", kind="homestead", polygon=square(121.337, 31.191, 0.002))
    s.add_all([g1, g2, g3, ca, cb])
    s.flush()
    a1 = Building(compound_id=ca.id, grid_id=g1.id, name="1号楼", lat=31.1915, lon=121.3315)
    a2 = Building(compound_id=ca.id, grid_id=g1.id, name="2号楼", lat=31.1925, lon=121.3325)
    b1 = Building(compound_id=cb.id, grid_id=g2.id, name="1号", lat=31.1915, lon=121.3375)
    b2 = Building(compound_id=cb.id, grid_id=g2.id, name=XSS, lat=31.1925, lon=121.3385)
    s.add_all([a1, a2, b1, b2])
    s.flush()
    h1 = Household(building_id=a1.id, door="1", room="101", size=2, head_name="钱一")
    h2 = Household(building_id=a1.id, door="1", room="102", size=6, head_name="孙大户")
    h3 = Household(building_id=a2.id, door="2", room="201", size=1, head_name="周三")
    h4 = Household(building_id=b1.id, door="1", room="1", size=3, head_name="吴四")
    h5 = Household(building_id=b2.id, door="1", room="1", size=1, head_name=XSS)
    s.add_all([h1, h2, h3, h4, h5])
    s.flush()
    people = [(h1, 2), (h2, 6), (h3, 1), (h4, 3), (h5, 1)]
    residents: list[Resident] = []
    for hh, n in people:
        for _ in range(n):
            k = len(residents) + 1
            residents.append(
                Resident(
                    household_id=hh.id, name=f"居民{k:02d}", sex="F", birth_year=1970, phone=f"1380000{k:04d}"
                )
            )
    s.add_all(residents)
    s.flush()
    r = {i + 1: res for i, res in enumerate(residents)}  # r[1] .. r[13]

    c_old = Case(
        resident_id=r[10].id,
        found_on=dt.date(2022, 3, 31),
        found_at=at(dt.date(2022, 3, 31), 8),
        channel="pooled_retest",
        severity="asymptomatic",
        status="recovered",
        recovered_on=dt.date(2022, 4, 8),
    )
    c_mid = Case(
        resident_id=r[1].id,
        found_on=dt.date(2022, 4, 7),
        found_at=at(dt.date(2022, 4, 7), 9),
        channel="single_tube",
        severity="confirmed",
        status="transferred",
    )
    c_new = Case(
        resident_id=r[9].id,
        found_on=D,
        found_at=at(D, 9),
        channel="antigen",
        severity="asymptomatic",
        status="awaiting_transfer",
    )
    s.add_all([c_old, c_mid, c_new])
    s.flush()
    close = Contact(case_id=c_new.id, resident_id=r[3].id, kind="close", identified_on=dt.date(2022, 4, 9))
    outside = Contact(case_id=c_new.id, outside_name="外来人员", kind="close", identified_on=D)
    s.add_all([close, outside])
    s.flush()
    s.add_all(
        [
            Transfer(
                case_id=c_mid.id,
                requested_at=at(dt.date(2022, 4, 7), 10),
                done_at=at(dt.date(2022, 4, 7), 15),
            ),
            Transfer(case_id=c_new.id, requested_at=at(D, 9, 30)),
            Transfer(contact_id=close.id, requested_at=at(dt.date(2022, 4, 9), 20)),
            Transfer(contact_id=outside.id, requested_at=at(D, 12), done_at=at(D, 18)),
        ]
    )

    round1 = ScreeningRound(kind="pcr", number=1, date=dt.date(2022, 4, 9), scope="all")
    round2 = ScreeningRound(kind="pcr", number=2, date=D, scope="all")
    antigen = ScreeningRound(kind="antigen", number=1, date=D, scope="all")
    s.add_all([round1, round2, antigen])
    s.flush()
    for k, res in r.items():
        s.add(
            ScreeningResult(
                round_id=round1.id,
                resident_id=res.id,
                sampled_at=at(dt.date(2022, 4, 9), 8),
                result="negative",
            )
        )
        if k == 1:
            s.add(ScreeningResult(round_id=round2.id, resident_id=res.id, exempt_reason="transferred"))
        elif k not in (5, 13):
            s.add(
                ScreeningResult(
                    round_id=round2.id,
                    resident_id=res.id,
                    sampled_at=at(D, 8),
                    method="site",
                    result="positive" if k == 9 else "negative",
                )
            )
    s.add(MissedFollowUp(round_id=round2.id, resident_id=r[5].id, outcome="will_come", at=at(D, 11)))

    # Each batch released (handed out from) on its day at 08:00, as the supplies page does.
    batch1 = SupplyBatch(
        name="第一批",
        date=dt.date(2022, 4, 2),
        source="government",
        rule="per_door",
        released_at=at(dt.date(2022, 4, 2), 8),
    )
    batch2 = SupplyBatch(
        name="第二批",
        date=dt.date(2022, 4, 8),
        source="government",
        rule="large_household",
        large_threshold=6,
        large_portions=2,
        released_at=at(dt.date(2022, 4, 8), 8),
    )
    batch3 = SupplyBatch(
        name="第三批",
        date=dt.date(2022, 4, 12),
        source="street",
        rule="per_household",
        released_at=at(dt.date(2022, 4, 12), 8),
    )
    s.add_all([batch1, batch2, batch3])
    s.flush()
    s.add_all(
        [
            # Per door: the door's portion is recorded against its first household (supplies.py).
            Delivery(batch_id=batch1.id, household_id=h1.id, portions=1, at=at(dt.date(2022, 4, 3), 10)),
            Delivery(batch_id=batch2.id, household_id=h1.id, portions=1, at=at(dt.date(2022, 4, 8), 10)),
            Delivery(batch_id=batch2.id, household_id=h2.id, portions=2, at=at(dt.date(2022, 4, 9), 10)),
            Delivery(
                batch_id=batch2.id, household_id=h3.id, status="not_found", at=at(dt.date(2022, 4, 9), 11)
            ),
            Delivery(batch_id=batch2.id, household_id=h4.id, portions=1, at=at(dt.date(2022, 4, 11), 10)),
        ]
    )
    s.add_all(
        [
            FollowUp(
                created_on=dt.date(2022, 4, 8),
                item="补采核酸",
                grid_id=g1.id,
                owner="张网格",
                due_on=dt.date(2022, 4, 9),
            ),
            FollowUp(
                created_on=dt.date(2022, 4, 9),
                item="联系独居老人",
                grid_id=g2.id,
                due_on=dt.date(2022, 4, 11),
                status="closed",
                closed_at=at(D, 15),
            ),
            FollowUp(
                created_on=dt.date(2022, 4, 11), item="明天的事", grid_id=g1.id, due_on=dt.date(2022, 4, 12)
            ),
            FollowUp(
                created_on=dt.date(2022, 4, 5),
                item="消杀复核",
                grid_id=g2.id,
                due_on=D,
                status="closed",
                closed_at=at(dt.date(2022, 4, 12), 9),
            ),
        ]
    )
    e_open = Entrance(name="七莘路1号门", road="七莘路", lat=31.1900, lon=121.3300, is_open=True)
    e_closed = Entrance(name="华美路2号门", road="华美路", lat=31.1900, lon=121.3400, is_open=False)
    e_hist = Entrance(name="纪翟路3号门", road="纪翟路", lat=31.1950, lon=121.3300, is_open=False)
    s.add_all([e_open, e_closed, e_hist])
    s.flush()
    s.add(EntranceChange(entrance_id=e_hist.id, at=at(dt.date(2022, 4, 5), 12), is_open=False))
    s.add(DutyShift(person_id=guard.id, entrance_id=e_open.id, starts_at=at(D, 8), ends_at=at(D, 20)))
    s.add(SamplingSite(name="核酸点1", compound_id=ca.id, lat=31.1912, lon=121.3312))
    s.add(DisinfectionRecord(date=D, at=at(D, 10), target_kind="building", building_id=a1.id))
    s.add_all(
        [
            User(username="shuji", role="secretary", password_hash="x", display_name="书记"),
            User(username="grid01", role="grid_leader", grid_id=g1.id, password_hash="x"),
            User(username="grid02", role="grid_leader", grid_id=g2.id, password_hash="x"),
            User(username="meeting", role="meeting", password_hash="x"),
        ]
    )
    s.flush()
    return {
        "g1": g1.id,
        "g2": g2.id,
        "g3": g3.id,
        "ca": ca.id,
        "cb": cb.id,
        "a1": a1.id,
        "a2": a2.id,
        "b1": b1.id,
        "b2": b2.id,
        "round2": round2.id,
    }


@pytest.fixture
def world(engine: Engine) -> Iterator[tuple[Session, dict[str, int]]]:
    with Session(engine) as s:
        ids = build_world(s)
        s.commit()
        yield s, ids


# --- the tiles ------------------------------------------------------------------------------


def test_kpis_on_the_day_match_the_hand_count(world: tuple[Session, dict[str, int]]) -> None:
    s, _ = world
    k = overview.kpis(s, D)
    assert k.new_positives == 1
    assert k.negative_streak == 0
    assert (k.round_number, k.round_date) == (2, D)
    assert (k.screening_sampled, k.screening_due) == (10, 12)
    assert k.screening_coverage == pytest.approx(10 / 12)
    assert (k.awaiting_cases, k.awaiting_contacts) == (1, 1)
    assert k.longest_wait_hours == pytest.approx(28.0)
    assert k.overdue_transfers == 1
    assert (k.sealed_buildings, k.controlled_buildings) == (2, 1)
    assert k.batch_name == "第二批"
    assert (k.supply_reached, k.supply_entitled) == (2, 5)
    assert (k.open_follow_ups, k.overdue_follow_ups) == (2, 1)


def test_kpis_the_day_before_give_the_change(world: tuple[Session, dict[str, int]]) -> None:
    s, _ = world
    k = overview.kpis(s, D - dt.timedelta(days=1))
    assert k.new_positives == 0
    assert k.negative_streak == 2
    assert (k.round_number, k.screening_sampled, k.screening_due) == (1, 13, 13)
    assert (k.awaiting_cases, k.awaiting_contacts) == (0, 1)
    assert k.longest_wait_hours == pytest.approx(4.0)
    assert k.open_follow_ups == 3  # f1, f2 (closed only on D) and f4


def test_the_day_round_is_the_latest_pcr_round_not_an_antigen_round(
    world: tuple[Session, dict[str, int]],
) -> None:
    s, ids = world
    rnd = overview.day_round(s, D)
    assert rnd is not None and rnd.round_id == ids["round2"]
    assert overview.day_round(s, dt.date(2022, 4, 8)) is None


def test_screening_by_grid(world: tuple[Session, dict[str, int]]) -> None:
    s, ids = world
    df = overview.screening_by_grid(s, D).set_index("grid_id")
    assert df.loc[ids["g1"], ["in_scope", "exempt", "due", "sampled", "missed"]].tolist() == [9, 1, 8, 7, 1]
    assert df.loc[ids["g2"], ["in_scope", "exempt", "due", "sampled", "missed"]].tolist() == [4, 0, 4, 3, 1]


def test_missed_residents_list_names_and_what_the_leader_learned(
    world: tuple[Session, dict[str, int]],
) -> None:
    s, _ = world
    df = overview.missed_residents(s, D)
    assert df["name"].tolist() == ["居民05", "居民13"]
    assert df["outcome"].fillna("").tolist() == ["will_come", ""]


def test_transfer_queue_lists_who_waits_and_for_how_long(world: tuple[Session, dict[str, int]]) -> None:
    s, ids = world
    q = overview.transfer_queue(s, D)
    assert q[["kind", "name", "hours", "overdue"]].values.tolist() == [
        ["contact", "居民03", 28.0, True],
        ["case", "居民09", 14.5, False],
    ]
    assert set(q["grid_id"]) == {ids["g1"]}


def test_zoned_buildings_with_their_step_down_day(world: tuple[Session, dict[str, int]]) -> None:
    s, _ = world
    df = overview.zoned_buildings(s, D)
    assert df[["building", "zone", "steps_down_on", "days_left"]].values.tolist() == [
        ["1号楼", "sealed", dt.date(2022, 4, 14), 4],
        ["2号楼", "sealed", dt.date(2022, 4, 17), 7],
        ["1号", "controlled", dt.date(2022, 4, 14), 4],
    ]


def test_supply_coverage_follows_the_batch_rule(world: tuple[Session, dict[str, int]]) -> None:
    s, ids = world
    by_grid = overview.supply_by_grid(s, D).set_index("grid_id")
    assert by_grid.loc[ids["g1"], ["entitled", "reached", "portions_due", "portions_reached"]].tolist() == [
        3,
        2,
        4,
        3,
    ]
    assert by_grid.loc[ids["g2"], ["entitled", "reached", "portions_due", "portions_reached"]].tolist() == [
        2,
        0,
        2,
        0,
    ]
    # Batch 1 (per door) on 04-05: 4 doors (two households share door 1 of A1); one reached.
    per_door = overview.supply_by_grid(s, dt.date(2022, 4, 5))
    assert (int(per_door["entitled"].sum()), int(per_door["reached"].sum())) == (4, 1)
    # Batch 3 is dated after D: not current yet.
    assert overview.current_batch(s, D).name == "第二批"
    assert overview.current_batch(s, dt.date(2022, 4, 12)).name == "第三批"


def test_households_without_the_batch(world: tuple[Session, dict[str, int]]) -> None:
    s, _ = world
    df = overview.households_without_batch(s, D)
    assert df["head_name"].tolist() == ["周三", "吴四", XSS]
    doors = overview.households_without_batch(s, dt.date(2022, 4, 5))
    assert len(doors) == 3 and set(doors["portions"]) == {1}


def test_open_follow_ups(world: tuple[Session, dict[str, int]]) -> None:
    s, _ = world
    df = overview.open_follow_ups(s, D)
    assert df["item"].tolist() == ["补采核酸", "消杀复核"]
    assert df["days_overdue"].tolist() == [1, 0]


def test_new_cases_of_the_day(world: tuple[Session, dict[str, int]]) -> None:
    s, _ = world
    df = overview.new_cases(s, D)
    assert df[["name", "channel", "building"]].values.tolist() == [["居民09", "antigen", "2号楼"]]


# --- the curve and the scoreboard -----------------------------------------------------------


def test_positives_by_channel_fills_every_day(world: tuple[Session, dict[str, int]]) -> None:
    s, _ = world
    df = overview.positives_by_channel(s, D)
    assert df["date"].min() == dt.date(2022, 3, 31) and df["date"].max() == D
    assert df["date"].nunique() == 11
    assert int(df["positives"].sum()) == 3
    assert set(df["channel"]) == {"pooled_retest", "single_tube", "antigen"}


def test_epidemic_curve_stacks_channels_and_runs_a_total(world: tuple[Session, dict[str, int]]) -> None:
    s, _ = world
    fig = charts.epidemic_curve(overview.positives_by_channel(s, D), "en")
    bars = [tr for tr in fig.data if tr.type == "bar"]
    lines = [tr for tr in fig.data if tr.type == "scatter"]
    assert fig.layout.barmode == "stack"
    assert {b.name for b in bars} == {"Pooled-tube retest", "Single tube", "Antigen"}
    assert len(lines) == 1 and lines[0].yaxis == "y2"
    assert list(lines[0].y)[-1] == 3 and list(lines[0].y)[0] == 1


def test_the_curve_s_json_is_a_valid_figure_with_its_total_on_a_second_axis(
    world: tuple[Session, dict[str, int]],
) -> None:
    s, _ = world
    for lang in ("zh", "en"):
        spec = json.loads(charts.epidemic_curve_json(s, D, lang))
        # Written out without plotly's validation: validating it changes nothing.
        assert json.loads(charts.from_json(charts.epidemic_curve_json(s, D, lang)).to_json()) == spec
        assert spec["layout"]["yaxis2"]["overlaying"] == "y" and spec["layout"]["template"]["layout"]
        assert [tr["yaxis"] for tr in spec["data"]] == ["y", "y", "y", "y2"]
        assert spec["data"][0]["x"][-1] == D.isoformat()


def test_grid_scoreboard_rows(world: tuple[Session, dict[str, int]]) -> None:
    s, _ = world
    board = overview.grid_scoreboard(s, D).set_index("grid")
    assert board.loc[
        1, ["households", "residents", "missed", "new_cases", "active_cases", "sealed_buildings"]
    ].tolist() == [
        3,
        9,
        1,
        1,
        2,
        2,
    ]
    assert board.loc[1, ["awaiting_transfer", "overdue_transfers", "open_follow_ups"]].tolist() == [2, 1, 1]
    assert board.loc[1, "screening_coverage"] == pytest.approx(7 / 8)
    assert board.loc[1, "supply_coverage"] == pytest.approx(2 / 3)
    assert board.loc[2, ["residents", "controlled_buildings", "open_follow_ups"]].tolist() == [4, 1, 1]
    assert board.loc[2, "screening_coverage"] == pytest.approx(3 / 4)
    assert board.loc[1, "leader"] == "张网格"
    assert board.loc[3, "residents"] == 0 and math.isnan(board.loc[3, "screening_coverage"])
    assert board["status"].tolist() == ["alert", "alert", "ok"]


def test_scoreboard_adds_up_to_the_headline(world: tuple[Session, dict[str, int]]) -> None:
    s, _ = world
    board = overview.grid_scoreboard(s, D)
    h = overview.headline(s, D)
    assert int(board["residents"].sum()) == h["residents"]
    assert int(board["households"].sum()) == h["households"]
    assert int(board["new_cases"].sum()) == h["new_positives"]
    assert int(board["sealed_buildings"].sum()) == h["sealed_buildings"]


def test_basics_are_the_headline_figures_of_the_caption(world: tuple[Session, dict[str, int]]) -> None:
    s, _ = world
    keys = ("compounds", "grids", "buildings", "households", "residents", "pcr_rounds", "antigen_rounds")
    for day in (dt.date(2022, 3, 1), dt.date(2022, 4, 7), D, TODAY):
        h = overview.headline(s, day)
        assert overview.basics(s, day) == {k: h[k] for k in (*keys, "total_positives")}
    assert overview.basics(s, D)["residents"] == 13
    assert overview.basics(s, dt.date(2022, 3, 1))["total_positives"] == 0


def test_the_day_before_s_tiles_read_as_totals_match_the_per_grid_reads(
    world: tuple[Session, dict[str, int]],
) -> None:
    s, _ = world
    for day in (dt.date(2022, 4, 8), dt.date(2022, 4, 9), D, TODAY):
        assert overview.kpis(s, day) == overview.kpis(s, day, overview.day_parts(s, day))


def test_status_watch_when_restricted_but_nothing_to_do_today(world: tuple[Session, dict[str, int]]) -> None:
    s, _ = world
    # On 04-12: no new case, round 2 still the day's round (g1 87.5 % → watch band), sealed buildings.
    board = overview.grid_scoreboard(s, dt.date(2022, 4, 12)).set_index("grid")
    assert board.loc[1, "new_cases"] == 0
    assert board.loc[1, "status"] in ("alert", "watch")
    assert (
        overview_board._status(
            board.loc[[1]]
            .assign(screening_coverage=0.99, overdue_transfers=0)
            .itertuples(index=False)
            .__next__()
        )
        == "watch"
    )


def test_an_empty_database_gives_zeros_not_errors(engine: Engine) -> None:
    with Session(engine) as s:
        k = overview.kpis(s, D)
        assert k.screening_coverage is None and k.supply_coverage is None and k.longest_wait_hours is None
        assert overview.grid_scoreboard(s, D).empty
        assert overview.positives_by_channel(s, D).empty
        assert overview.transfer_queue(s, D).empty


# --- the page -------------------------------------------------------------------------------


def world_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The hand-made world as the app's database (SQLite file), with users to sign in as."""

    url = f"sqlite:///{tmp_path / 'world.db'}"
    eng = make_engine(url)
    upgrade(eng)
    with Session(eng) as s:
        build_world(s)
        s.commit()
    eng.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    forget_app_state()
    return url


@pytest.fixture
def world_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:

    yield world_database(tmp_path, monkeypatch)
    forget_app_state()


def _as_of(at_, day: dt.date):  # noqa: ANN001, ANN202 - AppTest
    return at_.date_input(key="as_of").set_value(day).run()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_overview_page_shows_the_tiles(world_app: str, lang: str) -> None:
    at_ = _as_of(open_app("shuji", lang=lang), D)
    assert not at_.exception
    metrics = {m.label: m.value for m in at_.metric}
    assert metrics[i18n.t("overview.new_positives", lang=lang)] == "1"
    assert metrics[i18n.t("overview.awaiting_all", lang=lang)] == "2"
    assert metrics[i18n.t("overview.screening_coverage", lang=lang)] == "83.3%"
    assert metrics[i18n.t("overview.zoned", lang=lang)] == "2 / 1"
    assert metrics[i18n.t("overview.supply_coverage", lang=lang)] == "40.0%"
    assert metrics[i18n.t("overview.open_follow_ups", lang=lang)] == "2"
    page = texts(at_)
    assert i18n.t("overview.longest_wait", lang=lang, hours="28.0") in page
    board = at_.dataframe[-1].value
    assert len(board) == 3


def test_clicking_awaiting_transfer_lists_who_waits(world_app: str) -> None:
    at_ = _as_of(open_app("shuji", lang="zh"), D)
    at_.button(key="tile_transfer").click().run()
    assert not at_.exception
    lists = [df.value for df in at_.dataframe if i18n.t("overview.col_hours", lang="zh") in df.value.columns]
    assert len(lists) == 1
    waiting = lists[0]
    assert waiting[i18n.t("overview.col_name", lang="zh")].tolist() == ["居民03", "居民09"]
    assert waiting[i18n.t("overview.col_hours", lang="zh")].tolist() == [28.0, 14.5]
    at_.button(key="drill_close").click().run()
    assert not any(i18n.t("overview.col_hours", lang="zh") in df.value.columns for df in at_.dataframe)


def test_lists_are_masked_for_a_grid_leader_of_another_grid(world_app: str) -> None:
    at_ = _as_of(open_app("grid02", lang="zh"), D)
    at_.button(key="tile_screening").click().run()
    assert not at_.exception
    names = [
        v
        for df in at_.dataframe
        if i18n.t("overview.col_name", lang="zh") in df.value.columns
        for v in df.value[i18n.t("overview.col_name", lang="zh")]
    ]
    assert names == ["居民13"]  # own grid only; grid 1's missed resident is not listed


def test_the_meeting_screen_lists_no_names(world_app: str) -> None:
    at_ = _as_of(open_app("meeting", lang="zh"), D)
    at_.button(key="tile_transfer").click().run()
    assert not at_.exception
    assert "居民03" not in texts(at_)
    assert all(i18n.t("overview.col_name", lang="zh") not in df.value.columns for df in at_.dataframe)


@pytest.mark.parametrize("tile", ["new", "streak", "screening", "transfer", "zones", "supply", "follow_ups"])
def test_every_tile_opens_its_list(world_app: str, tile: str) -> None:
    at_ = _as_of(open_app("shuji", lang="en"), D)
    at_.button(key=f"tile_{tile}").click().run()
    assert not at_.exception
    assert at_.button(key="drill_close")


# --- on the Huamei demo data ----------------------------------------------------------------


def test_huamei_on_the_peak_day_after(seeded: Session) -> None:
    """2022-04-06: the surge outran the buses; the 04-05 backlog (6 cases) waits past 24 h."""
    k = overview.kpis(seeded, dt.date(2022, 4, 6))
    assert k.overdue_transfers == 6
    assert k.longest_wait_hours is not None and 24 < k.longest_wait_hours <= 30
    q = overview.transfer_queue(seeded, dt.date(2022, 4, 6))
    assert q.loc[q["overdue"], "kind"].tolist() == ["case"] * 6


def test_huamei_scoreboard_matches_the_brief(seeded: Session) -> None:
    day = dt.date(2022, 5, 29)
    board = overview.grid_scoreboard(seeded, day)
    brief = overview.headline(seeded, day)
    assert len(board) == brief["grids"] == 10
    assert int(board["residents"].sum()) == brief["residents"] == 7500
    assert int(board["households"].sum()) == brief["households"] == 2969
    assert int(board["new_cases"].sum()) == brief["new_positives"] == 0
    assert int(board["sealed_buildings"].sum()) == brief["sealed_buildings"] == 0
    assert int(board["awaiting_transfer"].sum()) == brief["awaiting_transfer"] == 0
    k = overview.kpis(seeded, day)
    assert k.negative_streak == brief["negative_streak_days"] == 22
    assert k.open_follow_ups == 3
    peak = overview.grid_scoreboard(seeded, dt.date(2022, 4, 10))
    assert int(peak["new_cases"].sum()) == overview.headline(seeded, dt.date(2022, 4, 10))["new_positives"]
    assert (
        int(peak["sealed_buildings"].sum())
        == overview.headline(seeded, dt.date(2022, 4, 10))["sealed_buildings"]
    )


def test_huamei_curve_runs_from_1_april(seeded: Session) -> None:
    curve = overview.positives_by_channel(seeded, dt.date(2022, 5, 29))
    assert curve["date"].min() == dt.date(2022, 4, 1)
    per_day = curve.groupby("date")["positives"].sum()
    assert int(per_day.max()) == 21
    assert int(per_day.sum()) == overview.headline(seeded, dt.date(2022, 5, 29))["total_positives"]


def test_clicking_awaiting_transfer_on_6_april_lists_people_and_hours(app_db: str) -> None:
    at_ = _as_of(open_app("shuji", lang="zh"), dt.date(2022, 4, 6))
    assert not at_.exception
    at_.button(key="tile_transfer").click().run()
    assert not at_.exception
    hours_col = i18n.t("overview.col_hours", lang="zh")
    lists = [df.value for df in at_.dataframe if hours_col in df.value.columns]
    assert len(lists) == 1
    waiting = lists[0]
    assert len(waiting) >= 6
    assert waiting[hours_col].iloc[0] > 24  # the longest wait first, past the 24 h limit
    assert waiting[hours_col].is_monotonic_decreasing
    names = waiting[i18n.t("overview.col_name", lang="zh")]
    assert names.str.len().min() >= 2 and "*" not in "".join(names)  # the secretary sees names in full


def test_a_grid_leader_sees_masked_names_in_no_other_grid(app_db: str) -> None:
    at_ = _as_of(open_app("grid03", lang="en"), dt.date(2022, 4, 6))
    at_.button(key="tile_transfer").click().run()
    assert not at_.exception
    assert i18n.t("overview.own_grid_only", lang="en", grid=3) in texts(at_)


@pytest.mark.parametrize("username", ["admin", "grid05", "task", "meeting", "viewer"])
def test_every_role_opens_the_overview_and_the_map(app_db: str, username: str) -> None:
    at_ = _as_of(open_app(username, lang="zh"), dt.date(2022, 4, 10))
    assert not at_.exception
    assert {m.label for m in at_.metric} >= {i18n.t("overview.new_positives", lang="zh")}
    at_.switch_page("pages/map.py").run()
    assert not at_.exception
    assert i18n.t("map.click_hint", lang="zh") in texts(at_)
