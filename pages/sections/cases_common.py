"""What the sections of the cases page share: column headings, the masked table, names in pickers,
who may act on a row, the moment of a step, and the flash message kept across a rerun."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd
import streamlit as st

from dashboard import config, privacy, roles
from dashboard.i18n import code, t
from pages.sections import common
from pages.sections.common import Ctx

FLASH = "cases_flash"
COLUMN_KEYS = {
    "subject": "cases.col_subject",
    "kind": "cases.col_kind",
    "name": "common.name",
    "case_name": "cases.col_case_name",
    "grid": "common.grid",
    "compound": "common.compound",
    "building": "common.building",
    "room": "common.room",
    "requested_at": "cases.col_requested_at",
    "hours_waited": "cases.col_hours_waited",
    "overdue": "cases.col_overdue",
    "destination": "cases.col_destination",
    "entrance": "cases.col_entrance",
    "route": "cases.col_route",
    "team": "cases.col_team",
    "vehicle": "cases.col_vehicle",
    "case_id": "cases.col_case_id",
    "found_at": "cases.col_found_at",
    "channel": "cases.col_channel",
    "severity": "cases.col_severity",
    "status": "common.status",
    "transferred_at": "cases.col_transferred_at",
    "recovered_on": "cases.col_recovered_on",
    "contacts": "cases.col_contacts",
    "identified_on": "cases.col_identified_on",
    "notified_at": "cases.col_notified_at",
    "quarantined_at": "cases.col_quarantined_at",
    "released_on": "cases.col_released_on",
    "zone": "cases.col_zone",
    "last_case": "cases.col_last_case",
    "steps_down_on": "cases.col_steps_down_on",
    "days_left": "cases.col_days_left",
    "sealed_buildings": "cases.col_sealed_buildings",
    "start_on": "cases.col_start_on",
    "end_on": "cases.col_end_on",
    "days": "cases.col_days",
    "overridden": "cases.col_overridden",
    "reason": "cases.col_reason",
    "cases": "cases.sources.cases",
    "residents": "common.residents",
    "per_1000": "cases.sources.per_1000",
    "share": "cases.sources.share",
    "group": "cases.sources.housing",
    "size": "cases.sources.household_size",
    "households_hit": "cases.sources.households_hit",
    "households": "cases.sources.households",
    "first_on": "cases.sources.first_on",
    "last_on": "cases.sources.last_on",
    "first_cases": "cases.sources.first_cases",
    "secondary_cases": "cases.sources.secondary_cases",
    "day": "common.date",
    "requested": "cases.col_requested",
    "moved_same_day": "cases.col_moved_same_day",
    "same_day_share": "cases.col_same_day_share",
    "median_hours": "cases.col_median_hours",
    "waiting": "cases.col_waiting",
}
DECIMALS = {"hours_waited", "median_hours", "per_1000"}
SHARES = {"share", "same_day_share"}
# The stored codes a table of this page may hold, and the words they take (show(..., codes=CODES)).
CODES = {
    "channel": "case_channel",
    "severity": "case_severity",
    "destination": "destination",
    "zone": "zone",
}


def show(
    ctx: Ctx,
    df: pd.DataFrame,
    columns: list[str],
    *,
    codes: dict[str, str] | None = None,
    style: Callable[[pd.Series], list[str]] | None = None,
) -> None:
    """A table of the chosen columns: personal data masked for this user, the stored codes of
    `codes` (column → kind) turned into words, the columns named in this run's language."""
    shown = privacy.mask(df, ctx.user, meeting=ctx.meeting) if privacy.personal_columns(df) else df
    if codes:
        shown = shown.assign(
            **{
                col: [code(kind, v) if isinstance(v, str) else "" for v in shown[col]]
                for col, kind in codes.items()
                if col in shown.columns
            }
        )
    keep = [c for c in columns if c in shown.columns]
    if list(shown.columns) != keep:
        shown = shown[keep]
    if style is not None:
        shown = shown.style.apply(style, axis=1)
    labels = common.column_labels(COLUMN_KEYS)
    config_: dict[str, object] = {c: labels.get(c, c) for c in keep}
    for c in DECIMALS.intersection(keep):
        config_[c] = st.column_config.NumberColumn(labels[c], format="%.1f")
    for c in SHARES.intersection(keep):
        config_[c] = st.column_config.NumberColumn(labels[c], format="percent")
    st.dataframe(shown, hide_index=True, width="stretch", column_config=config_)


def who(ctx: Ctx, name: object, grid_id: object) -> str:
    """A person's name as this user may see it in a picker."""
    grid = None if grid_id is None or pd.isna(grid_id) else int(grid_id)
    if ctx.meeting:
        return "—"
    return str(name) if roles.sees_personal(ctx.user, grid) else privacy.mask_name(str(name))


def may_act(ctx: Ctx, action: str, grid_id: object) -> bool:
    """Whether a form should offer this row to the user (the write function checks again)."""
    user = ctx.user
    if not roles.allowed(user, action):
        return False
    if user.role == "grid_leader" and action in roles.GRID_SCOPED:
        return grid_id is not None and not pd.isna(grid_id) and int(grid_id) == user.grid_id
    return True


def moment_inputs(ctx: Ctx, prefix: str) -> dt.datetime:
    """Date and time of a step: the as-of day (today by default), now's time on today."""
    default_time = config.clock().time().replace(second=0) if ctx.day >= ctx.today else dt.time(20, 0)
    d = st.date_input(t("common.date"), value=ctx.day, max_value=ctx.today, key=f"{prefix}_date")
    tm = st.time_input(t("common.time"), value=default_time, key=f"{prefix}_time", step=300)
    return dt.datetime.combine(d, tm)


def done(message: str) -> None:
    common.done(FLASH, message)


def case_label(ctx: Ctx, r: object) -> str:
    return t(
        "cases.case_label",
        id=int(r.case_id),
        name=who(ctx, r.name, r.grid_id),
        building=f"{r.compound} {r.building}",
        room=r.room,
        status=code("case_status", r.status),
    )
