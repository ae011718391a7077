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
from dashboard.medicine_requests import (
    CHECK_DAYS,
    NEXT_STEPS,
    outstanding_rows,
    requests_on,
    requests_on_rows,
)
from dashboard.medicine_runs import (
    BY_HOSPITAL_COLUMNS,
    NextRun,
    assigned_later,
    by_hospital_rows,
    driver_rows,
    next_run,
    next_run_date,
    run_of,
    runs_between_rows,
)
from db.models import Building, Compound, Grid, Household, MedicineRequest, Resident

# --- who may need a check: the elderly and the chronically ill without a recent request --------

ELDERLY_AGE = 60
CHECK_COLUMNS = [
    "resident_id", "name", "phone", "grid_id", "grid", "compound", "building", "room", "birth_year",
    "is_chronic", "chronic_condition", "lives_alone", "is_bedridden", "last_request",
]  # fmt: skip


def _vulnerable(as_of: dt.date) -> list:
    """Who may need a check: elderly (ELDERLY_AGE in as_of's year) or chronically ill, and at home."""
    return [
        or_(Resident.birth_year <= as_of.year - ELDERLY_AGE, Resident.is_chronic),
        Resident.is_away.is_(False),
    ]


# The most vulnerable first.
CHECK_ORDER = (
    Resident.is_chronic.desc(),
    Resident.lives_alone.desc(),
    Resident.is_bedridden.desc(),
    Resident.birth_year,
    Resident.id,
)


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
    conditions = [*_vulnerable(as_of), or_(last.c.last_request.is_(None), last.c.last_request < since)]
    if grid_id is not None:
        conditions.append(Building.grid_id == grid_id)
    return (
        select(*_check_columns(), last.c.last_request)
        .join(Household, Household.id == Resident.household_id)
        .join(Building, Building.id == Household.building_id)
        .join(Compound, Compound.id == Building.compound_id)
        .outerjoin(Grid, Grid.id == Building.grid_id)
        .outerjoin(last, last.c.resident_id == Resident.id)
        .where(*conditions)
        .order_by(*CHECK_ORDER)
    )


def _check_columns() -> tuple:
    """CHECK_COLUMNS but the last request (the resident and where they live)."""
    return (
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
    )


def _first_to_check(as_of: dt.date, grid_id: int | None, priority_only: bool):  # noqa: ANN202 - a Select
    """How many residents to check and the first CHECK_ROWS of them (n, then CHECK_COLUMNS), in one
    statement: the list is narrowed on the residents' own columns (no request in the last CHECK_DAYS:
    not among the recent requesters), counted and cut there, and only the rows kept are joined to
    their homes and last request."""
    end = end_of(as_of)
    recent = select(MedicineRequest.resident_id).where(
        MedicineRequest.requested_at <= end,
        MedicineRequest.requested_at >= end - dt.timedelta(days=CHECK_DAYS),
    )
    conditions = _vulnerable(as_of)
    if priority_only:
        conditions.append(or_(Resident.is_chronic, Resident.lives_alone))
    conditions.append(Resident.id.not_in(recent))  # last: the costliest test, on the fewest rows
    first = select(Resident.id, func.count().over().label("n"))
    if grid_id is not None:
        first = (
            first.join(Household, Household.id == Resident.household_id)
            .join(Building, Building.id == Household.building_id)
            .where(Building.grid_id == grid_id)
        )
    first = first.where(*conditions).order_by(*CHECK_ORDER).limit(CHECK_ROWS).subquery()
    last_request = (
        select(func.max(MedicineRequest.requested_at))
        .where(MedicineRequest.resident_id == Resident.id, MedicineRequest.requested_at <= end)
        .scalar_subquery()
    )
    return (
        select(first.c.n, *_check_columns(), last_request)
        .select_from(first)
        .join(Resident, Resident.id == first.c.id)
        .join(Household, Household.id == Resident.household_id)
        .join(Building, Building.id == Household.building_id)
        .join(Compound, Compound.id == Building.compound_id)
        .outerjoin(Grid, Grid.id == Building.grid_id)
        .order_by(*CHECK_ORDER)
    )


def _check_frame(rows: list, as_of: dt.date) -> pd.DataFrame:
    df = pd.DataFrame([tuple(r) for r in rows], columns=CHECK_COLUMNS)
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
    """next_run() of as_of, display-ready for the services page: the lists made straight from the
    outstanding requests' rows (when none comes back with the run, as next_run() gives it)."""
    day = next_run_date(session, as_of)
    columns, pending = outstanding_rows(session, as_of)
    i = {name: n for n, name in enumerate(columns)}
    gone = [day is not None and assigned_later(row[i["run_date"]], day) for row in pending]
    if all(gone):  # nothing comes back with the run
        return _view_of(next_run(session, as_of), lang)
    run, driver = run_of(session, day)
    coming = [row for row, later in zip(pending, gone, strict=True) if not later]
    # Every pending request as shown (the columns' types as in the whole list), then those coming.
    shown = [
        (
            *(row[i[c]] for c in REQUESTS_SHOWN[:7]),
            code("urgency", row[i["urgency"]], lang),
            code("medicine_status", row[i["status_on"]], lang),
            row[i["requested_at"]],
            row[i["run_date"]],
            row[i["grid_id"]],
        )
        for row in pending
    ]
    requests = pd.DataFrame(shown, columns=[*REQUESTS_SHOWN, "grid_id"])
    if any(gone):
        requests = requests[[not later for later in gone]].reset_index(drop=True)
    hospitals = by_hospital_rows(*([r[i[c]] for r in coming] for c in ("hospital", "urgency", "medicines")))
    return MedicineView(
        date=day,
        hospitals=run.hospitals if run is not None else "",
        driver=driver,
        total=len(coming),
        urgent=sum(1 for r in coming if r[i["urgency"]] == "urgent"),
        overdue=sum(1 for r in coming if r[i["overdue"]]),
        later=sum(gone),
        by_hospital=pd.DataFrame(hospitals, columns=_hospital_headings(lang)),
        requests=requests,
    )


def _hospital_headings(lang: str) -> list[str]:
    return [t(f"services.med.{c}", lang=lang) for c in BY_HOSPITAL_COLUMNS]


def _view_of(run: NextRun, lang: str) -> MedicineView:
    """A NextRun as the services page shows it."""
    requests = run.requests
    return MedicineView(
        date=run.date,
        hospitals=run.hospitals,
        driver=run.driver,
        total=run.total,
        urgent=run.urgent,
        overdue=run.overdue,
        later=len(run.later),
        by_hospital=run.by_hospital.set_axis(_hospital_headings(lang), axis=1),
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
    rows = session.execute(_first_to_check(as_of, grid_id, priority_only)).all()
    if not rows:  # the columns an empty list has always had
        return 0, _check_frame([], as_of)[[*CHECK_SHOWN, "grid_id"]]
    shown = [
        (grid, compound, building, room, name, phone, as_of.year - int(born), *rest, grid_id_)
        for _n, _id, name, phone, grid_id_, grid, compound, building, room, born, _chronic, *rest in rows
    ]  # rest: chronic_condition, lives_alone, is_bedridden, last_request
    return int(rows[0][0]), pd.DataFrame(shown, columns=[*CHECK_SHOWN, "grid_id"])


OPEN_COLUMNS = ["request_id", "resident_name", "grid_id", "status", "version"]


def open_requests(session: Session, as_of: dt.date, grid_id: int | None, lang: str) -> pd.DataFrame:
    """The requests of requests_on() that can still take a step, for the status form: request_id,
    resident_name, grid_id, status, version, and `what` (the medicines and status, in words)."""
    columns, rows = requests_on_rows(session, as_of, grid_id)
    i = {name: n for n, name in enumerate(columns)}
    keep = [row[i["status"]] in NEXT_STEPS for row in rows]
    if not any(keep):  # the columns an empty list has always had
        df = requests_on(session, as_of, grid_id)
        df = df[df["status"].isin(list(NEXT_STEPS))] if not df.empty else df
        return df[OPEN_COLUMNS].assign(what=[])
    # Every request's columns (their types as in the whole list), then those that can take a step.
    df = pd.DataFrame(
        [
            (
                *(row[i[c]] for c in OPEN_COLUMNS),
                f"{row[i['medicines']][:30]} · {code('medicine_status', row[i['status']], lang)}",
            )
            for row in rows
        ],
        columns=[*OPEN_COLUMNS, "what"],
    )
    return df[keep]


def driver_labels(session: Session) -> dict[int, str]:
    """Who may drive the run, for a picker: person_id → name (drivers()' order)."""
    return {int(person_id): name for person_id, name, _kind, _level in driver_rows(session)}


@dataclass(frozen=True)
class RunsView:
    """The runs of four weeks around a day: those not done by then (run_id → date, for the form)
    and the list (RUNS_SHOWN); and who may drive (driver_labels(), for the run form)."""

    open_runs: dict[int, str]
    runs: pd.DataFrame = field(repr=False)
    drivers: dict[int, str] = field(repr=False, default_factory=dict)


def runs_view(session: Session, today: dt.date) -> RunsView:
    """runs_between() 14 days either side of today and the drivers, for the services page's run form."""
    rows = runs_between_rows(session, today - dt.timedelta(days=14), today + dt.timedelta(days=14))
    return RunsView(
        open_runs={
            int(run_id): str(date)
            for run_id, date, _h, _p, done_at, _n in rows
            if done_at is None and date <= today
        },
        runs=pd.DataFrame([(d, h, p, n, done) for _id, d, h, p, done, n in rows], columns=RUNS_SHOWN),
        drivers=driver_labels(session),
    )
