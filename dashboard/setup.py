"""Setting up a committee: its name, compounds, buildings, households, grids, entrances, staff and
teams, by hand (small forms and editable tables), and the checklist of what is still missing.

Editable tables come back from st.data_editor keyed by row *position*; `edits_from_editor` maps
them to primary keys before `apply_edits` validates and writes them, so a sorted or filtered table
can never write into the wrong row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboard import audit, config, validate
from dashboard.errors import ValidationError
from dashboard.i18n import code, t
from dashboard.roles import CurrentUser, require
from dashboard.store import check_version
from db.models import (
    CADRE_LEVELS,
    COMPOUND_KINDS,
    PERSON_KINDS,
    TEAM_KINDS,
    VOLUNTEER_KINDS,
    Building,
    Committee,
    Compound,
    Entrance,
    EntranceChange,
    Grid,
    Household,
    Person,
    Resident,
    Team,
    User,
)

# --- the checklist --------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One item of the set-up checklist: done or not, and how many things are missing."""

    key: str
    done: bool
    missing_key: str
    count: int = 0
    required: bool = True

    @property
    def label_key(self) -> str:
        return f"setup.check.{self.key}"


def _n(session: Session, stmt: Any) -> int:
    return int(session.scalar(stmt) or 0)


def readiness(session: Session) -> list[Step]:
    """What is done and what is still missing before the committee can start, in set-up order."""
    committee = config.committee(session)
    compounds = _n(session, select(func.count()).select_from(Compound))
    buildings = _n(session, select(func.count()).select_from(Building))
    households = _n(session, select(func.count()).select_from(Household))
    residents = _n(session, select(func.count()).select_from(Resident))
    grids = _n(session, select(func.count()).select_from(Grid))
    unassigned = _n(session, select(func.count()).select_from(Building).where(Building.grid_id.is_(None)))
    unplaced = _n(session, select(func.count()).select_from(Building).where(Building.lat.is_(None)))
    leaderless = _n(session, select(func.count()).select_from(Grid).where(Grid.leader_id.is_(None)))
    entrances = _n(session, select(func.count()).select_from(Entrance))
    staff = _n(
        session,
        select(func.count()).select_from(Person).where(Person.active, Person.kind == "committee_staff"),
    )
    teams = _n(session, select(func.count()).select_from(Team))
    with_account = select(User.grid_id).where(
        User.role == "grid_leader", User.active, User.grid_id.is_not(None)
    )
    no_account = _n(session, select(func.count()).select_from(Grid).where(Grid.id.not_in(with_account)))
    # A step that depends on an earlier one names the earlier one while that is missing.
    no_buildings = "" if buildings else "setup.missing.buildings"
    no_grids = "" if grids else "setup.missing.grids"
    return [
        Step("committee", committee is not None and bool(committee.name), "setup.missing.committee"),
        Step("compounds", compounds > 0, "setup.missing.compounds", compounds),
        Step("buildings", buildings > 0, "setup.missing.buildings", buildings),
        Step("households", households > 0, "setup.missing.households", households),
        Step("residents", residents > 0, "setup.missing.residents", residents),
        Step("grids", grids > 0, "setup.missing.grids", grids),
        Step(
            "assigned",
            buildings > 0 and unassigned == 0,
            no_buildings or "setup.missing.assigned",
            unassigned,
        ),
        Step(
            "placed",
            buildings > 0 and unplaced == 0,
            no_buildings or "setup.missing.placed",
            unplaced,
            required=False,
        ),
        Step("leaders", grids > 0 and leaderless == 0, no_grids or "setup.missing.leaders", leaderless),
        Step("entrances", entrances > 0, "setup.missing.entrances", entrances),
        Step("staff", staff > 0, "setup.missing.staff", staff),
        Step("teams", teams > 0, "setup.missing.teams", teams, required=False),
        Step("accounts", grids > 0 and no_account == 0, no_grids or "setup.missing.accounts", no_account),
    ]


def is_ready(session: Session) -> bool:
    """True when every required step is done."""
    return all(s.done for s in readiness(session) if s.required)


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


@dataclass(frozen=True)
class Column:
    """One editable column: how it is shown (label key) and how an edited value is checked."""

    name: str
    label_key: str
    kind: str = "text"  # text | int | bool | code | ref
    required: bool = False
    max_len: int = 100
    codes: tuple[str, ...] = ()
    code_kind: str = ""
    ref: str = ""  # the table an id column points to (compound, grid, person, team)
    low: int = 0
    high: int = 1_000_000
    default: Any = None  # the value of a new row that leaves the column empty


SPECS: dict[str, tuple[type, tuple[Column, ...]]] = {
    "compound": (
        Compound,
        (
            Column("name", "setup.col.name", required=True),
            Column(
                "kind",
                "setup.col.compound_kind",
                "code",
                True,
                codes=COMPOUND_KINDS,
                code_kind="compound_kind",
            ),
            Column("address", "setup.col.address", max_len=200),
        ),
    ),
    "building": (
        Building,
        (
            Column("compound_id", "common.compound", "ref", True, ref="compound"),
            Column("name", "setup.col.name", required=True, max_len=60),
            Column("floors", "setup.col.floors", "int", high=200),
            Column("grid_id", "common.grid", "ref", ref="grid"),
        ),
    ),
    "grid": (
        Grid,
        (
            Column("number", "setup.col.number", "int", True, low=1, high=999),
            Column("name", "setup.col.name", required=True, max_len=60),
            Column("leader_id", "setup.col.leader", "ref", ref="person"),
        ),
    ),
    "entrance": (
        Entrance,
        (
            Column("name", "setup.col.name", required=True),
            Column("road", "setup.col.road", max_len=60),
            Column("is_open", "setup.col.is_open", "bool"),
        ),
    ),
    "person": (
        Person,
        (
            Column("name", "common.name", required=True, max_len=60),
            Column("phone", "common.phone", max_len=20),
            Column(
                "kind", "setup.col.person_kind", "code", True, codes=PERSON_KINDS, code_kind="person_kind"
            ),
            Column(
                "cadre_level", "setup.col.cadre_level", "code", codes=CADRE_LEVELS, code_kind="cadre_level"
            ),
            Column(
                "volunteer_kind",
                "setup.col.volunteer_kind",
                "code",
                codes=VOLUNTEER_KINDS,
                code_kind="volunteer_kind",
            ),
            Column("organisation", "setup.col.organisation"),
            Column("team_id", "common.team", "ref", ref="team"),
            Column("grid_id", "common.grid", "ref", ref="grid"),
            Column("active", "setup.col.active", "bool", default=True),
        ),
    ),
    "team": (
        Team,
        (
            Column("name", "setup.col.name", required=True, max_len=60),
            Column("kind", "setup.col.team_kind", "code", True, codes=TEAM_KINDS, code_kind="team_kind"),
            Column("lead_id", "setup.col.lead", "ref", ref="person"),
        ),
    ),
}
KINDS = tuple(SPECS)
# Columns whose value must be unique in their table (the schema says so too; this gives a clear message).
UNIQUE = {"compound": ("name",), "grid": ("number",), "entrance": ("name",), "team": ("name",)}


def _ref_labels(session: Session, ref: str) -> dict[int, str]:
    if ref == "compound":
        return dict(session.execute(select(Compound.id, Compound.name).order_by(Compound.name)).all())
    if ref == "grid":
        return {
            gid: f"{number} {name}"
            for gid, number, name in session.execute(
                select(Grid.id, Grid.number, Grid.name).order_by(Grid.number)
            )
        }
    if ref == "person":
        return {
            pid: f"{name} #{pid}"
            for pid, name in session.execute(
                select(Person.id, Person.name).where(Person.active).order_by(Person.id)
            )
        }
    if ref == "team":
        return dict(session.execute(select(Team.id, Team.name).order_by(Team.name)).all())
    raise ValueError(ref)


def options(session: Session, kind: str, lang: str | None = None) -> dict[str, dict[str, Any]]:
    """For each coded or id column: shown label → stored value (the choices of a select column)."""
    _, columns = SPECS[kind]
    out: dict[str, dict[str, Any]] = {}
    for col in columns:
        if col.kind == "code":
            out[col.name] = {code(col.code_kind, c, lang=lang): c for c in col.codes}
        elif col.kind == "ref":
            out[col.name] = {label: rid for rid, label in _ref_labels(session, col.ref).items()}
    return out


def table(session: Session, kind: str, lang: str | None = None) -> pd.DataFrame:
    """The rows of one set-up table as the editor shows them: id first, codes and ids as labels."""
    model, columns = SPECS[kind]
    order = model.number if kind == "grid" else model.id
    rows = session.scalars(select(model).order_by(order)).all()
    labels = {name: {v: k for k, v in opts.items()} for name, opts in options(session, kind, lang).items()}
    data = []
    for row in rows:
        item: dict[str, Any] = {"id": row.id}
        for col in columns:
            value = getattr(row, col.name)
            item[col.name] = labels[col.name].get(value) if col.name in labels else value
        data.append(item)
    return pd.DataFrame(data, columns=["id", *[c.name for c in columns]])


@dataclass
class TableEdits:
    """Edits of one table by primary key: rows added, changes per id, ids deleted."""

    added: list[dict[str, Any]] = field(default_factory=list)
    changed: dict[int, dict[str, Any]] = field(default_factory=dict)
    deleted: list[int] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.deleted)


def edits_from_editor(shown: pd.DataFrame, state: dict[str, Any] | None) -> TableEdits:
    """st.data_editor's edit state (keyed by row position in `shown`) as edits keyed by the row's id."""
    state = state or {}
    ids = [int(i) for i in shown["id"].tolist()] if "id" in shown.columns else []
    edits = TableEdits()
    for pos, change in (state.get("edited_rows") or {}).items():
        p = int(pos)
        if 0 <= p < len(ids):
            edits.changed[ids[p]] = {k: v for k, v in change.items() if k != "id"}
    for row in state.get("added_rows") or []:
        cleaned = {k: v for k, v in row.items() if k != "id" and not str(k).startswith("_")}
        if any(v not in (None, "") for v in cleaned.values()):
            edits.added.append(cleaned)
    edits.deleted = [ids[int(p)] for p in state.get("deleted_rows") or [] if 0 <= int(p) < len(ids)]
    for rid in edits.deleted:
        edits.changed.pop(rid, None)
    return edits


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


def next_grid_number(session: Session) -> int:
    """The number a new grid gets by default."""
    return _n(session, select(func.max(Grid.number))) + 1


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


# --- reads for the page ---------------------------------------------------------------------


def grid_sizes(session: Session) -> pd.DataFrame:
    """Buildings, households and residents per grid (and the unassigned), to balance the grids."""
    residents = (
        select(Household.building_id, func.count(Resident.id).label("n"))
        .join(Resident, Resident.household_id == Household.id)
        .group_by(Household.building_id)
        .subquery()
    )
    households = (
        select(Household.building_id, func.count(Household.id).label("n"))
        .group_by(Household.building_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Building.grid_id,
            func.count(Building.id),
            func.coalesce(func.sum(households.c.n), 0),
            func.coalesce(func.sum(residents.c.n), 0),
        )
        .outerjoin(households, households.c.building_id == Building.id)
        .outerjoin(residents, residents.c.building_id == Building.id)
        .group_by(Building.grid_id)
    ).all()
    counts = {gid: (int(b), int(h), int(r)) for gid, b, h, r in rows}
    grids = session.execute(select(Grid.id, Grid.number, Grid.name).order_by(Grid.number)).all()
    data = [
        {
            "grid_id": gid,
            "number": number,
            "grid": name,
            **dict(zip(("buildings", "households", "residents"), counts.get(gid, (0, 0, 0)), strict=True)),
        }
        for gid, number, name in grids
    ]
    if None in counts:
        b, h, r = counts[None]
        data.append(
            {"grid_id": None, "number": None, "grid": "", "buildings": b, "households": h, "residents": r}
        )
    return pd.DataFrame(data, columns=["grid_id", "number", "grid", "buildings", "households", "residents"])


def buildings_list(session: Session) -> pd.DataFrame:
    """Every building with its compound, grid, position and household count (for assigning by list)."""
    households = (
        select(Household.building_id, func.count(Household.id).label("n"))
        .group_by(Household.building_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Building.id,
            Compound.name,
            Building.name,
            Building.grid_id,
            Grid.number,
            Building.lon,
            Building.lat,
            func.coalesce(households.c.n, 0),
        )
        .join(Compound, Compound.id == Building.compound_id)
        .outerjoin(Grid, Grid.id == Building.grid_id)
        .outerjoin(households, households.c.building_id == Building.id)
        .order_by(Compound.name, Building.id)
    ).all()
    return pd.DataFrame(
        rows, columns=["id", "compound", "building", "grid_id", "grid_number", "lon", "lat", "households"]
    )


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


def map_layers(session: Session) -> dict[str, Any]:
    """Everything the set-up map draws: compound and grid outlines, buildings and entrances (WGS-84)."""
    return {
        "compounds": [
            {"id": i, "name": n, "polygon": p}
            for i, n, p in session.execute(select(Compound.id, Compound.name, Compound.polygon)).all()
            if p
        ],
        "grids": [
            {"id": i, "number": num, "name": n, "polygon": p}
            for i, num, n, p in session.execute(select(Grid.id, Grid.number, Grid.name, Grid.polygon)).all()
            if p
        ],
        "buildings": [
            {"id": i, "name": f"{c} {n}", "grid_id": g, "lon": lon, "lat": lat}
            for i, c, n, g, lon, lat in session.execute(
                select(
                    Building.id, Compound.name, Building.name, Building.grid_id, Building.lon, Building.lat
                )
                .join(Compound)
                .where(Building.lon.is_not(None), Building.lat.is_not(None))
            ).all()
        ],
        "entrances": [
            {"id": i, "name": n, "is_open": o, "lon": lon, "lat": lat}
            for i, n, o, lon, lat in session.execute(
                select(Entrance.id, Entrance.name, Entrance.is_open, Entrance.lon, Entrance.lat).where(
                    Entrance.lon.is_not(None)
                )
            ).all()
        ],
    }


def map_center(session: Session) -> tuple[float, float]:
    """(lat, lon) to centre the set-up map: the committee's centre, else its buildings, else Shanghai."""
    committee = config.committee(session)
    if committee is not None and committee.center_lat is not None and committee.center_lon is not None:
        return committee.center_lat, committee.center_lon
    row = session.execute(
        select(func.avg(Building.lat), func.avg(Building.lon)).where(Building.lat.is_not(None))
    ).one()
    if row[0] is not None:
        return float(row[0]), float(row[1])
    return 31.2304, 121.4737
