"""The delivery tally kept by triggers (db/tallies_deliveries.py) matches a recount of the deliveries
after every kind of write — ORM and Core, one row and many, a visit's outcome changed, a household
moved to another building — on SQLite and PostgreSQL, and after the seed."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, delete, insert, select, text, update
from sqlalchemy.orm import Session

from db import tallies, versions
from db.models import Building, Compound, Delivery, Grid, Household, SupplyBatch

D = dt.date(2022, 4, 20)


def recount(engine: Engine) -> dict:
    """(batch, building, day, status) → (households, portions), from the delivery rows."""
    out: dict = {}
    with Session(engine) as s:
        rows = s.execute(
            text(
                "SELECT d.batch_id, h.building_id, d.at, d.status, d.portions "
                "FROM delivery d JOIN household h ON h.id = d.household_id"
            )
        )
        for batch_id, building_id, at, status, portions in rows:
            at = at if isinstance(at, dt.datetime) else dt.datetime.fromisoformat(at)
            key = (batch_id, building_id, at.date(), status)
            n, p = out.get(key, (0, 0))
            out[key] = (n + 1, p + portions)
    return out


def kept(engine: Engine) -> dict:
    """The same, as the tally holds it (rows counted down to nothing left out)."""
    with Session(engine) as s:
        return {
            (b, g, day if isinstance(day, dt.date) else dt.date.fromisoformat(day), st): (n, p)
            for b, g, day, st, n, p in s.execute(
                text("SELECT batch_id, building_id, day, status, households, portions FROM delivery_tally")
            )
            if (n, p) != (0, 0)
        }


def assert_in_step(engine: Engine) -> None:
    assert kept(engine) == recount(engine)


def _at(days: int, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(D + dt.timedelta(days=days), dt.time(hour))


@pytest.fixture
def world(engine: Engine) -> dict[str, list[int]]:
    """Two buildings, four households (one of no one), two batches, three deliveries."""
    with Session(engine) as s, s.begin():
        grid = Grid(number=1, name="一网格")
        compound = Compound(name="华美新村", kind="public_housing")
        s.add_all([grid, compound])
        s.flush()
        buildings = [Building(compound_id=compound.id, grid_id=grid.id, name=f"{i}号楼") for i in (1, 2)]
        s.add_all(buildings)
        s.flush()
        households = [
            Household(building_id=buildings[b].id, door="1", room=room, size=size, head_name="户主")
            for b, room, size in ((0, "101", 2), (0, "102", 7), (1, "201", 1), (1, "202", 0))
        ]
        s.add_all(households)
        batches = [
            SupplyBatch(name=f"第{n}批", date=D, source="government", rule="large_household", stock=10)
            for n in (1, 2)
        ]
        s.add_all(batches)
        s.flush()
        s.add_all(
            [
                Delivery(batch_id=batches[0].id, household_id=households[0].id, portions=1, at=_at(0)),
                Delivery(batch_id=batches[0].id, household_id=households[1].id, portions=2, at=_at(1)),
                Delivery(
                    batch_id=batches[0].id,
                    household_id=households[2].id,
                    status="not_found",
                    portions=0,
                    at=_at(1, 23),
                ),
            ]
        )
        ids = {
            "buildings": [b.id for b in buildings],
            "households": [h.id for h in households],
            "batches": [b.id for b in batches],
        }
    return ids


def test_deliveries_through_the_orm_are_counted(engine: Engine, world: dict) -> None:
    b1, b2 = world["buildings"]
    first, _ = world["batches"]
    assert kept(engine) == {
        (first, b1, D, "delivered"): (1, 1),
        (first, b1, D + dt.timedelta(days=1), "delivered"): (1, 2),
        (first, b2, D + dt.timedelta(days=1), "not_found"): (1, 0),
    }
    assert_in_step(engine)


def test_bulk_writes_and_changed_visits_keep_the_tally_in_step(engine: Engine, world: dict) -> None:
    h1, h2, h3, h4 = world["households"]
    first, second = world["batches"]
    with engine.begin() as c:  # a whole building delivered at once
        c.execute(
            insert(Delivery),
            [
                {"batch_id": second, "household_id": h, "status": "delivered", "portions": 1, "at": _at(2)}
                for h in (h1, h2, h3, h4)
            ],
        )
    assert_in_step(engine)
    with engine.begin() as c:  # the household not found is found the day after; a note counts nothing
        c.execute(
            update(Delivery)
            .where(Delivery.batch_id == first, Delivery.household_id == h3)
            .values(status="delivered", portions=1, at=_at(2))
        )
        c.execute(update(Delivery).where(Delivery.batch_id == second).values(note="已送"))
        c.execute(  # the large household's portions corrected
            update(Delivery)
            .where(Delivery.batch_id == second, Delivery.household_id == h2)
            .values(portions=2)
        )
    assert_in_step(engine)
    with Session(engine) as s, s.begin():  # an entry made on the wrong batch, removed
        s.delete(s.scalars(select(Delivery).where(Delivery.household_id == h4)).one())
    assert_in_step(engine)
    with engine.begin() as c:
        c.execute(delete(Delivery).where(Delivery.batch_id == first))
    assert_in_step(engine)


def test_moving_a_household_moves_its_deliveries(engine: Engine, world: dict) -> None:
    b1, b2 = world["buildings"]
    h1, h2, _, _ = world["households"]
    first, _ = world["batches"]
    with Session(engine) as s, s.begin():
        s.get(Household, h2).building_id = b2
    assert_in_step(engine)
    assert kept(engine)[(first, b2, D + dt.timedelta(days=1), "delivered")] == (1, 2)
    with engine.begin() as c:  # both households of building 1 go at once; a size change counts nothing
        c.execute(update(Household).where(Household.id.in_([h1, h2])).values(building_id=b1, size=3))
    assert_in_step(engine)


def test_a_rolled_back_delivery_leaves_the_tally_alone(engine: Engine, world: dict) -> None:
    before = kept(engine)
    with pytest.raises(RuntimeError), Session(engine) as s, s.begin():
        s.add(
            Delivery(batch_id=world["batches"][1], household_id=world["households"][0], portions=1, at=_at(3))
        )
        s.flush()
        raise RuntimeError("refused")
    assert kept(engine) == before


def test_rebuild_and_drop_install_round_trip(engine: Engine, world: dict) -> None:
    with engine.begin() as c:
        c.execute(text("UPDATE delivery_tally SET households = 99"))
        tallies.rebuild(c, ("deliveries",))
    assert_in_step(engine)
    with engine.begin() as c:
        tallies.drop(c, ("deliveries",))
        tallies.install(c, ("deliveries",))
    with engine.begin() as c:
        c.execute(delete(Delivery).where(Delivery.status == "not_found"))
    assert_in_step(engine)


def test_reads_of_the_tally_depend_on_the_deliveries_and_households(engine: Engine, world: dict) -> None:
    with Session(engine) as s:
        deps, _ = versions.tracked(
            s, lambda: s.execute(text("SELECT sum(households) FROM delivery_tally")).all()
        )
    assert set(deps) == {"delivery", "household"}


def test_the_seed_leaves_the_tally_in_step(seeded_engine: Engine) -> None:
    held = kept(seeded_engine)
    assert sum(n for n, _ in held.values()) > 10_000
    assert held == recount(seeded_engine)
