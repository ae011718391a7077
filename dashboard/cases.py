"""The case register (追阳): report a positive and move it through its pipeline.

Pipeline of a case: reported → verified (by the epidemic office: secretary or admin) →
awaiting_transfer → transferred (shelter, hospital or central quarantine) → recovered. Home
isolation is an exception a manager records with a reason. Every step is a case_event with who and
when; a step may not be dated in the future nor before the step before it. Contacts live in
dashboard/contacts.py, the transfer board in dashboard/transfers.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboard import audit, config, roles, validate
from dashboard.config import end_of
from dashboard.errors import ValidationError
from dashboard.i18n import code, coded
from dashboard.roles import CurrentUser
from dashboard.store import check_version

# CONTACT_KINDS and ZONES are re-exported for the cases page's forms (pages never import db/).
from db.models import (
    CASE_CHANNELS,
    CASE_SEVERITIES,
    CASE_STATUSES,
    Building,
    Case,
    CaseEvent,
    Compound,
    Contact,
    Grid,
    Household,
    Resident,
    Retest,
    ScreeningResult,
    ScreeningRound,
    Transfer,
    User,
)
from db.models import (
    CONTACT_KINDS as CONTACT_KINDS,
)
from db.models import (
    ZONES as ZONES,
)

# The steps a case may take from each status, and the action (roles.ACTIONS) each step needs.
NEXT_STEPS: dict[str, tuple[str, ...]] = {
    "reported": ("verified",),
    "verified": ("awaiting_transfer", "home_isolation"),
    "awaiting_transfer": ("transferred", "home_isolation"),
    "transferred": ("recovered",),
    "home_isolation": ("recovered",),
    "recovered": (),
}
STEP_ACTION = {
    "verified": "cases.verify",
    "awaiting_transfer": "cases.update",
    "transferred": "cases.transfer",
    "home_isolation": "cases.verify",  # an exception to 应转尽转: the epidemic office decides
    "recovered": "cases.update",
}
TRANSFER_DESTINATIONS = ("shelter", "hospital", "quarantine_hotel")
ACTIVE_STATUSES = tuple(s for s in CASE_STATUSES if s != "recovered")


# --- where a resident lives -----------------------------------------------------------------


def grid_of_resident(session: Session, resident_id: int) -> int | None:
    """The grid of the building the resident lives in."""
    return session.scalar(
        select(Building.grid_id)
        .join(Household, Household.building_id == Building.id)
        .join(Resident, Resident.household_id == Household.id)
        .where(Resident.id == resident_id)
    )


def find_resident(session: Session, resident_id: object) -> Resident:
    resident = session.get(Resident, resident_id) if isinstance(resident_id, int) else None
    if resident is None:
        raise ValidationError("common.not_found", what=f"resident {resident_id}")
    return resident


def find_case(session: Session, case_id: object) -> Case:
    row = session.get(Case, case_id) if isinstance(case_id, int) else None
    if row is None:
        raise ValidationError("common.not_found", what=f"case {case_id}")
    return row


# --- writes: the case pipeline --------------------------------------------------------------


def latest_sampling(session: Session, round_id: int, resident_id: int) -> dt.datetime:
    """When the resident was last sampled in a round (pool or single-tube retest); the round's day
    at midnight when nothing is recorded."""
    rnd = session.get(ScreeningRound, round_id)
    if rnd is None:
        raise ValidationError("common.not_found", what=f"round {round_id}")
    sampled = session.scalar(
        select(ScreeningResult.sampled_at).where(
            ScreeningResult.round_id == round_id, ScreeningResult.resident_id == resident_id
        )
    )
    retest = session.scalar(
        select(Retest.opened_at).where(Retest.round_id == round_id, Retest.resident_id == resident_id)
    )
    moments = [m for m in (sampled, retest) if m is not None]
    return max(moments) if moments else dt.datetime.combine(rnd.date, dt.time())


def report_case(
    session: Session,
    user: CurrentUser,
    resident_id: int,
    found_at: dt.datetime,
    channel: str,
    severity: str,
    *,
    source_round_id: int | None = None,
    note: str = "",
    now: dt.datetime | None = None,
) -> Case:
    """Register a positive: the case, its 'reported' step and its transfer request (应转尽转)."""
    now = now or config.now(session)
    resident = find_resident(session, resident_id)
    grid_id = grid_of_resident(session, resident.id)
    roles.require(user, "cases.report", grid_id=grid_id)
    channel = validate.choice(channel, CASE_CHANNELS, "cases.channel")
    severity = validate.choice(severity, CASE_SEVERITIES, "cases.severity")
    note = validate.text(note, "common.note", max_len=200, required=False)
    earliest = latest_sampling(session, source_round_id, resident.id) if source_round_id is not None else None
    found_at = validate.moment(found_at, now=now, not_before=earliest)
    active = session.scalar(
        select(Case).where(Case.resident_id == resident.id, Case.status != "recovered").limit(1)
    )
    if active is not None:
        raise ValidationError("cases.already_active", case=active.id, found=active.found_on.isoformat())
    recovered = session.scalar(select(func.max(Case.recovered_on)).where(Case.resident_id == resident.id))
    if recovered is not None and found_at.date() <= recovered:
        raise ValidationError("cases.before_recovery", recovered=recovered.isoformat())
    row = Case(
        resident_id=resident.id,
        found_on=found_at.date(),
        found_at=found_at,
        channel=channel,
        severity=severity,
        status="reported",
        source_round_id=source_round_id,
        note=note,
    )
    row.events.append(CaseEvent(status="reported", at=found_at, user_id=user.id, note=note))
    session.add(row)
    session.flush()
    session.add(Transfer(case_id=row.id, requested_at=found_at))
    session.flush()
    audit.record(
        session,
        user,
        "cases.report",
        "case_record",
        row.id,
        grid_id=grid_id,
        after=audit.snapshot(row),
        at=now,
    )
    return row


def last_step_at(session: Session, case_id: int) -> dt.datetime | None:
    """When the case took its latest step."""
    return session.scalar(select(func.max(CaseEvent.at)).where(CaseEvent.case_id == case_id))


def advance_case(
    session: Session,
    user: CurrentUser,
    case_id: int,
    to_status: str,
    *,
    at: dt.datetime,
    destination: str | None = None,
    reason: str | None = None,
    expected_version: int | None,
    now: dt.datetime | None = None,
) -> Case:
    """Move a case one step along its pipeline (see NEXT_STEPS), timestamped with who and when."""
    now = now or config.now(session)
    row = find_case(session, case_id)
    grid_id = grid_of_resident(session, row.resident_id)
    to_status = validate.choice(to_status, CASE_STATUSES, "cases.status")
    if to_status not in NEXT_STEPS[row.status]:
        raise ValidationError(
            "cases.bad_step",
            current=code("case_status", row.status),
            target=code("case_status", to_status),
            allowed=" / ".join(code("case_status", s) for s in NEXT_STEPS[row.status]) or "—",
        )
    roles.require(user, STEP_ACTION[to_status], grid_id=grid_id)
    check_version(row, expected_version)
    at = validate.moment(at, now=now, not_before=last_step_at(session, row.id) or row.found_at)
    before = audit.snapshot(row)
    transfer = session.scalar(select(Transfer).where(Transfer.case_id == row.id))
    note = ""
    if to_status == "verified":
        row.verified_at = at
    elif to_status == "transferred":
        dest = validate.choice(destination, TRANSFER_DESTINATIONS, "cases.destination")
        row.destination = dest
        row.transferred_at = at
        if transfer is None:
            transfer = Transfer(case_id=row.id, requested_at=row.found_at)
            session.add(transfer)
        transfer.done_at = at
        transfer.destination = dest
    elif to_status == "home_isolation":
        note = validate.text(reason, "cases.reason", max_len=200)
        row.home_isolation_reason = note
        row.destination = "home"
        # The request is closed, not fulfilled: the daily transfer figures leave 'home' out.
        if transfer is not None and transfer.done_at is None:
            transfer.done_at = at
            transfer.destination = "home"
    elif to_status == "recovered":
        row.recovered_on = at.date()
    row.status = to_status
    row.events.append(CaseEvent(status=to_status, at=at, user_id=user.id, note=note))
    session.flush()
    audit.record(
        session,
        user,
        f"cases.{to_status}",
        "case_record",
        row.id,
        grid_id=grid_id,
        before=before,
        after=audit.snapshot(row),
        at=now,
    )
    return row


# --- reads ----------------------------------------------------------------------------------


def _place_columns() -> tuple[object, ...]:
    return (
        Grid.number.label("grid"),
        Compound.name.label("compound"),
        Building.name.label("building"),
        Household.room.label("room"),
    )


def status_as_of(as_of: dt.date):  # noqa: ANN201 - a SQL subquery
    """case_id → the status of each case at the end of as_of (its latest step by then)."""
    ranked = (
        select(
            CaseEvent.case_id,
            CaseEvent.status,
            func.row_number()
            .over(partition_by=CaseEvent.case_id, order_by=(CaseEvent.at.desc(), CaseEvent.id.desc()))
            .label("rn"),
        )
        .where(CaseEvent.at <= end_of(as_of))
        .subquery()
    )
    return select(ranked.c.case_id, ranked.c.status).where(ranked.c.rn == 1).subquery()


def case_register(
    session: Session, as_of: dt.date, *, grid_id: int | None = None, active_only: bool = False
) -> pd.DataFrame:
    """Cases found up to as_of with their status as it stood at the end of that day (newest first)."""
    latest = status_as_of(as_of)
    contacts = (
        select(Contact.case_id, func.count().label("contacts"))
        .where(Contact.identified_on <= as_of)
        .group_by(Contact.case_id)
        .subquery()
    )
    status = func.coalesce(latest.c.status, "reported")
    stmt = (
        select(
            Case.id.label("case_id"),
            Case.version,
            Case.resident_id,
            Resident.name.label("name"),
            Building.grid_id,
            *_place_columns(),
            Case.found_on,
            Case.found_at,
            Case.channel,
            Case.severity,
            status.label("status"),
            Case.destination,
            Case.transferred_at,
            Case.recovered_on,
            func.coalesce(contacts.c.contacts, 0).label("contacts"),
        )
        .join(Resident, Resident.id == Case.resident_id)
        .join(Household, Household.id == Resident.household_id)
        .join(Building, Building.id == Household.building_id)
        .join(Compound, Compound.id == Building.compound_id)
        .outerjoin(Grid, Grid.id == Building.grid_id)
        .outerjoin(latest, latest.c.case_id == Case.id)
        .outerjoin(contacts, contacts.c.case_id == Case.id)
        .where(Case.found_on <= as_of)
        .order_by(Case.found_at.desc(), Case.id.desc())
    )
    if grid_id is not None:
        stmt = stmt.where(Building.grid_id == grid_id)
    if active_only:
        stmt = stmt.where(status != "recovered")
    df = pd.DataFrame(session.execute(stmt).mappings().all())
    if df.empty:
        return pd.DataFrame(
            columns=[
                "case_id", "version", "resident_id", "name", "grid_id", "grid", "compound", "building",
                "room", "found_on", "found_at", "channel", "severity", "status", "destination",
                "transferred_at", "recovered_on", "contacts",
            ]
        )  # fmt: skip
    # What had not happened by as_of is not shown.
    end = end_of(as_of)
    moved = df["transferred_at"].map(lambda v: v is not None and not pd.isna(v) and v <= end)
    df.loc[~moved, "transferred_at"] = None
    df.loc[df["status"].isin(["reported", "verified", "awaiting_transfer"]), "destination"] = None
    df["recovered_on"] = [
        v if v is not None and not pd.isna(v) and v <= as_of else None for v in df["recovered_on"]
    ]
    return df


REGISTER_CODES = {
    "channel": "case_channel",
    "severity": "case_severity",
    "destination": "destination",
    "status": "case_status",
}


def register_table(session: Session, as_of: dt.date, active_only: bool, lang: str) -> pd.DataFrame:
    """case_register() as the cases page lists it: its codes in words of lang (mask per user)."""
    return coded(case_register(session, as_of, active_only=active_only), REGISTER_CODES, lang)


def case_counts(session: Session, as_of: dt.date) -> dict[str, int]:
    """Cases per status at the end of as_of (every status present, zero when none)."""
    latest = status_as_of(as_of)
    status = func.coalesce(latest.c.status, "reported")
    rows = session.execute(
        select(status, func.count())
        .select_from(Case)
        .outerjoin(latest, latest.c.case_id == Case.id)
        .where(Case.found_on <= as_of)
        .group_by(status)
    ).all()
    found = {s: int(n) for s, n in rows}
    return {s: found.get(s, 0) for s in CASE_STATUSES}


@dataclass(frozen=True)
class CaseStep:
    status: str
    at: dt.datetime
    username: str
    note: str


def case_steps(session: Session, case_id: int) -> list[CaseStep]:
    """The pipeline of one case: each step with when and who."""
    rows = session.execute(
        select(CaseEvent.status, CaseEvent.at, func.coalesce(User.username, ""), CaseEvent.note)
        .outerjoin(User, User.id == CaseEvent.user_id)
        .where(CaseEvent.case_id == case_id)
        .order_by(CaseEvent.at, CaseEvent.id)
    ).all()
    return [CaseStep(s, a, u, n) for s, a, u, n in rows]


def buildings_for(session: Session, grid_id: int | None = None) -> pd.DataFrame:
    """Buildings (compound, name, grid) to pick from, confined to one grid when given."""
    stmt = (
        select(
            Building.id.label("building_id"),
            Building.compound_id,
            Compound.name.label("compound"),
            Building.name.label("building"),
            Building.grid_id,
        )
        .join(Compound, Compound.id == Building.compound_id)
        .order_by(Compound.name, Building.id)
    )
    if grid_id is not None:
        stmt = stmt.where(Building.grid_id == grid_id)
    return pd.DataFrame(
        session.execute(stmt).mappings().all(),
        columns=["building_id", "compound_id", "compound", "building", "grid_id"],
    )


def building_labels(session: Session, grid_id: int | None = None) -> dict[int, str]:
    """buildings_for() as a picker's labels: building_id → "compound building", in its order."""
    df = buildings_for(session, grid_id)
    return {
        int(b): f"{c} {n}" for b, c, n in zip(df["building_id"], df["compound"], df["building"], strict=True)
    }


def buildings_of_compound(session: Session, compound_id: int) -> dict[int, str]:
    """A compound's buildings for a picker: building_id → name, in buildings_for()'s order."""
    rows = session.execute(
        select(Building.id, Building.name).where(Building.compound_id == compound_id).order_by(Building.id)
    ).all()
    return {int(b): n for b, n in rows}


def residents_in(
    session: Session, building_id: int, *, room: str = "", grid_id: int | None = None
) -> pd.DataFrame:
    """Residents of a building (optionally of rooms starting with `room`), within one grid when given."""
    stmt = (
        select(
            Resident.id.label("resident_id"),
            Resident.name,
            Resident.birth_year,
            Household.room,
            Household.id.label("household_id"),
            Building.grid_id,
        )
        .join(Household, Household.id == Resident.household_id)
        .join(Building, Building.id == Household.building_id)
        .where(Building.id == building_id)
        .order_by(Household.room, Resident.birth_year, Resident.id)
    )
    room = (room or "").strip()
    if room:
        stmt = stmt.where(Household.room.like(room.replace("%", "").replace("_", "") + "%"))
    if grid_id is not None:
        stmt = stmt.where(Building.grid_id == grid_id)
    return pd.DataFrame(
        session.execute(stmt).mappings().all(),
        columns=["resident_id", "name", "birth_year", "room", "household_id", "grid_id"],
    )
