"""The import of the sampling system's export: encodings, headers, matching, dry run, all-or-nothing
commit, idempotence, grid scope; and the screening page through AppTest (zh and en)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from dashboard import screening
from dashboard.errors import PermissionDenied, ValidationError
from dashboard.screening_import import dry_run, import_results, parse_moments, summary
from dashboard.store import run_write
from db.models import AuditLog, ImportLog, Retest, ScreeningResult
from tests.data_screening import world as w

NOW = dt.datetime(2022, 5, 29, 18, 30)
ZH = ["身份证号", "姓名", "手机号", "采样时间", "试管编号", "检测结果"]


@pytest.fixture
def area(engine: Engine) -> w.World:
    return w.build(engine)


def csv_bytes(header: list[str], rows: list[list[str]], encoding: str = "gbk") -> bytes:
    lines = [",".join(header), *(",".join(r) for r in rows)]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def person(
    label: str,
    *,
    with_id: bool = True,
    at: str = "2022-05-29 09:15",
    tube: str = "T-0100",
    result: str = "阴性",
) -> list[str]:
    n = list(w.PEOPLE).index(label) + 1
    _room, name, phone = w.PEOPLE[label]
    return [w.id_number(n) if with_id else "", name, phone, at, tube, result]


def day_export() -> bytes:
    """The day's export as Chinese Excel writes it (GBK CSV): grid 1 and grid 2 rows, a stranger, a repeat."""
    return csv_bytes(
        ZH,
        [
            person("r3"),
            person("r7", with_id=False),  # matched by phone and name
            ["", "陌生人", "13812345678", "2022-05-29 09:20", "T-0100", "阴性"],
            person("r3", at="2022-05-29 09:30"),  # the same resident twice
            person("r10", tube="T-0101"),  # grid 2
        ],
    )


def counts(engine: Engine) -> tuple[int, int, int, int]:
    with Session(engine) as s:
        return tuple(
            int(s.scalar(select(func.count()).select_from(m)))
            for m in (ScreeningResult, ImportLog, AuditLog, Retest)
        )


def missed(engine: Engine, area: w.World, grid: int) -> list[str]:
    by_id = {v: k for k, v in area.residents.items()}
    with Session(engine) as s:
        df = screening.missed_residents(s, area.round_id, w.TODAY, area.grids[grid])
    return [by_id[int(r)] for r in df["resident_id"]]


def dry(engine: Engine, user, round_id: int, data: bytes, name: str = "export.csv"):  # noqa: ANN001, ANN201
    with Session(engine) as s:
        return dry_run(s, user, round_id, data, name, now=NOW)


# --- the grid leader's day ------------------------------------------------------------------


def test_grid_leader_imports_the_days_gbk_export_and_the_missed_list_updates(
    engine: Engine, area: w.World
) -> None:
    leader = area.users["grid01"]
    data = day_export()
    plan = dry(engine, leader, area.round_id, data)
    assert summary(plan) == {
        "add": 2, "update": 0, "unchanged": 0, "unmatched": 1, "duplicate": 1, "malformed": 0, "rejected": 1, "retests": 0,
    }  # fmt: skip
    assert plan.add == [2, 3]
    assert {i.row: i.key for i in plan.issues} == {
        4: "screening.imp_unmatched",
        5: "screening.imp_duplicate",
        6: "screening.imp_other_grid",
    }
    assert "第 2 行" in plan.issues_frame("zh").set_index("row").loc[5, "reason"]
    assert missed(engine, area, 1) == ["r3", "r4", "r7"]
    steps: list[float] = []
    done = run_write(
        engine,
        import_results,
        leader,
        area.round_id,
        data,
        "0529.csv",
        progress=lambda f, _t: steps.append(f),
        now=NOW,
    )
    assert summary(done)["add"] == 2 and steps[-1] == 1.0
    assert missed(engine, area, 1) == ["r4"]
    assert missed(engine, area, 2) == ["r10"]  # the other grid's row was not taken
    with Session(engine) as s:
        row = s.scalar(select(ScreeningResult).where(ScreeningResult.resident_id == area.resident("r3")))
        log = s.scalar(select(ImportLog))
    assert (row.sampled_at, row.tube_no, row.result, row.method) == (
        dt.datetime(2022, 5, 29, 9, 15),
        "T-0100",
        "negative",
        "site",
    )
    assert row.import_id == log.id and (log.rows_added, log.rows_updated) == (2, 0)


def test_reimporting_the_same_file_changes_nothing(engine: Engine, area: w.World) -> None:
    leader = area.users["grid01"]
    data = day_export()
    run_write(engine, import_results, leader, area.round_id, data, "0529.csv", now=NOW)
    before = counts(engine)
    again = dry(engine, leader, area.round_id, data)
    assert summary(again)["add"] == 0 and summary(again)["update"] == 0 and again.unchanged == [2, 3]
    assert again.payload.previous_import == NOW
    run_write(engine, import_results, leader, area.round_id, data, "0529.csv", now=NOW)
    assert counts(engine) == before


def test_a_later_export_with_results_updates_rows(engine: Engine, area: w.World) -> None:
    shuji = area.users["shuji"]
    first = csv_bytes(ZH, [person("r3", result="待出"), person("r10", result="", tube="T-0101")])
    run_write(engine, import_results, shuji, area.round_id, first, "a.csv", now=NOW)
    later = csv_bytes(ZH, [person("r3", result="阴性"), person("r10", result="异常", tube="T-0101")])
    plan = dry(engine, shuji, area.round_id, later)
    assert (plan.add, plan.update, plan.payload.retests) == ([], [2, 3], [area.resident("r10")])
    run_write(engine, import_results, shuji, area.round_id, later, "b.csv", now=NOW)
    with Session(engine) as s:
        results = dict(
            s.execute(
                select(ScreeningResult.resident_id, ScreeningResult.result).where(
                    ScreeningResult.resident_id.in_([area.resident("r3"), area.resident("r10")])
                )
            ).all()
        )
        retest = s.scalar(select(Retest).where(Retest.resident_id == area.resident("r10")))
    assert results == {area.resident("r3"): "negative", area.resident("r10"): "abnormal"}
    assert retest.result == "pending" and retest.version == 1
    # An older export cannot take the abnormal result back to pending.
    plan = dry(engine, shuji, area.round_id, first)
    assert plan.unchanged == [2, 3]


def test_the_secretary_imports_every_grid(engine: Engine, area: w.World) -> None:
    plan = dry(engine, area.users["shuji"], area.round_id, day_export())
    assert summary(plan)["add"] == 3 and summary(plan)["rejected"] == 0


def test_a_grid_leader_cannot_import_another_grids_rows(engine: Engine, area: w.World) -> None:
    only_grid1 = csv_bytes(ZH, [person("r3"), person("r7")])
    before = counts(engine)
    plan = dry(engine, area.users["grid02"], area.round_id, only_grid1)
    assert summary(plan)["rejected"] == 2 and summary(plan)["add"] == 0
    run_write(engine, import_results, area.users["grid02"], area.round_id, only_grid1, "x.csv", now=NOW)
    assert counts(engine) == before
    with pytest.raises(PermissionDenied):
        run_write(engine, import_results, area.users["viewer"], area.round_id, only_grid1, "x.csv", now=NOW)


# --- encodings, headers, bad files ----------------------------------------------------------


def test_utf8_with_bom_and_mixed_chinese_english_headers(engine: Engine, area: w.World) -> None:
    header = ["ID number", "Name", "手机号码", "Sampling time", "Tube", "结果"]
    data = b"\xef\xbb\xbf" + csv_bytes(
        header, [person("r3", result="negative"), person("r7", with_id=False)], "utf-8"
    )
    plan = dry(engine, area.users["grid01"], area.round_id, data)
    assert plan.add == [2, 3] and not plan.issues
    assert plan.payload.columns == {
        "id_number": "ID number", "name": "Name", "phone": "手机号码", "sampled_at": "Sampling time", "tube_no": "Tube", "result": "结果",
    }  # fmt: skip


def test_plain_utf8_and_gb18030_and_xlsx_read_the_same(engine: Engine, area: w.World) -> None:
    rows = [person("r3"), person("r7")]
    wb = Workbook()
    wb.active.append(ZH)
    for r in rows:
        wb.active.append([r[0], r[1], int(r[2]), dt.datetime(2022, 5, 29, 9, 15), r[4], r[5]])
    buf = io.BytesIO()
    wb.save(buf)
    for data, name in (
        (csv_bytes(ZH, rows, "utf-8"), "a.csv"),
        (csv_bytes(ZH, rows, "gb18030"), "b.csv"),
        (buf.getvalue(), "c.xlsx"),
    ):
        plan = dry(engine, area.users["grid01"], area.round_id, data, name)
        assert plan.add == [2, 3] and not plan.issues, name
        assert [r["sampled_at"] for r in plan.payload.inserts] == [dt.datetime(2022, 5, 29, 9, 15)] * 2


def test_a_half_bad_file_leaves_the_database_unchanged(engine: Engine, area: w.World) -> None:
    data = csv_bytes(
        ZH,
        [
            person("r3"),
            person("r7", result="可能阴性"),  # unknown result
            person("r4", at="昨天上午"),  # unreadable time
            person("r10", at="2022-05-20 09:00"),  # another day
            ["", "", "", "2022-05-29 09:00", "T-1", "阴性"],  # nobody
            person("r2", at="2022-05-29 23:59"),  # later than now
        ],
    )
    plan = dry(engine, area.users["shuji"], area.round_id, data)
    assert summary(plan)["malformed"] == 5 and plan.add == [2]
    assert {i.row: i.key for i in plan.issues} == {
        3: "screening.imp_bad_result",
        4: "screening.imp_bad_time",
        5: "screening.imp_wrong_day",
        6: "screening.imp_no_identity",
        7: "screening.imp_future",
    }
    before = counts(engine)
    with pytest.raises(ValidationError) as err:
        run_write(engine, import_results, area.users["shuji"], area.round_id, data, "bad.csv", now=NOW)
    assert err.value.key == "screening.imp_has_errors"
    assert counts(engine) == before


@pytest.mark.parametrize(
    ("data", "name", "key"),
    [
        (b"", "empty.csv", "imports.empty"),
        (b"\x00\x01\x02\x03binary\x00" * 50, "x.csv", "imports.binary"),
        ("日期,数量\r\n2022-05-29,3\r\n".encode("gbk"), "other.csv", "screening.imp_no_columns"),
        ("身份证号,姓名\r\n".encode("gbk"), "header_only.csv", "imports.no_rows"),
        (b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "old.xls", "imports.xls_unsupported"),
    ],
)
def test_wrong_files_get_a_clear_message_and_write_nothing(
    engine: Engine, area: w.World, data: bytes, name: str, key: str
) -> None:
    before = counts(engine)
    with pytest.raises(ValidationError) as err:
        run_write(engine, import_results, area.users["shuji"], area.round_id, data, name, now=NOW)
    assert err.value.key == key
    assert counts(engine) == before


def test_too_large_a_file_is_refused(engine: Engine, area: w.World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUWEI_IMPORT_MAX_MB", "0.0001")
    with pytest.raises(ValidationError) as err:
        dry(engine, area.users["shuji"], area.round_id, day_export() * 3)
    assert err.value.key == "imports.too_large"


def test_parse_moments_reads_the_usual_spellings() -> None:
    import pandas as pd

    values = pd.Series(["2022-05-29 08:31", "2022/5/29 8:31:05", "2022年5月29日 08:31", "08:31", "", "soon"])
    out = parse_moments(values, w.TODAY)
    assert out.tolist()[:4] == [
        dt.datetime(2022, 5, 29, 8, 31),
        dt.datetime(2022, 5, 29, 8, 31, 5),
        dt.datetime(2022, 5, 29, 8, 31),
        dt.datetime(2022, 5, 29, 8, 31),
    ]
    assert out[4] is pd.NaT and out[5] is None


def test_rows_of_residents_outside_the_rounds_scope_are_rejected(engine: Engine, area: w.World) -> None:
    round_id = run_write(
        engine,
        screening.create_round,
        area.users["shuji"],
        "pcr",
        w.TODAY,
        "grid",
        scope_grid_id=area.grids[2],
        now=NOW,
    )
    plan = dry(engine, area.users["shuji"], round_id, csv_bytes(ZH, [person("r3"), person("r10")]))
    assert plan.add == [3] and [i.key for i in plan.issues] == ["screening.imp_out_of_scope"]
