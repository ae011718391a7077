"""The bad-input corpus (see tests/bad_input.py): medicine requests, courier counts, disinfection, entrances,
people and duty shifts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard import courier, disinfection, entrances, medicine, people
from db.models import CourierCount
from tests import bad_input
from tests.bad_input import LATER, LONG, NOW, SCRIPT, SQL, TODAY, TYPO_YEAR, Case, World, _u, check

# the fixtures (a private copy of the Huamei database for this module, per backend)
live = bad_input.live
world = bad_input.world


def _medicine(**kw: Any) -> Callable[[World], Any]:
    def run(w: World) -> Any:
        args = {"medicines": "降压药 2 盒", **kw}
        who = args.pop("user", "grid03")
        resident = args.pop("resident", w.resident3)
        return w.write(
            medicine.do_request_medicine, _u(w, who), resident, args.pop("medicines"), now=NOW, **args
        )

    return run


def _courier(**kw: Any) -> Callable[[World], Any]:
    def run(w: World) -> Any:
        args = {"day": TODAY, "shift": "noon", "grid": w.grid3, "received": 10, "delivered": 5, **kw}
        who = args.pop("user", "grid03")
        with Session(w.engine) as s:  # the form shows the row's version when the shift has one
            version = s.scalar(
                select(CourierCount.version).where(
                    CourierCount.date == TODAY,
                    CourierCount.shift == "noon",
                    CourierCount.grid_id == args["grid"],
                )
            )
        return w.write(
            courier.do_record_courier,
            _u(w, who),
            args["day"],
            args["shift"],
            args["grid"],
            args["received"],
            args["delivered"],
            version=version,
            now=NOW,
        )

    return run


def _disinfect(**kw: Any) -> Callable[[World], Any]:
    def run(w: World) -> Any:
        args = {"kind": "building", "at": NOW, "agent": "含氯消毒液", **kw}
        who = args.pop("user", "grid03")
        target = args.pop("target", w.building3)
        return w.write(
            disinfection.do_record_disinfection, _u(w, who), args.pop("kind"), target, args.pop("at"),
            args.pop("agent"), now=NOW, **args,
        )  # fmt: skip

    return run


def _person(**kw: Any) -> Callable[[World], Any]:
    def run(w: World) -> Any:
        args = {"name": "李志愿", "kind": "volunteer", "volunteer_kind": "young", **kw}
        who = args.pop("user", "shuji")
        return w.write(people.do_add_person, _u(w, who), args.pop("name"), args.pop("kind"), now=NOW, **args)

    return run


def _shift(**kw: Any) -> Callable[[World], Any]:
    def run(w: World) -> Any:
        args = {"starts_at": NOW, "ends_at": NOW + dt.timedelta(hours=8), **kw}
        return w.write(
            people.do_add_shift,
            _u(w, "shuji"),
            w.person,
            args.pop("starts_at"),
            args.pop("ends_at"),
            now=NOW,
            **args,
        )

    return run


CASES: list[Case] = [
    # services: medicine, courier, disinfection, entrances
    Case("medicine-empty", _medicine(medicines=""), ("medicine_request",), "common.required"),
    Case("medicine-too-long", _medicine(medicines=LONG), ("medicine_request",), "common.too_long"),
    Case("medicine-urgency-html", _medicine(urgency=SCRIPT), ("medicine_request",), "common.bad_choice"),
    Case("medicine-future", _medicine(requested_at=LATER), ("medicine_request",), "common.future_date"),
    Case(
        "medicine-other-grid",
        lambda w: _medicine(resident=w.resident1)(w),
        ("medicine_request",),
        "auth.denied_grid",
    ),
    Case(
        "medicine-stale-step",
        lambda w: w.write(
            medicine.do_advance_medicine,
            _u(w, "shuji"),
            w.request,
            "bought",
            version=w.request_version + 3,
            now=NOW,
        ),
        ("medicine_request",),
        "common.stale",
    ),
    Case("courier-negative", _courier(received=-3), ("courier_count",), "common.not_negative"),
    Case("courier-text-count", _courier(delivered="十二"), ("courier_count",), "common.not_a_number"),
    Case(
        "courier-more-than-received",
        _courier(received=2, delivered=99_999),
        ("courier_count",),
        "services.courier.over",
    ),
    Case("courier-future-day", _courier(day=dt.date(2022, 6, 2)), ("courier_count",), "common.future_date"),
    Case("courier-typo-year", _courier(day=TYPO_YEAR), ("courier_count",), "common.date_too_early"),
    Case("courier-shift-sql", _courier(shift=SQL), ("courier_count",), "common.bad_choice"),
    Case("courier-other-grid", lambda w: _courier(grid=w.grid1)(w), ("courier_count",), "auth.denied_grid"),
    Case("disinfection-future", _disinfect(at=LATER), ("disinfection_record",), "common.future_date"),
    Case(
        "disinfection-agent-too-long",
        _disinfect(agent="药" * 61),
        ("disinfection_record",),
        "common.too_long",
    ),
    Case("disinfection-kind-sql", _disinfect(kind=SQL), ("disinfection_record",), "common.bad_choice"),
    Case(
        "disinfection-unknown-building",
        _disinfect(target=55_555_555),
        ("disinfection_record",),
        "common.not_found",
    ),
    Case(
        "entrance-open-again",
        lambda w: w.write(entrances.do_set_entrance, _u(w, "shuji"), w.open_entrance, True, at=NOW, now=NOW),
        ("entrance", "entrance_change"),
        "services.ent.already_open",
    ),
    Case(
        "entrance-future",
        lambda w: w.write(
            entrances.do_set_entrance, _u(w, "shuji"), w.closed_entrance, True, at=LATER, now=NOW
        ),
        ("entrance", "entrance_change"),
        "common.future_date",
    ),
    Case(
        "entrance-by-grid-leader",
        lambda w: w.write(
            entrances.do_set_entrance, _u(w, "grid03"), w.closed_entrance, True, at=NOW, now=NOW
        ),
        ("entrance", "entrance_change"),
        "auth.denied",
    ),
    # people and rosters
    Case("person-empty-name", _person(name=""), ("person",), "common.required"),
    Case("person-phone-sql", _person(phone=SQL), ("person",), "common.bad_phone"),
    Case("person-kind-html", _person(kind=SCRIPT), ("person",), "common.bad_choice"),
    Case("person-unknown-team", _person(team_id=31_337), ("person",), "common.not_found"),
    Case(
        "shift-ends-before-start",
        _shift(ends_at=NOW - dt.timedelta(hours=1)),
        ("duty_shift",),
        "people.shift_order",
    ),
    Case(
        "shift-too-long",
        _shift(ends_at=NOW + dt.timedelta(hours=30)),
        ("duty_shift",),
        "people.shift_too_long",
    ),
    Case(
        "shift-typo-year",
        _shift(starts_at=dt.datetime(1922, 5, 29, 8), ends_at=dt.datetime(1922, 5, 29, 16)),
        ("duty_shift",),
        "common.date_too_early",
    ),
    Case(
        "shift-stale-edit",
        lambda w: w.write(
            people.do_edit_shift,
            _u(w, "shuji"),
            w.shift,
            NOW,
            NOW + dt.timedelta(hours=2),
            stamp="stale",
            now=NOW,
        ),
        ("duty_shift",),
        "common.stale",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_refused_and_changes_nothing(case: Case, world: World) -> None:
    check(case, world)
