"""Medicine (配药): requests collected into the twice-weekly hospital run, and who may need a check.

A request moves requested → in_run (collected into a run) → bought (the run came back) → delivered;
any step before delivery may be cancelled. The next run is the first day on or after as_of that is a
run weekday (rule hospital_run_weekdays, Monday = 0) or has a scheduled run, and whose run is not
done by the end of as_of. Every request outstanding on as_of comes back with that run unless it is
already assigned to a later one.

The entry the pages, the recap and the tests use; the work lives in three modules:

- medicine_requests: the requests as of a day, and the request form's writes and checks
  (`do_request_medicine`, `do_advance_medicine`);
- medicine_runs: the next run and what it brings back, the runs of a period, the drivers, and the
  run's writes (`do_schedule_run`, `do_collect_into_run`, `do_complete_run`);
- medicine_views: the residents who may need a check, and the display-ready reads of the services
  page (`medicine_view`, `check_list`, `open_requests`, `driver_labels`, `runs_view`).
"""

from __future__ import annotations

from dashboard.medicine_requests import (
    CHECK_DAYS,
    NEXT_STEPS,
    URGENT_HOURS,
    do_advance_medicine,
    do_request_medicine,
    outstanding_requests,
    reference_moment,
    requests_on,
    residents_of_building,
)
from dashboard.medicine_runs import (
    PLAN_AHEAD_DAYS,
    NextRun,
    do_collect_into_run,
    do_complete_run,
    do_schedule_run,
    drivers,
    next_run,
    next_run_date,
    run_weekdays,
    runs_between,
)
from dashboard.medicine_views import (
    CHECK_COLUMNS,
    CHECK_ROWS,
    CHECK_SHOWN,
    ELDERLY_AGE,
    REQUESTS_SHOWN,
    RUNS_SHOWN,
    MedicineView,
    RunsView,
    check_list,
    driver_labels,
    medicine_view,
    open_requests,
    residents_needing_check,
    runs_view,
)

__all__ = [
    "CHECK_COLUMNS",
    "CHECK_DAYS",
    "CHECK_ROWS",
    "CHECK_SHOWN",
    "ELDERLY_AGE",
    "NEXT_STEPS",
    "PLAN_AHEAD_DAYS",
    "REQUESTS_SHOWN",
    "RUNS_SHOWN",
    "URGENT_HOURS",
    "MedicineView",
    "NextRun",
    "RunsView",
    "check_list",
    "do_advance_medicine",
    "do_collect_into_run",
    "do_complete_run",
    "do_request_medicine",
    "do_schedule_run",
    "driver_labels",
    "drivers",
    "medicine_view",
    "next_run",
    "next_run_date",
    "open_requests",
    "outstanding_requests",
    "reference_moment",
    "requests_on",
    "residents_needing_check",
    "residents_of_building",
    "run_weekdays",
    "runs_between",
    "runs_view",
]
