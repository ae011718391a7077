"""The bad-input corpus (see tests/bad_input.py): distribution (one household, a whole building), the supply
batches and their stock, the re-survey of a door.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from dashboard import distribution, supplies, survey
from tests import bad_input
from tests.bad_input import LATER, LONG, NOW, SCRIPT, SQL, TODAY, TYPO_YEAR, Case, World, _u, check

# the fixtures (a private copy of the Huamei database for this module, per backend)
live = bad_input.live
world = bad_input.world


def _deliver(**kw: Any) -> Callable[[World], Any]:
    def run(w: World) -> Any:
        args = {"at": NOW, "now": NOW, **kw}
        who = args.pop("user", "grid03")
        household = args.pop("household", w.household3)
        batch = args.pop("batch", w.batch)
        return w.write(distribution.record_delivery, _u(w, who), batch, household, **args)

    return run


def _batch(**kw: Any) -> Callable[[World], Any]:
    def run(w: World) -> Any:
        args = {
            "name": "第七批 测试",
            "date": TODAY,
            "source": "government",
            "items": "米面油",
            "rule": "per_household",
            "stock": 3000,
            **kw,
        }
        who = args.pop("user", "shuji")
        return w.write(
            supplies.create_batch,
            _u(w, who),
            args.pop("name"),
            args.pop("date"),
            args.pop("source"),
            args.pop("items"),
            args.pop("rule"),
            args.pop("stock"),
            now=NOW,
            **args,
        )

    return run


CASES: list[Case] = [
    # supplies: distribution
    Case("delivery-future-time", _deliver(at=LATER), ("delivery",), "common.future_date"),
    Case(
        "delivery-before-release",
        _deliver(at=dt.datetime(2022, 5, 1, 8, 0)),
        ("delivery",),
        "common.date_too_early",
    ),
    Case("delivery-unknown-household", _deliver(household=99_999_999), ("delivery",), "common.not_found"),
    Case(
        "delivery-other-grid",
        lambda w: _deliver(household=w.household1)(w),
        ("delivery",),
        "auth.denied_grid",
    ),
    Case("delivery-status-script", _deliver(status=SCRIPT), ("delivery",), "common.bad_choice"),
    Case("delivery-note-too-long", _deliver(note=LONG), ("delivery",), "common.too_long"),
    Case("delivery-unknown-batch", _deliver(batch=424242), ("delivery",), "common.not_found"),
    Case("delivery-by-viewer", _deliver(user="viewer"), ("delivery",), "auth.denied"),
    Case(
        "building-delivery-sql-room",
        lambda w: w.write(
            distribution.deliver_building,
            _u(w, "grid03"),
            w.batch,
            w.building3,
            except_rooms=[SQL],
            at=NOW,
            now=NOW,
        ),
        ("delivery",),
        "supplies.unknown_rooms",
    ),
    # supplies: batches and the re-survey
    Case("batch-empty-name", _batch(name="   "), ("supply_batch",), "common.required"),
    Case("batch-negative-stock", _batch(stock=-5), ("supply_batch",), "common.not_negative"),
    Case("batch-stock-not-a-number", _batch(stock="三千"), ("supply_batch",), "common.not_a_number"),
    Case("batch-stock-fraction", _batch(stock=2.5), ("supply_batch",), "common.not_a_number"),
    Case("batch-future-date", _batch(date=dt.date(2022, 6, 1)), ("supply_batch",), "common.future_date"),
    Case("batch-typo-year", _batch(date=TYPO_YEAR), ("supply_batch",), "common.date_too_early"),
    Case("batch-impossible-date", _batch(date="2022-02-30"), ("supply_batch",), "common.bad_date"),
    Case("batch-name-too-long", _batch(name="批" * 101), ("supply_batch",), "common.too_long"),
    Case("batch-rule-sql", _batch(rule=SQL), ("supply_batch",), "common.bad_choice"),
    Case("batch-threshold-zero", _batch(large_threshold=0), ("supply_batch",), "supplies.at_least_one"),
    Case("batch-by-grid-leader", _batch(user="grid03"), ("supply_batch",), "auth.denied"),
    Case(
        "stock-below-portions-out",
        lambda w: w.write(supplies.set_stock, _u(w, "shuji"), w.batch, 1, version=w.batch_version, now=NOW),
        ("supply_batch",),
        "supplies.stock_below_out",
    ),
    Case(
        "stock-stale-version",
        lambda w: w.write(
            supplies.set_stock, _u(w, "shuji"), w.batch, 5000, version=w.batch_version + 7, now=NOW
        ),
        ("supply_batch",),
        "common.stale",
    ),
    Case(
        "resurvey-unknown-door-html",
        lambda w: w.write(
            survey.resurvey_door,
            _u(w, "grid03"),
            w.building3,
            SCRIPT,
            new=[survey.NewHousehold("999", 2)],
            now=NOW,
        ),
        ("household",),
        "supplies.unknown_door",
    ),
    Case(
        "resurvey-negative-size",
        lambda w: w.write(
            survey.set_household_size,
            _u(w, "grid03"),
            w.household3,
            -2,
            version=w.household3_version,
            now=NOW,
        ),
        ("household",),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_refused_and_changes_nothing(case: Case, world: World) -> None:
    check(case, world)
