"""Medicine as the services page reads it: the next run in words, who may need a check, the
requests that can take a step, the drivers and the runs of four weeks.

Read once through the shared cache (ui.cached), codes in words of `lang`; the page masks names and
phones per user after the call (the lists keep grid_id for that).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from dashboard.config import end_of
from dashboard.i18n import code, t
from dashboard.medicine_requests import CHECK_DAYS, NEXT_STEPS, requests_on
from dashboard.medicine_runs import drivers, next_run, runs_between
from db.models import Building, Compound, Grid, Household, MedicineRequest, Resident

# --- who may need a check: the elderly and the chronically ill without a recent request --------

ELDERLY_AGE = 60
CHECK_COLUMNS = [
    "resident_id", "name", "phone", "grid_id", "grid", "compound", "building", "room", "birth_year",
    "is_chronic", "chronic_condition", "lives_alone", "is_bedridden", "last_request",
]  # fmt: skip


def _needing_check(as_of: dt.date, grid_id: int | None = None):  # noqa: ANN202 - a Select
    """The residents to check as of a day (CHECK_COLUMNS), the most vulnerable first."""
    end = end_of(as_of)
    since = end - dt.timedelta(days=CHECK_DAYS)
    last = (
        select(MedicineRequest.resident_id, func.max(MedicineRequest.requested_at).label("last_request"))
        .where(MedicineRequest.requested_at <= end)
        .group_by(MedicineRequest.resident_id)
        .subquery()
    )
    conditions = [
        or_(Resident.birth_year <= as_of.year - ELDERLY_AGE, Resident.is_chronic),
        Resident.is_away.is_(False),
        or_(last.c.last_request.is_(None), last.c.last_request < since),
    ]
    if grid_id is not None:
        conditions.append(Building.grid_id == grid_id)
    return (
        select(
            Resident.id,
            Resident.name,
            Resident.phone,
            Building.grid_id,
            Grid.number,
            Compound.name,
            Building.name,
            Household.room,
            Resident.birth_year,
            Resident.is_chronic,
            Resident.chronic_condition,
            Resident.lives_alone,
            Resident.is_bedridden,
            last.c.last_request,
        )
        .join(Household, Household.id == Resident.household_id)
        .join(Building, Building.id == Household.building_id)
        .join(Compound, Compound.id == Building.compound_id)
        .outerjoin(Grid, Grid.id == Building.grid_id)
        .outerjoin(last, last.c.resident_id == Resident.id)
        .where(*conditions)
        .order_by(
            Resident.is_chronic.desc(),
            Resident.lives_alone.desc(),
            Resident.is_bedridden.desc(),
            Resident.birth_year,
            Resident.id,
        )
    )


def _check_frame(rows: list, as_of: dt.date) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=CHECK_COLUMNS)
    df.insert(df.columns.get_loc("birth_year"), "age", as_of.year - df["birth_year"].astype(int))
    return df.drop(columns=["birth_year"])


def residents_needing_check(session: Session, as_of: dt.date, grid_id: int | None = None) -> pd.DataFrame:
    """Elderly (60+ in as_of's year) and chronically ill residents with no request in the last 14 days."""
    return _check_frame(session.execute(_needing_check(as_of, grid_id)).all(), as_of)


# --- reads as the services page shows them ---------------------------------------------------

REQUESTS_SHOWN = [
    "grid", "compound", "building", "room", "resident_name", "medicines", "hospital", "urgency",
    "status_on", "requested_at", "run_date",
]  # fmt: skip
CHECK_SHOWN = [
    "grid", "compound", "building", "room", "name", "phone", "age", "chronic_condition", "lives_alone",
    "is_bedridden", "last_request",
]  # fmt: skip
CHECK_ROWS = 500  # the page lists the first 500 to check
RUNS_SHOWN = ["date", "hospitals", "person_name", "requests", "done_at"]


@dataclass(frozen=True)
class MedicineView:
    """The next run as the page shows it: its figures, what it brings back by hospital (headings in
    words), and its requests (REQUESTS_SHOWN and grid_id; urgency and status in words)."""

    date: dt.date | None
    hospitals: str
    driver: str
    total: int
    urgent: int
    overdue: int
    later: int
    by_hospital: pd.DataFrame = field(repr=False)
    requests: pd.DataFrame = field(repr=False)


def medicine_view(session: Session, as_of: dt.date, lang: str) -> MedicineView:
    """next_run() of as_of, display-ready for the services page."""
    run = next_run(session, as_of)
    requests = run.requests
    by_hospital = run.by_hospital.rename(
        columns={
            "hospital": t("services.med.hospital", lang=lang),
            "requests": t("services.med.requests", lang=lang),
            "urgent": t("services.med.urgent", lang=lang),
            "medicines": t("services.med.medicines", lang=lang),
        }
    )
    return MedicineView(
        date=run.date,
        hospitals=run.hospitals,
        driver=run.driver,
        total=run.total,
        urgent=run.urgent,
        overdue=run.overdue,
        later=len(run.later),
        by_hospital=by_hospital,
        requests=requests.assign(
            urgency=[code("urgency", v, lang) for v in requests["urgency"]],
            status_on=[code("medicine_status", v, lang) for v in requests["status_on"]],
        )[[*REQUESTS_SHOWN, "grid_id"]],
    )


def check_list(
    session: Session, as_of: dt.date, grid_id: int | None, priority_only: bool
) -> tuple[int, pd.DataFrame]:
    """residents_needing_check() (only the chronically ill and those living alone: priority_only):
    how many, and the first CHECK_ROWS as the page lists them (CHECK_SHOWN and grid_id)."""
    stmt = _needing_check(as_of, grid_id)
    if priority_only:
        stmt = stmt.where(or_(Resident.is_chronic, Resident.lives_alone))
    n = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    check = _check_frame(session.execute(stmt.limit(CHECK_ROWS)).all(), as_of)
    return int(n or 0), check[[*CHECK_SHOWN, "grid_id"]]


def open_requests(session: Session, as_of: dt.date, grid_id: int | None, lang: str) -> pd.DataFrame:
    """The requests of requests_on() that can still take a step, for the status form: request_id,
    resident_name, grid_id, status, version, and `what` (the medicines and status, in words)."""
    df = requests_on(session, as_of, grid_id)
    df = df[df["status"].isin(list(NEXT_STEPS))] if not df.empty else df
    what = [
        f"{m[:30]} · {code('medicine_status', st, lang)}"
        for m, st in zip(df["medicines"], df["status"], strict=True)
    ]
    return df[["request_id", "resident_name", "grid_id", "status", "version"]].assign(what=what)


def driver_labels(session: Session) -> dict[int, str]:
    """Who may drive the run, for a picker: person_id → name (drivers()' order)."""
    df = drivers(session)
    return dict(zip(df["person_id"].astype(int), df["name"], strict=True))


@dataclass(frozen=True)
class RunsView:
    """The runs of four weeks around a day: those not done by then (run_id → date, for the form)
    and the list (RUNS_SHOWN)."""

    open_runs: dict[int, str]
    runs: pd.DataFrame = field(repr=False)


def runs_view(session: Session, today: dt.date) -> RunsView:
    """runs_between() 14 days either side of today, for the services page."""
    runs = runs_between(session, today - dt.timedelta(days=14), today + dt.timedelta(days=14))
    open_runs = runs[runs["done_at"].isna() & (runs["date"] <= today)] if not runs.empty else runs
    return RunsView(
        open_runs=dict(zip(open_runs["run_id"].astype(int), open_runs["date"].astype(str), strict=True)),
        runs=runs[RUNS_SHOWN],
    )
