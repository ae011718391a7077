"""Households and residents by hand: a household added to a building or changed (refused when
someone changed it meanwhile), a resident added to a household, and a building's households for the
edit form.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard import audit, config, validate
from dashboard.errors import ValidationError
from dashboard.i18n import t
from dashboard.roles import CurrentUser, require
from dashboard.store import check_version
from db.models import (
    Building,
    Household,
    Resident,
)

# --- households and residents by hand -------------------------------------------------------


def _household_values(
    session: Session, building_id: Any, room: Any, door: Any, size: Any, is_rental: Any, head_name: Any
) -> dict[str, Any]:
    if session.get(Building, building_id) is None:
        raise ValidationError("common.required", field=t("common.building"))
    room = validate.text(room, "common.room", max_len=30)
    size = validate.count(size, "setup.col.size", maximum=99)
    if size == 0:
        raise ValidationError("ledger.reject.zero_size")
    return {
        "building_id": int(building_id),
        "room": room,
        "door": validate.text(door, "setup.col.door", max_len=30, required=False) or room,
        "size": size,
        "is_rental": bool(is_rental),
        "head_name": validate.text(head_name, "setup.col.head_name", max_len=60, required=False),
    }


def save_household(
    session: Session,
    user: CurrentUser,
    building_id: Any,
    room: Any,
    *,
    door: Any = "",
    size: Any = 1,
    is_rental: Any = False,
    head_name: Any = "",
    household_id: int | None = None,
    version: int | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Add a household to a building, or change one (refused if someone changed it meanwhile)."""
    require(user, "setup.edit")
    values = _household_values(session, building_id, room, door, size, is_rental, head_name)
    clash = session.scalar(
        select(Household.id).where(
            Household.building_id == values["building_id"], Household.room == values["room"]
        )
    )
    if clash is not None and clash != household_id:
        raise ValidationError("setup.duplicate", value=values["room"])
    grid_id = session.scalar(select(Building.grid_id).where(Building.id == values["building_id"]))
    if household_id is None:
        household = Household(**values)
        session.add(household)
        session.flush()
        audit.record(
            session,
            user,
            "setup.household_add",
            "household",
            household.id,
            grid_id=grid_id,
            after=values,
            at=now,
        )
        return household.id
    household = session.get(Household, household_id)
    if household is None:
        raise ValidationError("common.not_found", what=household_id)
    check_version(household, version)
    before = audit.snapshot(household)
    for key, value in values.items():
        setattr(household, key, value)
    audit.record(
        session,
        user,
        "setup.household_edit",
        "household",
        household.id,
        grid_id=grid_id,
        before=before,
        after=values,
        at=now,
    )
    return household.id


def add_resident(
    session: Session,
    user: CurrentUser,
    household_id: Any,
    name: Any,
    sex: Any,
    birth_year: Any,
    *,
    phone: Any = "",
    id_number: Any = None,
    is_chronic: bool = False,
    chronic_condition: Any = "",
    lives_alone: bool = False,
    is_bedridden: bool = False,
    now: dt.datetime | None = None,
) -> int:
    """Add one resident to a household."""
    require(user, "setup.edit")
    household = session.get(Household, household_id)
    if household is None:
        raise ValidationError("common.required", field=t("common.household"))
    year = validate.count(birth_year, "setup.col.birth_year", maximum=config.today(session).year)
    if year < 1900:
        raise ValidationError("setup.out_of_range", field=t("setup.col.birth_year"))
    values = {
        "household_id": household.id,
        "name": validate.text(name, "common.name", max_len=60),
        "sex": validate.choice(sex, ("M", "F"), "setup.col.sex"),
        "birth_year": year,
        "phone": validate.phone(phone),
        "id_number": validate.id_number(id_number),
        "is_chronic": bool(is_chronic or chronic_condition),
        "chronic_condition": validate.text(
            chronic_condition, "setup.col.chronic", max_len=100, required=False
        ),
        "lives_alone": bool(lives_alone),
        "is_bedridden": bool(is_bedridden),
    }
    if values["id_number"] and session.scalar(
        select(Resident.id).where(Resident.id_number == values["id_number"])
    ):
        raise ValidationError("setup.duplicate", value=values["id_number"][:4] + "…")
    resident = Resident(**values)
    session.add(resident)
    session.flush()
    grid_id = session.scalar(select(Building.grid_id).where(Building.id == household.building_id))
    audit.record(
        session,
        user,
        "setup.resident_add",
        "resident",
        resident.id,
        grid_id=grid_id,
        after={k: v for k, v in values.items() if k not in ("phone", "id_number")},
        at=now,
    )
    return resident.id


def households_of(session: Session, building_id: int) -> pd.DataFrame:
    """The households of one building with their version (for the edit form)."""
    rows = session.execute(
        select(
            Household.id,
            Household.room,
            Household.door,
            Household.size,
            Household.is_rental,
            Household.head_name,
            Household.version,
        )
        .where(Household.building_id == building_id)
        .order_by(Household.room)
    ).all()
    return pd.DataFrame(rows, columns=["id", "room", "door", "size", "is_rental", "head_name", "version"])
