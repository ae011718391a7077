"""Supply coverage read from the delivery tally (dashboard/supply_coverage.tallied_rows) against the
same figures worked out household by household from the delivery rows (coverage_of over visits()),
on the Huamei demo for every batch, several days and the three levels, on SQLite and PostgreSQL;
households owed nothing that were delivered all the same; and the coverage section's list of the
households not reached (the whole area's read only when asked for)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dashboard import supplies, supply_coverage, supply_views
from dashboard.supply_batches import _rule
from dashboard.supply_visits import visits
from db.models import Delivery, Household, SupplyBatch, User

TODAY = dt.date(2022, 5, 29)


def _agree(session: Session, batch_id: int, as_of: dt.date) -> None:
    """Every level's table and the portions given to households owed nothing, both ways."""
    _name, rule = _rule(session, batch_id)
    seen = visits(session, batch_id, as_of, rule)
    for level in supplies.LEVELS:
        pd.testing.assert_frame_equal(
            supplies.coverage(session, batch_id, as_of, level),
            supply_coverage.coverage_of(session, rule, level, seen),
        )
    assert supply_coverage.tallied_rows(session, batch_id, as_of, rule, "grid")[2] == seen.given_unowed


def test_the_tally_gives_the_figures_of_the_delivery_rows(seeded: Session) -> None:
    batches = seeded.execute(select(SupplyBatch.id, SupplyBatch.date, SupplyBatch.rule)).all()
    assert {rule for _, _, rule in batches} >= {"per_door", "large_household"}
    for batch_id, day, _rule_name in batches:
        for as_of in (day - dt.timedelta(days=1), day, day + dt.timedelta(days=2), TODAY):
            _agree(seeded, batch_id, as_of)


def test_households_owed_nothing_but_delivered_are_left_out(seeded: Session) -> None:
    """A household emptied after its delivery (size 0: owed nothing now) and, under the per-door rule,
    a second household of a door that was handed a bag: their portions are given beyond the rule."""
    current = supplies.current_batch(seeded, TODAY)
    delivered = seeded.scalars(
        select(Delivery.household_id)
        .where(Delivery.batch_id == current, Delivery.status == "delivered")
        .limit(2)
    ).all()
    seeded.execute(update(Household).where(Household.id.in_(delivered)).values(size=0))
    per_door = seeded.scalar(select(SupplyBatch.id).where(SupplyBatch.rule == "per_door"))
    # A second household behind a door the per-door batch reached, handed a bag of its own.
    head = seeded.scalars(select(Delivery).where(Delivery.batch_id == per_door).limit(1)).one()
    home = seeded.get(Household, head.household_id)
    other = Household(building_id=home.building_id, door=home.door, room=home.room + "-2", size=2)
    seeded.add(other)
    seeded.flush()
    seeded.add(Delivery(batch_id=per_door, household_id=other.id, portions=1, at=head.at))
    seeded.flush()
    for batch_id in (current, per_door):
        _agree(seeded, batch_id, TODAY)
    _name, rule = _rule(seeded, current)
    assert supply_coverage.tallied_rows(seeded, current, TODAY, rule, "grid")[2] > 0


def test_the_summary_tile_counts_as_the_table(seeded: Session) -> None:
    summary = supplies.supply_summary(seeded, TODAY)
    table = supplies.coverage(seeded, summary.batch_id, TODAY, "grid")
    assert summary.households_entitled == table["households_entitled"].sum()
    assert summary.households_reached == table["households_reached"].sum()
    assert summary.portions_needed == table["portions_needed"].sum()
    assert summary.portions_delivered == table["portions_delivered"].sum()


@pytest.mark.parametrize("as_of", [TODAY, dt.date(2022, 4, 20), dt.date(2022, 4, 6)])
def test_the_overview_counts_the_batch_as_the_supplies_page(seeded: Session, as_of: dt.date) -> None:
    """The overview's supply tile, its figures by grid, its list of households not reached and a
    building's details are the supplies page's own (one batch, one rule of who is owed)."""
    from dashboard import overview, overview_board

    batch_id = supplies.current_batch(seeded, as_of)
    summary = supplies.supply_summary(seeded, as_of)
    table = supplies.coverage(seeded, batch_id, as_of, "grid")
    for k in (overview_board.kpis(seeded, as_of), overview_board.day_view(seeded, as_of).kpis):
        assert (k.batch_name, k.supply_entitled, k.supply_reached) == (
            summary.batch_name,
            summary.households_entitled,
            summary.households_reached,
        )
    by_grid = overview.supply_by_grid(seeded, as_of)
    assert by_grid["grid_id"].tolist() == table["grid_id"].tolist()
    assert by_grid[["entitled", "reached", "portions_due", "portions_reached"]].values.tolist() == (
        table[
            ["households_entitled", "households_reached", "portions_needed", "portions_delivered"]
        ].values.tolist()
    )
    without = overview.households_without_batch(seeded, as_of)
    assert len(without) == int(table["households_entitled"].sum() - table["households_reached"].sum())
    building = supplies.coverage(seeded, batch_id, as_of, "building").iloc[0]
    assert overview.batch_coverage_of_building(seeded, as_of, int(building["building_id"])) == (
        summary.batch_name,
        int(building["households_entitled"]),
        int(building["households_reached"]),
    )


def test_the_coverage_section_counts_and_lists_the_households_not_reached(seeded: Session) -> None:
    batch_id = supplies.current_batch(seeded, TODAY)
    every = supplies.not_reached(seeded, batch_id, TODAY)
    view = supply_views.coverage_view(seeded, batch_id, TODAY, None, "zh")
    assert view.not_reached is None and view.not_reached_n == len(every) > 0
    listed = supply_views.not_reached_list(seeded, batch_id, TODAY, None, "zh")
    assert listed["grid_id"].tolist() == every["grid_id"].tolist()
    grid_id = int(every["grid_id"].iloc[0])
    one = supply_views.coverage_view(seeded, batch_id, TODAY, grid_id, "zh")
    mine = every[every["grid_id"] == grid_id]
    assert one.not_reached_n == len(mine) == len(one.not_reached)
    assert one.kpis == view.kpis


def test_page_lists_the_households_not_reached(app_db: str) -> None:
    """The secretary sees how many households the batch has not reached and opens the list when she
    wants it (it is read only then); a grid leader sees the list of the grid at once."""
    from db import make_engine
    from tests.helpers import open_app

    engine = make_engine()
    with Session(engine) as s:
        batch_id = supplies.current_batch(s, TODAY)
        every = supplies.not_reached(s, batch_id, TODAY)
        grid_id = s.scalar(select(User.grid_id).where(User.username == "grid01"))
    engine.dispose()
    mine = every[every["grid_id"] == grid_id]
    assert 0 < len(mine) < len(every)

    at = open_app("shuji", "zh", page="pages/supplies.py")
    at.radio(key="sup_section").set_value("coverage").run()
    assert [e.label for e in at.expander] == [f"全部 {len(every)} 户的名单"]
    tables = len(at.dataframe)
    at.session_state["sup_missing_open"] = True
    at.run()
    assert not at.exception
    assert len(at.dataframe) == tables + 1 and len(at.dataframe[-1].value) == len(every)

    at = open_app("grid01", "zh", page="pages/supplies.py")
    at.radio(key="sup_section").set_value("coverage").run()
    assert not at.exception and not at.expander
    assert len(at.dataframe[-1].value) == len(mine)


@pytest.mark.parametrize("level", ["grid", "compound", "building"])
def test_an_unknown_batch_or_level_is_refused(seeded: Session, level: str) -> None:
    from dashboard.errors import ValidationError

    with pytest.raises(ValidationError):
        supplies.coverage(seeded, 99_999, TODAY, level)
    with pytest.raises(ValueError, match="street"):
        supplies.coverage(seeded, supplies.current_batch(seeded, TODAY), TODAY, "street")
