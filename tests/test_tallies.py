"""The tallies kept by triggers (db/tallies.py) match a recount of the records after every kind of
write — ORM and Core, one row and many, on SQLite and PostgreSQL — and after the seed."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, delete, insert, select, text, update
from sqlalchemy.orm import Session

from db import tallies, versions
from db.models import (
    ALWAYS,
    Building,
    Compound,
    Grid,
    Household,
    Resident,
    ScreeningResult,
    ScreeningRound,
)

D = dt.date(2022, 4, 10)


def _plain(r: str = "r") -> str:
    return f"{r}.exempt_reason IS NULL AND COALESCE({r}.method, '') <> 'door'"


def recount(engine: Engine) -> tuple[dict, dict]:
    """(building → (residents, bedridden), (round, building, counts_from) → results) from the records."""
    with Session(engine) as s:
        people = {
            b: (int(n), int(k))
            for b, n, k in s.execute(
                text(
                    "SELECT h.building_id, count(*), sum(CASE WHEN x.is_bedridden THEN 1 ELSE 0 END) "
                    "FROM resident x JOIN household h ON h.id = x.household_id GROUP BY h.building_id"
                )
            )
        }
        results: dict = {}
        rows = s.execute(
            select(ScreeningResult.round_id, Household.building_id, ScreeningResult.sampled_at)
            .join(Resident, Resident.id == ScreeningResult.resident_id)
            .join(Household, Household.id == Resident.household_id)
            .where(text(_plain("screening_result")))
        )
        for round_id, building_id, sampled_at in rows:
            key = (round_id, building_id, sampled_at.date() if sampled_at else ALWAYS)
            results[key] = results.get(key, 0) + 1
    return people, results


def kept(engine: Engine) -> tuple[dict, dict]:
    """The same, as the tallies hold them (rows counted down to zero left out)."""
    with Session(engine) as s:
        people = {
            b: (n, k)
            for b, n, k in s.execute(text("SELECT building_id, residents, bedridden FROM building_tally"))
            if (n, k) != (0, 0)
        }
        results = {
            (r, b, day if isinstance(day, dt.date) else dt.date.fromisoformat(day)): n
            for r, b, day, n in s.execute(
                text("SELECT round_id, building_id, counts_from, results FROM round_tally")
            )
            if n
        }
    return people, results


def assert_in_step(engine: Engine) -> None:
    assert kept(engine) == recount(engine)


@pytest.fixture
def world(engine: Engine) -> dict[str, list[int]]:
    """Two buildings, three households, six residents (one bedridden), two rounds with results."""
    with Session(engine) as s, s.begin():
        grid = Grid(number=1, name="一网格")
        compound = Compound(name="华美新村", kind="public_housing")
        s.add_all([grid, compound])
        s.flush()
        buildings = [Building(compound_id=compound.id, grid_id=grid.id, name=f"{i}号楼") for i in (1, 2)]
        s.add_all(buildings)
        s.flush()
        households = [
            Household(building_id=buildings[b].id, door="1", room=room, size=2, head_name="户主")
            for b, room in ((0, "101"), (0, "102"), (1, "201"))
        ]
        s.add_all(households)
        s.flush()
        residents = [
            Resident(
                household_id=households[h].id, name=f"居民{i}", sex="F", birth_year=1960, is_bedridden=i == 0
            )
            for i, h in enumerate((0, 0, 1, 1, 2, 2))
        ]
        s.add_all(residents)
        rounds = [
            ScreeningRound(kind="pcr", number=n, date=D + dt.timedelta(days=n), scope="all") for n in (1, 2)
        ]
        s.add_all(rounds)
        s.flush()
        at = dt.datetime.combine(D, dt.time(9))
        s.add_all(
            [
                ScreeningResult(
                    round_id=rounds[0].id, resident_id=residents[0].id, sampled_at=at, result="negative"
                ),
                ScreeningResult(round_id=rounds[0].id, resident_id=residents[1].id, sampled_at=None),
                ScreeningResult(round_id=rounds[0].id, resident_id=residents[2].id, exempt_reason="away"),
                ScreeningResult(
                    round_id=rounds[0].id, resident_id=residents[3].id, method="door", sampled_at=at
                ),
                ScreeningResult(
                    round_id=rounds[1].id, resident_id=residents[4].id, sampled_at=at + dt.timedelta(days=1)
                ),
            ]
        )
        ids = {
            "buildings": [b.id for b in buildings],
            "households": [h.id for h in households],
            "residents": [r.id for r in residents],
            "rounds": [r.id for r in rounds],
        }
    return ids


def test_inserts_through_the_orm_are_counted(engine: Engine, world: dict) -> None:
    people, results = kept(engine)
    b1, b2 = world["buildings"]
    r1, r2 = world["rounds"]
    assert people == {b1: (4, 1), b2: (2, 0)}
    assert results == {(r1, b1, D): 1, (r1, b1, ALWAYS): 1, (r2, b2, D + dt.timedelta(days=1)): 1}
    assert_in_step(engine)


def test_bulk_inserts_updates_and_deletes_keep_the_tallies_in_step(engine: Engine, world: dict) -> None:
    r1, r2 = world["rounds"]
    res = world["residents"]
    at = dt.datetime.combine(D + dt.timedelta(days=2), dt.time(10))
    with engine.begin() as c:  # an import: many rows in one statement
        c.execute(
            insert(ScreeningResult),
            [{"round_id": r2, "resident_id": x, "sampled_at": at, "result": "pending"} for x in res[:4]],
        )
    assert_in_step(engine)
    with engine.begin() as c:  # results come back: counted columns unchanged
        c.execute(update(ScreeningResult).where(ScreeningResult.round_id == r2).values(result="negative"))
    assert_in_step(engine)
    with engine.begin() as c:  # a sample time corrected to the day before, a door sample, an exemption
        c.execute(
            update(ScreeningResult)
            .where(ScreeningResult.round_id == r2, ScreeningResult.resident_id == res[0])
            .values(sampled_at=at - dt.timedelta(days=1))
        )
        c.execute(
            update(ScreeningResult)
            .where(ScreeningResult.round_id == r2, ScreeningResult.resident_id == res[1])
            .values(method="door")
        )
        c.execute(
            update(ScreeningResult)
            .where(ScreeningResult.round_id == r1, ScreeningResult.resident_id == res[2])
            .values(exempt_reason=None, sampled_at=at)
        )
    assert_in_step(engine)
    with engine.begin() as c:
        c.execute(
            delete(ScreeningResult).where(
                ScreeningResult.round_id == r2, ScreeningResult.resident_id == res[3]
            )
        )
        c.execute(delete(ScreeningResult).where(ScreeningResult.round_id == r1))
    assert_in_step(engine)


def test_moving_residents_and_households_moves_their_counts(engine: Engine, world: dict) -> None:
    b1, b2 = world["buildings"]
    h1, h2, h3 = world["households"]
    res = world["residents"]
    with Session(engine) as s, s.begin():  # the bedridden resident moves to the other building
        s.get(Resident, res[0]).household_id = h3
    assert_in_step(engine)
    assert kept(engine)[0][b2] == (3, 1)
    with Session(engine) as s, s.begin():  # a whole household's building corrected
        s.get(Household, h2).building_id = b2
    assert_in_step(engine)
    assert kept(engine)[0] == {b1: (1, 0), b2: (5, 1)}
    with Session(engine) as s, s.begin():  # bedridden flags change; a phone change counts nothing
        s.get(Resident, res[1]).is_bedridden = True
        s.get(Resident, res[0]).is_bedridden = False
        s.get(Resident, res[4]).phone = "13800000000"
    assert_in_step(engine)


def test_new_and_removed_residents_are_counted(engine: Engine, world: dict) -> None:
    h1 = world["households"][0]
    with engine.begin() as c:  # a ledger import adds residents in bulk
        c.execute(
            insert(Resident),
            [
                {"household_id": h1, "name": f"新{i}", "sex": "M", "birth_year": 1990, "is_bedridden": i == 0}
                for i in range(3)
            ],
        )
    assert_in_step(engine)
    with Session(engine) as s, s.begin():
        newest = s.scalars(select(Resident).where(Resident.name.like("新%"))).all()
        s.delete(newest[0])
    assert_in_step(engine)


def test_a_rolled_back_write_leaves_the_tallies_alone(engine: Engine, world: dict) -> None:
    before = kept(engine)
    with pytest.raises(RuntimeError), Session(engine) as s, s.begin():
        s.get(Resident, world["residents"][0]).household_id = world["households"][2]
        s.flush()
        raise RuntimeError("refused")
    assert kept(engine) == before


def test_rebuild_recounts_and_drop_install_round_trip(engine: Engine, world: dict) -> None:
    with engine.begin() as c:
        c.execute(text("UPDATE building_tally SET residents = 99"))
        tallies.rebuild(c)
    assert_in_step(engine)
    with engine.begin() as c:
        tallies.drop(c)
        tallies.drop(c)  # twice is harmless
        tallies.install(c)
    with engine.begin() as c:
        c.execute(delete(ScreeningResult))
    assert_in_step(engine)


def test_reads_of_a_tally_depend_on_the_records_it_counts(engine: Engine, world: dict) -> None:
    with Session(engine) as s:
        deps, _ = versions.tracked(s, lambda: s.execute(text("SELECT sum(results) FROM round_tally")).all())
    assert set(deps) == {"screening_result", "resident", "household"}


def test_the_seed_leaves_the_tallies_in_step(seeded_engine: Engine) -> None:
    people, results = kept(seeded_engine)
    assert sum(n for n, _ in people.values()) > 7000
    assert sum(results.values()) > 500_000
    assert (people, results) == recount(seeded_engine)
