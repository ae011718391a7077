"""The bad-input corpus: what people (and their spreadsheets) get wrong, thrown at every form and
import through the write functions the pages call, on the Huamei database (SQLite and PostgreSQL).

Each case must be refused with a JuweiError (ValidationError, PermissionDenied, StaleEdit) whose
message reads in Chinese and in English (no untranslated key, no unfilled '{…}'), and must leave
the database as it was: the row count of every table and a SHA-256 over the ordered rows of the
tables the form writes, taken before and after through a fresh connection. Imports that report
bad rows one by one (rather than refusing the whole file) must write nothing, with each row's
reason in both languages.

This module is the shared machinery (not collected: no test_ prefix): the database fixtures
(`live`, `world`), the fingerprint and the message check, the file builders, the Case type and the
runner `check`. The cases live by area in tests/test_bad_input_<area>.py (supplies, screening,
cases, services, setup), each importing the fixtures from here; each module gets its own copy of
the database per backend.
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
    imports,
    ledger,
    people,
    screening,
    screening_import,
)
from dashboard.errors import JuweiError
from dashboard.store import run_write
from db import make_engine
from db.models import (
    Building,
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


def check(case: Case, world: World) -> None:
    """The runner: the case is refused in both languages and the database is as it was."""
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
