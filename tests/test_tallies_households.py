"""The household tally kept by triggers (db/tallies_households.py) matches a recount of the
households after every kind of write — ORM and Core, one row and many, a household moved to another
building, a rolled-back write — on SQLite and PostgreSQL, and after the seed; the map reads it."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, delete, insert, select, text, update
from sqlalchemy.orm import Session

from db import tallies, versions
from db.models import Building, Compound, Grid, Household


def recount(engine: Engine) -> dict[int, int]:
    """building → households, from the household rows."""
    with Session(engine) as s:
        return dict(s.execute(text("SELECT building_id, count(*) FROM household GROUP BY building_id")).all())


def kept(engine: Engine) -> dict[int, int]:
    """The same, as the tally holds it (buildings counted down to none left out)."""
    with Session(engine) as s:
        return {b: n for b, n in s.execute(text("SELECT building_id, households FROM household_tally")) if n}


def assert_in_step(engine: Engine) -> None:
    assert kept(engine) == recount(engine)


@pytest.fixture
def world(engine: Engine) -> dict[str, list[int]]:
    """Three buildings (the third empty) and three households."""
    with Session(engine) as s, s.begin():
        grid = Grid(number=1, name="一网格")
        compound = Compound(name="华美新村", kind="public_housing")
        s.add_all([grid, compound])
        s.flush()
        buildings = [Building(compound_id=compound.id, grid_id=grid.id, name=f"{i}号楼") for i in (1, 2, 3)]
        s.add_all(buildings)
        s.flush()
        households = [
            Household(building_id=buildings[b].id, door="1", room=room, size=2, head_name="户主")
            for b, room in ((0, "101"), (0, "102"), (1, "201"))
        ]
        s.add_all(households)
        s.flush()
        return {"buildings": [b.id for b in buildings], "households": [h.id for h in households]}


def test_households_added_one_by_one_and_in_bulk_are_counted(engine: Engine, world: dict) -> None:
    b1, b2, b3 = world["buildings"]
    assert kept(engine) == {b1: 2, b2: 1}
    with engine.begin() as c:  # one statement, many rows, two buildings (one not yet in the tally)
        c.execute(
            insert(Household),
            [
                {"building_id": b, "door": "2", "room": room, "size": 1, "head_name": "户主"}
                for b, room in ((b2, "202"), (b3, "301"), (b3, "302"), (b3, "303"))
            ],
        )
    assert kept(engine) == {b1: 2, b2: 2, b3: 3}
    assert_in_step(engine)


def test_deleted_and_moved_households_leave_their_building(engine: Engine, world: dict) -> None:
    b1, b2, b3 = world["buildings"]
    h1, h2, h3 = world["households"]
    with Session(engine) as s, s.begin():  # through the ORM, as a setup edit moves a household
        s.get(Household, h1).building_id = b3
    assert kept(engine) == {b1: 1, b2: 1, b3: 1}
    with engine.begin() as c:  # two at once; a change of size alone counts nothing
        c.execute(update(Household).where(Household.id.in_([h2, h3])).values(building_id=b3, size=5))
        c.execute(update(Household).where(Household.id == h1).values(size=4))
    assert kept(engine) == {b3: 3}
    with engine.begin() as c:
        c.execute(delete(Household).where(Household.id.in_([h1, h2])))
    assert kept(engine) == {b3: 1}
    assert_in_step(engine)


def test_a_rolled_back_household_leaves_the_tally_alone(engine: Engine, world: dict) -> None:
    before = kept(engine)
    with pytest.raises(RuntimeError), Session(engine) as s, s.begin():
        s.add(Household(building_id=world["buildings"][2], door="1", room="301", size=1, head_name="户主"))
        s.flush()
        raise RuntimeError("refused")
    assert kept(engine) == before


def test_rebuild_and_drop_install_round_trip(engine: Engine, world: dict) -> None:
    with engine.begin() as c:
        c.execute(text("UPDATE household_tally SET households = 99"))
        tallies.rebuild(c, ("households",))
    assert_in_step(engine)
    with engine.begin() as c:
        tallies.drop(c, ("households",))
        tallies.install(c, ("households",))
    with engine.begin() as c:
        c.execute(delete(Household).where(Household.room == "201"))
    assert_in_step(engine)


def test_reads_of_the_tally_depend_on_the_households(engine: Engine, world: dict) -> None:
    with Session(engine) as s:
        deps, _ = versions.tracked(
            s, lambda: s.execute(text("SELECT sum(households) FROM household_tally")).all()
        )
    assert set(deps) == {"household"}


def test_the_map_shows_each_buildings_households_from_the_tally(engine: Engine, world: dict) -> None:
    from dashboard.maps_data import map_columns

    b1, b2, b3 = world["buildings"]
    with Session(engine) as s:
        cols = map_columns(s, dt.date(2022, 5, 1))
        s.add(Household(building_id=b3, door="1", room="301", size=1, head_name="户主"))
        s.flush()  # the map's read sees the session's own pending household
        again = map_columns(s, dt.date(2022, 5, 1))
    shown = dict(zip(cols.buildings["building_id"], cols.buildings["households"], strict=True))
    assert shown == {b1: 2, b2: 1, b3: 0}
    assert dict(zip(again.buildings["building_id"], again.buildings["households"], strict=True))[b3] == 1


def test_the_seed_leaves_the_tally_in_step(seeded_engine: Engine) -> None:
    held = kept(seeded_engine)
    with Session(seeded_engine) as s:
        assert sum(held.values()) == s.scalar(select(text("count(*)")).select_from(Household)) > 2000
    assert held == recount(seeded_engine)
