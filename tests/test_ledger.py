"""The ledger import: template round trip, every reject reason with its row, re-import updates
instead of duplicating, merges, encodings, mapping, rights, audit, all-or-nothing commit."""

from __future__ import annotations

import io
import random
from typing import Any

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from dashboard import imports, ledger, store
from dashboard.errors import PermissionDenied, ValidationError
from dashboard.i18n import code, t
from dashboard.roles import SYSTEM, CurrentUser
from dashboard.validate import id_check_digit, is_valid_id_number
from db.models import AuditLog, Building, Compound, Grid, Household, ImportLog, Resident

ADMIN = CurrentUser(id=None, username="admin", role="admin")
LEADER = CurrentUser(id=None, username="grid01", role="grid_leader", grid_id=1, grid_number=1)
H = {f: ledger.header(f) for f in ledger.FIELDS}  # the template's (Chinese) headers
YES, NO = t("common.yes", lang="zh"), t("common.no", lang="zh")
MALE, FEMALE = (t(f"ledger.sex.{s}", lang="zh").split("|")[0] for s in ("M", "F"))


def id_number(year: int, seq: int, male: bool = True) -> str:
    """A valid ID number born in `year`; seq makes it unique."""
    seq3 = (seq * 2 + (1 if male else 0)) % 1000
    first17 = f"3101{seq // 500 % 100:02d}{year}0101{seq3:03d}"
    return first17 + id_check_digit(first17)


def bad_check_digit(valid: str) -> str:
    last = "0" if valid[-1] != "0" else "1"
    return valid[:-1] + last


def row(**values: Any) -> dict[str, Any]:
    """One ledger row keyed by the template's headers."""
    return {H[k]: v for k, v in values.items()}


def xlsx(rows: list[dict[str, Any]], columns: list[str] | None = None) -> bytes:
    out = io.BytesIO()
    pd.DataFrame(rows, columns=columns or [H[f] for f in ledger.FIELDS]).to_excel(out, index=False)
    return out.getvalue()


def make_ledger(households: int, *, grids: int = 0, seed: int = 7) -> list[dict[str, Any]]:
    """A committee's ledger: `households` households in 5 compounds, 1-6 people each, all valid."""
    rng = random.Random(seed)
    kinds = ["public_housing", "homestead", "villa", "commodity", "commodity"]
    rows = []
    seq = 0
    for h in range(households):
        c = h % 5
        building = f"{(h // 5) % 12 + 1}"
        size = rng.choice([1, 2, 2, 3, 3, 4, 6])
        for p in range(size):
            seq += 1
            year = 1940 + (seq * 7) % 70
            rows.append(
                row(
                    compound=f"C{c}",
                    compound_kind=code("compound_kind", kinds[c], lang="zh"),
                    building=building,
                    room=f"{100 + h}",
                    grid=(c % grids) + 1 if grids else "",
                    size=size,
                    is_rental=YES if h % 4 == 0 else NO,
                    name=f"R{h}-{p}",
                    sex=MALE if seq % 2 else FEMALE,
                    birth_year=year,
                    phone=f"139{seq:08d}",
                    id_number=id_number(year, seq, seq % 2 == 1),
                    is_chronic=YES if seq % 9 == 0 else "",
                    lives_alone=YES if size == 1 and year < 1960 else NO,
                )
            )
    return rows


def frame_of(data: bytes, name: str = "ledger.xlsx") -> pd.DataFrame:
    return imports.read_table(data, name, max_bytes=50_000_000)


def dry(
    engine: Engine, frame: pd.DataFrame, mapping: dict[str, Any] | None = None, user: CurrentUser = ADMIN
):
    with Session(engine) as s:
        return ledger.dry_run(s, user, frame, mapping or ledger.suggest_mapping(list(frame.columns)))


def commit(
    engine: Engine, frame: pd.DataFrame, mapping: dict[str, Any] | None = None, digest: str = "x", **kw: Any
):
    return store.run_write(
        engine,
        ledger.commit,
        ADMIN,
        frame,
        mapping or ledger.suggest_mapping(list(frame.columns)),
        filename="ledger.xlsx",
        digest=digest,
        **kw,
    )


def counts(engine: Engine) -> tuple[int, ...]:
    with Session(engine) as s:
        return tuple(
            int(s.scalar(select(func.count()).select_from(m)) or 0)
            for m in (Compound, Building, Household, Resident)
        )


# --- the check digit ------------------------------------------------------------------------


def test_id_number_check_digit() -> None:
    assert is_valid_id_number("11010519491231002X")  # the standard's published example
    assert is_valid_id_number("11010519491231002x")
    assert not is_valid_id_number("110105194912310021")
    assert not is_valid_id_number("11010519491231002")
    valid = id_number(1956, 3)
    assert is_valid_id_number(valid) and not is_valid_id_number(bad_check_digit(valid))
    assert is_valid_id_number(ledger.example_id_number())


# --- the template ---------------------------------------------------------------------------


def test_template_has_chinese_headers_an_example_and_help() -> None:
    wb = openpyxl.load_workbook(io.BytesIO(ledger.template_xlsx("zh")))
    ws = wb.worksheets[0]
    headers = [c.value for c in ws[1]]
    assert headers == [ledger.header(f, "zh") for f in ledger.FIELDS]
    assert {
        "小区",
        "楼栋",
        "房号",
        "户主",
        "人数",
        "是否租户",
        "姓名",
        "性别",
        "出生年份",
        "手机",
        "身份证号",
    } <= set(headers)
    example = [c.value for c in ws[2]]
    assert example[headers.index("身份证号")] == ledger.example_id_number()
    assert ws.max_row == 2
    assert len(wb.worksheets) == 2 and wb.worksheets[1].max_row > len(ledger.FIELDS)


def test_template_round_trip_download_fill_import(engine: Engine) -> None:
    """Download the template, fill two households under the example row, import, find them stored."""
    wb = openpyxl.load_workbook(io.BytesIO(ledger.template_xlsx("zh")))
    ws = wb.worksheets[0]
    fill = [
        row(compound="A", compound_kind="宅基地", building="18号", room="18-1", door="18号", size=3, is_rental=YES,
            name="Wang", sex=MALE, birth_year=1950, phone="13900000001", id_number=id_number(1950, 1),
            is_chronic=YES, chronic_condition="hypertension", lives_alone=NO, is_bedridden=YES),
        row(compound="A", compound_kind="宅基地", building="18号", room="18-1", door="18号", size=3, is_rental=YES,
            name="Li", sex=FEMALE, birth_year="1988-05-02", phone="139 0000 0002", lives_alone=NO),
        row(compound="A", building="18号", room="18-2", door="18号", size=6, name="Zhao", id_number=id_number(1975, 2)),
    ]  # fmt: skip
    for r in fill:
        ws.append([r.get(H[f], None) for f in ledger.FIELDS])
    out = io.BytesIO()
    wb.save(out)
    frame = frame_of(out.getvalue())
    mapping = ledger.suggest_mapping(list(frame.columns))
    assert set(mapping) == set(ledger.FIELDS)  # every template column is recognised
    run = dry(engine, frame, mapping)
    assert [(i.row, i.key) for i in run.issues] == [(2, "ledger.reject.example")]
    assert run.add == [3, 4, 5]
    result = commit(engine, frame, mapping)
    assert (result.compounds_added, result.buildings_added, result.households_added, result.residents_added) == (
        1, 1, 2, 3,
    )  # fmt: skip
    with Session(engine) as s:
        compound = s.scalar(select(Compound))
        assert compound.name == "A" and compound.kind == "homestead"
        h1 = s.scalar(select(Household).where(Household.room == "18-1"))
        assert (h1.door, h1.size, h1.is_rental, h1.head_name) == ("18号", 3, True, "Wang")
        h2 = s.scalar(select(Household).where(Household.room == "18-2"))
        assert (h2.size, h2.is_rental) == (6, False)
        wang = s.scalar(select(Resident).where(Resident.name == "Wang"))
        assert (wang.is_chronic, wang.chronic_condition, wang.is_bedridden, wang.sex) == (
            True, "hypertension", True, "M",
        )  # fmt: skip
        li = s.scalar(select(Resident).where(Resident.name == "Li"))
        assert (li.birth_year, li.phone, li.sex, li.id_number) == (1988, "13900000002", "F", None)
        zhao = s.scalar(select(Resident).where(Resident.name == "Zhao"))
        assert zhao.birth_year == 1975 and zhao.sex == "M"  # both taken from the ID number


def test_english_template_imports_too(engine: Engine) -> None:
    wb = openpyxl.load_workbook(io.BytesIO(ledger.template_xlsx("en")))
    ws = wb.worksheets[0]
    ws.delete_rows(2)
    ws.append(["Estate", "Villas", "B1", "1", "", "", "", "2", "No", "Ann", "Female", "1970"])
    out = io.BytesIO()
    wb.save(out)
    frame = frame_of(out.getvalue(), "ledger-en.xlsx")
    assert set(ledger.suggest_mapping(list(frame.columns))) == set(ledger.FIELDS)
    commit(engine, frame)
    with Session(engine) as s:
        assert s.scalar(select(Compound.kind)) == "villa"
        assert s.scalar(select(Resident.sex)) == "F"


# --- every reject reason, with its row ------------------------------------------------------


def test_every_reject_reason_names_its_row(engine: Engine) -> None:
    ok = id_number(1960, 1)
    rows = [
        row(compound="A", building="1", room="101", size=2, name="Ok", sex=MALE, birth_year=1960, id_number=ok),  # 2
        row(compound="A", building="1", room="102", size=1, name="BadId", sex=MALE, birth_year=1960,
            id_number=bad_check_digit(id_number(1961, 2))),  # 3
        row(compound="A", building="1", room="103", size=1, name="BadPhone", sex=MALE, birth_year=1960,
            phone="1390000"),  # 4
        row(compound="A", building="1", room="104", size=0, name="Nobody", sex=MALE, birth_year=1960),  # 5
        row(compound="A", building="1", room="101", size=5, name="Other", sex=FEMALE, birth_year=1970),  # 6
        row(compound="A", building="1", room="105", size=1, name="Ok", sex=MALE, birth_year=1960, id_number=ok),  # 7
        row(compound="", building="1", room="106", size=1),  # 8
        row(compound="A", compound_kind="castle", building="1", room="107", size=1),  # 9
        row(compound="A", building="1", room="108", size=1, name="NoSex", birth_year=1960),  # 10
        row(compound="A", building="1", room="109", size=1, name="NoYear", sex=MALE),  # 11
        row(compound="A", building="1", room="110", size="many"),  # 12
        row(compound="A", building="1", room="111", grid="north"),  # 13
        row(compound="A", building="1", room="112", grid="2"),  # 14
        row(compound="A", building="1", room="113", grid="3"),  # 15
        row(compound="A", compound_kind=code("compound_kind", "villa", lang="zh"), building="2", room="1"),  # 16
        row(compound="A", compound_kind=code("compound_kind", "homestead", lang="zh"), building="2", room="2"),  # 17
        row(compound="A", building="1", room="101", size=2, name="Ok2", sex=MALE, id_number=ok),  # 18
    ]  # fmt: skip
    frame = frame_of(xlsx(rows))
    run = dry(engine, frame)
    got = sorted((i.row, i.key) for i in run.issues)
    assert got == [
        (3, "ledger.reject.bad_id"),
        (4, "ledger.reject.bad_phone"),
        (5, "ledger.reject.zero_size"),
        (6, "ledger.reject.room_conflict"),
        (7, "ledger.reject.two_households"),
        (8, "ledger.reject.missing"),
        (9, "ledger.reject.bad_kind"),
        (10, "ledger.reject.bad_sex"),
        (11, "ledger.reject.bad_birth_year"),
        (12, "ledger.reject.bad_size"),
        (13, "ledger.reject.bad_grid"),
        (15, "ledger.reject.grid_conflict"),
        (17, "ledger.reject.kind_conflict"),
        (18, "ledger.reject.id_conflict"),
    ]
    reasons = dict(zip(run.issues_frame("en")["row"], run.issues_frame("en")["reason"], strict=True))
    assert "row 2" in reasons[6] and "row 2" in reasons[7] and "check digit" in reasons[3]
    assert "0 people" in reasons[5] and "11 digits" in reasons[4]
    assert run.add == [2, 14, 16]
    # The commit leaves the rejected rows out and writes the rest.
    commit(engine, frame)
    with Session(engine) as s:
        assert sorted(s.scalars(select(Household.room))) == ["1", "101", "112"]
        assert s.scalar(select(func.count()).select_from(Resident)) == 1


def test_mapping_missing_required_or_used_twice_is_refused(engine: Engine) -> None:
    frame = frame_of(xlsx([row(compound="A", building="1", room="1")]))
    mapping = ledger.suggest_mapping(list(frame.columns))
    with pytest.raises(ValidationError) as exc:
        dry(engine, frame, {**mapping, "room": None})
    assert exc.value.key == "imports.missing_columns" and ledger.header("room") in exc.value.message("zh")
    with pytest.raises(ValidationError) as exc:
        dry(engine, frame, {**mapping, "door": mapping["room"]})
    assert exc.value.key == "ledger.column_twice"


# --- the committee's own sheets -------------------------------------------------------------


def test_own_sheet_with_other_headers_in_gbk_csv(engine: Engine) -> None:
    """A committee's own CSV (GBK, its own headers, extra columns) maps by synonyms; adjust one by hand."""
    text = (
        "序号,小区名称,楼号,室号,户人数,居民姓名,性别,出生日期,手机号码,证件号码,慢性病,备注列\n"
        f"1,华美新村,12,301,2,甲,男,1950-03-01,13912345678,{id_number(1950, 5)},高血压,x\n"
        "2,华美新村,12,301,2,乙,女,1953,,,否,\n"
    )
    frame = frame_of(text.encode("gbk"), "own.csv")
    mapping = ledger.suggest_mapping(list(frame.columns))
    assert mapping == {
        "compound": "小区名称", "building": "楼号", "room": "室号", "size": "户人数", "name": "居民姓名",
        "sex": "性别", "birth_year": "出生日期", "phone": "手机号码", "id_number": "证件号码", "is_chronic": "慢性病",
    }  # fmt: skip
    mapping["door"] = "备注列"  # adjusted by the user before commit
    run = dry(engine, frame, mapping)
    assert run.summary() == {"add": 2, "update": 0, "unchanged": 0, "merge": 0, "rejected": 0}
    commit(engine, frame, mapping)
    with Session(engine) as s:
        assert s.scalar(select(Household.door)) == "x"
        assert s.scalar(select(Compound.kind)) == "commodity"  # no kind column: the default
        first = s.scalar(select(Resident).where(Resident.name == "甲"))
        assert (first.is_chronic, first.chronic_condition, first.birth_year) == (True, "高血压", 1950)
        assert s.scalar(select(Resident.is_chronic).where(Resident.name == "乙")) is False


def test_household_only_rows_and_size_from_residents(engine: Engine) -> None:
    rows = [
        row(compound="A", building="1", room="1", size=4, head_name="Head"),
        row(compound="A", building="1", room="2", name="X", sex=MALE, birth_year=1980),
        row(compound="A", building="1", room="2", name="Y", sex=FEMALE, birth_year=1982),
    ]
    commit(engine, frame_of(xlsx(rows)))
    with Session(engine) as s:
        sizes = dict(s.execute(select(Household.room, Household.size)).all())
        heads = dict(s.execute(select(Household.room, Household.head_name)).all())
    assert sizes == {"1": 4, "2": 2} and heads == {"1": "Head", "2": "X"}


# --- re-import ------------------------------------------------------------------------------


def test_reimport_updates_and_never_duplicates(engine: Engine) -> None:
    rows = make_ledger(40)
    first = frame_of(xlsx(rows))
    commit(engine, first, digest="v1")
    before = counts(engine)
    # The same file again: everything unchanged, nothing added.
    again = dry(engine, first)
    assert again.add == [] and again.update == [] and len(again.unchanged) == len(rows)
    commit(engine, first, digest="v1")
    assert counts(engine) == before
    # An updated sheet: a new phone, a household grown, a name corrected, a resident moved, one new person.
    rows[0][H["phone"]] = "13700000000"
    moved = rows[1]
    rows[1] = {
        **moved,
        **{
            H[f]: rows[-1][H[f]]
            for f in ("compound", "compound_kind", "building", "room", "size", "is_rental")
        },
    }
    for r in rows:
        if r[H["room"]] == rows[5][H["room"]]:
            r[H["size"]] = 9
    rows[7][H["name"]] = rows[7][H["name"]] + "x"
    rows.append({**rows[-1], H["name"]: "Newborn", H["id_number"]: "", H["phone"]: "", H["birth_year"]: 2022})
    second = frame_of(xlsx(rows))
    run = dry(engine, second)
    assert run.issues == []
    assert len(run.add) == 1 and len(run.update) >= 4
    result = commit(engine, second, digest="v2")
    assert result.residents_added == 1 and result.households_added == 0 and result.residents_updated == 3
    c, b, h, r = counts(engine)
    assert (c, b, h, r) == (before[0], before[1], before[2], before[3] + 1)
    with Session(engine) as s:
        assert (
            s.scalar(select(Resident.phone).where(Resident.id_number == rows[0][H["id_number"]]))
            == "13700000000"
        )
        mover = s.scalar(select(Resident).where(Resident.id_number == moved[H["id_number"]]))
        assert s.get(Household, mover.household_id).room == rows[-1][H["room"]]
        assert s.scalar(select(Resident.name).where(Resident.id_number == rows[7][H["id_number"]])).endswith(
            "x"
        )
        assert s.scalar(select(Household.size).where(Household.room == rows[5][H["room"]])) == 9
    # Third time: the newborn (no ID, no phone) is recognised by name within the household.
    assert dry(engine, second).add == []


def test_residents_without_id_match_by_phone_and_name(engine: Engine) -> None:
    rows = [
        row(compound="A", building="1", room="1", name="P", sex=MALE, birth_year=1970, phone="13911112222")
    ]
    commit(engine, frame_of(xlsx(rows)))
    rows[0][H["room"]] = "2"  # moved flat; the same person by phone + name
    rows[0][H["id_number"]] = id_number(1970, 9)
    run = dry(engine, frame_of(xlsx(rows)))
    assert run.add == [2]  # the row adds a household (room 2) ...
    commit(engine, frame_of(xlsx(rows)))
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Resident)) == 1  # ... but not a second person
        assert s.scalar(select(Resident.id_number)) == id_number(1970, 9)


def test_duplicate_rows_are_merged(engine: Engine) -> None:
    idn = id_number(1966, 4)
    rows = [
        row(compound="A", building="1", room="1", size=1, name="M", sex=MALE, birth_year=1966, id_number=idn),
        row(compound="A", building="1", room="1", size=1, name="M", id_number=idn, phone="13955556666"),
    ]
    run = dry(engine, frame_of(xlsx(rows)))
    assert run.add == [2] and run.merge == [3] and run.issues == []
    commit(engine, frame_of(xlsx(rows)))
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Resident)) == 1
        assert s.scalar(select(Resident.phone)) == "13955556666"  # filled in from the duplicate


def test_export_then_reimport_changes_nothing(engine: Engine) -> None:
    commit(engine, frame_of(xlsx(make_ledger(20, grids=2))))
    data = store.run_write(engine, ledger.export_xlsx, ADMIN)
    run = dry(engine, frame_of(data, "export.xlsx"))
    assert run.issues == [] and run.add == [] and run.update == []
    with Session(engine) as s:
        assert (
            s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "ledger.export"))
            == 1
        )


def test_grid_column_creates_grids_and_assigns_buildings(engine: Engine) -> None:
    result = commit(engine, frame_of(xlsx(make_ledger(30, grids=3))))
    assert result.grids_added == 3
    with Session(engine) as s:
        assert sorted(s.scalars(select(Grid.number))) == [1, 2, 3]
        assert s.scalar(select(func.count()).select_from(Building).where(Building.grid_id.is_(None))) == 0


# --- the commit as a whole ------------------------------------------------------------------


def test_commit_is_all_or_nothing(engine: Engine) -> None:
    frame = frame_of(xlsx(make_ledger(120)))
    seen: list[float] = []

    def fail_midway(fraction: float) -> None:
        seen.append(fraction)
        if fraction > 0.5:
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError):
        commit(engine, frame, progress=fail_midway)
    assert seen and counts(engine) == (0, 0, 0, 0)
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(ImportLog)) == 0
    seen.clear()
    commit(engine, frame, progress=seen.append)
    assert seen[-1] == 1.0 and seen == sorted(seen)
    assert counts(engine)[2] == 120


def test_only_managers_import_and_every_import_is_audited(engine: Engine) -> None:
    frame = frame_of(xlsx(make_ledger(5)))
    mapping = ledger.suggest_mapping(list(frame.columns))
    for who in (LEADER, CurrentUser(None, "v", "viewer"), CurrentUser(None, "m", "meeting")):
        with pytest.raises(PermissionDenied):
            dry(engine, frame, mapping, user=who)
        with pytest.raises(PermissionDenied):
            store.run_write(engine, ledger.commit, who, frame, mapping, filename="f", digest="d")
        with pytest.raises(PermissionDenied):
            store.run_write(engine, ledger.export_xlsx, who)
    assert counts(engine) == (0, 0, 0, 0)
    commit(engine, frame, digest="abc")
    with Session(engine) as s:
        summary = s.scalar(select(AuditLog).where(AuditLog.action == "ledger.import"))
        assert summary.username == "admin" and summary.after["add"] == len(frame)
        added = s.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.action == "ledger.resident_add")
        )
        assert added == len(frame)
        assert ledger.already_imported(s, "abc") is not None and ledger.already_imported(s, "other") is None
        # Phones and ID numbers never enter the audit trail of an import.
        assert not any("139" in str(a.after) for a in s.scalars(select(AuditLog)))


def test_system_user_can_import_500_households(engine: Engine) -> None:
    frame = frame_of(xlsx(make_ledger(500, grids=3)))
    result = store.run_write(
        engine,
        ledger.commit,
        SYSTEM,
        frame,
        ledger.suggest_mapping(list(frame.columns)),
        filename="f",
        digest="d",
    )
    assert result.households_added == 500 and result.residents_added == len(frame)
    assert counts(engine)[2:] == (500, len(frame))
