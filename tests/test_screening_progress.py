"""A round's progress (dashboard/screening_progress.py) against a plain count of every resident's
status, on the small area of tests/data_screening/world.py with the odd cases added: a building
without a grid, a sample without a time, a sample taken the day after, a sample at the door, an exempt
reason with a sample, residents without a row; rounds of every scope, as of three days. And the
exempt list that round_progress_and_exempt reads with the progress against exempt_residents."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pandas as pd
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from dashboard import screening, screening_views
from dashboard.config import end_of
from dashboard.store import run_write
from db.models import Building, Compound, Household, Resident, ScreeningResult, ScreeningRound
from tests.data_screening import world as w

NOW = dt.datetime(2022, 5, 29, 18, 30)
DAYS = (w.TODAY - dt.timedelta(days=1), w.TODAY, w.TODAY + dt.timedelta(days=1))


@pytest.fixture
def area(engine: Engine) -> tuple[w.World, list[int]]:
    """The small area with the odd cases, and the ids of its rounds: the area's round on TODAY (every
    resident), one of grid 2 and one of the buildings sealed (B2)."""
    world = w.build(engine)
    later = dt.datetime.combine(w.TODAY + dt.timedelta(days=1), dt.time(8, 0))
    with Session(engine) as s, s.begin():
        compound = s.scalar(select(Compound.id))
        b5 = Building(compound_id=compound, grid_id=None, name="B5")
        s.add(b5)
        s.flush()
        home = Household(building_id=b5.id, door="501", room="501", size=3)
        s.add(home)
        s.flush()
        people = {
            label: Resident(
                household_id=home.id,
                name=f"周{n}",
                sex="F",
                birth_year=1960 + n,
                phone=f"1380000000{n}",
                id_number=w.id_number(90 + n),
                is_bedridden=label == "u3",
            )
            for n, label in enumerate(("u1", "u2", "u3"), start=1)
        }
        s.add_all(people.values())
        s.flush()
        rows = {
            # u1 has no row; a plain sample without a time; a bedridden resident sampled at the door.
            people["u2"].id: {"method": None, "sampled_at": None},
            people["u3"].id: {"method": "door", "sampled_at": w.SAMPLED_AT, "exempt_reason": "bedridden"},
            # Sampled the day after the round; an exempt reason that came with a sample.
            world.resident("r7"): {"method": "site", "sampled_at": later},
            world.resident("r10"): {"method": "site", "sampled_at": w.SAMPLED_AT, "exempt_reason": "away"},
        }
        for resident_id, values in rows.items():
            s.add(
                ScreeningResult(round_id=world.round_id, resident_id=resident_id, result="pending", **values)
            )
    shuji = world.users["shuji"]
    grid_round = run_write(
        engine, screening.create_round, shuji, "pcr", w.TODAY, "grid", scope_grid_id=world.grids[2], now=NOW
    )
    sealed_round = run_write(engine, screening.create_round, shuji, "antigen", w.TODAY, "sealed", now=NOW)
    return world, [world.round_id, grid_round, sealed_round]


def _counted_by_hand(s: Session, round_id: int, as_of: dt.date) -> dict[int, list[int]]:
    """STATUS_COUNTS per building, each resident's status worked out one by one (module docstring of
    dashboard/screening_rounds.py)."""
    rnd = s.get(ScreeningRound, round_id)
    sealed = set(screening.sealed_building_ids(s, rnd.date)) if rnd.scope == "sealed" else set()
    rows = {
        r.resident_id: r
        for r in s.scalars(select(ScreeningResult).where(ScreeningResult.round_id == round_id))
    }
    out: dict[int, list[int]] = defaultdict(lambda: [0] * len(screening.STATUS_COUNTS))
    people = s.execute(
        select(Resident.id, Resident.is_bedridden, Building.id, Building.grid_id)
        .join(Household, Household.id == Resident.household_id)
        .join(Building, Building.id == Household.building_id)
    ).all()
    for resident_id, bedridden, building_id, grid_id in people:
        if (rnd.scope == "grid" and grid_id != rnd.scope_grid_id) or (
            rnd.scope == "sealed" and building_id not in sealed
        ):
            continue
        row = rows.get(resident_id)
        reason = (row.exempt_reason or "") if row else ""
        method = (row.method or "") if row else ""
        sampled = (
            row is not None
            and (reason == "" or method != "")
            and (row.sampled_at is None or row.sampled_at <= end_of(as_of))
        )
        exempt = reason in screening.OUT_OF_DUE and method == ""
        counts = out[building_id]
        counts[0] += 1
        for i, why in enumerate(("transferred", "quarantine", "away"), start=1):
            counts[i] += exempt and reason == why
        counts[4] += sampled
        counts[5] += sampled and method == "door"
        counts[6] += (bedridden or reason == "bedridden") and not exempt
    return dict(out)


def test_progress_agrees_with_each_residents_status(engine: Engine, area: tuple[w.World, list[int]]) -> None:
    world, round_ids = area
    cols = screening.STATUS_COUNTS
    with Session(engine) as s:
        grid_of = dict(s.execute(select(Building.id, Building.grid_id)).all())
        for round_id in round_ids:
            for as_of in DAYS:
                expected = _counted_by_hand(s, round_id, as_of)
                p = screening.round_progress(s, round_id, as_of)
                b = p.by_building.set_index("building_id")
                assert {int(k): [int(v) for v in row] for k, row in b[cols].iterrows()} == expected
                by_grid: dict[int | None, list[int]] = defaultdict(lambda: [0] * len(cols))
                for building_id, counts in expected.items():
                    summed = by_grid[grid_of[building_id]]
                    for i, c in enumerate(counts):
                        summed[i] += c
                got = {
                    None if pd.isna(g) else int(g): [int(v) for v in row[cols]]
                    for g, row in p.by_grid.set_index("grid_id").iterrows()
                }
                assert got == dict(by_grid)
                totals = [sum(c[i] for c in expected.values()) for i in range(len(cols))]
                assert [p.totals[c] for c in cols] == totals
                assert p.totals["due"] == totals[0] - sum(totals[1:4])
                assert p.totals["missed"] == p.totals["due"] - totals[4]
                # The cheaper reads give the same.
                assert screening.round_totals(s, round_id, as_of) == p.totals
                pd.testing.assert_frame_equal(screening.round_by_grid(s, round_id, as_of), p.by_grid)
                # One grid's progress reads its buildings alone: the same rows as in the whole.
                for grid_id in world.grids.values():
                    one = screening.round_progress(s, round_id, as_of, grid_id)
                    mine = p.by_building[p.by_building["grid_id"] == grid_id].reset_index(drop=True)
                    pd.testing.assert_frame_equal(one.by_building, mine, check_dtype=False)
                    row = p.by_grid[p.by_grid["grid_id"] == grid_id].reset_index(drop=True)
                    pd.testing.assert_frame_equal(one.by_grid.reset_index(drop=True), row, check_dtype=False)
    assert round_ids[0] == world.round_id


def test_the_odd_cases_as_counted(engine: Engine, area: tuple[w.World, list[int]]) -> None:
    """The area's round as of TODAY: r7 sampled tomorrow and r10 (away, but sampled) join the hand-made
    figures; B5 (no grid) has u1 missed, u2 sampled without a time and u3 bedridden sampled at the door."""
    world, _ = area
    with Session(engine) as s:
        p = screening.round_progress(s, world.round_id, w.TODAY)
        tomorrow = screening.round_progress(s, world.round_id, w.TODAY + dt.timedelta(days=1))
    t = p.totals
    assert (t["residents"], t["exempt"], t["due"], t["sampled"], t["missed"]) == (24, 3, 21, 17, 4)
    assert (t["door"], t["bedridden"]) == (1, 2)
    assert tomorrow.totals["sampled"] == 18
    no_grid = p.by_grid[p.by_grid["grid_id"].isna()]
    assert no_grid[["grid", "residents", "due", "sampled", "door", "missed"]].values.tolist() == [
        [0, 3, 3, 2, 1, 1]
    ]
    assert p.by_building["grid"].dtype == "Int64" and p.by_building["grid"].isna().sum() == 1


def test_the_exempt_list_holds_each_exempt_resident(engine: Engine, area: tuple[w.World, list[int]]) -> None:
    """exempt_residents (read through the partial index of the rows that are not plain) lists the
    residents in scope whose row is an exemption without a sample, of one grid or all."""
    world, round_ids = area
    with Session(engine) as s:
        grid_of = dict(
            s.execute(
                select(Resident.id, Building.grid_id)
                .join(Household, Household.id == Resident.household_id)
                .join(Building, Building.id == Household.building_id)
            ).all()
        )
        for round_id in round_ids:
            counted = _counted_by_hand(s, round_id, w.TODAY)
            exempt_rows = s.execute(
                select(ScreeningResult.resident_id, ScreeningResult.exempt_reason).where(
                    ScreeningResult.round_id == round_id,
                    ScreeningResult.exempt_reason.in_(screening.OUT_OF_DUE),
                    func.coalesce(ScreeningResult.method, "") == "",
                )
            ).all()
            for grid_id in (None, *world.grids.values()):
                listed = screening.exempt_residents(s, round_id, w.TODAY, grid_id)
                expected = {r: why for r, why in exempt_rows if grid_id in (None, grid_of[r])}
                assert dict(zip(listed["resident_id"], listed["reason"], strict=True)) == expected
            assert sum(sum(c[1:4]) for c in counted.values()) == len(exempt_rows)


def test_the_progress_section_of_one_grid(engine: Engine, area: tuple[w.World, list[int]]) -> None:
    world, _ = area
    with Session(engine) as s:
        view = screening_views.progress_view(s, world.round_id, w.TODAY, "en")
        every = screening_views.grid_progress(s, world.round_id, w.TODAY, None, "en")
        one = screening_views.grid_progress(s, world.round_id, w.TODAY, world.grids[1], "en")
        every_exempt = screening_views.exempt_list(s, world.round_id, w.TODAY, None, "en")
        one_exempt = screening_views.exempt_list(s, world.round_id, w.TODAY, world.grids[1], "en")
    assert [k["value"] for k in view.kpis] == ["21", "17", "81.0%", "4"]
    assert len(every.by_building) == 5 and len(one.by_building) == 3
    assert one.by_building.columns.tolist() == every.by_building.columns.tolist()
    assert every.exempt_n == view.exempt_n == 3
    missed = {g: int(m) for g, m in zip(view.by_grid.iloc[:, 0], view.by_grid["Missed"], strict=True)}
    assert view.most_missed_grid in world.grids.values()
    number = {v: int(k) for k, v in world.grids.items()}[view.most_missed_grid]
    assert missed[number] == max(missed[g] for g in missed if g)
    assert one_exempt["name"].tolist() == ["李五", "王八"] and one.exempt_n == 2
    assert every_exempt["grid_id"].tolist() == [world.grids[1], world.grids[1], world.grids[2]]
    assert view.exempt_n == 3 and sorted(every_exempt["reason"]) == ["Away", "In quarantine", "Transferred"]


def test_pickers_list_the_rounds_newest_first(engine: Engine, area: tuple[w.World, list[int]]) -> None:
    world, (first, grid_round, sealed_round) = area
    with Session(engine) as s:
        choices = screening_views.pickers(s, w.TODAY, "en")
        held = screening.rounds(s, w.TODAY)
        before = screening_views.pickers(s, w.TODAY - dt.timedelta(days=1), "en")
    assert choices.ids[None] == held["round_id"].tolist() == [grid_round, first, sealed_round]
    assert choices.ids["pcr"] == [grid_round, first] and choices.ids["antigen"] == [sealed_round]
    assert list(choices.grids) == [world.grids[1], world.grids[2]]
    assert before.empty and before.ids == {None: [], "pcr": [], "antigen": []}
