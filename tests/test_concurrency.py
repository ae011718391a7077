"""Concurrent writers, as on the day: ten grid leaders on their phones writing at once to one
database, through the same write functions the pages call (store.run_write, as ui.write does).

On SQLite (WAL, BEGIN IMMEDIATE) and PostgreSQL (row lock on the batch): no lost write, no
duplicate, no "database is locked" reaching a user, and the second of two people editing the same
record is told.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dashboard import auth, distribution, followups, screening, store, supplies
from dashboard.errors import JuweiError, StaleEdit, ValidationError
from db import make_engine
from db.models import (
    AuditLog,
    Building,
    Delivery,
    FollowUp,
    Grid,
    Household,
    MissedFollowUp,
    ScreeningResult,
    User,
)
from tests.conftest import (
    BACKENDS,
    _pg_seeded_template,
    _sqlite_seeded_template,
    copy_sqlite,
    pg_create,
    pg_drop,
)

LEADERS = 10
WRITES_EACH = 200
RELEASE = dt.datetime(2022, 5, 29, 7, 0)
NOW = dt.datetime(2022, 5, 29, 12, 0)


@pytest.fixture(params=BACKENDS)
def live_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A private, writable copy of the seeded database with a pool big enough for ten writers."""
    if request.param == "sqlite":
        eng = make_engine(copy_sqlite(_sqlite_seeded_template(), tmp_path / "live.db"))
        yield eng
        eng.dispose()
    else:
        name = f"juwei_c_{uuid.uuid4().hex[:10]}"
        eng = make_engine(pg_create(name, template=_pg_seeded_template()), pool_size=LEADERS + 2)
        yield eng
        eng.dispose()
        pg_drop(name)


def _user(engine: Engine, username: str) -> auth.CurrentUser:
    with Session(engine) as s:
        return auth.to_current(s, s.scalar(select(User).where(User.username == username)))


def _new_batch(engine: Engine, stock: int) -> int:
    shuji = _user(engine, "shuji")
    batch_id = store.run_write(
        engine,
        supplies.create_batch,
        shuji,
        f"并发测试批次{stock}",
        dt.date(2022, 5, 29),
        "donation",
        "测试",
        "per_household",
        stock,
        now=RELEASE,
    )
    store.run_write(engine, supplies.release_batch, shuji, batch_id, version=1, now=RELEASE)
    return batch_id


def _households_by_grid(engine: Engine) -> dict[int, list[int]]:
    with Session(engine) as s:
        rows = s.execute(
            select(Grid.number, Household.id)
            .join(Building, Building.id == Household.building_id)
            .join(Grid, Grid.id == Building.grid_id)
            .order_by(Grid.number, Household.id)
        ).all()
    out: dict[int, list[int]] = {}
    for number, hid in rows:
        out.setdefault(number, []).append(hid)
    return out


def _deliver(engine: Engine, leader: auth.CurrentUser, batch_id: int, household_id: int) -> str:
    """One delivery as the page makes it; returns what the user would be told."""
    try:
        store.run_write(engine, distribution.record_delivery, leader, batch_id, household_id, at=NOW, now=NOW)
    except ValidationError as exc:
        return exc.key
    except IntegrityError:
        return "common.conflict"  # ui.write shows this message
    except JuweiError as exc:
        return exc.key
    return "ok"


def test_ten_grid_leaders_write_200_deliveries_each_at_once(live_engine: Engine) -> None:
    batch_id = _new_batch(live_engine, stock=5000)
    households = _households_by_grid(live_engine)
    leaders = {n: _user(live_engine, f"grid{n:02d}") for n in range(1, LEADERS + 1)}

    def work(n: int) -> Counter[str]:
        return Counter(_deliver(live_engine, leaders[n], batch_id, h) for h in households[n][:WRITES_EACH])

    with ThreadPoolExecutor(max_workers=LEADERS) as pool:
        outcomes = sum(pool.map(work, range(1, LEADERS + 1)), Counter())

    assert outcomes == Counter({"ok": LEADERS * WRITES_EACH})  # nothing refused, nothing "locked"
    with Session(live_engine) as s:
        delivered = s.scalar(select(func.count()).select_from(Delivery).where(Delivery.batch_id == batch_id))
        distinct = s.scalar(
            select(func.count(func.distinct(Delivery.household_id))).where(Delivery.batch_id == batch_id)
        )
        audited = s.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.table_name == "delivery", AuditLog.at == NOW)
        )
    assert delivered == distinct == LEADERS * WRITES_EACH
    assert audited == LEADERS * WRITES_EACH


def test_the_same_households_from_ten_phones_are_delivered_once(live_engine: Engine) -> None:
    batch_id = _new_batch(live_engine, stock=5000)
    targets = _households_by_grid(live_engine)[3][:20]
    shuji = _user(live_engine, "shuji")

    def work(_: int) -> list[str]:
        return [_deliver(live_engine, shuji, batch_id, h) for h in targets]

    with ThreadPoolExecutor(max_workers=LEADERS) as pool:
        results = [r for batch in pool.map(work, range(LEADERS)) for r in batch]

    counts = Counter(results)
    assert counts["ok"] == len(targets)
    assert set(counts) <= {"ok", "supplies.already_delivered", "common.conflict"}
    with Session(live_engine) as s:
        rows = s.scalar(select(func.count()).select_from(Delivery).where(Delivery.batch_id == batch_id))
    assert rows == len(targets)


def test_the_last_portions_cannot_be_handed_out_twice(live_engine: Engine) -> None:
    stock = 50
    batch_id = _new_batch(live_engine, stock=stock)
    households = _households_by_grid(live_engine)
    shuji = _user(live_engine, "shuji")

    def work(n: int) -> list[str]:
        return [_deliver(live_engine, shuji, batch_id, h) for h in households[n][:10]]

    with ThreadPoolExecutor(max_workers=LEADERS) as pool:
        results = [r for batch in pool.map(work, range(1, LEADERS + 1)) for r in batch]

    with Session(live_engine) as s:
        out = supplies.portions_out(s, batch_id)
    assert out <= stock
    assert Counter(results)["ok"] == out
    assert set(results) <= {"ok", "supplies.over_stock"}


def test_two_people_closing_the_same_followup_the_second_is_told(live_engine: Engine) -> None:
    shuji, leader = _user(live_engine, "shuji"), _user(live_engine, "grid03")
    with Session(live_engine) as s:
        grid3 = s.scalar(select(Grid.id).where(Grid.number == 3))
    row_id = store.run_write(
        live_engine, lambda s: followups.create_followup(s, shuji, "并发待办", grid_id=grid3).id
    )
    seen = 1

    def close(who: auth.CurrentUser, text: str) -> str:
        try:
            store.run_write(
                live_engine, followups.close_followup, who, row_id, text, expected_version=seen, at=NOW
            )
        except StaleEdit:
            return "stale"
        except ValidationError as exc:
            return exc.key
        return "ok"

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = sorted(pool.map(lambda args: close(*args), [(shuji, "书记办结"), (leader, "网格长办结")]))
    assert results[0] == "ok" and results[1] in ("stale", "recap.already_closed")
    with Session(live_engine) as s:
        assert s.get(FollowUp, row_id).resolution in ("书记办结", "网格长办结")


# --- a second write: the missed list, chased from ten phones at once ------------------------------

MISSED_EACH = 40


def _new_round(engine: Engine) -> int:
    """A PCR round on the demo's last day that nobody has been sampled in yet: everyone is missed."""
    shuji = _user(engine, "shuji")
    return store.run_write(engine, screening.create_round, shuji, "pcr", NOW.date(), "all", now=RELEASE)


def _mark(engine: Engine, who: auth.CurrentUser, round_id: int, resident_id: int, tube: str) -> str:
    try:
        store.run_write(
            engine, screening.mark_missed, who, round_id, resident_id, "door_sampled", tube_no=tube, now=NOW
        )
    except IntegrityError:
        return "common.conflict"  # ui.write shows this message
    except JuweiError as exc:
        return exc.key
    return "ok"


def test_ten_grid_leaders_mark_missed_residents_sampled_at_once(live_engine: Engine) -> None:
    round_id = _new_round(live_engine)
    leaders = {n: _user(live_engine, f"grid{n:02d}") for n in range(1, LEADERS + 1)}
    with Session(live_engine) as s:
        todo = {
            n: [
                int(r) for r in screening.missed_residents(s, round_id, NOW.date(), u.grid_id)["resident_id"]
            ][:MISSED_EACH]
            for n, u in leaders.items()
        }

    def work(n: int) -> Counter[str]:
        return Counter(
            _mark(live_engine, leaders[n], round_id, r, f"D{n:02d}-{i:03d}") for i, r in enumerate(todo[n])
        )

    with ThreadPoolExecutor(max_workers=LEADERS) as pool:
        outcomes = sum(pool.map(work, range(1, LEADERS + 1)), Counter())

    total = sum(len(v) for v in todo.values())
    assert total == LEADERS * MISSED_EACH
    assert outcomes == Counter({"ok": total})  # nothing refused, nothing "locked"
    with Session(live_engine) as s:
        followed = s.scalar(
            select(func.count()).select_from(MissedFollowUp).where(MissedFollowUp.round_id == round_id)
        )
        sampled = s.scalar(
            select(func.count(func.distinct(ScreeningResult.resident_id))).where(
                ScreeningResult.round_id == round_id, ScreeningResult.method == "door"
            )
        )
        progress = screening.round_progress(s, round_id, NOW.date())
    assert followed == sampled == total
    assert progress.totals["sampled"] == total  # the secretary's coverage counts every one


def test_the_same_missed_resident_from_two_phones_is_sampled_once(live_engine: Engine) -> None:
    round_id = _new_round(live_engine)
    leader, shuji = _user(live_engine, "grid03"), _user(live_engine, "shuji")
    with Session(live_engine) as s:
        resident = int(
            screening.missed_residents(s, round_id, NOW.date(), leader.grid_id)["resident_id"].iloc[0]
        )

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(
            pool.map(lambda who: _mark(live_engine, who, round_id, resident, "D-TWICE"), [leader, shuji])
        )

    assert results.count("ok") == 1
    assert set(results) <= {"ok", "screening.already_sampled", "common.conflict"}
    with Session(live_engine) as s:
        rows = s.scalar(
            select(func.count())
            .select_from(ScreeningResult)
            .where(ScreeningResult.round_id == round_id, ScreeningResult.resident_id == resident)
        )
    assert rows == 1
