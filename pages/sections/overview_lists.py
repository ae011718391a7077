"""The list behind each overview tile, shown in a dialog: the day's new positives, the days since
the last one, who is not yet screened, who waits for a transfer, the zoned buildings, the households
not yet reached by the current batch, and the open follow-ups."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd
import streamlit as st

from dashboard import overview, privacy, ui
from dashboard.i18n import code, t
from pages.sections.overview_common import Day, close_list


def _confine(day: Day, df: pd.DataFrame) -> pd.DataFrame:
    """A grid leader's personal-data lists show their own grid only."""
    own_grid = day.ctx.grid
    if own_grid is None or df.empty or "grid_id" not in df.columns:
        return df
    st.caption(t("overview.own_grid_only", grid=day.ctx.user.grid_number or own_grid))
    return df[df["grid_id"] == own_grid]


def _table(day: Day, df: pd.DataFrame, labels: dict[str, str]) -> None:
    """A list with personal data masked for this user (dropped in meeting mode); labelled columns only."""
    shown = privacy.mask(df, day.ctx.user, meeting=day.ctx.meeting)
    keep = [c for c in labels if c in shown.columns]
    st.dataframe(shown[keep].rename(columns=labels), hide_index=True, width="stretch")
    st.caption(t("overview.rows_shown", n=len(df)))


def _list_new(day: Day) -> None:
    df = _confine(day, ui.cached(overview.new_cases, day.ctx.day))
    if df.empty:
        ui.empty("overview.none_new")
        return
    df = df.assign(
        channel=[code("case_channel", v) for v in df["channel"]],
        severity=[code("case_severity", v) for v in df["severity"]],
        status=[code("case_status", v) for v in df["status"]],
    )
    _table(
        day,
        df,
        {
            "found_at": t("overview.col_found_at"),
            "name": t("overview.col_name"),
            "grid": t("overview.col_grid"),
            "compound": t("overview.col_compound"),
            "building": t("overview.col_building"),
            "channel": t("overview.col_channel"),
            "severity": t("overview.col_severity"),
            "status": t("overview.col_status_case"),
        },
    )


def _list_streak(day: Day) -> None:
    if day.figures["total_positives"] == 0:
        ui.empty("overview.no_cases_yet")
        return
    as_of = day.ctx.day
    curve = ui.cached(overview.positives_by_channel, as_of, as_of - dt.timedelta(days=13))
    per_day = curve.groupby("date", as_index=False)["positives"].sum().sort_values("date", ascending=False)
    last = max(ui.cached(overview.positives_by_day, as_of))
    st.caption(t("overview.last_positive", date=last.isoformat()))
    st.dataframe(
        per_day.rename(columns={"date": t("overview.col_date"), "positives": t("overview.col_positives")}),
        hide_index=True,
        width="stretch",
    )


def _list_screening(day: Day) -> None:
    by_grid = day.view.scoreboard[["grid", "residents", "screening_coverage", "missed"]]
    st.dataframe(
        by_grid,
        hide_index=True,
        width="stretch",
        column_config={
            "grid": st.column_config.NumberColumn(t("overview.col_grid"), format="%d"),
            "residents": st.column_config.NumberColumn(t("overview.col_residents")),
            "screening_coverage": st.column_config.ProgressColumn(
                t("overview.col_screening"), min_value=0.0, max_value=1.0, format="percent"
            ),
            "missed": st.column_config.NumberColumn(t("overview.col_missed")),
        },
    )
    df = _confine(day, ui.cached(overview.missed_residents, day.ctx.day))
    if df.empty:
        ui.empty("overview.none_missed")
        return
    df = df.assign(outcome=[code("missed_outcome", v) if isinstance(v, str) else "" for v in df["outcome"]])
    _table(
        day,
        df,
        {
            "grid": t("overview.col_grid"),
            "compound": t("overview.col_compound"),
            "building": t("overview.col_building"),
            "room": t("overview.col_room"),
            "name": t("overview.col_name"),
            "phone": t("overview.col_phone"),
            "outcome": t("overview.col_outcome"),
        },
    )


def _list_transfer(day: Day) -> None:
    # Waiting hours run with the clock: today's are at most the cache's ten minutes old.
    df = _confine(day, ui.cached(overview.transfer_queue, day.ctx.day))
    if df.empty:
        ui.empty("overview.none_waiting")
        return
    df = df.assign(kind=[t(f"overview.kind_{k}") for k in df["kind"]])
    _table(
        day,
        df,
        {
            "kind": t("overview.col_kind"),
            "name": t("overview.col_name"),
            "grid": t("overview.col_grid"),
            "compound": t("overview.col_compound"),
            "building": t("overview.col_building"),
            "requested_at": t("overview.col_requested"),
            "hours": t("overview.col_hours"),
            "overdue": t("overview.col_overdue"),
        },
    )


def _list_zones(day: Day) -> None:
    df = ui.cached(overview.zoned_buildings, day.ctx.day)
    if df.empty:
        ui.empty("overview.none_zoned")
        return
    df = df.assign(zone=[code("zone", z) for z in df["zone"]])
    _table(
        day,
        df,
        {
            "zone": t("overview.col_zone"),
            "grid": t("overview.col_grid"),
            "compound": t("overview.col_compound"),
            "building": t("overview.col_building"),
            "last_case": t("overview.col_last_case"),
            "steps_down_on": t("overview.col_steps_down"),
            "days_left": t("overview.col_days_left"),
        },
    )


def _list_supply(day: Day) -> None:
    now = day.now
    if not now.batch_name:
        ui.empty("overview.no_batch")
        return
    st.caption(
        t(
            "overview.supply_batch",
            batch=ui.plain(now.batch_name),
            reached=f"{now.supply_reached:,}",
            entitled=f"{now.supply_entitled:,}",
        )
    )
    by_grid = day.view.scoreboard[["grid", "households", "supply_coverage"]]
    st.dataframe(
        by_grid,
        hide_index=True,
        width="stretch",
        column_config={
            "grid": st.column_config.NumberColumn(t("overview.col_grid"), format="%d"),
            "households": st.column_config.NumberColumn(t("overview.col_households")),
            "supply_coverage": st.column_config.ProgressColumn(
                t("overview.col_supply"), min_value=0.0, max_value=1.0, format="percent"
            ),
        },
    )
    df = _confine(day, ui.cached(overview.households_without_batch, day.ctx.day))
    if df.empty:
        ui.empty("overview.none_unreached")
        return
    _table(
        day,
        df,
        {
            "grid": t("overview.col_grid"),
            "compound": t("overview.col_compound"),
            "building": t("overview.col_building"),
            "door": t("overview.col_door"),
            "room": t("overview.col_room"),
            "head_name": t("overview.col_head"),
            "size": t("overview.col_size"),
            "portions": t("overview.col_portions"),
        },
    )


def _list_follow_ups(day: Day) -> None:
    df = ui.cached(overview.open_follow_ups, day.ctx.day)
    if df.empty:
        ui.empty("overview.none_follow_ups")
        return
    _table(
        day,
        df,
        {
            "created_on": t("overview.col_created"),
            "grid": t("overview.col_grid"),
            "item": t("overview.col_item"),
            "owner": t("overview.col_owner"),
            "due_on": t("overview.col_due_on"),
            "days_overdue": t("overview.col_days_overdue"),
        },
    )


LISTS: dict[str, tuple[str, Callable[[Day], None]]] = {
    "new": ("overview.list_new", _list_new),
    "streak": ("overview.list_streak", _list_streak),
    "screening": ("overview.list_screening", _list_screening),
    "transfer": ("overview.list_transfer", _list_transfer),
    "zones": ("overview.list_zones", _list_zones),
    "supply": ("overview.list_supply", _list_supply),
    "follow_ups": ("overview.list_follow_ups", _list_follow_ups),
}


def render(day: Day, kind: str) -> None:
    """The list of a tile in a dialog, with its close button."""
    title_key, show = LISTS[kind]

    def _dialog() -> None:
        show(day)
        # A dialog closes only when the app reruns from inside it (a callback alone leaves it open).
        if st.button(t("overview.close"), key="drill_close"):
            close_list()
            st.rerun()

    st.dialog(t(title_key), width="large", on_dismiss=close_list)(_dialog)()
