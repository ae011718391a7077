"""The ledger (底账) import: xlsx templates, reading the committee's own sheets, a dry run with row
numbers and reasons, and one all-or-nothing commit that a re-import updates instead of duplicating.

One row of a ledger is one resident; the household's columns (compound, building, room, size ...)
repeat on each of its residents' rows, and a row without a name is a household without residents.
Matching: compounds by name, buildings by compound + name, households by compound + building + room,
residents by ID number, else phone + name, else name within the household.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard import audit, config, imports
from dashboard.errors import ValidationError
from dashboard.i18n import LANGUAGES, code, t
from dashboard.imports import DryRun, RowIssue
from dashboard.roles import CurrentUser, require
from dashboard.validate import PHONE_RE, id_check_digit, is_valid_id_number
from db.models import COMPOUND_KINDS, Building, Compound, Grid, Household, ImportLog, Resident

KIND = "ledger"
FIELDS = (
    "compound",
    "compound_kind",
    "building",
    "room",
    "door",
    "grid",
    "head_name",
    "size",
    "is_rental",
    "name",
    "sex",
    "birth_year",
    "phone",
    "id_number",
    "is_chronic",
    "chronic_condition",
    "lives_alone",
    "is_bedridden",
    "is_disabled",
    "is_pregnant",
)
REQUIRED = ("compound", "building", "room")
FLAGS = ("is_rental", "is_chronic", "lives_alone", "is_bedridden", "is_disabled", "is_pregnant")
HOUSEHOLD_FIELDS = ("door", "head_name", "size", "is_rental")
RESIDENT_FIELDS = (
    "name", "sex", "birth_year", "phone", "id_number", "is_chronic", "chronic_condition",
    "lives_alone", "is_bedridden", "is_disabled", "is_pregnant",
)  # fmt: skip
TEXT_COLUMNS = ("phone", "id_number", "room", "door", "building")  # kept as text in the template
Progress = Callable[[float], None]


# --- words ----------------------------------------------------------------------------------


def header(fld: str, lang: str = "zh") -> str:
    """The column header of a field in the template."""
    return t(f"ledger.col.{fld}", lang=lang)


def synonyms() -> dict[str, tuple[str, ...]]:
    """field → every header a committee's sheet may use for it (both languages, from the catalogue)."""
    out: dict[str, tuple[str, ...]] = {}
    for fld in FIELDS:
        words: list[str] = []
        for lang in LANGUAGES:
            words.append(header(fld, lang))
            words.extend(w for w in t(f"ledger.syn.{fld}", lang=lang).split("|") if w and "." not in w)
        out[fld] = tuple(dict.fromkeys(words))
    return out


@cache
def _words(key: str) -> frozenset[str]:
    return frozenset(
        w.strip().lower() for lang in LANGUAGES for w in t(key, lang=lang).split("|") if w.strip()
    )


def _kind_words() -> dict[str, str]:
    words = {k: k for k in COMPOUND_KINDS}
    for kind in COMPOUND_KINDS:
        for lang in LANGUAGES:
            words[code("compound_kind", kind, lang=lang).lower()] = kind
        for w in t(f"ledger.kind_words.{kind}", lang="zh").split("|") + t(
            f"ledger.kind_words.{kind}", lang="en"
        ).split("|"):
            if w.strip():
                words[w.strip().lower()] = kind
    return words


def suggest_mapping(columns: list[str]) -> dict[str, str]:
    """field → column of the file, matched by header (the page shows it and lets the user change it)."""
    return imports.map_headers(columns, synonyms())


def check_mapping(mapping: dict[str, str | None]) -> dict[str, str]:
    """The mapping without unmapped fields; refused if a required field is missing or a column is used twice."""
    clean = {f: c for f, c in mapping.items() if f in FIELDS and c}
    imports.require_columns(clean, REQUIRED, {f: header(f) for f in FIELDS})
    cols = list(clean.values())
    twice = {c for c in cols if cols.count(c) > 1}
    if twice:
        raise ValidationError("ledger.column_twice", column="、".join(sorted(twice)))
    return clean


# --- the template ---------------------------------------------------------------------------


def example_id_number() -> str:
    """A made-up ID number with a correct check digit, for the template's worked example."""
    first17 = "31011219560302002"
    return first17 + id_check_digit(first17)


def example_row(lang: str = "zh") -> dict[str, str]:
    """The worked example row of the template."""
    yes, no = t("common.yes", lang=lang), t("common.no", lang=lang)
    return {
        "compound": t("ledger.example.compound", lang=lang),
        "compound_kind": code("compound_kind", "public_housing", lang=lang),
        "building": t("ledger.example.building", lang=lang),
        "room": "301",
        "door": "",
        "grid": "1",
        "head_name": t("ledger.example.name", lang=lang),
        "size": "2",
        "is_rental": no,
        "name": t("ledger.example.name", lang=lang),
        "sex": t("ledger.sex.M", lang=lang).split("|")[0],
        "birth_year": "1956",
        "phone": "13800138000",
        "id_number": example_id_number(),
        "is_chronic": yes,
        "chronic_condition": t("ledger.example.condition", lang=lang),
        "lives_alone": no,
        "is_bedridden": no,
        "is_disabled": no,
        "is_pregnant": no,
    }


def template_xlsx(lang: str = "zh") -> bytes:
    """The ledger template: headers, one worked example row, and a sheet explaining each column."""
    wb = Workbook()
    ws = wb.active
    ws.title = t("ledger.sheet_ledger", lang=lang)
    bold = Font(bold=True)
    required_fill = PatternFill("solid", fgColor="FFE699")
    optional_fill = PatternFill("solid", fgColor="DDEBF7")
    ws.append([header(f, lang) for f in FIELDS])
    example = example_row(lang)
    ws.append([example[f] for f in FIELDS])
    for i, fld in enumerate(FIELDS, start=1):
        cell = ws.cell(row=1, column=i)
        cell.font = bold
        cell.fill = required_fill if fld in REQUIRED else optional_fill
        letter = cell.column_letter
        ws.column_dimensions[letter].width = 20 if fld in ("id_number", "chronic_condition") else 12
        if fld in TEXT_COLUMNS:  # typed digits stay text: no 1.39E+10, no lost ID digits
            ws.column_dimensions[letter].number_format = "@"
            ws.cell(row=2, column=i).number_format = "@"
        ws.cell(row=2, column=i).font = Font(italic=True, color="808080")
    ws.freeze_panes = "A2"
    yes_no = f'"{t("common.yes", lang=lang)},{t("common.no", lang=lang)}"'
    flags = DataValidation(type="list", formula1=yes_no, allow_blank=True)
    sexes = ",".join(t(f"ledger.sex.{s}", lang=lang).split("|")[0] for s in ("M", "F"))
    sex = DataValidation(type="list", formula1=f'"{sexes}"', allow_blank=True)
    kinds = ",".join(code("compound_kind", k, lang=lang) for k in COMPOUND_KINDS)
    kind = DataValidation(type="list", formula1=f'"{kinds}"', allow_blank=True)
    for dv, names in ((flags, FLAGS), (sex, ("sex",)), (kind, ("compound_kind",))):
        ws.add_data_validation(dv)
        for name in names:
            letter = ws.cell(row=1, column=FIELDS.index(name) + 1).column_letter
            dv.add(f"{letter}2:{letter}5001")
    help_ws = wb.create_sheet(t("ledger.sheet_help", lang=lang))
    help_ws.append(
        [
            t("ledger.help_column", lang=lang),
            t("ledger.help_required", lang=lang),
            t("ledger.help_meaning", lang=lang),
        ]
    )
    for cell in help_ws[1]:
        cell.font = bold
    for fld in FIELDS:
        help_ws.append(
            [
                header(fld, lang),
                t("common.yes", lang=lang) if fld in REQUIRED else "",
                t(f"ledger.help.{fld}", lang=lang),
            ]
        )
    help_ws.append([])
    help_ws.append([t("ledger.help_example", lang=lang)])
    help_ws.column_dimensions["A"].width = 16
    help_ws.column_dimensions["C"].width = 80
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- reading one row ------------------------------------------------------------------------


def _flag(value: str) -> bool:
    v = value.strip().lower()
    if not v or v in _words("ledger.no_words"):
        return False
    return True


def _sex(value: str, id_number: str | None) -> str | None:
    v = value.strip().lower()
    for s in ("M", "F"):
        if v and v in _words(f"ledger.sex.{s}"):
            return s
    if not v and id_number:
        return "M" if int(id_number[16]) % 2 else "F"
    return None


def _birth_year(value: str, id_number: str | None, this_year: int) -> int | None:
    m = re.search(r"(19|20)\d\d", value or "")
    if m:
        year = int(m.group(0))
    elif not (value or "").strip() and id_number:
        year = int(id_number[6:10])
    else:
        return None
    return year if 1900 <= year <= this_year else None


def _phone(value: str) -> str | None:
    s = re.sub(r"[\s\-]", "", value or "")
    if s.startswith("+86"):
        s = s[3:]
    return s if not s or PHONE_RE.match(s) else None


def _grid_number(value: str, grids_by_name: dict[str, int]) -> int | None:
    v = value.strip()
    if v in grids_by_name:
        return grids_by_name[v]
    digits = re.findall(r"\d+", v)
    return int(digits[0]) if len(digits) == 1 and 1 <= int(digits[0]) <= 999 else None


@dataclass
class HouseholdPlan:
    key: tuple[str, str, str]
    first_row: int
    values: dict[str, Any] = field(default_factory=dict)  # door, head_name, size, is_rental as given
    residents: list[dict[str, Any]] = field(default_factory=list)
    existing_id: int | None = None
    status: str = "add"


@dataclass
class LedgerPlan:
    """What the commit will write, prepared by the dry run."""

    compounds: dict[str, str | None] = field(default_factory=dict)  # name → kind given (None: not given)
    buildings: dict[tuple[str, str], int | None] = field(default_factory=dict)  # → grid number
    households: dict[tuple[str, str, str], HouseholdPlan] = field(default_factory=dict)
    new_grids: set[int] = field(default_factory=set)
    mapped: frozenset[str] = frozenset()


def _existing(session: Session) -> dict[str, Any]:
    compounds = {c.name: c for c in session.scalars(select(Compound))}
    buildings = {(b.compound.name, b.name): b for b in session.scalars(select(Building).join(Compound))}
    by_id = {b.id: key for key, b in buildings.items()}
    households = {}
    for h in session.scalars(select(Household)):
        c, b = by_id[h.building_id]
        households[(c, b, h.room)] = h
    residents = list(session.scalars(select(Resident)))
    grids = {g.number: g for g in session.scalars(select(Grid))}
    return {
        "compounds": compounds,
        "buildings": buildings,
        "households": households,
        "by_idn": {r.id_number: r for r in residents if r.id_number},
        "by_phone_name": _unique_index((r.phone, r.name) for r in residents if r.phone),
        "by_phone_name_rows": {(r.phone, r.name): r for r in residents if r.phone},
        "by_household_name": {(r.household_id, r.name): r for r in residents},
        "grids": grids,
        "grid_names": {g.name: g.number for g in grids.values()},
    }


def _unique_index(keys: Any) -> set[Any]:
    seen: set[Any] = set()
    twice: set[Any] = set()
    for k in keys:
        (twice if k in seen else seen).add(k)
    return seen - twice


def _match_resident(db: dict[str, Any], res: dict[str, Any], household: Household | None) -> Resident | None:
    if res.get("id_number") and res["id_number"] in db["by_idn"]:
        return db["by_idn"][res["id_number"]]
    key = (res.get("phone"), res["name"])
    if res.get("phone") and key in db["by_phone_name"]:
        found = db["by_phone_name_rows"][key]
        if not (res.get("id_number") and found.id_number and found.id_number != res["id_number"]):
            return found
    if household is not None:
        found = db["by_household_name"].get((household.id, res["name"]))
        if found is not None and not (
            res.get("id_number") and found.id_number and found.id_number != res["id_number"]
        ):
            return found
    return None


def _resident_changes(
    found: Resident, res: dict[str, Any], household_id: int | None, mapped: frozenset[str]
) -> dict:
    changes: dict[str, Any] = {}
    for fld in RESIDENT_FIELDS:
        if fld not in mapped and fld not in ("sex", "birth_year"):
            continue
        value = res.get(fld)
        if fld in ("phone", "id_number", "chronic_condition") and not value:
            continue
        if value is None:
            continue
        if getattr(found, fld) != value:
            changes[fld] = value
    if household_id is not None and found.household_id != household_id:
        changes["household_id"] = household_id
    return changes


def dry_run(
    session: Session, user: CurrentUser, frame: pd.DataFrame, mapping: dict[str, str | None]
) -> DryRun:
    """What importing this sheet would do, row by row (nothing is written)."""
    require(user, "setup.edit")
    mapping = check_mapping(mapping)
    plan = LedgerPlan(mapped=frozenset(mapping))
    run = DryRun(payload=plan)
    db = _existing(session)
    this_year = config.today(session).year
    kinds = _kind_words()
    examples = {
        (t("ledger.example.compound", lang=lg), t("ledger.example.name", lang=lg)) for lg in LANGUAGES
    }

    def reject(n: int, key: str, **params: Any) -> None:
        run.issues.append(RowIssue(n, key, params))

    seen_people: dict[Any, tuple[tuple[str, str, str], int, dict[str, Any]]] = {}
    row_status: dict[int, str] = {}
    fields = list(mapping)
    for n, *cells in frame[[mapping[f] for f in fields]].itertuples(index=True, name=None):
        n = int(n)
        values = {fld: imports.clean_cell(v) for fld, v in zip(fields, cells, strict=True)}
        if not any(values.values()):
            continue
        compound, building, room = (
            values.get("compound", ""),
            values.get("building", ""),
            values.get("room", ""),
        )
        if (compound, values.get("name", "")) in examples:
            reject(n, "ledger.reject.example")
            continue
        missing = [header(f) for f in REQUIRED if not values.get(f)]
        if missing:
            reject(n, "ledger.reject.missing", fields="、".join(missing))
            continue
        if len(compound) > 100 or len(building) > 60 or len(room) > 30:
            reject(n, "ledger.reject.too_long")
            continue
        # The compound, its kind, the building's grid.
        kind_text = values.get("compound_kind", "")
        kind = kinds.get(kind_text.lower()) if kind_text else None
        if kind_text and kind is None:
            reject(n, "ledger.reject.bad_kind", value=kind_text[:20])
            continue
        if kind and plan.compounds.get(compound) not in (None, kind):
            reject(n, "ledger.reject.kind_conflict", compound=compound)
            continue
        grid_text = values.get("grid", "")
        grid = _grid_number(grid_text, db["grid_names"]) if grid_text else None
        if grid_text and grid is None:
            reject(n, "ledger.reject.bad_grid", value=grid_text[:20])
            continue
        bkey = (compound, building)
        if grid is not None and plan.buildings.get(bkey) not in (None, grid):
            reject(
                n,
                "ledger.reject.grid_conflict",
                building=f"{compound} {building}",
                a=plan.buildings[bkey],
                b=grid,
            )
            continue
        # The household's own columns.
        hvalues: dict[str, Any] = {}
        if values.get("door"):
            hvalues["door"] = values["door"][:30]
        if values.get("head_name"):
            hvalues["head_name"] = values["head_name"][:60]
        if values.get("size"):
            try:
                size = int(float(values["size"]))
            except ValueError:
                reject(n, "ledger.reject.bad_size", value=values["size"][:10])
                continue
            if size <= 0:
                reject(n, "ledger.reject.zero_size")
                continue
            if size > 99:
                reject(n, "ledger.reject.bad_size", value=values["size"][:10])
                continue
            hvalues["size"] = size
        if "is_rental" in mapping and values.get("is_rental"):
            hvalues["is_rental"] = _flag(values["is_rental"])
        hkey = (compound, building, room)
        hh = plan.households.get(hkey)
        if hh is not None:
            clash = [f for f, v in hvalues.items() if f in hh.values and hh.values[f] != v]
            if clash:
                reject(
                    n,
                    "ledger.reject.room_conflict",
                    room=" ".join(hkey),
                    first=hh.first_row,
                    fields="、".join(header(f) for f in clash),
                )
                continue
        # The resident, if the row names one.
        res: dict[str, Any] | None = None
        if values.get("name"):
            idn_text = values.get("id_number", "").upper().replace(" ", "")
            if idn_text and not is_valid_id_number(idn_text):
                reject(n, "ledger.reject.bad_id", value=idn_text[:4] + "…")
                continue
            idn = idn_text or None
            phone = _phone(values.get("phone", ""))
            if phone is None:
                reject(n, "ledger.reject.bad_phone", value=values.get("phone", "")[:20])
                continue
            sex = _sex(values.get("sex", ""), idn)
            if sex is None:
                reject(n, "ledger.reject.bad_sex", value=values.get("sex", "")[:10])
                continue
            year = _birth_year(values.get("birth_year", ""), idn, this_year)
            if year is None:
                reject(n, "ledger.reject.bad_birth_year", value=values.get("birth_year", "")[:10])
                continue
            condition = values.get("chronic_condition", "")[:100]
            chronic_text = values.get("is_chronic", "")
            is_chronic = _flag(chronic_text) if chronic_text else bool(condition)
            if (
                chronic_text
                and is_chronic
                and not condition
                and chronic_text.lower() not in _words("ledger.yes_words")
            ):
                condition = chronic_text[:100]  # a "chronic illness" column holding the illness itself
            res = {
                "row": n, "name": values["name"][:60], "sex": sex, "birth_year": year, "phone": phone,
                "id_number": idn, "is_chronic": is_chronic, "chronic_condition": condition,
                **{f: _flag(values.get(f, "")) for f in ("lives_alone", "is_bedridden", "is_disabled", "is_pregnant")},
            }  # fmt: skip
            person = idn or ((phone, res["name"]) if phone else (hkey, res["name"]))
            if person in seen_people:
                other_hkey, other_row, other = seen_people[person]
                if other_hkey != hkey:
                    reject(n, "ledger.reject.two_households", row=other_row, room=" ".join(other_hkey))
                    continue
                if other["name"] != res["name"]:
                    reject(n, "ledger.reject.id_conflict", row=other_row)
                    continue
                for f, v in res.items():  # a duplicate row: fill what the first one left blank
                    if f != "row" and not other.get(f) and v:
                        other[f] = v
                row_status[n] = "merge"
                res = None
            else:
                seen_people[person] = (hkey, n, res)
        # Accepted: fold the row into the plan.
        if kind or compound not in plan.compounds:
            plan.compounds[compound] = kind or plan.compounds.get(compound)
        if grid is not None or bkey not in plan.buildings:
            plan.buildings[bkey] = grid if grid is not None else plan.buildings.get(bkey)
        if grid is not None and grid not in db["grids"]:
            plan.new_grids.add(grid)
        if hh is None:
            hh = plan.households[hkey] = HouseholdPlan(hkey, n)
        hh.values.update(hvalues)
        if res is not None:
            hh.residents.append(res)
        row_status.setdefault(n, "unchanged")

    # Compare with what is stored.
    status_rank = {"unchanged": 0, "merge": 1, "update": 2, "add": 3}

    def mark(n: int, status: str) -> None:
        if row_status.get(n) == "merge" and status == "unchanged":
            return
        if status_rank[status] > status_rank.get(row_status.get(n, "unchanged"), 0):
            row_status[n] = status

    for name, kind in plan.compounds.items():
        existing = db["compounds"].get(name)
        if existing is not None and kind and existing.kind != kind:
            mark(next(h.first_row for k, h in plan.households.items() if k[0] == name), "update")
    for hkey, hh in plan.households.items():
        existing = db["households"].get(hkey)
        hh.existing_id = existing.id if existing is not None else None
        if "size" not in hh.values and existing is None:
            hh.values["size"] = max(1, len(hh.residents))
        if existing is None:
            hh.status = "add"
        else:
            diff = {f: v for f, v in hh.values.items() if getattr(existing, f) != v}
            bkey = hkey[:2]
            grid = plan.buildings.get(bkey)
            building = db["buildings"].get(bkey)
            moved = (
                grid is not None
                and building is not None
                and (
                    building.grid_id is None
                    or db["grids"].get(grid) is None
                    or building.grid_id != db["grids"][grid].id
                )
            )
            hh.status = "update" if diff or moved else "unchanged"
        mark(hh.first_row, hh.status)
        for res in hh.residents:
            found = _match_resident(db, res, existing)
            res["existing_id"] = found.id if found is not None else None
            if found is None:
                res["status"] = "add"
            else:
                changes = _resident_changes(
                    found, res, existing.id if existing is not None else -1, plan.mapped
                )
                res["status"] = "update" if changes else "unchanged"
            mark(res["row"], res["status"])
    rejected = {i.row for i in run.issues}
    for n, status in sorted(row_status.items()):
        if n in rejected:
            continue
        getattr(run, status).append(n)
    return run


# --- commit ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerResult:
    """What a commit wrote."""

    import_id: int
    compounds_added: int
    buildings_added: int
    households_added: int
    households_updated: int
    residents_added: int
    residents_updated: int
    grids_added: int


def already_imported(session: Session, digest: str) -> dt.datetime | None:
    """When this exact file was last imported as a ledger (None: never)."""
    return session.scalar(
        select(ImportLog.at)
        .where(ImportLog.kind == KIND, ImportLog.sha256 == digest)
        .order_by(ImportLog.at.desc())
    )


def commit(
    session: Session,
    user: CurrentUser,
    frame: pd.DataFrame,
    mapping: dict[str, str | None],
    *,
    filename: str,
    digest: str,
    progress: Progress | None = None,
    now: dt.datetime | None = None,
) -> LedgerResult:
    """Write the sheet in the caller's one transaction: compounds, buildings, grids, households, residents.

    The dry run is repeated inside the transaction, so what is written matches the database as it is
    now; rejected rows are left out (they were listed in the dry run).
    """
    require(user, "setup.edit")
    now = now or config.now(session)
    run = dry_run(session, user, frame, mapping)
    plan: LedgerPlan = run.payload
    report = progress or (lambda _f: None)
    counts = dict.fromkeys(("compounds", "buildings", "hh_add", "hh_upd", "res_add", "res_upd", "grids"), 0)
    log = ImportLog(kind=KIND, filename=(filename or "")[:200], sha256=digest, at=now, user_id=user.id)
    session.add(log)

    grids = {g.number: g for g in session.scalars(select(Grid))}
    for number in sorted(plan.new_grids):
        grid = Grid(number=number, name=t("setup.grid_default_name", n=number))
        session.add(grid)
        session.flush()
        grids[number] = grid
        audit.record(
            session,
            user,
            "ledger.grid_add",
            "grid",
            grid.id,
            grid_id=grid.id,
            after={"number": number, "name": grid.name},
            at=now,
        )
        counts["grids"] += 1

    compounds = {c.name: c for c in session.scalars(select(Compound))}
    for name, kind in plan.compounds.items():
        c = compounds.get(name)
        if c is None:
            c = compounds[name] = Compound(name=name[:100], kind=kind or "commodity")
            session.add(c)
            session.flush()
            audit.record(
                session,
                user,
                "ledger.compound_add",
                "compound",
                c.id,
                after={"name": c.name, "kind": c.kind},
                at=now,
            )
            counts["compounds"] += 1
        elif kind and c.kind != kind:
            audit.record(
                session,
                user,
                "ledger.compound_edit",
                "compound",
                c.id,
                before={"kind": c.kind},
                after={"kind": kind},
                at=now,
            )
            c.kind = kind

    buildings = {(b.compound.name, b.name): b for b in session.scalars(select(Building).join(Compound))}
    for (cname, bname), number in plan.buildings.items():
        b = buildings.get((cname, bname))
        grid_id = grids[number].id if number is not None else None
        if b is None:
            b = buildings[(cname, bname)] = Building(
                compound_id=compounds[cname].id, name=bname[:60], grid_id=grid_id
            )
            session.add(b)
            session.flush()
            audit.record(
                session,
                user,
                "ledger.building_add",
                "building",
                b.id,
                grid_id=grid_id,
                after={"compound_id": b.compound_id, "name": b.name, "grid_id": grid_id},
                at=now,
            )
            counts["buildings"] += 1
        elif grid_id is not None and b.grid_id != grid_id:
            audit.record(
                session,
                user,
                "setup.building_grid",
                "building",
                b.id,
                grid_id=grid_id,
                before={"grid_id": b.grid_id},
                after={"grid_id": grid_id},
                at=now,
            )
            b.grid_id = grid_id
    session.flush()
    report(0.1)

    total = max(1, len(plan.households))
    households = {h.id: h for h in session.scalars(select(Household))} if plan.households else {}
    residents = {r.id: r for r in session.scalars(select(Resident))} if plan.households else {}
    pending: list[tuple[str, Any, int | None, dict[str, Any]]] = []  # added rows, audited once they have ids

    def flush_and_audit() -> None:
        session.flush()
        for action, obj, grid_id, after in pending:
            table = "household" if isinstance(obj, Household) else "resident"
            if table == "resident":
                after = {"household_id": obj.household_id, **after}
            audit.record(session, user, action, table, obj.id, grid_id=grid_id, after=after, at=now)
        pending.clear()

    for i, hh in enumerate(plan.households.values(), start=1):
        building = buildings[hh.key[:2]]
        grid_id = building.grid_id
        if hh.existing_id is None:
            values = {"door": hh.key[2], "head_name": "", "is_rental": False} | hh.values
            if not values.get("head_name") and hh.residents:
                values["head_name"] = hh.residents[0]["name"]
            household = Household(building_id=building.id, room=hh.key[2][:30], **values)
            session.add(household)
            pending.append(("ledger.household_add", household, grid_id,
                            {"building_id": building.id, "room": household.room, **values}))  # fmt: skip
            counts["hh_add"] += 1
            if any(r["existing_id"] is not None for r in hh.residents):
                session.flush()  # a resident moves in: the new household needs its id now
        else:
            household = households[hh.existing_id]
            diff = {f: v for f, v in hh.values.items() if getattr(household, f) != v}
            if diff:
                audit.record(
                    session, user, "ledger.household_edit", "household", household.id, grid_id=grid_id,
                    before={f: getattr(household, f) for f in diff}, after=diff, at=now,
                )  # fmt: skip
                for f, v in diff.items():
                    setattr(household, f, v)
                counts["hh_upd"] += 1
        for res in hh.residents:
            fields = {f: res[f] for f in RESIDENT_FIELDS}
            if res["existing_id"] is None:
                resident = Resident(household=household, **fields)
                session.add(resident)
                pending.append(("ledger.resident_add", resident, grid_id, {"name": resident.name}))
                counts["res_add"] += 1
            elif res["status"] == "update":
                resident = residents[res["existing_id"]]
                changes = _resident_changes(resident, res, household.id, plan.mapped)
                hidden = {"phone", "id_number"}
                audit.record(
                    session, user, "ledger.resident_edit", "resident", resident.id, grid_id=grid_id,
                    before={f: getattr(resident, f) for f in changes if f not in hidden},
                    after={f: v for f, v in changes.items() if f not in hidden}
                    | {f: "changed" for f in changes if f in hidden},
                    at=now,
                )  # fmt: skip
                for f, v in changes.items():
                    setattr(resident, f, v)
                counts["res_upd"] += 1
        if i % 100 == 0:
            flush_and_audit()
            report(0.1 + 0.85 * i / total)
    flush_and_audit()
    log.rows_added = len(run.add)
    log.rows_updated = len(run.update)
    result = LedgerResult(
        import_id=log.id,
        compounds_added=counts["compounds"],
        buildings_added=counts["buildings"],
        households_added=counts["hh_add"],
        households_updated=counts["hh_upd"],
        residents_added=counts["res_add"],
        residents_updated=counts["res_upd"],
        grids_added=counts["grids"],
    )
    audit.record(session, user, "ledger.import", "import_log", log.id, after={
        "filename": log.filename, **run.summary(), **{k: v for k, v in result.__dict__.items() if k != "import_id"},
    }, at=now)  # fmt: skip
    report(1.0)
    return result


# --- export of the current ledger -----------------------------------------------------------


def current_ledger(session: Session, user: CurrentUser) -> pd.DataFrame:
    """The stored ledger in the template's columns (one row per resident; households without any, one row)."""
    require(user, "export.personal")
    rows = session.execute(
        select(Compound.name, Compound.kind, Building.name, Household.room, Household.door, Grid.number,
               Household.head_name, Household.size, Household.is_rental, Resident)
        .select_from(Household)
        .join(Building, Building.id == Household.building_id)
        .join(Compound, Compound.id == Building.compound_id)
        .outerjoin(Grid, Grid.id == Building.grid_id)
        .outerjoin(Resident, Resident.household_id == Household.id)
        .order_by(Compound.name, Building.name, Household.room, Resident.id)
    ).all()  # fmt: skip
    yes, no = t("common.yes"), t("common.no")
    data = []
    for cname, ckind, bname, room, door, grid, head, size, rental, r in rows:
        item = {
            "compound": cname, "compound_kind": code("compound_kind", ckind), "building": bname, "room": room,
            "door": door if door != room else "", "grid": grid if grid is not None else "", "head_name": head,
            "size": size, "is_rental": yes if rental else no,
        }  # fmt: skip
        if r is not None:
            item |= {
                "name": r.name, "sex": t(f"ledger.sex.{r.sex}").split("|")[0], "birth_year": r.birth_year,
                "phone": r.phone, "id_number": r.id_number or "", "is_chronic": yes if r.is_chronic else no,
                "chronic_condition": r.chronic_condition,
                **{f: yes if getattr(r, f) else no for f in ("lives_alone", "is_bedridden", "is_disabled", "is_pregnant")},
            }  # fmt: skip
        data.append(item)
    return pd.DataFrame(data, columns=list(FIELDS))


def export_xlsx(session: Session, user: CurrentUser, *, now: dt.datetime | None = None) -> bytes:
    """The stored ledger as an xlsx with the template's headers (personal data: audited)."""
    frame = current_ledger(session, user)
    frame.columns = [header(f) for f in FIELDS]
    out = io.BytesIO()
    with pd.ExcelWriter(out, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False, sheet_name=t("ledger.sheet_ledger"))
    audit.record(session, user, "ledger.export", "resident", "", after={"rows": len(frame)}, at=now)
    return out.getvalue()
