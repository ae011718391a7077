"""The bad-input corpus (see tests/bad_input.py): the missed-resident follow-up, rounds, tubes and retests,
and the sampling system's result import (files refused whole, rows refused one by one).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from dashboard import screening, tubes
from tests import bad_input
from tests.bad_input import (
    HEAD,
    LONG,
    NOW,
    SCRIPT,
    SQL,
    TODAY,
    Case,
    World,
    _u,
    check,
    csv_bytes,
    huge_csv,
    import_file,
    screening_import_of,
)

# the fixtures (a private copy of the Huamei database for this module, per backend)
live = bad_input.live
world = bad_input.world


def _missed(**kw: Any) -> Callable[[World], Any]:
    def run(w: World) -> Any:
        args = {"outcome": "will_come", "note": "", "tube_no": "", **kw}
        who = args.pop("user", "grid03")
        resident = args.pop("resident", None) or w.missed3
        return w.write(
            screening.mark_missed, _u(w, who), w.pcr, resident, args.pop("outcome"), now=NOW, **args
        )

    return run


def _same_twice(w: World) -> list[list[str]]:
    rid, idn, tube, at = w.sampled
    return [[idn, "", "", at, tube, "阴性"], [idn, "", "", at, tube, "阴性"]]


CASES: list[Case] = [
    # screening
    Case(
        "missed-outcome-sql",
        _missed(outcome=SQL),
        ("missed_followup", "screening_result"),
        "common.bad_choice",
    ),
    Case(
        "missed-note-too-long", _missed(note=LONG), ("missed_followup", "screening_result"), "common.too_long"
    ),
    Case(
        "missed-other-grid",
        lambda w: _missed(resident=w.resident1)(w),
        ("missed_followup", "screening_result"),
        "auth.denied_grid",
    ),
    Case(
        "missed-unknown-resident",
        _missed(resident=88_888_888),
        ("missed_followup", "screening_result"),
        "common.not_found",
    ),
    Case(
        "missed-already-sampled",
        lambda w: _missed(user="shuji", resident=w.sampled[0])(w),
        ("missed_followup", "screening_result"),
        "screening.already_sampled",
    ),
    Case(
        "round-future-date",
        lambda w: w.write(
            screening.create_round, _u(w, "shuji"), "pcr", dt.date(2022, 5, 30), "all", now=NOW
        ),
        ("screening_round",),
        "common.future_date",
    ),
    Case(
        "round-kind-html",
        lambda w: w.write(screening.create_round, _u(w, "shuji"), SCRIPT, TODAY, "all", now=NOW),
        ("screening_round",),
        "common.bad_choice",
    ),
    Case(
        "tube-unknown",
        lambda w: w.write(tubes.mark_tube_abnormal, _u(w, "shuji"), w.pcr, SQL, now=NOW),
        ("screening_result", "retest"),
        "screening.no_tube",
    ),
    Case(
        "retest-result-bogus",
        lambda w: w.write(
            tubes.record_retest, _u(w, "shuji"), w.retest, "maybe", version=w.retest_version, now=NOW
        ),
        ("retest", "case_record"),
        "common.bad_choice",
    ),
    Case(
        "retest-already-recorded",
        lambda w: w.write(
            tubes.record_retest, _u(w, "shuji"), w.retest, "negative", version=w.retest_version, now=NOW
        ),
        ("retest", "case_record"),
        "screening.retest_done",
    ),
    # screening import
    Case("import-empty-file", screening_import_of(b""), ("screening_result", "import_log"), "imports.empty"),
    Case(
        "import-huge-file",
        screening_import_of(huge_csv()),
        ("screening_result", "import_log"),
        "imports.too_large",
    ),
    Case(
        "import-wrong-columns",
        screening_import_of(csv_bytes([["a", "b", "c"], ["1", "2", "3"]])),
        ("screening_result", "import_log"),
        "screening.imp_no_columns",
    ),
    Case(
        "import-header-only",
        screening_import_of(csv_bytes([HEAD])),
        ("screening_result", "import_log"),
        "imports.no_rows",
    ),
    Case(
        "import-binary-bytes",
        screening_import_of(bytes(range(256)) * 64, "结果.csv"),
        ("screening_result", "import_log"),
        "imports.binary",
    ),
    Case(
        "import-old-xls",
        screening_import_of(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, "结果.xls"),
        ("screening_result", "import_log"),
        "imports.xls_unsupported",
    ),
    Case(
        "import-broken-xlsx",
        screening_import_of(b"PK\x03\x04" + b"not really a zip" * 20, "结果.xlsx"),
        ("screening_result", "import_log"),
        "imports.bad_xlsx",
    ),
    Case(
        "import-shift-jis-text",
        screening_import_of("氏名,電話番号\n山田太郎,0312345678\n".encode("shift_jis"), "結果.csv"),
        ("screening_result", "import_log"),
        "screening.imp_no_columns",
    ),
    Case(
        "import-future-times",
        lambda w: screening_import_of(
            import_file(w, [[w.sampled[1], "", "", "2022-05-30 08:00", "T1", "阴性"]])
        )(w),
        ("screening_result", "import_log"),
        "screening.imp_has_errors",
    ),
    Case(
        "import-impossible-time",
        lambda w: screening_import_of(
            import_file(w, [[w.sampled[1], "", "", "2022-05-32 25:61", "T1", "阴性"]])
        )(w),
        ("screening_result", "import_log"),
        "screening.imp_has_errors",
    ),
    Case(
        "import-result-sql",
        lambda w: screening_import_of(import_file(w, [[w.sampled[1], "", "", w.sampled[3], "T1", SQL]]))(w),
        ("screening_result", "import_log"),
        "screening.imp_has_errors",
    ),
    Case(
        "import-tube-too-long",
        lambda w: screening_import_of(
            import_file(w, [[w.sampled[1], "", "", w.sampled[3], "T" * 31, "阴性"]])
        )(w),
        ("screening_result", "import_log"),
        "screening.imp_has_errors",
    ),
    Case(
        "import-gbk-no-identity",
        lambda w: screening_import_of(
            import_file(w, [["", "张三", "", w.sampled[3], "T1", "阴性"]], encoding="gbk")
        )(w),
        ("screening_result", "import_log"),
        "screening.imp_has_errors",
    ),
    Case(
        "import-unknown-residents",
        lambda w: screening_import_of(
            import_file(
                w,
                [
                    ["110101199003074514", "", "", w.sampled[3], "T1", "阴性"],
                    ["", "无此人", "19900000000", "", "", ""],
                ],
            )
        )(w),
        ("screening_result", "import_log", "retest"),
        rows_refused=True,
    ),
    Case(
        "import-duplicate-rows",
        lambda w: screening_import_of(import_file(w, _same_twice(w)))(w),
        ("screening_result", "import_log", "retest"),
        rows_refused=True,
    ),
    Case(
        "import-other-grid-rows",
        lambda w: screening_import_of(
            import_file(w, [[w.sampled[1], "", "", w.sampled[3], w.sampled[2], "阳性"]]), user="grid03"
        )(w),
        ("screening_result", "import_log", "retest"),
        rows_refused=True,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_refused_and_changes_nothing(case: Case, world: World) -> None:
    check(case, world)
