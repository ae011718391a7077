"""The ledger (底账) import: xlsx templates, reading the committee's own sheets, a dry run with row
numbers and reasons, and one all-or-nothing commit that a re-import updates instead of duplicating.

One row of a ledger is one resident; the household's columns (compound, building, room, size ...)
repeat on each of its residents' rows, and a row without a name is a household without residents.
Matching: compounds by name, buildings by compound + name, households by compound + building + room,
residents by ID number, else phone + name, else name within the household.

The entry the pages use; the work lives in three modules, whose names this one gathers:
- ledger_sheet: the columns and header words, the template, reading one cell, the export;
- ledger_dry_run: `dry_run(session, user, frame, mapping)`, every row checked and matched, the plan;
- ledger_commit: `commit(...)`, the plan written in one transaction; `already_imported`.
"""

from __future__ import annotations

from dashboard.ledger_commit import LedgerResult, already_imported, commit
from dashboard.ledger_dry_run import HouseholdPlan, LedgerPlan, dry_run
from dashboard.ledger_sheet import (
    FIELDS,
    FLAGS,
    HOUSEHOLD_FIELDS,
    KIND,
    REQUIRED,
    RESIDENT_FIELDS,
    TEXT_COLUMNS,
    Progress,
    check_mapping,
    current_ledger,
    example_id_number,
    example_row,
    export_xlsx,
    header,
    suggest_mapping,
    synonyms,
    template_xlsx,
)

__all__ = [
    "FIELDS",
    "FLAGS",
    "HOUSEHOLD_FIELDS",
    "KIND",
    "REQUIRED",
    "RESIDENT_FIELDS",
    "TEXT_COLUMNS",
    "HouseholdPlan",
    "LedgerPlan",
    "LedgerResult",
    "Progress",
    "already_imported",
    "check_mapping",
    "commit",
    "current_ledger",
    "dry_run",
    "example_id_number",
    "example_row",
    "export_xlsx",
    "header",
    "suggest_mapping",
    "synonyms",
    "template_xlsx",
]
