"""The bad-input corpus: what people (and their spreadsheets) get wrong, thrown at every form and
import through the write functions the pages call, on the Huamei database (SQLite and PostgreSQL).

Each case must be refused with a JuweiError (ValidationError, PermissionDenied, StaleEdit) whose
message reads in Chinese and in English (no untranslated key, no unfilled '{…}'), and must leave
the database as it was: the row count of every table and a SHA-256 over the ordered rows of the
tables the form writes, taken before and after through a fresh connection. Imports that report
bad rows one by one (rather than refusing the whole file) must write nothing, with each row's
reason in both languages.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine, MetaData, func, select
from sqlalchemy.orm import Session

from dashboard import (
    auth,
    cases,
    courier,
    disinfection,
    distribution,
    entrances,
    followups,
    imports,
    ledger,
    medicine,
    people,
    recap,
    screening,
    screening_import,
    setup,
    supplies,
    survey,
    transfers,
    tubes,
    zones,
)
from dashboard.errors import JuweiError
from dashboard.store import run_write
from db import make_engine
from db.models import (
    Building,
    CourierCount,
    DutyShift,
    FollowUp,
    Grid,
    Household,
    MedicineRequest,
    Person,
    Resident,
    Retest,
    ScreeningResult,
    ScreeningRound,
    SupplyBatch,
    Team,
    Transfer,
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

NOW = dt.datetime(2022, 5, 29, 20, 0)
TODAY = NOW.date()
LATER = NOW + dt.timedelta(hours=3)
SCRIPT = "<script>alert(1)</script>"
SQL = "'; DROP TABLE resident; --"
LONG = "长" * 301
TYPO_YEAR = dt.date(1922, 5, 29)  # 1922 for 2022
BIG_MB = 20  # JUWEI_IMPORT_MAX_MB's default


# --- the database and what the cases work on ---------------------------------------------------


@pytest.fixture(scope="module", params=BACKENDS)
def live(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A private writable copy of the Huamei database for this module (every case leaves it as it was)."""
    if request.param == "sqlite":
        eng = make_engine(copy_sqlite(_sqlite_seeded_template(), tmp_path_factory.mktemp("bad") / "bad.db"))
        yield eng
        eng.dispose()
    else:
        name = f"juwei_b_{uuid.uuid4().hex[:10]}"
        eng = make_engine(pg_create(name, template=_pg_seeded_template()))
        yield eng
        eng.dispose()
        pg_drop(name)


@dataclass
class World:
    """Ids of real records of the demo, found by what they are (not by number)."""

    engine: Engine
    tables: dict[str, Any]  # every table of the database, reflected once
    users: dict[str, auth.CurrentUser]
    grid3: int
    grid1: int
    building3: int
    door3: str
    household3: int
    household3_version: int
    room3: str
    household1: int
    resident3: int
    resident1: int
    batch: int
    batch_version: int
    batch_released: dt.datetime
    pcr: int
    antigen: int
    missed3: int
    sampled: tuple[
        int, str, str, str
    ]  # a negative result in grid 1: resident id, ID number, tube, sampled_at
    followup3: int
    followup3_version: int
    transfer: int
    transfer_version: int
    transfer_requested: dt.datetime
    case: int
    case_version: int
    person: int
    person_stamp: str
    shift: int
    shift_stamp: str
    request: int
    request_version: int
    retest: int
    retest_version: int
    transport_team: int
    disinfection_team: int
    open_entrance: int
    closed_entrance: int

    def write(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """The write as a page makes it (ui.write → store.run_write: one transaction)."""
        return run_write(self.engine, fn, *args, **kwargs)


@pytest.fixture(scope="module")
def world(live: Engine) -> World:
    with Session(live) as s:
        users = {
            u.username: auth.to_current(s, u)
            for u in s.scalars(
                select(User).where(
                    User.username.in_(["shuji", "admin", "grid03", "viewer", "task", "meeting"])
                )
            )
        }
        grid = {n: i for i, n in s.execute(select(Grid.id, Grid.number))}
        g3, g1 = grid[3], grid[1]
        b3 = s.scalar(select(Building.id).where(Building.grid_id == g3).order_by(Building.id))
        h3 = s.scalars(
            select(Household).join(Building).where(Building.grid_id == g3).order_by(Household.id)
        ).first()
        h1 = s.scalar(
            select(Household.id).join(Building).where(Building.grid_id == g1).order_by(Household.id)
        )
        r3 = s.scalar(
            select(Resident.id)
            .join(Household)
            .join(Building)
            .where(Building.grid_id == g3)
            .order_by(Resident.id)
        )
        r1 = s.scalar(
            select(Resident.id)
            .join(Household)
            .join(Building)
            .where(Building.grid_id == g1)
            .order_by(Resident.id)
        )
        batch = s.scalars(
            select(SupplyBatch).where(SupplyBatch.released_at.is_not(None)).order_by(SupplyBatch.date.desc())
        ).first()
        pcr = s.scalar(
            select(ScreeningRound.id)
            .where(ScreeningRound.kind == "pcr", ScreeningRound.date <= TODAY)
            .order_by(ScreeningRound.date.desc())
        )
        antigen = s.scalar(
            select(ScreeningRound.id)
            .where(ScreeningRound.kind == "antigen", ScreeningRound.date <= TODAY)
            .order_by(ScreeningRound.date.desc())
        )
        missed = screening.missed_residents(s, pcr, TODAY, g3)
        done = s.execute(
            select(
                ScreeningResult.resident_id,
                Resident.id_number,
                ScreeningResult.tube_no,
                ScreeningResult.sampled_at,
            )
            .join(Resident, Resident.id == ScreeningResult.resident_id)
            .join(Household, Household.id == Resident.household_id)
            .join(Building, Building.id == Household.building_id)
            .where(
                Building.grid_id == g1,
                ScreeningResult.round_id == pcr,
                ScreeningResult.result == "negative",
                ScreeningResult.tube_no.is_not(None),
                ScreeningResult.sampled_at.is_not(None),
                Resident.id_number.is_not(None),
            )
            .order_by(ScreeningResult.resident_id)
        ).first()
        fu = s.scalars(select(FollowUp).where(FollowUp.status == "open").order_by(FollowUp.id)).first()
        tr = s.scalars(select(Transfer).where(Transfer.case_id.is_not(None)).order_by(Transfer.id)).first()
        case = s.get(cases.Case, tr.case_id)
        person = s.scalars(select(Person).where(Person.active.is_(True)).order_by(Person.id)).first()
        shift = s.scalars(select(DutyShift).order_by(DutyShift.id)).first()
        req = s.scalars(select(MedicineRequest).order_by(MedicineRequest.id)).first()
        retest = s.scalars(select(Retest).order_by(Retest.id)).first()
        teams = {k: i for i, k in s.execute(select(Team.id, Team.kind))}
        from db.models import Entrance

        open_e = s.scalar(select(Entrance.id).where(Entrance.is_open.is_(True)).order_by(Entrance.id))
        closed_e = s.scalar(select(Entrance.id).where(Entrance.is_open.is_(False)).order_by(Entrance.id))
        meta = MetaData()
        meta.reflect(live)
        return World(
            engine=live,
            tables=dict(sorted(meta.tables.items())),
            users=users,
            grid3=g3,
            grid1=g1,
            building3=b3,
            door3=h3.door,
            household3=h3.id,
            household3_version=h3.version,
            room3=h3.room,
            household1=h1,
            resident3=r3,
            resident1=r1,
            batch=batch.id,
            batch_version=batch.version,
            batch_released=batch.released_at,
            pcr=pcr,
            antigen=antigen,
            missed3=int(missed["resident_id"].iloc[0]),
            sampled=(done[0], done[1], done[2], done[3].strftime("%Y-%m-%d %H:%M:%S")),
            followup3=fu.id,
            followup3_version=fu.version,
            transfer=tr.id,
            transfer_version=tr.version,
            transfer_requested=tr.requested_at,
            case=case.id,
            case_version=case.version,
            person=person.id,
            person_stamp=people.person_stamp(person),
            shift=shift.id,
            shift_stamp=people.shift_stamp(shift),
            request=req.id,
            request_version=req.version,
            retest=retest.id,
            retest_version=retest.version,
            transport_team=teams["transport"],
            disinfection_team=teams["disinfection"],
            open_entrance=open_e,
            closed_entrance=closed_e,
        )


# --- the fingerprint of the database ---------------------------------------------------------


def fingerprint(engine: Engine, touched: tuple[str, ...], w: World) -> tuple[dict[str, int], dict[str, str]]:
    """Row counts of every table (one query), and a SHA-256 over the ordered rows of the touched tables
    (for the screening results, the rows of the two rounds the cases write into: the table has ~870k rows)."""
    tables = w.tables
    with engine.connect() as c:
        row = c.execute(
            select(
                *[select(func.count()).select_from(t).scalar_subquery().label(n) for n, t in tables.items()]
            )
        ).one()
        counts = dict(zip(tables, row, strict=True))
        sums = {}
        for name in (*touched, "audit_log"):
            table = tables[name]
            stmt = select(table).order_by(*table.primary_key.columns)
            if name == "screening_result":
                stmt = stmt.where(table.c.round_id.in_([w.pcr, w.antigen]))
            h = hashlib.sha256()
            for r in c.execute(stmt):
                h.update(repr(tuple(r)).encode())
            sums[name] = h.hexdigest()
    return counts, sums


def readable(key: str, params: dict[str, Any]) -> None:
    """The message of a refusal reads in both languages: translated, filled in, different."""
    zh = JuweiError(key, **params).message(lang="zh")
    en = JuweiError(key, **params).message(lang="en")
    for text in (zh, en):
        assert text != key and "{" not in text and "}" not in text, f"{key}: {text!r}"
    assert zh != en, key


# --- files -------------------------------------------------------------------------------------


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    wb = Workbook()
    for r in rows:
        wb.active.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def huge_csv() -> bytes:
    """A sampling system's export just over the import limit (built in memory)."""
    header = "身份证号,姓名,手机号,采样时间,试管编号,检测结果\n".encode()
    row = "310112199001011234,张三,19900000000,2022-05-29 08:00,T0000001,阴性\n".encode()
    n = BIG_MB * 1_048_576 // len(row) + 10
    return header + row * n


HEAD = ["身份证号", "姓名", "手机号", "采样时间", "试管编号", "检测结果"]


def import_file(w: World, rows: list[list[str]], **kw: Any) -> bytes:
    return csv_bytes([HEAD, *rows], **kw)


def screening_import_of(
    data: bytes, filename: str = "结果.csv", user: str = "shuji"
) -> Callable[[World], Any]:
    """Dry run then commit, as the page does (the commit plans again in its own transaction)."""

    def run(w: World) -> Any:
        with Session(w.engine) as s:
            screening_import.dry_run(s, w.users[user], w.pcr, data, filename, now=NOW)
        return w.write(screening_import.import_results, w.users[user], w.pcr, data, filename, now=NOW)

    return run


def ledger_of(
    data: bytes, filename: str = "底账.xlsx", mapping: dict | None = None
) -> Callable[[World], Any]:
    """The set-up page's ledger import: read, map, dry run; commit only what the dry run offers."""

    def run(w: World) -> Any:
        frame = imports.read_table(data, filename, max_bytes=BIG_MB * 1_048_576)
        chosen = mapping if mapping is not None else ledger.suggest_mapping(list(frame.columns))
        with Session(w.engine) as s:
            dry = ledger.dry_run(s, w.users["shuji"], frame, chosen)
        if dry.summary()["add"] + dry.summary()["update"]:
            w.write(ledger.commit, w.users["shuji"], frame, chosen, filename=filename, digest="x", now=NOW)
        return dry

    return run


# --- the corpus --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    call: Callable[[World], Any]
    touched: tuple[str, ...]
    key: str | None = None  # the expected message key (None: any refusal)
    rows_refused: bool = False  # an import that reports each bad row instead of refusing the file


def _u(w: World, name: str) -> auth.CurrentUser:
    return w.users[name]


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


def _missed(**kw: Any) -> Callable[[World], Any]:
    def run(w: World) -> Any:
        args = {"outcome": "will_come", "note": "", "tube_no": "", **kw}
        who = args.pop("user", "grid03")
        resident = args.pop("resident", None) or w.missed3
        return w.write(
            screening.mark_missed, _u(w, who), w.pcr, resident, args.pop("outcome"), now=NOW, **args
        )

    return run


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


def _medicine(**kw: Any) -> Callable[[World], Any]:
    def run(w: World) -> Any:
        args = {"medicines": "降压药 2 盒", **kw}
        who = args.pop("user", "grid03")
        resident = args.pop("resident", w.resident3)
        return w.write(
            medicine.do_request_medicine, _u(w, who), resident, args.pop("medicines"), now=NOW, **args
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


def _followup(**kw: Any) -> Callable[[World], Any]:
    def run(w: World) -> Any:
        args = {"item": "补采 3 号楼漏检", "grid": w.grid3, **kw}
        who = args.pop("user", "grid03")
        return w.write(
            followups.create_followup, _u(w, who), args.pop("item"), grid_id=args.pop("grid"), **args
        )

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


def _resident(**kw: Any) -> Callable[[World], Any]:
    def run(w: World) -> Any:
        args = {"name": "新居民", "sex": "F", "birth_year": 1980, **kw}
        return w.write(
            setup.add_resident, _u(w, "shuji"), w.household3, args.pop("name"), args.pop("sex"),
            args.pop("birth_year"), now=NOW, **args,
        )  # fmt: skip

    return run


def _same_twice(w: World) -> list[list[str]]:
    rid, idn, tube, at = w.sampled
    return [[idn, "", "", at, tube, "阴性"], [idn, "", "", at, tube, "阴性"]]


LEDGER_HEAD = ["小区", "楼栋", "房号", "网格", "姓名", "性别", "出生年份", "手机号", "身份证号"]

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


def test_the_corpus_is_broad() -> None:
    """At least 50 cases, over every area's forms and both imports."""
    assert len(CASES) >= 50
    assert len({c.id for c in CASES}) == len(CASES)
    areas = {c.id.split("-")[0] for c in CASES}
    for area in ("delivery", "batch", "missed", "import", "case", "transfer", "medicine", "courier",
                 "disinfection", "entrance", "person", "shift", "followup", "household", "resident",
                 "ledger", "user", "committee"):  # fmt: skip
        assert area in areas, area


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_refused_and_changes_nothing(case: Case, world: World) -> None:
    before = fingerprint(world.engine, case.touched, world)
    if case.rows_refused:
        dry = case.call(world)
        assert dry.issues, "every row was taken"
        for issue in dry.issues:
            readable(issue.key, issue.params)
        assert not dry.add and not dry.update
    else:
        with pytest.raises(JuweiError) as refused:
            case.call(world)
        if case.key is not None:
            assert refused.value.key == case.key, refused.value.message(lang="en")
        readable(refused.value.key, refused.value.params)
    assert fingerprint(world.engine, case.touched, world) == before


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
