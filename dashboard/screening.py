"""Screening rounds (核酸/抗原): rounds, progress by grid and building, the missed list and its marks.

How a resident stands in a round (one screening_result row per resident and round, or none):
- sampled: a row without an exemption, or one with a sample method (a bedridden resident sampled at
  the door keeps the reason 'bedridden' and gets method 'door');
- exempt (left out of "due"): a row with reason transferred / quarantine / away and no sample;
- due: everyone in the round's scope who is not exempt; missed: due and not sampled.
Bedridden residents stay due (sampled door to door, 上门采样) and are counted separately.

The work is in three modules, whose names this one gathers:
- dashboard/screening_rounds.py: the rounds, their scope, creating one, and the status conditions;
- dashboard/screening_progress.py: a round's progress per building, per grid and in total;
- dashboard/screening_missed.py: the missed and exempt lists and the marks on a missed resident.
Pooled tubes and retests live in dashboard/tubes.py, the import in dashboard/screening_import.py,
the missed-list workbook and the trends in dashboard/screening_reports.py.
"""

from dashboard.config import end_of
from dashboard.screening_missed import (
    MISSED_COLUMNS,
    exempt_residents,
    in_scope,
    mark_exempt,
    mark_missed,
    missed_by_grid,
    missed_residents,
    why_missed,
)
from dashboard.screening_progress import (
    PROGRESS_COLUMNS,
    STATUS_COUNTS,
    RoundProgress,
    round_by_grid,
    round_progress,
    round_totals,
)
from dashboard.screening_rounds import (
    OUT_OF_DUE,
    R,
    RoundInfo,
    count_where,
    create_round,
    get_round,
    grids,
    latest_round,
    rounds,
    sampling_sites,
    scope_clause,
    sealed_building_ids,
    status_exprs,
)

__all__ = [
    "end_of",
    "OUT_OF_DUE",
    "R",
    "RoundInfo",
    "get_round",
    "rounds",
    "latest_round",
    "sampling_sites",
    "grids",
    "sealed_building_ids",
    "scope_clause",
    "create_round",
    "count_where",
    "status_exprs",
    "PROGRESS_COLUMNS",
    "RoundProgress",
    "STATUS_COUNTS",
    "round_totals",
    "round_progress",
    "round_by_grid",
    "MISSED_COLUMNS",
    "missed_residents",
    "missed_by_grid",
    "exempt_residents",
    "why_missed",
    "in_scope",
    "mark_missed",
    "mark_exempt",
]
