"""The bad-input corpus (see tests/bad_input.py): set-up (the committee, households, residents), the ledger
import and accounts; and the corpus as a whole.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from dashboard import auth, setup
from dashboard.errors import JuweiError
from tests import bad_input
from tests.bad_input import NOW, SCRIPT, SQL, Case, World, _u, check, ledger_of, xlsx_bytes

# the fixtures (a private copy of the Huamei database for this module, per backend)
live = bad_input.live
world = bad_input.world


def _resident(**kw: Any) -> Callable[[World], Any]:
    def run(w: World) -> Any:
        args = {"name": "新居民", "sex": "F", "birth_year": 1980, **kw}
        return w.write(
            setup.add_resident, _u(w, "shuji"), w.household3, args.pop("name"), args.pop("sex"),
            args.pop("birth_year"), now=NOW, **args,
        )  # fmt: skip

    return run


def _user(**kw: Any) -> Callable[[World], Any]:
    def run(w: World) -> Any:
        args = {"username": "newleader", "password": "a-long-enough-password", "role": "grid_leader", **kw}
        who = args.pop("actor", "admin")
        if args["role"] == "grid_leader":
            args.setdefault("grid_id", w.grid3)
        return w.write(
            auth.create_user,
            _u(w, who),
            args.pop("username"),
            args.pop("password"),
            args.pop("role"),
            now=NOW,
            **args,
        )

    return run


LEDGER_HEAD = ["小区", "楼栋", "房号", "网格", "姓名", "性别", "出生年份", "手机号", "身份证号"]


CASES: list[Case] = [
    # set-up: the committee, households, residents, the ledger
    Case(
        "committee-name-empty",
        lambda w: w.write(setup.save_committee, _u(w, "shuji"), "", now=NOW),
        ("committee",),
        "common.required",
    ),
    Case(
        "committee-latitude-text",
        lambda w: w.write(setup.save_committee, _u(w, "shuji"), "华美居民区", center_lat="north", now=NOW),
        ("committee",),
        "common.not_a_number",
    ),
    Case(
        "committee-latitude-impossible",
        lambda w: w.write(setup.save_committee, _u(w, "shuji"), "华美居民区", center_lat=123.4, now=NOW),
        ("committee",),
        "setup.out_of_range",
    ),
    Case(
        "household-zero-size",
        lambda w: w.write(setup.save_household, _u(w, "shuji"), w.building3, "9901", size=0, now=NOW),
        ("household",),
        "ledger.reject.zero_size",
    ),
    Case(
        "household-room-taken",
        lambda w: w.write(setup.save_household, _u(w, "shuji"), w.building3, w.room3, now=NOW),
        ("household",),
        "setup.duplicate",
    ),
    Case(
        "resident-bad-id-number",
        _resident(id_number="310112199001011235"),
        ("resident",),
        "common.bad_id_number",
    ),
    Case("resident-born-1850", _resident(birth_year=1850), ("resident",), "setup.out_of_range"),
    Case("resident-born-next-year", _resident(birth_year=2023), ("resident",), "common.too_large"),
    Case("resident-sex-html", _resident(sex=SCRIPT), ("resident",), "common.bad_choice"),
    Case("resident-phone-letters", _resident(phone="1990000abcd"), ("resident",), "common.bad_phone"),
    Case(
        "ledger-wrong-columns",
        ledger_of(xlsx_bytes([["甲", "乙", "丙"], ["1", "2", "3"]])),
        ("household", "resident", "building", "compound"),
        "imports.missing_columns",
    ),
    Case(
        "ledger-one-column-twice",
        ledger_of(
            xlsx_bytes([LEDGER_HEAD, ["华美新村", "1号楼", "101室", "1", "张三", "男", "1980", "", ""]]),
            mapping={"compound": "小区", "building": "楼栋", "room": "小区"},
        ),
        ("household", "resident", "building", "compound"),
    ),
    Case(
        "ledger-bad-rows",
        ledger_of(
            xlsx_bytes(
                [
                    LEDGER_HEAD,
                    ["华美新村", "1号楼", "", "1", "缺房号", "男", "1980", "", ""],
                    ["华美新村", "1号楼", "101室", SQL, "张三", "男", "1980", "", ""],
                    ["华美新村", "1号楼", "101室", "1", "李四", "男", "1780", "", ""],
                    ["华美新村", "1号楼", "101室", "1", "王五", SCRIPT, "1980", "", ""],
                    ["华美新村", "1号楼", "101室", "1", "赵六", "女", "1980", "123", ""],
                    ["华美新村", "1号楼", "101室", "1", "钱七", "女", "1980", "", "310112199001011235"],
                ]
            )
        ),
        ("household", "resident", "building", "compound"),
        rows_refused=True,
    ),
    Case(
        "ledger-utf16-without-bom",
        ledger_of("小区,楼栋,房号\n华美新村,1号楼,101室\n".encode("utf-16-le"), "底账.csv"),
        ("household", "resident", "building", "compound"),
        "imports.binary",
    ),
    # accounts
    Case("user-name-script", _user(username=SCRIPT), ("app_user",), "login.bad_username"),
    Case("user-name-sql", _user(username=SQL), ("app_user",), "login.bad_username"),
    Case("user-short-password", _user(password="123"), ("app_user",)),
    Case("user-role-bogus", _user(role="superuser"), ("app_user",), "common.bad_choice"),
    Case("user-taken", _user(username="shuji"), ("app_user",), "login.username_taken"),
    Case("user-by-secretary", _user(actor="shuji"), ("app_user",), "auth.denied"),
    Case("user-name-too-long", _user(username="u" * 61), ("app_user",), "common.too_long"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_refused_and_changes_nothing(case: Case, world: World) -> None:
    check(case, world)


def test_the_corpus_is_broad() -> None:
    """At least 50 cases, over every area's forms and both imports (all the test_bad_input_<area> files)."""
    from tests import (
        test_bad_input_cases,
        test_bad_input_screening,
        test_bad_input_services,
        test_bad_input_supplies,
    )

    every = [
        *test_bad_input_supplies.CASES,
        *test_bad_input_screening.CASES,
        *test_bad_input_cases.CASES,
        *test_bad_input_services.CASES,
        *CASES,
    ]
    assert len(every) >= 50
    assert len({c.id for c in every}) == len(every)
    areas = {c.id.split("-")[0] for c in every}
    for area in ("delivery", "batch", "missed", "import", "case", "transfer", "medicine", "courier",
                 "disinfection", "entrance", "person", "shift", "followup", "household", "resident",
                 "ledger", "user", "committee"):  # fmt: skip
        assert area in areas, area


def test_a_date_ten_years_back_is_a_typo_but_nine_years_is_history() -> None:
    from dashboard import validate

    today = dt.date(2024, 2, 29)
    assert validate.day(dt.date(2015, 3, 1), today=today) == dt.date(2015, 3, 1)
    with pytest.raises(JuweiError) as refused:
        validate.day(dt.date(2014, 2, 27), today=today)
    assert refused.value.params["earliest"] == "2014-02-28"
    now = dt.datetime(2022, 5, 29, 20, 0)
    assert validate.moment(dt.datetime(2012, 5, 29, 0, 0), now=now).year == 2012
    with pytest.raises(JuweiError):
        validate.moment(dt.datetime(2012, 5, 28, 23, 59), now=now)
