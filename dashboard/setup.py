"""Setting up a committee: its name, compounds, buildings, households, grids, entrances, staff and
teams, by hand (small forms and editable tables), and the checklist of what is still missing.

Editable tables come back from st.data_editor keyed by row *position*; `edits_from_editor` maps
them to primary keys before `apply_edits` validates and writes them, so a sorted or filtered table
can never write into the wrong row.

The entry the pages use; the work lives in four modules, whose names this one gathers:
- setup_tables: the tables' columns (SPECS), their choices and rows, the editor's edits by id;
- setup_edits: the committee's form and a table's edits written (`apply_edits`), `add_grid`;
- setup_households: households and residents by hand, a building's households;
- setup_status: the checklist (`readiness`), grid sizes, the buildings list, the map's layers.
Outlines, positions and files of shapes are in dashboard/geo.py, the ledger import in
dashboard/ledger.py.
"""

from __future__ import annotations

from dashboard.setup_edits import EditResult, add_grid, apply_edits, save_committee
from dashboard.setup_households import add_resident, households_of, save_household
from dashboard.setup_status import (
    Step,
    buildings_list,
    grid_sizes,
    is_ready,
    next_grid_number,
    readiness,
)
from dashboard.setup_tables import KINDS, SPECS, UNIQUE, Column, TableEdits, edits_from_editor, options, table

__all__ = [
    "KINDS",
    "SPECS",
    "UNIQUE",
    "Column",
    "EditResult",
    "Step",
    "TableEdits",
    "add_grid",
    "add_resident",
    "apply_edits",
    "buildings_list",
    "edits_from_editor",
    "grid_sizes",
    "households_of",
    "is_ready",
    "next_grid_number",
    "options",
    "readiness",
    "save_committee",
    "save_household",
    "table",
]
