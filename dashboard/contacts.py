"""Contacts (追密): close and secondary contacts of a case, and contacts of contacts, added in one
step with the case's household prefilled; each goes identified → notified → central quarantine
(a transfer request to a quarantine hotel) or home quarantine → released on a date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session, aliased

from dashboard import audit, config, roles, validate
from dashboard.cases import end_of, find_case, find_resident, grid_of_resident
from dashboard.errors import ValidationError
from dashboard.i18n import code, coded
from dashboard.roles import CurrentUser
from dashboard.store import check_version
from db.models import (
    CONTACT_KINDS,
    CONTACT_STATUSES,
    Building,
    Case,
    Contact,
    Household,
    Resident,
    Transfer,
)

CONTACT_NEXT: dict[str, tuple[str, ...]] = {
    "identified": ("notified",),
    "notified": ("central_quarantine", "home_quarantine"),
    "central_quarantine": ("released",),
    "home_quarantine": ("released",),
    "released": (),
}

# --- writes: contacts -----------------------------------------------------------------------


@dataclass(frozen=True)
class NewContact:
    """One contact to add: a resident, or someone from outside the area by name."""

    kind: str = "close"
    resident_id: int | None = None
    outside_name: str = ""
    parent_contact_id: int | None = None


def add_contacts(
    session: Session,
    user: CurrentUser,
    case_id: int,
    contacts: Sequence[NewContact],
    *,
    identified_on: dt.date,
    now: dt.datetime | None = None,
) -> list[Contact]:
    """Link close and secondary contacts (and contacts of contacts) to a case in one step."""
    now = now or config.now(session)
    row = find_case(session, case_id)
    case_grid = grid_of_resident(session, row.resident_id)
    roles.require(user, "cases.contact", grid_id=case_grid)
    if not contacts:
        raise ValidationError("cases.no_contacts")
    identified_on = validate.day(identified_on, today=now.date(), not_before=row.found_on)
    existing = set(
        session.scalars(
            select(Contact.resident_id).where(Contact.case_id == row.id, Contact.resident_id.is_not(None))
        )
    )
    parents = set(session.scalars(select(Contact.id).where(Contact.case_id == row.id)))
    seen: set[int] = set()
    added: list[Contact] = []
    for entry in contacts:
        kind = validate.choice(entry.kind, CONTACT_KINDS, "cases.contact_kind")
        if entry.parent_contact_id is not None and entry.parent_contact_id not in parents:
            raise ValidationError("cases.bad_parent")
        grid_id = case_grid
        resident_id = None
        outside = ""
        if entry.resident_id is not None:
            resident = find_resident(session, entry.resident_id)
            resident_id = resident.id
            grid_id = grid_of_resident(session, resident_id)
            roles.require(user, "cases.contact", grid_id=grid_id)
            if resident_id == row.resident_id:
                raise ValidationError("cases.contact_is_the_case")
            if resident_id in existing or resident_id in seen:
                raise ValidationError("cases.contact_exists", name=resident.name)
            is_case = session.scalar(
                select(Case.id).where(Case.resident_id == resident_id, Case.status != "recovered").limit(1)
            )
            if is_case is not None:
                raise ValidationError("cases.contact_is_active_case", name=resident.name)
            seen.add(resident_id)
        else:
            outside = validate.text(entry.outside_name, "cases.outside_name", max_len=60)
        contact = Contact(
            case_id=row.id,
            parent_contact_id=entry.parent_contact_id,
            resident_id=resident_id,
            outside_name=outside,
            kind=kind,
            status="identified",
            identified_on=identified_on,
        )
        session.add(contact)
        session.flush()
        audit.record(
            session,
            user,
            "cases.contact_add",
            "contact",
            contact.id,
            grid_id=grid_id,
            after=audit.snapshot(contact),
            at=now,
        )
        added.append(contact)
    return added


def contact_grid(session: Session, contact: Contact) -> int | None:
    """The grid responsible for a contact: where they live, else where their case lives."""
    if contact.resident_id is not None:
        return grid_of_resident(session, contact.resident_id)
    case_resident = session.scalar(select(Case.resident_id).where(Case.id == contact.case_id))
    return grid_of_resident(session, case_resident) if case_resident is not None else None


def advance_contact(
    session: Session,
    user: CurrentUser,
    contact_id: int,
    to_status: str,
    *,
    at: dt.datetime,
    expected_version: int | None,
    now: dt.datetime | None = None,
) -> Contact:
    """Move a contact one step: notified, into central or home quarantine, released (on at's day)."""
    now = now or config.now(session)
    contact = session.get(Contact, contact_id) if isinstance(contact_id, int) else None
    if contact is None:
        raise ValidationError("common.not_found", what=f"contact {contact_id}")
    grid_id = contact_grid(session, contact)
    to_status = validate.choice(to_status, CONTACT_STATUSES, "cases.contact_status")
    if to_status not in CONTACT_NEXT[contact.status]:
        raise ValidationError(
            "cases.bad_step",
            current=code("contact_status", contact.status),
            target=code("contact_status", to_status),
            allowed=" / ".join(code("contact_status", s) for s in CONTACT_NEXT[contact.status]) or "—",
        )
    roles.require(user, "cases.contact", grid_id=grid_id)
    check_version(contact, expected_version)
    previous = (
        contact.quarantined_at or contact.notified_at or dt.datetime.combine(contact.identified_on, dt.time())
    )
    at = validate.moment(at, now=now, not_before=previous)
    before = audit.snapshot(contact)
    transfer = session.scalar(select(Transfer).where(Transfer.contact_id == contact.id))
    if to_status == "notified":
        contact.notified_at = at
    elif to_status in ("central_quarantine", "home_quarantine"):
        contact.quarantined_at = at
        if to_status == "central_quarantine" and transfer is None:
            session.add(Transfer(contact_id=contact.id, requested_at=at, destination="quarantine_hotel"))
    elif to_status == "released":
        if transfer is not None and (transfer.done_at is None or transfer.done_at > at):
            raise ValidationError("cases.release_before_transfer")
        contact.released_on = at.date()
    contact.status = to_status
    session.flush()
    audit.record(
        session,
        user,
        f"cases.contact_{to_status}",
        "contact",
        contact.id,
        grid_id=grid_id,
        before=before,
        after=audit.snapshot(contact),
        at=now,
    )
    return contact


def _contact_status_as_of(as_of: dt.date, has_transfer: object):  # noqa: ANN202 - a SQL expression
    end = end_of(as_of)
    return case(
        (and_(Contact.released_on.is_not(None), Contact.released_on <= as_of), "released"),
        (
            and_(Contact.quarantined_at.is_not(None), Contact.quarantined_at <= end),
            case((has_transfer, "central_quarantine"), else_="home_quarantine"),
        ),
        (and_(Contact.notified_at.is_not(None), Contact.notified_at <= end), "notified"),
        else_="identified",
    )


def contacts_of(
    session: Session, as_of: dt.date, *, case_id: int | None = None, grid_id: int | None = None
) -> pd.DataFrame:
    """Contacts identified up to as_of, with their status at the end of that day."""
    case_res, case_hh, case_bld = aliased(Resident), aliased(Household), aliased(Building)
    has_transfer = Transfer.id.is_not(None)
    status = _contact_status_as_of(as_of, has_transfer)
    grid_col = func.coalesce(Building.grid_id, case_bld.grid_id)
    stmt = (
        select(
            Contact.id.label("contact_id"),
            Contact.version,
            Contact.case_id,
            Contact.parent_contact_id,
            Contact.kind,
            Contact.resident_id,
            func.coalesce(Resident.name, Contact.outside_name).label("name"),
            (Contact.resident_id.is_(None)).label("outside"),
            grid_col.label("grid_id"),
            Building.name.label("building"),
            Household.room.label("room"),
            case_res.name.label("case_name"),
            status.label("status"),
            Contact.identified_on,
            Contact.notified_at,
            Contact.quarantined_at,
            Contact.released_on,
        )
        .join(Case, Case.id == Contact.case_id)
        .join(case_res, case_res.id == Case.resident_id)
        .join(case_hh, case_hh.id == case_res.household_id)
        .join(case_bld, case_bld.id == case_hh.building_id)
        .outerjoin(Resident, Resident.id == Contact.resident_id)
        .outerjoin(Household, Household.id == Resident.household_id)
        .outerjoin(Building, Building.id == Household.building_id)
        .outerjoin(Transfer, Transfer.contact_id == Contact.id)
        .where(Contact.identified_on <= as_of)
        .order_by(Contact.case_id.desc(), Contact.id)
    )
    if case_id is not None:
        stmt = stmt.where(Contact.case_id == case_id)
    if grid_id is not None:
        stmt = stmt.where(grid_col == grid_id)
    df = pd.DataFrame(session.execute(stmt).mappings().all())
    if df.empty:
        return pd.DataFrame(
            columns=[
                "contact_id", "version", "case_id", "parent_contact_id", "kind", "resident_id", "name",
                "outside", "grid_id", "building", "room", "case_name", "status", "identified_on",
                "notified_at", "quarantined_at", "released_on",
            ]
        )  # fmt: skip
    # What had not happened by as_of is not shown.
    end = end_of(as_of)
    for col in ("notified_at", "quarantined_at"):
        df[col] = [v if v is not None and not pd.isna(v) and v <= end else None for v in df[col]]
    df["released_on"] = [
        v if v is not None and not pd.isna(v) and v <= as_of else None for v in df["released_on"]
    ]
    return df


def contacts_table(
    session: Session, as_of: dt.date, lang: str, *, case_id: int | None = None
) -> pd.DataFrame:
    """contacts_of() as the cases page lists it: kind and status in words of lang (mask per user)."""
    return coded(
        contacts_of(session, as_of, case_id=case_id),
        {"kind": "contact_kind", "status": "contact_status"},
        lang,
    )


def contact_counts(session: Session, as_of: dt.date) -> dict[str, int]:
    """Contacts per status at the end of as_of."""
    status = _contact_status_as_of(as_of, Transfer.id.is_not(None))
    rows = session.execute(
        select(status, func.count())
        .select_from(Contact)
        .outerjoin(Transfer, Transfer.contact_id == Contact.id)
        .where(Contact.identified_on <= as_of)
        .group_by(status)
    ).all()
    found = {s: int(n) for s, n in rows}
    return {s: found.get(s, 0) for s in CONTACT_STATUSES}


def household_members(session: Session, case_id: int) -> pd.DataFrame:
    """The case's household, less the case itself and those already linked as its contacts."""
    row = find_case(session, case_id)
    household_id = session.scalar(select(Resident.household_id).where(Resident.id == row.resident_id))
    linked = select(Contact.resident_id).where(Contact.case_id == case_id, Contact.resident_id.is_not(None))
    rows = session.execute(
        select(Resident.id.label("resident_id"), Resident.name, Resident.birth_year, Building.grid_id)
        .join(Household, Household.id == Resident.household_id)
        .join(Building, Building.id == Household.building_id)
        .where(
            Resident.household_id == household_id,
            Resident.id != row.resident_id,
            Resident.id.not_in(linked),
        )
        .order_by(Resident.birth_year, Resident.id)
    ).mappings()
    return pd.DataFrame(rows.all(), columns=["resident_id", "name", "birth_year", "grid_id"])
