"""Daily services (生活保障): the façade over medicine, courier, disinfection and entrances.

The logic lives in one module per service (dashboard/medicine.py, courier.py, disinfection.py,
entrances.py); this module names what the overview, the recap and the brief read from them.
"""

from __future__ import annotations

from dashboard.courier import CourierDayTotals, courier_day_totals
from dashboard.disinfection import DisinfectionStatus, disinfection_status
from dashboard.entrances import guard_coverage, guard_gaps
from dashboard.medicine import NextRun, next_run, next_run_date

__all__ = [
    "CourierDayTotals",
    "DisinfectionStatus",
    "NextRun",
    "courier_day_totals",
    "disinfection_status",
    "guard_coverage",
    "guard_gaps",
    "next_run",
    "next_run_date",
]
