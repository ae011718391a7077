"""The situation at a glance, as of a day: the headline figures every page and the brief share, the
KPI tiles of the overview with the lists behind them, the epidemic curve and the grid scoreboard.

Every figure is computed from the schema with SQL aggregates, so the overview does not depend on the
area modules (screening, cases, supplies, recap) and a replayed day gives that day's view. The work
is in three modules, whose names this one gathers:
- dashboard/overview_figures.py: the headline figures, the new positives and the curve's data, the
  transfer queue, the zoned buildings and the open follow-ups;
- dashboard/overview_coverage.py: screening and supply coverage per grid, the missed residents and the
  households not reached;
- dashboard/overview_board.py: the tiles and the grid scoreboard.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from dashboard.config import end_of
from dashboard.overview_board import (
    SCREENING_ALERT_BELOW,
    SCREENING_WATCH_BELOW,
    SUPPLY_WATCH_BELOW,
    DayParts,
    DayView,
    Kpis,
    day_parts,
    day_view,
    grid_scoreboard,
    kpis,
)
from dashboard.overview_coverage import (
    BatchRef,
    RoundRef,
    batch_coverage_of_building,
    current_batch,
    day_round,
    households_without_batch,
    missed_residents,
    residents_by_grid,
    screening_by_grid,
    supply_by_grid,
)
from dashboard.overview_figures import (
    active_case,
    awaiting_transfer,
    basics,
    first_day,
    headline,
    negative_streak,
    new_cases,
    open_entrances,
    open_follow_ups,
    positives_by_channel,
    positives_by_day,
    reference_moment,
    transfer_queue,
    zoned_buildings,
)

__all__ = [
    "end_of",
    "active_case",
    "basics",
    "reference_moment",
    "positives_by_day",
    "negative_streak",
    "open_entrances",
    "awaiting_transfer",
    "headline",
    "new_cases",
    "first_day",
    "positives_by_channel",
    "transfer_queue",
    "zoned_buildings",
    "open_follow_ups",
    "RoundRef",
    "day_round",
    "residents_by_grid",
    "screening_by_grid",
    "missed_residents",
    "BatchRef",
    "current_batch",
    "supply_by_grid",
    "batch_coverage_of_building",
    "households_without_batch",
    "Kpis",
    "DayParts",
    "day_parts",
    "kpis",
    "SCREENING_ALERT_BELOW",
    "SCREENING_WATCH_BELOW",
    "SUPPLY_WATCH_BELOW",
    "grid_scoreboard",
    "DayView",
    "day_view",
    "page_reads",
]


def page_reads(session: Session, as_of: dt.date) -> dict[str, Any]:
    """Everything the overview page reads for a day, uncached: what `make bench` times as the cold cost.

    (The page also draws charts.epidemic_curve_json(session, as_of, lang) and the compact map
    maps.built_map(session, as_of, hour, tiles, lang, assets, compact=True).)
    """
    return {
        "basics": basics(session, as_of),
        "day": day_view(session, as_of),
        "kpis_day_before": kpis(session, as_of - dt.timedelta(days=1)),
        "curve": positives_by_channel(session, as_of),
    }
