"""The ledger's sheet: its columns and the words a committee's own headers may use, the xlsx
template with its worked example, reading one cell (flags, sex, birth year, phone, grid), and the
stored ledger exported in the template's columns.

The dry run (dashboard/ledger_dry_run.py) reads a sheet with these; the commit
(dashboard/ledger_commit.py) writes what it planned.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable
from functools import cache

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard import audit, imports
from dashboard.errors import ValidationError
from dashboard.i18n import LANGUAGES, code, t
from dashboard.roles import CurrentUser, require
from dashboard.validate import PHONE_RE, id_check_digit
from db.models import COMPOUND_KINDS, Building, Compound, Grid, Household, Resident

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
