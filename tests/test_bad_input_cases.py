"""The bad-input corpus (see tests/bad_input.py): case reports and their steps, transfers, zone
announcements, follow-ups and closing the day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from dashboard import cases, followups, recap, transfers, zones
from tests import bad_input
from tests.bad_input import LATER, LONG, NOW, SCRIPT, TODAY, TYPO_YEAR, Case, World, _u, check

# the fixtures (a private copy of the Huamei database for this module, per backend)
live = bad_input.live
world = bad_input.world


def _case(**kw: Any) -> Callable[[World], Any]:
    def run(w: World) -> Any:
        args = {"found_at": NOW, "channel": "symptoms", "severity": "confirmed", **kw}
        who = args.pop("user", "grid03")
        resident = args.pop("resident", w.resident3)
        return w.write(
            cases.report_case,
            _u(w, who),
            resident,
            args.pop("found_at"),
            args.pop("channel"),
            args.pop("severity"),
            now=NOW,
            **args,
        )

    return run


def _followup(**kw: Any) -> Callable[[World], Any]:
    def run(w: World) -> Any:
        args = {"item": "补采 3 号楼漏检", "grid": w.grid3, **kw}
        who = args.pop("user", "grid03")
        return w.write(
            followups.create_followup, _u(w, who), args.pop("item"), grid_id=args.pop("grid"), **args
        )

    return run


CASES: list[Case] = [
    # cases, transfers, zones
    Case("case-future", _case(found_at=LATER), ("case_record", "transfer"), "common.future_date"),
    Case("case-channel-html", _case(channel=SCRIPT), ("case_record", "transfer"), "common.bad_choice"),
    Case(
        "case-other-grid",
        lambda w: _case(resident=w.resident1)(w),
        ("case_record", "transfer"),
        "auth.denied_grid",
    ),
    Case(
        "case-unknown-resident", _case(resident=77_777_777), ("case_record", "transfer"), "common.not_found"
    ),
    Case("case-by-meeting-screen", _case(user="meeting"), ("case_record", "transfer"), "auth.denied"),
    Case(
        "case-bad-step",
        lambda w: w.write(
            cases.advance_case,
            _u(w, "shuji"),
            w.case,
            "verified",
            at=NOW,
            expected_version=w.case_version,
            now=NOW,
        ),
        ("case_record", "case_event"),
        "cases.bad_step",
    ),
    Case(
        "transfer-done-before-request",
        lambda w: w.write(
            transfers.mark_transfer_done,
            _u(w, "shuji"),
            w.transfer,
            w.transfer_requested - dt.timedelta(hours=2),
            expected_version=w.transfer_version,
            now=NOW,
        ),
        ("transfer", "case_record"),
        "common.date_too_early",
    ),
    Case(
        "transfer-route-too-long",
        lambda w: w.write(
            transfers.assign_transfer,
            _u(w, "shuji"),
            w.transfer,
            entrance_id=None,
            route=LONG,
            expected_version=w.transfer_version,
            now=NOW,
        ),  # fmt: skip
        ("transfer",),
        "common.too_long",
    ),
    Case(
        "transfer-closed-entrance",
        lambda w: w.write(
            transfers.assign_transfer,
            _u(w, "shuji"),
            w.transfer,
            entrance_id=w.closed_entrance,
            expected_version=w.transfer_version,
            now=NOW,
        ),  # fmt: skip
        ("transfer",),
        "cases.entrance_closed",
    ),
    Case(
        "zone-end-before-start",
        lambda w: w.write(
            zones.announce_zone,
            _u(w, "shuji"),
            building_id=w.building3,
            zone="sealed",
            start_on=dt.date(2022, 5, 20),
            end_on=dt.date(2022, 5, 10),
            reason="测试",
            now=NOW,
        ),  # fmt: skip
        ("zone_change",),
        "common.date_too_early",
    ),
    Case(
        "zone-two-targets",
        lambda w: w.write(
            zones.announce_zone,
            _u(w, "shuji"),
            building_id=w.building3,
            compound_id=1,
            zone="sealed",
            start_on=TODAY,
            reason="测试",
            now=NOW,
        ),  # fmt: skip
        ("zone_change",),
        "cases.zones.one_target",
    ),
    # follow-ups and the day
    Case("followup-empty", _followup(item=" "), ("follow_up",), "common.required"),
    Case("followup-too-long", _followup(item=LONG), ("follow_up",), "common.too_long"),
    Case("followup-future", _followup(created_on=dt.date(2022, 6, 1)), ("follow_up",), "common.future_date"),
    Case("followup-typo-year", _followup(created_on=TYPO_YEAR), ("follow_up",), "common.date_too_early"),
    Case(
        "followup-due-before-created",
        _followup(created_on=TODAY, due_on=dt.date(2022, 5, 1)),
        ("follow_up",),
        "recap.due_before_created",
    ),
    Case("followup-other-grid", lambda w: _followup(grid=w.grid1)(w), ("follow_up",), "auth.denied_grid"),
    Case(
        "followup-close-empty",
        lambda w: w.write(
            followups.close_followup, _u(w, "shuji"), w.followup3, "", expected_version=w.followup3_version
        ),
        ("follow_up",),
        "common.required",
    ),
    Case(
        "close-future-day",
        lambda w: w.write(recap.close_day, _u(w, "shuji"), dt.date(2022, 5, 30), now=NOW),
        ("day_snapshot",),
        "common.future_date",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_refused_and_changes_nothing(case: Case, world: World) -> None:
    check(case, world)
