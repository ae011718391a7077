"""People and teams (人员与队伍): who works for the committee, in which team and grid, and the roster.

A roster entry is a duty_shift; with an entrance it is a guard shift (see dashboard/entrances.py).
Managers edit every shift; a task user edits the shifts of their own team. A roster is a plan, so a
shift may start up to a week ahead; it may last at most 24 hours. Shifts and people carry no version
column: an edit names the values the user saw (`stamp`) and is refused when they changed meanwhile.

The entry the pages and the tests use; the work lives in three modules:

- people_staff: people and teams, their counts and pickers, and the people writes
  (`do_add_person`, `do_assign_person`);
- people_roster: the shifts of a day or a moment, whose roster a user may edit, the shift form's
  pickers, and the roster writes (`do_add_shift`, `do_edit_shift`, `do_delete_shift`);
- people_views: the moment 'who is on duty' looks at, the staff lists' masking, and the lists as the
  pages show them (`people_table`, `teams_table`, `roster_table`, `on_duty_table`, ...).

`now_on` is config.now_on (the app's now from today, without a query). The stored codes of people
(PERSON_KINDS, CADRE_LEVELS, VOLUNTEER_KINDS) are kept here for the pages' pickers.
"""

from __future__ import annotations

from dashboard.config import now_on
from dashboard.people_roster import (
    MAX_SHIFT_HOURS,
    PLAN_AHEAD_DAYS,
    do_add_shift,
    do_delete_shift,
    do_edit_shift,
    entrance_choices,
    entrance_names,
    guard_labels,
    on_duty,
    roster,
    roster_members,
    roster_scope,
    shift_choices,
    shift_stamp,
    team_ids,
    teams_for,
)
from dashboard.people_staff import (
    PERSON_COLUMNS,
    do_add_person,
    do_assign_person,
    grid_assignment,
    grid_names,
    member_names,
    people_counts,
    people_list,
    person_record,
    person_stamp,
    team_kind,
    team_names,
    teams_overview,
)
from dashboard.people_views import (
    ON_DUTY_SHOWN,
    PEOPLE_SHOWN,
    PERSON_CODES,
    ROSTER_SHOWN,
    duty_moment,
    mask_staff,
    on_duty_table,
    people_lists,
    people_table,
    person_labels,
    roster_table,
    teams_table,
)
from db.models import CADRE_LEVELS, PERSON_KINDS, VOLUNTEER_KINDS

__all__ = [
    "CADRE_LEVELS",
    "MAX_SHIFT_HOURS",
    "ON_DUTY_SHOWN",
    "PEOPLE_SHOWN",
    "PERSON_CODES",
    "PERSON_COLUMNS",
    "PERSON_KINDS",
    "PLAN_AHEAD_DAYS",
    "ROSTER_SHOWN",
    "VOLUNTEER_KINDS",
    "do_add_person",
    "do_add_shift",
    "do_assign_person",
    "do_delete_shift",
    "do_edit_shift",
    "duty_moment",
    "entrance_choices",
    "entrance_names",
    "grid_assignment",
    "grid_names",
    "guard_labels",
    "mask_staff",
    "member_names",
    "now_on",
    "on_duty",
    "on_duty_table",
    "people_counts",
    "people_list",
    "people_lists",
    "people_table",
    "person_labels",
    "person_record",
    "person_stamp",
    "roster",
    "roster_members",
    "roster_scope",
    "roster_table",
    "shift_choices",
    "shift_stamp",
    "team_ids",
    "team_kind",
    "team_names",
    "teams_for",
    "teams_overview",
    "teams_table",
]
