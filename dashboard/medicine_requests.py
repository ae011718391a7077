"""Medicine requests (配药登记): what the request form writes and checks, and the requests as of a day.

A request moves requested → in_run (collected into a run, see medicine_runs) → bought (the run came
back) → delivered; any step before delivery may be cancelled. Managers record and advance any
request, grid leaders those of their grid, task users only when their team is a medicine group. The
stored status is today's: a request's status on a past day comes from its timestamps (status_on).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from dashboard import audit, config, roles, validate
from dashboard.config import end_of
from dashboard.errors import PermissionDenied, ValidationError
from dashboard.store import check_version
from db.models import (
    URGENCIES,
    Building,
    Compound,
    Grid,
    HospitalRun,
    Household,
    MedicineRequest,
    Resident,
    Team,
)

CHECK_DAYS = 14
URGENT_HOURS = 24
# Forward steps a request can take by hand; collecting into a run is its own action.
NEXT_STEPS = {"in_run": ("bought", "cancelled"), "bought": ("delivered",), "requested": ("cancelled",)}


def reference_moment(session: Session, as_of: dt.date) -> dt.datetime:
    """The moment 'as of' a day means: now on today, the end of the day for a past day."""
    return min(config.now(session), end_of(as_of))


def _request_result(session: Session, *conditions: object):  # noqa: ANN202 - a Result
    """The requests (with who, where and their run's date) meeting conditions, urgent first."""
    r = MedicineRequest
    return session.execute(
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


def _request_rows(session: Session, *conditions: object) -> pd.DataFrame:
    result = _request_result(session, *conditions)
    columns = list(result.keys())
    return pd.DataFrame([tuple(r) for r in result.all()], columns=columns)


def _status_on(status: str, delivered_at: object, bought_at: object, run_id: object, end: dt.datetime) -> str:
    """A request's status at the end of a day, from its timestamps (the stored status is today's)."""
    if status == "cancelled":
        return "cancelled"
    if pd.notna(delivered_at) and delivered_at <= end:
        return "delivered"
    if pd.notna(bought_at) and bought_at <= end:
        return "bought"
    if status in ("bought", "delivered") and pd.isna(bought_at):
        return status
    return "in_run" if pd.notna(run_id) else "requested"


def _statuses_on(df: pd.DataFrame, end: dt.datetime) -> list[str]:
    """_status_on() of every request of a _request_rows() frame."""
    return [
        _status_on(status, delivered_at, bought_at, run_id, end)
        for status, delivered_at, bought_at, run_id in zip(
            df["status"], df["delivered_at"], df["bought_at"], df["run_id"], strict=True
        )
    ]


def _outstanding_conditions(end: dt.datetime) -> tuple:
    r = MedicineRequest
    return (
        r.requested_at <= end,
        r.status != "cancelled",
        or_(
            and_(r.bought_at.is_(None), r.status.in_(("requested", "in_run"))),
            r.bought_at > end,
        ),
    )


def outstanding_rows(session: Session, as_of: dt.date) -> tuple[list[str], list[tuple]]:
    """outstanding_requests() as its column names and rows (status_on and overdue last)."""
    end = end_of(as_of)
    result = _request_result(session, *_outstanding_conditions(end))
    columns = [*result.keys(), "status_on", "overdue"]
    rows = [tuple(r) for r in result.all()]
    if not rows:
        return columns, []
    limit = reference_moment(session, as_of) - dt.timedelta(hours=URGENT_HOURS)
    i = {name: n for n, name in enumerate(columns)}
    status, delivered, bought, run, urgency, at = (
        i[c] for c in ("status", "delivered_at", "bought_at", "run_id", "urgency", "requested_at")
    )
    return columns, [
        (
            *row,
            _status_on(row[status], row[delivered], row[bought], row[run], end),
            row[urgency] == "urgent" and row[at] < limit,
        )
        for row in rows
    ]


def outstanding_requests(session: Session, as_of: dt.date) -> pd.DataFrame:
    """Requests made by the end of as_of and not yet bought then (not cancelled), with an overdue flag.

    `overdue` marks urgent requests older than 24 h at the reference moment (now, or the day's end).
    """
    columns, rows = outstanding_rows(session, as_of)
    if not rows:
        return pd.DataFrame(rows, columns=columns[:-2]).assign(
            status_on=pd.Series(dtype=str), overdue=pd.Series(dtype=bool)
        )
    return pd.DataFrame(rows, columns=columns)


def requests_on_rows(
    session: Session, as_of: dt.date, grid_id: int | None = None
) -> tuple[list[str], list[tuple]]:
    """requests_on() as its column names and rows (status_on last)."""
    start = dt.datetime.combine(as_of - dt.timedelta(days=CHECK_DAYS), dt.time())
    end = end_of(as_of)
    conditions = [MedicineRequest.requested_at <= end, MedicineRequest.requested_at >= start]
    if grid_id is not None:
        conditions.append(Building.grid_id == grid_id)
    result = _request_result(session, *conditions)
    columns = [*result.keys(), "status_on"]
    i = {name: n for n, name in enumerate(columns)}
    status, delivered, bought, run = (i[c] for c in ("status", "delivered_at", "bought_at", "run_id"))
    return columns, [
        (*row, _status_on(row[status], row[delivered], row[bought], row[run], end)) for row in result.all()
    ]


def requests_on(session: Session, as_of: dt.date, grid_id: int | None = None) -> pd.DataFrame:
    """Every request made in the 14 days up to as_of (for the status form and the list)."""
    columns, rows = requests_on_rows(session, as_of, grid_id)
    if not rows:
        df = pd.DataFrame(rows, columns=columns[:-1])
        df["status_on"] = []
        return df
    return pd.DataFrame(rows, columns=columns)


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
