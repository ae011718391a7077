"""The ledger's dry run: every row of a sheet checked (a reason and the row number for each one
refused), matched against what is stored, and folded into the plan the commit writes.

Matching: compounds by name, buildings by compound + name, households by compound + building + room,
residents by ID number, else phone + name, else name within the household.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard import config, imports
from dashboard.i18n import LANGUAGES, t
from dashboard.imports import DryRun, RowIssue
from dashboard.ledger_sheet import (
    REQUIRED,
    RESIDENT_FIELDS,
    _birth_year,
    _flag,
    _grid_number,
    _kind_words,
    _phone,
    _sex,
    _words,
    check_mapping,
    header,
)
from dashboard.roles import CurrentUser, require
from dashboard.validate import is_valid_id_number
from db.models import Building, Compound, Grid, Household, Resident


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
