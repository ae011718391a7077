"""The three zones at the 7- and 14-day edges, the countdown, the history of a building and a
compound, and announced overrides (rights, dates, audit) — on a hand-made area."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pandas as pd
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from dashboard import zones
from dashboard.errors import PermissionDenied, ValidationError
from db.models import AuditLog, Building, Case, Household, Resident, Setting
from tests.test_cases import build_area

D = dt.date(2022, 4, 5)
DAY = dt.timedelta(days=1)


@pytest.fixture
def s(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session, session.begin():
        yield session


def add_case(s: Session, resident_id: int, day: dt.date) -> None:
    s.add(
        Case(
            resident_id=resident_id,
            found_on=day,
            found_at=dt.datetime.combine(day, dt.time(10)),
            channel="antigen",
            severity="asymptomatic",
            status="recovered",
        )
    )
    s.flush()


def zone_of(s: Session, building_id: int, day: dt.date) -> str:
    b = zones.building_zones(s, day)
    return b.loc[b["building_id"] == building_id, "zone"].iloc[0]


def test_a_case_on_day_d_seals_d_to_d6_controls_d7_to_d13_and_releases_from_d14(s: Session) -> None:
    area = build_area(s)
    add_case(s, area.r["r1"], D)
    expected = {
        -1: "precaution",
        0: "sealed",
        6: "sealed",
        7: "controlled",
        13: "controlled",
        14: "precaution",
    }
    for offset, zone in expected.items():
        assert zone_of(s, area.a1, D + offset * DAY) == zone, offset
    assert zone_of(s, area.a2, D) == "precaution"  # the house next door is not sealed by it
    board = zones.building_board(s, D + 2 * DAY).set_index("building_id")
    assert board.loc[area.a1, "steps_down_on"] == D + 7 * DAY and board.loc[area.a1, "days_left"] == 5
    board = zones.building_board(s, D + 9 * DAY).set_index("building_id")
    assert (board.loc[area.a1, "zone"], board.loc[area.a1, "steps_down_on"]) == ("controlled", D + 14 * DAY)
    assert zones.building_board(s, D + 14 * DAY).empty


def test_a_new_case_restarts_the_count_and_the_compound_takes_its_strictest_building(s: Session) -> None:
    area = build_area(s)
    add_case(s, area.r["r1"], D)
    add_case(s, area.r["r6"], D + 5 * DAY)  # the other house of the same compound
    add_case(s, area.r["r2"], D + 10 * DAY)  # 1号 again, while controlled
    assert zone_of(s, area.a1, D + 10 * DAY) == "sealed"
    assert zone_of(s, area.a1, D + 16 * DAY) == "sealed"
    assert zone_of(s, area.a1, D + 17 * DAY) == "controlled"
    compounds = zones.compound_board(s, D + 12 * DAY).set_index("compound_id")
    assert compounds.loc[area.xu, "zone"] == "sealed" and compounds.loc[area.xu, "sealed_buildings"] == 1
    assert compounds.loc[area.xu, "steps_down_on"] == D + 17 * DAY
    assert compounds.loc[area.pub, "zone"] == "precaution"
    assert zones.zone_counts(s, D + 12 * DAY) == {"sealed": 1, "controlled": 1, "precaution": 1}


def test_history_lists_the_zone_periods_from_the_first_day_to_as_of(s: Session) -> None:
    area = build_area(s)  # its screening round on D is the first day the records know
    add_case(s, area.r["r1"], D + 2 * DAY)
    add_case(s, area.r["r6"], D + 5 * DAY)
    history = zones.zone_history(s, building_id=area.a1, until=D + 20 * DAY)
    assert history[["zone", "start_on", "end_on", "days"]].values.tolist() == [
        ["precaution", D, D + DAY, 2],
        ["sealed", D + 2 * DAY, D + 8 * DAY, 7],
        ["controlled", D + 9 * DAY, D + 15 * DAY, 7],
        ["precaution", D + 16 * DAY, D + 20 * DAY, 5],
    ]
    compound = zones.zone_history(s, compound_id=area.xu, until=D + 20 * DAY)
    assert compound[["zone", "start_on", "end_on"]].values.tolist() == [
        ["precaution", D, D + DAY],
        ["sealed", D + 2 * DAY, D + 11 * DAY],
        ["controlled", D + 12 * DAY, D + 18 * DAY],
        ["precaution", D + 19 * DAY, D + 20 * DAY],
    ]
    assert zones.zone_history(s, compound_id=area.pub, until=D + 3 * DAY)["zone"].tolist() == ["precaution"]
    with pytest.raises(ValueError):
        zones.zone_history(s, until=D)


def test_the_day_counts_come_from_the_settings(s: Session) -> None:
    area = build_area(s)
    s.add_all([Setting(key="zone_sealed_days", value="3"), Setting(key="zone_controlled_days", value="5")])
    add_case(s, area.r["r1"], D)
    assert [zone_of(s, area.a1, D + n * DAY) for n in (2, 3, 4, 5)] == [
        "sealed",
        "controlled",
        "controlled",
        "precaution",
    ]


def test_an_announced_zone_overrides_the_rule_for_its_period_and_is_audited(s: Session) -> None:
    area = build_area(s)
    add_case(s, area.r["r1"], D)
    now = dt.datetime.combine(D + 3 * DAY, dt.time(9))
    with pytest.raises(PermissionDenied):
        zones.announce_zone(
            s, area.grid01, building_id=area.b1, zone="sealed", start_on=D, reason="区发布", now=now
        )
    for kwargs, key in (
        ({"building_id": area.b1, "compound_id": area.pub}, "cases.zones.one_target"),
        ({"building_id": area.b1, "start_on": D + 4 * DAY}, "common.future_date"),
        ({"building_id": area.b1, "reason": " "}, "common.required"),
        ({"building_id": area.b1, "zone": "red"}, "common.bad_choice"),
    ):
        args = {"zone": "sealed", "start_on": D + DAY, "reason": "区防控办通告", **kwargs}
        with pytest.raises(ValidationError) as e:
            zones.announce_zone(s, area.shuji, now=now, **args)
        assert e.value.key == key
    row = zones.announce_zone(s, area.shuji, building_id=area.b1, zone="sealed", start_on=D + DAY, reason="区防控办通告", now=now)  # fmt: skip
    assert zone_of(s, area.b1, D) == "precaution" and zone_of(s, area.b1, D + 3 * DAY) == "sealed"
    zones.announce_zone(s, area.shuji, compound_id=area.xu, zone="controlled", start_on=D + 2 * DAY, reason="降级", now=now)  # fmt: skip
    compounds = zones.compound_board(s, D + 3 * DAY).set_index("compound_id")
    assert (compounds.loc[area.xu, "zone"], compounds.loc[area.pub, "zone"]) == ("controlled", "sealed")
    zones.end_announced_zone(s, area.shuji, row.id, D + 3 * DAY, now=now)
    assert zone_of(s, area.b1, D + 4 * DAY) == "precaution"
    history = zones.zone_history(s, building_id=area.b1, until=D + 5 * DAY)
    assert history[["zone", "overridden"]].values.tolist() == [
        ["precaution", False], ["sealed", True], ["precaution", False]
    ]  # fmt: skip
    assert len(zones.zone_overrides(s, D + 5 * DAY)) == 2
    actions = s.scalars(select(AuditLog.action).where(AuditLog.table_name == "zone_change")).all()
    assert sorted(actions) == ["cases.zone", "cases.zone", "cases.zone_end"]


# --- the quick zones equal the rule applied building by building -----------------------------


def _reference_building_zones(s: Session, as_of: dt.date) -> pd.DataFrame:
    """building_zones as first written: one ORM join, then the rule row by row (slow, plain)."""
    rule = zones.rule_for(s)
    last_case = (
        select(Household.building_id.label("building_id"), func.max(Case.found_on).label("last_case"))
        .join(Resident, Resident.household_id == Household.id)
        .join(Case, Case.resident_id == Resident.id)
        .where(Case.found_on <= as_of)
        .group_by(Household.building_id)
        .subquery()
    )
    rows = s.execute(
        select(Building.id, Building.compound_id, Building.grid_id, last_case.c.last_case)
        .outerjoin(last_case, last_case.c.building_id == Building.id)
        .order_by(Building.id)
    ).all()
    df = pd.DataFrame(rows, columns=["building_id", "compound_id", "grid_id", "last_case"])
    if df.empty:
        return df.assign(zone=pd.Series(dtype=str), steps_down_on=pd.Series(dtype=object))
    df["last_case"] = df["last_case"].map(lambda v: v if pd.notna(v) else None)
    df["zone"] = [rule.zone(v, as_of) for v in df["last_case"]]
    df["steps_down_on"] = [rule.steps_down_on(v, as_of) for v in df["last_case"]]
    for building_id, zone in zones.overrides(s, as_of)["building"].items():
        df.loc[df["building_id"] == building_id, ["zone", "steps_down_on"]] = [zone, None]
    return df


def _reference_compound_zones(s: Session, as_of: dt.date) -> pd.DataFrame:
    """compound_zones as first written: the strictest building of each compound, group by group."""
    b = _reference_building_zones(s, as_of)
    if b.empty:
        return pd.DataFrame(columns=["compound_id", "zone", "steps_down_on", "sealed_buildings"])
    b["rank"] = b["zone"].map(zones.ORDER)
    out = []
    for compound_id, part in b.groupby("compound_id"):
        strictest = part.loc[part["rank"].idxmin()]
        steps = [
            d
            for d, z in zip(part["steps_down_on"], part["zone"], strict=True)
            if z == strictest["zone"] and d
        ]
        out.append(
            {
                "compound_id": int(compound_id),
                "zone": strictest["zone"],
                "steps_down_on": max(steps) if steps else None,
                "sealed_buildings": int((part["zone"] == "sealed").sum()),
            }
        )
    df = pd.DataFrame(out)
    for compound_id, zone in zones.overrides(s, as_of)["compound"].items():
        df.loc[df["compound_id"] == compound_id, ["zone", "steps_down_on"]] = [zone, None]
    return df


def _same_zones(s: Session, day: dt.date) -> None:
    pd.testing.assert_frame_equal(zones.building_zones(s, day), _reference_building_zones(s, day))
    pd.testing.assert_frame_equal(zones.compound_zones(s, day), _reference_compound_zones(s, day))
    b = zones.building_zones(s, day)
    pd.testing.assert_frame_equal(zones.compound_zones(s, day, b), _reference_compound_zones(s, day))


def test_zones_equal_the_rule_building_by_building_with_overrides(s: Session) -> None:
    area = build_area(s)
    _same_zones(s, D)  # no case at all
    add_case(s, area.r["r1"], D)
    add_case(s, area.r["r6"], D + 4 * DAY)
    add_case(s, area.r["r7"], D + 9 * DAY)
    s.add(Building(compound_id=area.pub, grid_id=None, name="无网格楼"))  # grid_id NULL: a float column
    now = dt.datetime.combine(D + 12 * DAY, dt.time(9))
    zones.announce_zone(s, area.shuji, building_id=area.a2, zone="controlled", start_on=D + 5 * DAY, end_on=D + 7 * DAY, reason="区通告", now=now)  # fmt: skip
    zones.announce_zone(s, area.shuji, compound_id=area.pub, zone="precaution", start_on=D + 10 * DAY, reason="解除", now=now)  # fmt: skip
    for offset in range(-1, 26):
        _same_zones(s, D + offset * DAY)


def test_zones_equal_the_rule_building_by_building_on_the_seeded_area(seeded: Session) -> None:
    first, last = seeded.execute(select(func.min(Case.found_on), func.max(Case.found_on))).one()
    day = first - DAY
    while day <= last + 15 * DAY:
        _same_zones(seeded, day)
        day += 4 * DAY
