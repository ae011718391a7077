"""Hospital runs (代配药): the twice-weekly run that brings the requests back, planned and done.

The next run is the first day on or after as_of that is a run weekday (rule hospital_run_weekdays,
Monday = 0) or has a scheduled run, and whose run is not done by the end of as_of. Every request
outstanding on as_of (medicine_requests) comes back with that run unless it is already assigned to a
later one. Managers schedule a run (up to 14 days ahead), collect the waiting requests into it, and
mark it back from the hospitals, which makes its requests bought.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from dashboard import audit, config, roles, validate
from dashboard.config import end_of
from dashboard.errors import ValidationError
from dashboard.medicine_requests import outstanding_requests
from db.models import HospitalRun, MedicineRequest, Person, Team

PLAN_AHEAD_DAYS = 14


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


def run_of(session: Session, day: dt.date | None) -> tuple[HospitalRun | None, str]:
    """The hospital run of a day (None: none scheduled) and its driver's name ("": none)."""
    run = session.scalar(select(HospitalRun).where(HospitalRun.date == day)) if day else None
    driver = ""
    if run is not None and run.driver_id is not None:
        driver = session.scalar(select(Person.name).where(Person.id == run.driver_id)) or ""
    return run, driver


def assigned_later(run_date: object, day: dt.date) -> bool:
    """A request already assigned to a run after day (it does not come back with day's run)."""
    return bool(pd.notna(run_date) and run_date > day)


def next_run(session: Session, as_of: dt.date) -> NextRun:
    """The next run's date, driver and hospitals, its requests, and those grouped by hospital."""
    day = next_run_date(session, as_of)
    run, driver = run_of(session, day)
    pending = outstanding_requests(session, as_of)
    if day is None or pending.empty:
        coming, later = pending, pending.iloc[0:0]
    else:
        gone = [assigned_later(d, day) for d in pending["run_date"]]
        if any(gone):
            mask = pd.Series(gone, index=pending.index)
            coming, later = pending[~mask], pending[mask]
        else:
            coming, later = pending, pending.iloc[0:0]
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


BY_HOSPITAL_COLUMNS = ["hospital", "requests", "urgent", "medicines"]


def by_hospital_rows(
    hospitals: Iterable[str], urgencies: Iterable[str], medicines: Iterable[str]
) -> list[tuple]:
    """Per hospital (none: "-"): how many requests, how many urgent, and their medicines (in the
    requests' order); the busiest first."""
    groups: dict[str, list] = {}  # hospital → [requests, urgent, medicines]
    for hospital, urgency, what in zip(hospitals, urgencies, medicines, strict=True):
        group = groups.setdefault(hospital if hospital != "" else "-", [0, 0, []])
        group[0] += 1
        group[1] += urgency == "urgent"
        group[2].append(what)
    return sorted(((h, n, u, "; ".join(m)) for h, (n, u, m) in groups.items()), key=lambda r: (-r[1], r[0]))


def _by_hospital(df: pd.DataFrame) -> pd.DataFrame:
    if df.empty:
        return pd.DataFrame(columns=BY_HOSPITAL_COLUMNS)
    rows = by_hospital_rows(df["hospital"], df["urgency"], df["medicines"])
    return pd.DataFrame(rows, columns=BY_HOSPITAL_COLUMNS)


RUN_COLUMNS = ["run_id", "date", "hospitals", "person_name", "done_at", "requests"]


def runs_between_rows(session: Session, start: dt.date, end: dt.date) -> list[tuple]:
    """RUN_COLUMNS rows: the hospital runs of a period, newest first."""
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
    return [tuple(r) for r in rows]


def runs_between(session: Session, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Hospital runs in a period with their driver and how many requests each carried."""
    return pd.DataFrame(runs_between_rows(session, start, end), columns=RUN_COLUMNS)


def driver_rows(session: Session) -> list[tuple]:
    """(person_id, name, kind, cadre_level) of who may drive the run: city-level cadres first, then
    the medicine group."""
    rows = session.execute(
        select(Person.id, Person.name, Person.kind, Person.cadre_level)
        .outerjoin(Team, Team.id == Person.team_id)
        .where(Person.active, or_(Person.cadre_level == "city", Team.kind == "medicine"))
        .order_by((Person.cadre_level == "city").desc(), Person.id)
    ).all()
    return [tuple(r) for r in rows]


def drivers(session: Session) -> pd.DataFrame:
    """People who may drive the run: city-level cadres first, then the medicine group."""
    return pd.DataFrame(driver_rows(session), columns=["person_id", "name", "kind", "cadre_level"])


# --- writes -----------------------------------------------------------------------------------


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
