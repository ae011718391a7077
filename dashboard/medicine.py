"""Medicine (配药): requests collected into the twice-weekly hospital run, and who may need a check.

A request moves requested → in_run (collected into a run) → bought (the run came back) → delivered;
any step before delivery may be cancelled. The next run is the first day on or after as_of that is a
run weekday (rule hospital_run_weekdays, Monday = 0) or has a scheduled run, and whose run is not
done by the end of as_of. Every request outstanding on as_of comes back with that run unless it is
already assigned to a later one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from dashboard import audit, config, roles, validate
from dashboard.config import end_of
from dashboard.errors import PermissionDenied, ValidationError
from dashboard.i18n import code, t
from dashboard.store import check_version
from db.models import (
    URGENCIES,
    Building,
    Compound,
    Grid,
    HospitalRun,
    Household,
    MedicineRequest,
    Person,
    Resident,
    Team,
)

ELDERLY_AGE = 60
CHECK_DAYS = 14
URGENT_HOURS = 24
PLAN_AHEAD_DAYS = 14
# Forward steps a request can take by hand; collecting into a run is its own action.
NEXT_STEPS = {"in_run": ("bought", "cancelled"), "bought": ("delivered",), "requested": ("cancelled",)}


def reference_moment(session: Session, as_of: dt.date) -> dt.datetime:
    """The moment 'as of' a day means: now on today, the end of the day for a past day."""
    return min(config.now(session), end_of(as_of))


def run_weekdays(session: Session) -> tuple[int, ...]:
    """The weekdays of the hospital run (Monday = 0) from rule hospital_run_weekdays, e.g. (1, 4)."""
    raw = str(config.rule(session, "hospital_run_weekdays"))
    days = set()
    for part in raw.replace("，", ",").split(","):
        part = part.strip()
        if part.isdigit() and 0 <= int(part) <= 6:
            days.add(int(part))
    return tuple(sorted(days))


def next_run_date(session: Session, as_of: dt.date) -> dt.date | None:
    """The date of the next hospital run not yet done by the end of as_of (None: no run day set)."""
    weekdays = run_weekdays(session)
    horizon = as_of + dt.timedelta(days=PLAN_AHEAD_DAYS)
    runs = {
        d: done
        for d, done in session.execute(
            select(HospitalRun.date, HospitalRun.done_at).where(
                HospitalRun.date >= as_of, HospitalRun.date <= horizon
            )
        ).all()
    }
    end = end_of(as_of)
    for i in range(PLAN_AHEAD_DAYS + 1):
        d = as_of + dt.timedelta(days=i)
        if d in runs:
            done = runs[d]
            if done is not None and done <= end:
                continue
            return d
        if d.weekday() in weekdays:
            return d
    return None


def _request_rows(session: Session, *conditions: object) -> pd.DataFrame:
    r = MedicineRequest
    result = session.execute(
        select(
            r.id.label("request_id"),
            r.resident_id,
            Resident.name.label("resident_name"),
            Resident.phone,
            Building.grid_id,
            Grid.number.label("grid"),
            Compound.name.label("compound"),
            Building.name.label("building"),
            Household.room,
            r.medicines,
            r.hospital,
            r.urgency,
            r.chronic_condition,
            r.status,
            r.requested_at,
            r.run_id,
            HospitalRun.date.label("run_date"),
            r.bought_at,
            r.delivered_at,
            r.version,
        )
        .join(Resident, Resident.id == r.resident_id)
        .join(Household, Household.id == Resident.household_id)
        .join(Building, Building.id == Household.building_id)
        .join(Compound, Compound.id == Building.compound_id)
        .outerjoin(Grid, Grid.id == Building.grid_id)
        .outerjoin(HospitalRun, HospitalRun.id == r.run_id)
        .where(*conditions)
        .order_by(r.urgency.desc(), r.requested_at, r.id)
    )
    return pd.DataFrame(result.all(), columns=list(result.keys()))


def _status_on(row: pd.Series, end: dt.datetime) -> str:
    """A request's status at the end of a day, from its timestamps (the stored status is today's)."""
    if row["status"] == "cancelled":
        return "cancelled"
    if pd.notna(row["delivered_at"]) and row["delivered_at"] <= end:
        return "delivered"
    if pd.notna(row["bought_at"]) and row["bought_at"] <= end:
        return "bought"
    if row["status"] in ("bought", "delivered") and pd.isna(row["bought_at"]):
        return row["status"]
    return "in_run" if pd.notna(row["run_id"]) else "requested"


def outstanding_requests(session: Session, as_of: dt.date) -> pd.DataFrame:
    """Requests made by the end of as_of and not yet bought then (not cancelled), with an overdue flag.

    `overdue` marks urgent requests older than 24 h at the reference moment (now, or the day's end).
    """
    end = end_of(as_of)
    r = MedicineRequest
    df = _request_rows(
        session,
        r.requested_at <= end,
        r.status != "cancelled",
        or_(
            and_(r.bought_at.is_(None), r.status.in_(("requested", "in_run"))),
            r.bought_at > end,
        ),
    )
    if df.empty:
        return df.assign(status_on=pd.Series(dtype=str), overdue=pd.Series(dtype=bool))
    df["status_on"] = [_status_on(row, end) for _, row in df.iterrows()]
    limit = reference_moment(session, as_of) - dt.timedelta(hours=URGENT_HOURS)
    df["overdue"] = (df["urgency"] == "urgent") & (pd.to_datetime(df["requested_at"]) < limit)
    return df


@dataclass(frozen=True)
class NextRun:
    """The next hospital run as of a day and what it will bring back."""

    date: dt.date | None
    run_id: int | None
    hospitals: str
    driver: str
    requests: pd.DataFrame = field(repr=False)
    by_hospital: pd.DataFrame = field(repr=False)
    later: pd.DataFrame = field(repr=False)

    @property
    def total(self) -> int:
        return len(self.requests)

    @property
    def urgent(self) -> int:
        return int((self.requests["urgency"] == "urgent").sum()) if not self.requests.empty else 0

    @property
    def overdue(self) -> int:
        return int(self.requests["overdue"].sum()) if not self.requests.empty else 0


def next_run(session: Session, as_of: dt.date) -> NextRun:
    """The next run's date, driver and hospitals, its requests, and those grouped by hospital."""
    day = next_run_date(session, as_of)
    run = session.scalar(select(HospitalRun).where(HospitalRun.date == day)) if day else None
    driver = ""
    if run is not None and run.driver_id is not None:
        driver = session.scalar(select(Person.name).where(Person.id == run.driver_id)) or ""
    pending = outstanding_requests(session, as_of)
    if day is None or pending.empty:
        coming, later = pending, pending.iloc[0:0]
    else:
        assigned_later = pending["run_date"].map(lambda d: pd.notna(d) and d > day)
        coming, later = pending[~assigned_later], pending[assigned_later]
    by_hospital = _by_hospital(coming)
    return NextRun(
        date=day,
        run_id=run.id if run is not None else None,
        hospitals=run.hospitals if run is not None else "",
        driver=driver,
        requests=coming.reset_index(drop=True),
        by_hospital=by_hospital,
        later=later.reset_index(drop=True),
    )


def _by_hospital(df: pd.DataFrame) -> pd.DataFrame:
    columns = ["hospital", "requests", "urgent", "medicines"]
    if df.empty:
        return pd.DataFrame(columns=columns)
    out = (
        df.assign(hospital=df["hospital"].replace("", "-"), is_urgent=df["urgency"] == "urgent")
        .groupby("hospital", sort=True)
        .agg(
            requests=("request_id", "count"),
            urgent=("is_urgent", "sum"),
            medicines=("medicines", lambda s: "; ".join(s)),
        )
        .reset_index()
        .sort_values(["requests", "hospital"], ascending=[False, True])
    )
    out["urgent"] = out["urgent"].astype(int)
    return out[columns].reset_index(drop=True)


def requests_on(session: Session, as_of: dt.date, grid_id: int | None = None) -> pd.DataFrame:
    """Every request made in the 14 days up to as_of (for the status form and the list)."""
    start = dt.datetime.combine(as_of - dt.timedelta(days=CHECK_DAYS), dt.time())
    conditions = [MedicineRequest.requested_at <= end_of(as_of), MedicineRequest.requested_at >= start]
    if grid_id is not None:
        conditions.append(Building.grid_id == grid_id)
    df = _request_rows(session, *conditions)
    end = end_of(as_of)
    df["status_on"] = [_status_on(row, end) for _, row in df.iterrows()] if not df.empty else []
    return df


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


def residents_of_building(session: Session, building_id: int) -> pd.DataFrame:
    """The residents of one building for a picker: resident_id, name, room, grid_id, chronic_condition."""
    rows = session.execute(
        select(Resident.id, Resident.name, Household.room, Building.grid_id, Resident.chronic_condition)
        .join(Household, Household.id == Resident.household_id)
        .join(Building, Building.id == Household.building_id)
        .where(Building.id == building_id)
        .order_by(Household.room, Resident.id)
    ).all()
    return pd.DataFrame(rows, columns=["resident_id", "name", "room", "grid_id", "chronic_condition"])


def runs_between(session: Session, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Hospital runs in a period with their driver and how many requests each carried."""
    carried = (
        select(MedicineRequest.run_id, func.count().label("requests"))
        .where(MedicineRequest.status != "cancelled")
        .group_by(MedicineRequest.run_id)
        .subquery()
    )
    rows = session.execute(
        select(
            HospitalRun.id,
            HospitalRun.date,
            HospitalRun.hospitals,
            Person.name,
            HospitalRun.done_at,
            func.coalesce(carried.c.requests, 0),
        )
        .outerjoin(Person, Person.id == HospitalRun.driver_id)
        .outerjoin(carried, carried.c.run_id == HospitalRun.id)
        .where(HospitalRun.date >= start, HospitalRun.date <= end)
        .order_by(HospitalRun.date.desc())
    ).all()
    return pd.DataFrame(rows, columns=["run_id", "date", "hospitals", "person_name", "done_at", "requests"])


def drivers(session: Session) -> pd.DataFrame:
    """People who may drive the run: city-level cadres first, then the medicine group."""
    rows = session.execute(
        select(Person.id, Person.name, Person.kind, Person.cadre_level)
        .outerjoin(Team, Team.id == Person.team_id)
        .where(Person.active, or_(Person.cadre_level == "city", Team.kind == "medicine"))
        .order_by((Person.cadre_level == "city").desc(), Person.id)
    ).all()
    return pd.DataFrame(rows, columns=["person_id", "name", "kind", "cadre_level"])


# --- reads as the services page shows them ---------------------------------------------------
# Read once through the shared cache (ui.cached), codes in words of `lang`; the page masks names and
# phones per user after the call (the lists keep grid_id for that).

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


# --- writes -----------------------------------------------------------------------------------


def _grid_of_resident(session: Session, resident_id: int) -> int | None:
    found = session.execute(
        select(Resident.id, Building.grid_id)
        .join(Household, Household.id == Resident.household_id)
        .join(Building, Building.id == Household.building_id)
        .where(Resident.id == resident_id)
    ).first()
    if found is None:
        raise ValidationError("common.not_found", what=f"resident {resident_id}")
    return found[1]


def _require_medicine(session: Session, user: roles.CurrentUser, grid_id: int | None) -> None:
    """Grid leaders for their grid; task users only when their team is a medicine group."""
    team_id = None
    if user.role == "task":
        kind = session.scalar(select(Team.kind).where(Team.id == user.team_id)) if user.team_id else None
        if kind != "medicine":
            raise PermissionDenied("auth.denied_team")
        team_id = user.team_id
    roles.require(user, "services.medicine", grid_id=grid_id, team_id=team_id)


def do_request_medicine(
    session: Session,
    user: roles.CurrentUser,
    resident_id: int,
    medicines: str,
    *,
    hospital: str = "",
    urgency: str = "normal",
    chronic_condition: str = "",
    requested_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> MedicineRequest:
    """Record a medicine request for a resident (status requested)."""
    now = now or config.now(session)
    medicines = validate.text(medicines, "services.med.medicines", max_len=300)
    hospital = validate.text(hospital, "services.med.hospital", max_len=100, required=False)
    chronic_condition = validate.text(
        chronic_condition, "services.med.chronic_condition", max_len=100, required=False
    )
    urgency = validate.choice(urgency, URGENCIES, "services.med.urgency")
    at = validate.moment(requested_at or now, now=now)
    grid_id = _grid_of_resident(session, resident_id)
    _require_medicine(session, user, grid_id)
    if not chronic_condition:
        chronic_condition = session.scalar(
            select(Resident.chronic_condition).where(Resident.id == resident_id)
        )
    row = MedicineRequest(
        resident_id=resident_id,
        medicines=medicines,
        hospital=hospital,
        urgency=urgency,
        chronic_condition=chronic_condition or "",
        status="requested",
        requested_at=at,
        user_id=user.id,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        user,
        "services.medicine.request",
        "medicine_request",
        row.id,
        grid_id=grid_id,
        after=audit.snapshot(row),
        at=now,
    )
    return row


def do_advance_medicine(
    session: Session,
    user: roles.CurrentUser,
    request_id: int,
    to_status: str,
    *,
    version: int,
    at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> MedicineRequest:
    """Move a request one step: in_run → bought, bought → delivered, or cancel it before delivery."""
    now = now or config.now(session)
    row = session.get(MedicineRequest, request_id)
    if row is None:
        raise ValidationError("common.not_found", what=f"medicine request {request_id}")
    grid_id = _grid_of_resident(session, row.resident_id)
    _require_medicine(session, user, grid_id)
    check_version(row, version)
    if to_status not in NEXT_STEPS.get(row.status, ()):
        raise ValidationError("services.med.bad_step", before=row.status, after=str(to_status)[:20])
    moment = validate.moment(at or now, now=now, not_before=row.requested_at)
    before = audit.snapshot(row)
    row.status = to_status
    if to_status == "bought":
        row.bought_at = moment
    elif to_status == "delivered":
        if row.bought_at is not None and moment < row.bought_at:
            raise ValidationError(
                "common.date_too_early",
                date=moment.isoformat(sep=" "),
                earliest=row.bought_at.isoformat(sep=" "),
            )
        row.delivered_at = moment
        if row.bought_at is None:
            row.bought_at = moment
    session.flush()
    audit.record(
        session,
        user,
        f"services.medicine.{to_status}",
        "medicine_request",
        row.id,
        grid_id=grid_id,
        before=before,
        after=audit.snapshot(row),
        at=now,
    )
    return row


def do_schedule_run(
    session: Session,
    user: roles.CurrentUser,
    run_date: dt.date,
    *,
    hospitals: str = "",
    driver_id: int | None = None,
    now: dt.datetime | None = None,
) -> HospitalRun:
    """Create or update the hospital run of a day (a plan: up to 14 days ahead)."""
    roles.require(user, "services.run")
    now = now or config.now(session)
    run_date = validate.day(run_date, today=now.date() + dt.timedelta(days=PLAN_AHEAD_DAYS))
    hospitals = validate.text(hospitals, "services.med.hospitals", max_len=300, required=False)
    if driver_id is not None and session.get(Person, driver_id) is None:
        raise ValidationError("common.not_found", what=f"person {driver_id}")
    run = session.scalar(select(HospitalRun).where(HospitalRun.date == run_date))
    before = audit.snapshot(run)
    if run is None:
        run = HospitalRun(date=run_date)
        session.add(run)
    elif run.done_at is not None:
        raise ValidationError("services.med.run_done", date=run_date.isoformat())
    run.hospitals = hospitals
    run.driver_id = driver_id
    session.flush()
    audit.record(
        session,
        user,
        "services.run.schedule",
        "hospital_run",
        run.id,
        before=before,
        after=audit.snapshot(run),
        at=now,
    )
    return run


def do_collect_into_run(
    session: Session, user: roles.CurrentUser, run_date: dt.date, *, now: dt.datetime | None = None
) -> int:
    """Put every request still waiting (requested, up to now) into the run of run_date; returns how many."""
    roles.require(user, "services.run")
    now = now or config.now(session)
    run = session.scalar(select(HospitalRun).where(HospitalRun.date == run_date))
    if run is None:
        run = do_schedule_run(session, user, run_date, now=now)
    if run.done_at is not None:
        raise ValidationError("services.med.run_done", date=run_date.isoformat())
    waiting = session.scalars(
        select(MedicineRequest).where(
            MedicineRequest.status == "requested", MedicineRequest.requested_at <= now
        )
    ).all()
    for row in waiting:
        row.status = "in_run"
        row.run_id = run.id
    session.flush()
    audit.record(
        session,
        user,
        "services.run.collect",
        "hospital_run",
        run.id,
        after={"request_ids": [r.id for r in waiting], "date": run_date},
        at=now,
    )
    return len(waiting)


def do_complete_run(
    session: Session,
    user: roles.CurrentUser,
    run_id: int,
    *,
    at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Mark a run back from the hospitals: its requests become bought; returns how many."""
    roles.require(user, "services.run")
    now = now or config.now(session)
    run = session.get(HospitalRun, run_id)
    if run is None:
        raise ValidationError("common.not_found", what=f"hospital run {run_id}")
    if run.done_at is not None:
        raise ValidationError("services.med.run_done", date=run.date.isoformat())
    moment = validate.moment(at or now, now=now, not_before=dt.datetime.combine(run.date, dt.time()))
    before = audit.snapshot(run)
    run.done_at = moment
    carried = session.scalars(
        select(MedicineRequest).where(MedicineRequest.run_id == run.id, MedicineRequest.status == "in_run")
    ).all()
    for row in carried:
        row.status = "bought"
        row.bought_at = moment
    session.flush()
    audit.record(
        session,
        user,
        "services.run.complete",
        "hospital_run",
        run.id,
        before=before,
        after={**(audit.snapshot(run) or {}), "bought": [r.id for r in carried]},
        at=now,
    )
    return len(carried)
