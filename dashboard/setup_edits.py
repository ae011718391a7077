"""The set-up's writes by form and table: the committee's name and address, and one table's added,
changed and deleted rows (labels taken back to values, checked, refused while a row is in use,
audited); a grid added by number and name.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard import audit, config, validate
from dashboard.errors import ValidationError
from dashboard.i18n import t
from dashboard.roles import CurrentUser, require
from dashboard.setup_tables import SPECS, UNIQUE, Column, TableEdits, options
from db.models import (
    Building,
    Committee,
    EntranceChange,
    Grid,
    Household,
    Person,
    Team,
    User,
)

# --- the committee --------------------------------------------------------------------------


def _optional_float(value: Any, field_key: str, low: float, high: float) -> float | None:
    if value in (None, ""):
        return None
    try:
        x = float(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError("common.not_a_number", field=t(field_key)) from exc
    if not (low <= x <= high) or x != x:
        raise ValidationError("setup.out_of_range", field=t(field_key))
    return round(x, 7)


def save_committee(
    session: Session,
    user: CurrentUser,
    name: Any,
    *,
    street: Any = "",
    district: Any = "",
    city: Any = "",
    address: Any = "",
    center_lat: Any = None,
    center_lon: Any = None,
    now: dt.datetime | None = None,
) -> int:
    """Create the committee (first time) or change its name and address."""
    require(user, "setup.edit")
    values = {
        "name": validate.text(name, "setup.committee_name", max_len=100),
        "street": validate.text(street, "setup.street", max_len=100, required=False),
        "district": validate.text(district, "setup.district", max_len=100, required=False),
        "city": validate.text(city, "setup.city", max_len=100, required=False),
        "address": validate.text(address, "setup.address", max_len=200, required=False),
        "center_lat": _optional_float(center_lat, "setup.center_lat", -90, 90),
        "center_lon": _optional_float(center_lon, "setup.center_lon", -180, 180),
    }
    committee = config.committee(session)
    before = audit.snapshot(committee)
    if committee is None:
        committee = Committee(is_demo=False, **values)
        session.add(committee)
    else:
        for key, value in values.items():
            setattr(committee, key, value)
    session.flush()
    audit.record(
        session, user, "setup.committee", "committee", committee.id, before=before, after=values, at=now
    )
    return committee.id


# --- editable tables ------------------------------------------------------------------------


def _clean(col: Column, value: Any, opts: dict[str, dict[str, Any]], lang: str | None = None) -> Any:
    label = t(col.label_key, lang=lang)
    if isinstance(value, float) and value != value:
        value = None
    if col.kind == "bool":
        return bool(value) if value not in (None, "") else bool(col.default)
    if value in (None, ""):
        if col.required:
            raise ValidationError("common.required", field=label)
        return "" if col.kind == "text" else None
    if col.kind == "text":
        return validate.text(value, label, max_len=col.max_len, required=col.required)
    if col.kind == "int":
        n = validate.count(value, label, maximum=col.high)
        if n < col.low:
            raise ValidationError("setup.out_of_range", field=label)
        return n
    choices = opts.get(col.name, {})
    if value in choices:
        return choices[value]
    if value in choices.values():
        return value
    raise ValidationError("common.bad_choice", field=label, value=str(value)[:40])


def _check_row(kind: str, values: dict[str, Any]) -> None:
    if kind == "person":
        if values.get("cadre_level") and values.get("kind") != "cadre":
            values["cadre_level"] = None
        if values.get("volunteer_kind") and values.get("kind") != "volunteer":
            values["volunteer_kind"] = None
        if values.get("phone"):
            values["phone"] = validate.phone(values["phone"])


def _unique_clash(session: Session, kind: str, values: dict[str, Any], rid: int | None) -> None:
    model, _ = SPECS[kind]
    for name in UNIQUE.get(kind, ()):
        if name not in values:
            continue
        clash = session.scalar(select(model.id).where(getattr(model, name) == values[name]))
        if clash is not None and clash != rid:
            raise ValidationError("setup.duplicate", value=str(values[name]))
    if kind == "building" and "name" in values and "compound_id" in values:
        clash = session.scalar(
            select(Building.id).where(
                Building.compound_id == values["compound_id"], Building.name == values["name"]
            )
        )
        if clash is not None and clash != rid:
            raise ValidationError("setup.duplicate", value=str(values["name"]))


def _in_use(session: Session, kind: str, rid: int) -> bool:
    checks: dict[str, list[Any]] = {
        "compound": [select(Building.id).where(Building.compound_id == rid)],
        "building": [select(Household.id).where(Household.building_id == rid)],
        "grid": [
            select(Building.id).where(Building.grid_id == rid),
            select(User.id).where(User.grid_id == rid),
            select(Person.id).where(Person.grid_id == rid),
        ],
        "entrance": [select(EntranceChange.id).where(EntranceChange.entrance_id == rid)],
        "person": [
            select(User.id).where(User.person_id == rid),
            select(Grid.id).where(Grid.leader_id == rid),
            select(Team.id).where(Team.lead_id == rid),
        ],
        "team": [select(Person.id).where(Person.team_id == rid), select(User.id).where(User.team_id == rid)],
    }
    return any(session.scalar(stmt.limit(1)) is not None for stmt in checks[kind])


@dataclass(frozen=True)
class EditResult:
    """How many rows a table save added, changed and deleted."""

    added: int = 0
    changed: int = 0
    deleted: int = 0


def _grid_of(kind: str, obj: Any) -> int | None:
    if kind == "grid":
        return obj.id
    return getattr(obj, "grid_id", None)


def apply_edits(
    session: Session,
    user: CurrentUser,
    kind: str,
    edits: TableEdits,
    *,
    lang: str | None = None,
    now: dt.datetime | None = None,
) -> EditResult:
    """Validate and write one table's edits (labels of codes and ids are taken back to values).

    A refused row names its position: "row 3: …" for an added row, the record's id for a changed one.
    """
    require(user, "setup.edit")
    if kind not in SPECS:
        raise ValueError(kind)
    model, columns = SPECS[kind]
    by_name = {c.name: c for c in columns}
    opts = options(session, kind, lang)
    now = now or config.now(session)

    def clean(values: dict[str, Any], where: str, partial: bool) -> dict[str, Any]:
        out = {}
        for col in columns:
            if partial and col.name not in values:
                continue
            try:
                out[col.name] = _clean(col, values.get(col.name), opts, lang)
            except ValidationError as exc:
                raise ValidationError("setup.row_error", row=where, detail=exc.message(lang)) from exc
        try:
            _check_row(kind, out)
        except ValidationError as exc:
            raise ValidationError("setup.row_error", row=where, detail=exc.message(lang)) from exc
        return out

    deleted = 0
    for rid in edits.deleted:
        obj = session.get(model, rid)
        if obj is None:
            continue
        if _in_use(session, kind, rid):
            raise ValidationError("setup.in_use", value=getattr(obj, "name", rid))
        audit.record(
            session,
            user,
            f"setup.{kind}_delete",
            model.__tablename__,
            rid,
            grid_id=_grid_of(kind, obj),
            before=audit.snapshot(obj),
            at=now,
        )
        if kind == "entrance":
            for change in session.scalars(select(EntranceChange).where(EntranceChange.entrance_id == rid)):
                session.delete(change)
        session.delete(obj)
        deleted += 1
    session.flush()

    changed = 0
    for rid, change in edits.changed.items():
        obj = session.get(model, rid)
        if obj is None:
            raise ValidationError("common.not_found", what=rid)
        unknown = set(change) - set(by_name)
        if unknown:
            raise ValidationError("setup.row_error", row=f"#{rid}", detail=", ".join(sorted(unknown)))
        values = clean(change, f"#{rid}", partial=True)
        full = {c.name: getattr(obj, c.name) for c in columns} | values
        _unique_clash(session, kind, full, rid)
        before = audit.snapshot(obj)
        diff = {k: v for k, v in values.items() if getattr(obj, k) != v}
        if not diff:
            continue
        for key, value in diff.items():
            setattr(obj, key, value)
        if kind == "entrance" and "is_open" in diff:
            session.add(EntranceChange(entrance_id=obj.id, at=now, is_open=diff["is_open"], user_id=user.id))
        audit.record(
            session,
            user,
            f"setup.{kind}_edit",
            model.__tablename__,
            rid,
            grid_id=_grid_of(kind, obj),
            before=before,
            after=diff,
            at=now,
        )
        changed += 1
    session.flush()

    added = 0
    for i, row in enumerate(edits.added, start=1):
        values = clean(row, t("setup.new_row", n=i, lang=lang), partial=False)
        _unique_clash(session, kind, values, None)
        obj = model(**values)
        session.add(obj)
        session.flush()
        if kind == "entrance":
            session.add(
                EntranceChange(entrance_id=obj.id, at=now, is_open=bool(values["is_open"]), user_id=user.id)
            )
        audit.record(
            session,
            user,
            f"setup.{kind}_add",
            model.__tablename__,
            obj.id,
            grid_id=_grid_of(kind, obj),
            after=values,
            at=now,
        )
        added += 1
    return EditResult(added, changed, deleted)


def add_grid(
    session: Session, user: CurrentUser, number: Any, name: Any, *, now: dt.datetime | None = None
) -> int:
    """Create a grid (used when a grid is drawn on the map); returns its id."""
    apply_edits(session, user, "grid", TableEdits(added=[{"number": number, "name": name}]), now=now)
    return int(session.scalar(select(Grid.id).where(Grid.number == int(number))))
