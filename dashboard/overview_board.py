"""The overview's tiles and grid scoreboard as of a day, made of one set of per-grid reads (DayParts).

Part of the overview (dashboard/overview.py gathers its names).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from dashboard import zones
from dashboard.overview_coverage import (
    _screening_counts,
    current_batch,
    day_round,
    residents_by_grid,
    screening_by_grid,
    supply_by_grid,
)
from dashboard.overview_figures import (
    _count,
    _frame,
    _still_open,
    active_case,
    negative_streak,
    transfer_queue,
)
from db.models import (
    Building,
    Case,
    FollowUp,
    Grid,
    Household,
    HouseholdTally,
    Person,
    Resident,
)

# --- the tiles ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kpis:
    """The figures of the overview's tiles as of one day."""

    as_of: dt.date
    new_positives: int
    negative_streak: int
    round_number: int | None
    round_date: dt.date | None
    screening_due: int
    screening_sampled: int
    screening_coverage: float | None
    awaiting_cases: int
    awaiting_contacts: int
    longest_wait_hours: float | None
    overdue_transfers: int
    sealed_buildings: int
    controlled_buildings: int
    batch_name: str | None
    supply_entitled: int
    supply_reached: int
    supply_coverage: float | None
    open_follow_ups: int
    overdue_follow_ups: int


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


@dataclass(frozen=True)
class DayParts:
    """The per-grid reads both the tiles and the scoreboard are made of (read once per day)."""

    screening: pd.DataFrame
    queue: pd.DataFrame
    supply: pd.DataFrame
    building_zones: pd.DataFrame
    residents: dict[int | None, int] | None = None  # residents_by_grid(), when read


def day_parts(session: Session, as_of: dt.date) -> DayParts:
    """Screening by grid, the transfer queue, supply by grid and every building's zone on a day."""
    residents = residents_by_grid(session)
    return DayParts(
        screening=screening_by_grid(session, as_of, residents=residents),
        queue=transfer_queue(session, as_of),
        supply=supply_by_grid(session, as_of),
        building_zones=zones.building_zones(session, as_of),
        residents=residents,
    )


def kpis(session: Session, as_of: dt.date, parts: DayParts | None = None) -> Kpis:
    """Every tile's figure as of a day (call again for the day before to get the change).

    Without parts, the totals are read as totals (no per-grid breakdown): the day before's tiles.
    """
    rnd = day_round(session, as_of)
    batch = current_batch(session, as_of)
    if parts is not None:
        screening, supply, b = parts.screening, parts.supply, parts.building_zones
        due, sampled = int(screening["due"].sum()), int(screening["sampled"].sum())
        entitled, reached = int(supply["entitled"].sum()), int(supply["reached"].sum())
        zone_count = b["zone"].value_counts().to_dict() if not b.empty else {}
        queue = parts.queue
    else:
        due = sampled = entitled = reached = 0
        if rnd is not None:
            in_scope, exempt, sampled = _screening_counts(session, rnd, as_of, by_grid=False)[None]
            due = in_scope - exempt
        if batch is not None:
            total = supply_by_grid(session, as_of)
            entitled, reached = int(total["entitled"].sum()), int(total["reached"].sum())
        zone_count = zones.zone_counts(session, as_of)
        queue = transfer_queue(session, as_of)
    follow = session.execute(
        select(func.count(), func.sum(case((FollowUp.due_on < as_of, 1), else_=0))).where(_still_open(as_of))
    ).one()
    return Kpis(
        as_of=as_of,
        new_positives=_count(session, select(func.count()).select_from(Case).where(Case.found_on == as_of)),
        negative_streak=negative_streak(session, as_of),
        round_number=rnd.number if rnd else None,
        round_date=rnd.date if rnd else None,
        screening_due=due,
        screening_sampled=sampled,
        screening_coverage=_ratio(sampled, due),
        awaiting_cases=int((queue["kind"] == "case").sum()),
        awaiting_contacts=int((queue["kind"] == "contact").sum()),
        longest_wait_hours=float(queue["hours"].max()) if not queue.empty else None,
        overdue_transfers=int(queue["overdue"].sum()) if not queue.empty else 0,
        sealed_buildings=int(zone_count.get("sealed", 0)),
        controlled_buildings=int(zone_count.get("controlled", 0)),
        batch_name=batch.name if batch else None,
        supply_entitled=entitled,
        supply_reached=reached,
        supply_coverage=_ratio(reached, entitled),
        open_follow_ups=int(follow[0] or 0),
        overdue_follow_ups=int(follow[1] or 0),
    )


# --- the grid scoreboard ------------------------------------------------------------------------


def _grid_names(session: Session) -> pd.DataFrame:
    return _frame(
        session.execute(
            select(Grid.id, Grid.number, Grid.name, Person.name)
            .outerjoin(Person, Person.id == Grid.leader_id)
            .order_by(Grid.number)
        ).all(),
        ["grid_id", "grid", "grid_name", "leader"],
    )


# Status of a grid on the scoreboard: alert (red) when something needs action today, watch
# (orange) while the grid is under restriction or has gaps, ok (green) otherwise.
SCREENING_ALERT_BELOW = 0.90


SCREENING_WATCH_BELOW = 0.98


SUPPLY_WATCH_BELOW = 0.95


def _status(row: Any) -> str:
    cov = row.screening_coverage
    if row.new_cases or row.overdue_transfers or (pd.notna(cov) and cov < SCREENING_ALERT_BELOW):
        return "alert"
    supply = row.supply_coverage
    if (
        row.sealed_buildings
        or row.awaiting_transfer
        or row.open_follow_ups
        or (pd.notna(cov) and cov < SCREENING_WATCH_BELOW)
        or (pd.notna(supply) and supply < SUPPLY_WATCH_BELOW)
    ):
        return "watch"
    return "ok"


def grid_scoreboard(session: Session, as_of: dt.date, parts: DayParts | None = None) -> pd.DataFrame:
    """One row per grid as of a day (计分板).

    Columns: grid_id, grid, grid_name, leader, households, residents, screening_coverage, missed,
    new_cases, active_cases, sealed_buildings, controlled_buildings, awaiting_transfer,
    overdue_transfers, supply_coverage, open_follow_ups, status (alert | watch | ok).
    """
    parts = parts or day_parts(session, as_of)
    df = _grid_names(session)
    residents = parts.residents if parts.residents is not None else residents_by_grid(session)
    households = session.execute(
        select(Building.grid_id, func.sum(HouseholdTally.households))
        .select_from(HouseholdTally)
        .join(Building, Building.id == HouseholdTally.building_id)
        .group_by(Building.grid_id)
    ).all()
    cases_by_grid = {
        grid_id: (new, active)
        for grid_id, new, active in session.execute(
            select(
                Building.grid_id,
                func.sum(case((Case.found_on == as_of, 1), else_=0)),
                func.count(Case.id),
            )
            .select_from(Case)
            .join(Resident, Resident.id == Case.resident_id)
            .join(Household, Household.id == Resident.household_id)
            .join(Building, Building.id == Household.building_id)
            .where(active_case(as_of))
            .group_by(Building.grid_id)
        )
    }
    zoned: dict[Any, list[int]] = {}
    b = parts.building_zones
    if not b.empty:
        for grid_id, zone in zip(b["grid_id"].tolist(), b["zone"].tolist(), strict=True):
            counted = zoned.setdefault(grid_id, [0, 0])
            counted[0] += zone == "sealed"
            counted[1] += zone == "controlled"
    waiting: dict[Any, list[int]] = {}
    queue = parts.queue
    if not queue.empty:
        for grid_id, overdue in zip(queue["grid_id"].tolist(), queue["overdue"].tolist(), strict=True):
            counted = waiting.setdefault(grid_id, [0, 0])
            counted[0] += 1
            counted[1] += int(overdue)
    follow = dict(
        session.execute(
            select(FollowUp.grid_id, func.count()).where(_still_open(as_of)).group_by(FollowUp.grid_id)
        ).all()
    )
    screening, supply = parts.screening, parts.supply
    # Each grid's figures looked up by grid_id (a grid with none of a part gets NaN, then 0).
    columns: dict[str, dict[Any, Any]] = {
        "households": dict(households),
        "residents": residents,
        "new_cases": {g: v[0] for g, v in cases_by_grid.items()},
        "active_cases": {g: v[1] for g, v in cases_by_grid.items()},
        "sealed_buildings": {g: v[0] for g, v in zoned.items()},
        "controlled_buildings": {g: v[1] for g, v in zoned.items()},
        "screening_coverage": dict(zip(screening["grid_id"], screening["coverage"], strict=True)),
        "missed": dict(zip(screening["grid_id"], screening["missed"], strict=True)),
        "supply_coverage": dict(zip(supply["grid_id"], supply["coverage"], strict=True)),
        "awaiting_transfer": {g: v[0] for g, v in waiting.items()},
        "overdue_transfers": {g: v[1] for g, v in waiting.items()},
        "open_follow_ups": follow,
    }
    grid_ids = df["grid_id"].tolist()
    nan = float("nan")
    for col, by_grid in columns.items():
        df[col] = [by_grid.get(g, nan) for g in grid_ids]
    counts = [
        "households",
        "residents",
        "missed",
        "new_cases",
        "active_cases",
        "sealed_buildings",
        "controlled_buildings",
        "awaiting_transfer",
        "overdue_transfers",
        "open_follow_ups",
    ]
    for col in counts:
        df[col] = df[col].fillna(0).astype(int)
    for col in ("screening_coverage", "supply_coverage"):
        df[col] = df[col].astype(float)
    df["status"] = [_status(r) for r in df.itertuples(index=False)]
    return df[
        [
            "grid_id",
            "grid",
            "grid_name",
            "leader",
            "households",
            "residents",
            "screening_coverage",
            "missed",
            "new_cases",
            "active_cases",
            "sealed_buildings",
            "controlled_buildings",
            "awaiting_transfer",
            "overdue_transfers",
            "supply_coverage",
            "open_follow_ups",
            "status",
        ]
    ]


@dataclass(frozen=True)
class DayView:
    """The tiles and the scoreboard of one day, from one set of reads."""

    kpis: Kpis
    scoreboard: pd.DataFrame


def day_view(session: Session, as_of: dt.date) -> DayView:
    """kpis() and grid_scoreboard() of a day together (the overview caches this one call)."""
    parts = day_parts(session, as_of)
    return DayView(kpis=kpis(session, as_of, parts), scoreboard=grid_scoreboard(session, as_of, parts))
