"""The household re-survey (重新排摸底数): one family = one household, not one door.

Batch 1 went out one per door and ran short because a homestead door hides 5-6 rented families.
The re-survey splits a door into its households (new households on the same door, rooms such as
"2户"), sets each household's size, and moves residents between households. Every step is audited
(actions supplies.survey.*), grid leaders work only in their own grid, and a form that edits a
household carries the version it showed, so a concurrent edit is refused instead of overwritten.

Before/after: the doors of a place are what a per-door batch counts; its households are what a
per-household batch counts; households the re-survey added are counted from the audit trail.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import String, case, cast, func, select
from sqlalchemy.orm import Session

from dashboard import audit, config, roles, validate
from dashboard.errors import StaleEdit, ValidationError
from dashboard.roles import CurrentUser
from db.models import AuditLog, Building, Compound, Grid, Household, Resident

SPLIT = "supplies.survey.split"
SIZE = "supplies.survey.size"
MOVE = "supplies.survey.move"
ACTIONS = (SPLIT, SIZE, MOVE)
MAX_SIZE = 30
_NUMBERED = re.compile(r"^(\D*)(\d+)(\D*)$")


@dataclass(frozen=True)
class NewHousehold:
    """A household found behind a door during the re-survey."""

    room: str
    size: int
    head_name: str = ""
    is_rental: bool = False


def _household(session: Session, household_id: int, version: int | None) -> Household:
    household = session.get(Household, household_id)
    if household is None:
        raise ValidationError("common.not_found", what=f"household {household_id}")
    if version is not None and int(version) != household.version:
        raise StaleEdit("common.stale")
    return household


def _size(value: object) -> int:
    return validate.count(value, "supplies.size", maximum=MAX_SIZE)


# --- reads ----------------------------------------------------------------------------------


def doors(session: Session, building_id: int) -> pd.DataFrame:
    """The doors of a building: door, households, people (sum of sizes)."""
    rows = session.execute(
        select(Household.door, func.count(), func.coalesce(func.sum(Household.size), 0))
        .where(Household.building_id == building_id)
        .group_by(Household.door)
        .order_by(func.min(Household.id))
    ).all()
    return pd.DataFrame(rows, columns=["door", "households", "people"])


def door_households(session: Session, building_id: int, door: str) -> pd.DataFrame:
    """The households behind one door: household_id, room, size, head_name, residents, version, grid_id."""
    listed = (
        select(Resident.household_id, func.count().label("n"))
        .group_by(Resident.household_id)
        .subquery("listed")
    )
    rows = session.execute(
        select(
            Household.id,
            Household.room,
            Household.size,
            Household.head_name,
            func.coalesce(listed.c.n, 0),
            Household.version,
            Building.grid_id,
        )
        .join(Building, Building.id == Household.building_id)
        .outerjoin(listed, listed.c.household_id == Household.id)
        .where(Household.building_id == building_id, Household.door == door)
        .order_by(Household.id)
    ).all()
    cols = ["household_id", "room", "size", "head_name", "residents", "version", "grid_id"]
    return pd.DataFrame(rows, columns=cols)


def building_households(session: Session, building_id: int) -> pd.DataFrame:
    """Every household of a building: household_id, door, room, size, version."""
    rows = session.execute(
        select(Household.id, Household.door, Household.room, Household.size, Household.version)
        .where(Household.building_id == building_id)
        .order_by(Household.id)
    ).all()
    return pd.DataFrame(rows, columns=["household_id", "door", "room", "size", "version"])


def household_residents(session: Session, household_id: int) -> pd.DataFrame:
    """The residents listed in a household: resident_id, name, birth_year, grid_id."""
    rows = session.execute(
        select(Resident.id, Resident.name, Resident.birth_year, Building.grid_id)
        .join(Household, Household.id == Resident.household_id)
        .join(Building, Building.id == Household.building_id)
        .where(Resident.household_id == household_id)
        .order_by(Resident.id)
    ).all()
    return pd.DataFrame(rows, columns=["resident_id", "name", "birth_year", "grid_id"])


def suggest_rooms(session: Session, building_id: int, door: str, n: int) -> list[str]:
    """n free room names for new households behind a door, following the door's own numbering
    ("1户", "2户" → "3户"); a door whose only room is the door itself gets "<door>-2", "<door>-3".
    """
    taken = set(session.scalars(select(Household.room).where(Household.building_id == building_id)))
    rooms = list(
        session.scalars(
            select(Household.room).where(Household.building_id == building_id, Household.door == door)
        )
    )
    numbered = [m for r in rooms if r != door and (m := _NUMBERED.match(r))]
    if numbered:
        prefix, suffix = numbered[0].group(1), numbered[0].group(3)
        k, make = max(int(m.group(2)) for m in numbered), lambda k: f"{prefix}{k}{suffix}"
    else:
        k, make = 1, lambda k: f"{door}-{k}"
    out: list[str] = []
    while len(out) < n:
        k += 1
        if make(k) not in taken:
            out.append(make(k))
    return out


def survey_counts(session: Session, level: str = "grid") -> pd.DataFrame:
    """Per grid or compound: doors (what a per-door batch counts) against households, before and now.

    Columns: <level>_id, <level>, doors, households_before (now minus those the re-survey added),
    households, added, people, large_households (size at or above the committee's threshold).
    """
    if level not in ("grid", "compound"):
        raise ValueError(level)
    threshold = config.int_rule(session, "large_household_threshold")
    key = Building.grid_id if level == "grid" else Building.compound_id
    model = Grid if level == "grid" else Compound
    order = Grid.number if level == "grid" else Compound.id
    door_rows = (
        select(key.label("key"), Building.id, Household.door)
        .join(Building, Building.id == Household.building_id)
        .distinct()
        .subquery("door_rows")
    )
    doors_of = dict(session.execute(select(door_rows.c.key, func.count()).group_by(door_rows.c.key)).all())
    rows = session.execute(
        select(
            key,
            model.name,
            func.count(Household.id),
            func.coalesce(func.sum(Household.size), 0),
            func.coalesce(func.sum(case((Household.size >= threshold, 1), else_=0)), 0),
        )
        .select_from(Household)
        .join(Building, Building.id == Household.building_id)
        .outerjoin(model, model.id == key)
        .group_by(key, model.name, order)
        .order_by(order)
    ).all()
    added = _added_by_survey(session, key)
    ident = f"{level}_id"
    out = pd.DataFrame(rows, columns=[ident, level, "households", "people", "large_households"])
    for col in ("households", "people", "large_households"):
        out[col] = out[col].astype(int)
    out.insert(2, "doors", [int(doors_of.get(k, 0)) for k in out[ident]])
    out["added"] = [int(added.get(k, 0)) for k in out[ident]]
    out.insert(3, "households_before", out["households"] - out["added"])
    return out


def _added_by_survey(session: Session, key: object) -> dict[object, int]:
    """Households created by the re-survey (one audit row each), per grid or compound of their building."""
    rows = session.execute(
        select(key, func.count())
        .select_from(AuditLog)
        .join(Household, cast(Household.id, String) == AuditLog.record_id)
        .join(Building, Building.id == Household.building_id)
        .where(AuditLog.action == SPLIT, AuditLog.table_name == "household")
        .group_by(key)
    ).all()
    return {k: int(n) for k, n in rows}


def survey_log(session: Session, as_of: dt.date, grid_id: int | None = None) -> pd.DataFrame:
    """The re-survey's audit rows up to the end of as_of, newest first (no personal data).

    Columns: at, username, action, grid_id, household_id, size_before, size_after, detail.
    """
    end = config.end_of(as_of)
    stmt = (
        select(AuditLog)
        .where(AuditLog.action.in_(ACTIONS), AuditLog.at <= end)
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
    )
    if grid_id is not None:
        stmt = stmt.where(AuditLog.grid_id == grid_id)
    rows = []
    for row in session.scalars(stmt):
        before, after = row.before or {}, row.after or {}
        rows.append(
            {
                "at": row.at,
                "username": row.username,
                "action": row.action,
                "grid_id": row.grid_id,
                "household_id": int(row.record_id) if row.record_id.isdigit() else None,
                "room": after.get("room") or before.get("room") or "",
                "size_before": before.get("size"),
                "size_after": after.get("size"),
                "moved": len(after.get("residents", [])) if row.action == MOVE else None,
            }
        )
    cols = [
        "at",
        "username",
        "action",
        "grid_id",
        "household_id",
        "room",
        "size_before",
        "size_after",
        "moved",
    ]
    return pd.DataFrame(rows, columns=cols)


# --- writes ---------------------------------------------------------------------------------


def resurvey_door(
    session: Session,
    user: CurrentUser,
    building_id: int,
    door: str,
    *,
    sizes: dict[int, tuple[int, int]] | None = None,
    new: list[NewHousehold] | tuple[NewHousehold, ...] = (),
    now: dt.datetime | None = None,
) -> list[int]:
    """Re-survey one door: set its households' sizes ({household_id: (size, version seen)}) and add
    the households found behind it. Returns the new households' ids.
    """
    building = session.get(Building, building_id)
    if building is None:
        raise ValidationError("common.not_found", what=f"building {building_id}")
    roles.require(user, "supplies.survey", grid_id=building.grid_id)
    now = now or config.now(session)
    door = validate.text(door, "supplies.door", max_len=30)
    behind = {
        h.id: h
        for h in session.scalars(
            select(Household).where(Household.building_id == building_id, Household.door == door)
        )
    }
    if not behind:
        raise ValidationError("supplies.unknown_door", door=door, building=building.name)
    sizes = sizes or {}
    if not sizes and not new:
        raise ValidationError("supplies.nothing_to_do")
    for hid, (_ignored, version) in sizes.items():
        if hid not in behind:
            raise ValidationError("common.not_found", what=f"household {hid}")
        if int(version) != behind[hid].version:
            raise StaleEdit("common.stale")
    changes = {hid: _size(size) for hid, (size, _) in sizes.items()}
    taken = set(session.scalars(select(Household.room).where(Household.building_id == building_id)))
    cleaned = []
    for item in new:
        room = validate.text(item.room, "common.room", max_len=30)
        if room in taken:
            raise ValidationError("supplies.room_taken", room=room, building=building.name)
        taken.add(room)
        head = validate.text(item.head_name, "supplies.head_name", max_len=60, required=False)
        cleaned.append((room, _size(item.size), head, bool(item.is_rental)))
    for hid, size in changes.items():
        household = behind[hid]
        if household.size == size:
            continue
        before = audit.snapshot(household)
        household.size = size
        session.flush()
        audit.record(
            session,
            user,
            SIZE,
            "household",
            hid,
            grid_id=building.grid_id,
            before=before,
            after=audit.snapshot(household),
            at=now,
        )
    created = []
    for room, size, head, rental in cleaned:
        household = Household(
            building_id=building_id, door=door, room=room, size=size, head_name=head, is_rental=rental
        )
        session.add(household)
        session.flush()
        audit.record(
            session,
            user,
            SPLIT,
            "household",
            household.id,
            grid_id=building.grid_id,
            after=audit.snapshot(household),
            at=now,
        )
        created.append(household.id)
    return created


def set_household_size(
    session: Session,
    user: CurrentUser,
    household_id: int,
    size: int,
    *,
    version: int,
    now: dt.datetime | None = None,
) -> None:
    """Set one household's size (people living in it), refusing a stale form."""
    household = _household(session, household_id, None)
    roles.require(user, "supplies.survey", grid_id=household.building.grid_id)
    resurvey_door(
        session, user, household.building_id, household.door, sizes={household_id: (size, version)}, now=now
    )


def move_residents(
    session: Session,
    user: CurrentUser,
    resident_ids: list[int],
    to_household_id: int,
    *,
    from_version: int,
    to_version: int,
    now: dt.datetime | None = None,
) -> int:
    """Move residents of one household into another; both sizes follow (the source never below 0).

    Grid leaders may only move between two households of their own grid. Returns how many moved.
    """
    if not resident_ids:
        raise ValidationError("supplies.none_selected")
    residents = list(session.scalars(select(Resident).where(Resident.id.in_(resident_ids))))
    if len(residents) != len(set(resident_ids)):
        raise ValidationError("common.not_found", what="resident")
    sources = {r.household_id for r in residents}
    if len(sources) != 1:
        raise ValidationError("supplies.one_source")
    source = _household(session, sources.pop(), None)
    target = _household(session, to_household_id, None)
    roles.require(user, "supplies.survey", grid_id=source.building.grid_id)
    roles.require(user, "supplies.survey", grid_id=target.building.grid_id)
    if source.id == target.id:
        raise ValidationError("supplies.same_household")
    if source.version != int(from_version) or target.version != int(to_version):
        raise StaleEdit("common.stale")
    now = now or config.now(session)
    n = len(residents)
    if target.size + n > MAX_SIZE:
        raise ValidationError("common.too_large", field=validate._label("supplies.size"), max=MAX_SIZE)
    before = {"source": audit.snapshot(source), "target": audit.snapshot(target)}
    for r in residents:
        r.household_id = target.id
    source.size = max(0, source.size - n)
    target.size = target.size + n
    session.flush()
    moved = sorted(r.id for r in residents)
    for household, role in ((source, "source"), (target, "target")):
        audit.record(
            session,
            user,
            MOVE,
            "household",
            household.id,
            grid_id=household.building.grid_id,
            before=before[role],
            after={**audit.snapshot(household), "residents": moved, "role": role},
            at=now,
        )
    return n
