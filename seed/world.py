"""The generator's working state: rows per table, pre-assigned primary keys, and lookups."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

Row = dict[str, Any]

# Insert order: every table after the tables its foreign keys point to. grid.leader_id and
# team.lead_id point forward to person; they are written afterwards (see generate.LATE_LINKS).
TABLE_ORDER = (
    "committee",
    "setting",
    "compound",
    "grid",
    "building",
    "household",
    "resident",
    "team",
    "person",
    "app_user",
    "entrance",
    "entrance_change",
    "sampling_site",
    "disinfection_route",
    "screening_round",
    "round_site",
    "case_record",
    "case_event",
    "contact",
    "transfer",
    "screening_result",
    "retest",
    "missed_followup",
    "supply_batch",
    "delivery",
    "hospital_run",
    "medicine_request",
    "courier_count",
    "disinfection_record",
    "duty_shift",
    "follow_up",
)


@dataclass
class Area:
    """Lookups for one copy of the Huamei area (scale N has N of them)."""

    index: int
    compound_ids: list[int] = field(default_factory=list)
    building_ids: list[int] = field(default_factory=list)  # in walking order
    grid_ids: list[int] = field(default_factory=list)
    household_ids: list[int] = field(default_factory=list)
    resident_ids: list[int] = field(default_factory=list)
    entrance_ids: list[int] = field(default_factory=list)
    open_entrance_ids: list[int] = field(default_factory=list)
    site_ids: list[int] = field(default_factory=list)
    route_ids: list[int] = field(default_factory=list)
    teams: dict[str, int] = field(default_factory=dict)  # role key -> team id
    team_members: dict[str, list[int]] = field(default_factory=dict)  # role key -> person ids
    staff: dict[str, int] = field(default_factory=dict)  # 'secretary', 'director' -> person id
    grid_leaders: dict[int, int] = field(default_factory=dict)  # grid id -> person id
    cadre_ids: list[int] = field(default_factory=list)
    city_cadre_ids: list[int] = field(default_factory=list)
    case_ids: list[int] = field(default_factory=list)


@dataclass
class World:
    """Everything generated so far, as rows ready for a Core insert."""

    scale: int
    random_seed: int
    rows: dict[str, list[Row]] = field(default_factory=lambda: {t: [] for t in TABLE_ORDER})
    areas: list[Area] = field(default_factory=list)
    _next: dict[str, int] = field(default_factory=dict)
    # Lookups by id, shared by the modules that build on each other.
    compound: dict[int, Row] = field(default_factory=dict)
    building: dict[int, Row] = field(default_factory=dict)
    household: dict[int, Row] = field(default_factory=dict)
    resident: dict[int, Row] = field(default_factory=dict)
    household_residents: dict[int, list[int]] = field(default_factory=dict)
    building_households: dict[int, list[int]] = field(default_factory=dict)
    resident_building: dict[int, int] = field(default_factory=dict)
    resident_grid: dict[int, int] = field(default_factory=dict)
    person: dict[int, Row] = field(default_factory=dict)
    rounds: list[Row] = field(default_factory=list)
    round_sites: dict[int, list[int]] = field(default_factory=dict)
    # The outbreak, used by screening and services: resident -> case row / contact row.
    case_of: dict[int, Row] = field(default_factory=dict)
    contact_of: dict[int, Row] = field(default_factory=dict)

    def new_id(self, table: str) -> int:
        """The next primary key of table (1, 2, 3 ...), assigned before insert."""
        n = self._next.get(table, 0) + 1
        self._next[table] = n
        return n

    def add(self, table: str, row: Row) -> Row:
        """Append row to table, giving it the next id unless it carries one; returns the row."""
        if "id" not in row and table not in ("setting", "round_site"):
            row = {"id": self.new_id(table), **row}
        self.rows[table].append(row)
        return row

    def count(self, table: str) -> int:
        """Rows of table generated so far (screening results are counted as they stream)."""
        return len(self.rows[table])


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """day at hour:minute (hour may be 24 or more: the next day)."""
    return dt.datetime(day.year, day.month, day.day) + dt.timedelta(hours=hour, minutes=minute)
