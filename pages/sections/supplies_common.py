"""What the sections of the supplies page share: who may do what, the sections a user is offered,
the batch picker, the tables (personal data masked per user), the moment and squad inputs, the
building picker and the flash message kept across a rerun."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from dashboard import config, privacy, roles, supply_views, ui
from dashboard.i18n import t
from dashboard.supply_views import Batch
from pages.sections import common
from pages.sections.common import Ctx

FLASH = "sup_flash"


def can_deliver(ctx: Ctx) -> bool:
    return roles.allowed(ctx.user, "supplies.deliver") and not ctx.meeting


def can_survey(ctx: Ctx) -> bool:
    return roles.allowed(ctx.user, "supplies.survey") and not ctx.meeting


def is_manager(ctx: Ctx) -> bool:
    return roles.allowed(ctx.user, "supplies.batch") and not ctx.meeting


def sections_for(ctx: Ctx) -> list[str]:
    """The sections offered to this user, the one they land on first (deliveries for those who hand out)."""
    deliver = can_deliver(ctx)
    sections = (["deliver"] if deliver and ctx.user.role in ("grid_leader", "task") else []) + ["coverage"]
    sections += ["deliver"] if deliver and "deliver" not in sections else []
    return (
        sections
        + ["batches"]
        + (["survey"] if ctx.user.role != "task" else [])
        + (["sheets"] if deliver else [])
    )


def pick_batch(ctx: Ctx) -> Batch | None:
    """The batch the section works on (the one being handed out by default); None when there is none."""
    picker = ui.cached(supply_views.batch_picker, ctx.day, ctx.lang)
    if not picker.ids:
        ui.empty("supplies.none_batches")
        return None
    if st.session_state.get("sup_pick_batch") in picker.ids:  # a batch just recorded: show its preview
        st.session_state["sup_batch"] = st.session_state.pop("sup_pick_batch")
    chosen = st.selectbox(
        t("supplies.batch"), picker.ids, index=picker.index, format_func=picker.labels.get, key="sup_batch"
    )
    return picker.batches[chosen]


def done(message: str) -> None:
    """Keep the success message across the rerun that shows the new figures."""
    common.done(FLASH, message)


def table(df: pd.DataFrame, **kwargs: object) -> None:
    """A table already in display order with its headings (no personal data)."""
    st.dataframe(df, hide_index=True, width="stretch", **kwargs)


def coverage_config() -> dict[str, object]:
    """The coverage column drawn as a bar."""
    heading = common.column_labels(supply_views.HEADINGS)["coverage"]
    return {heading: st.column_config.ProgressColumn(format="percent", min_value=0.0, max_value=1.0)}


def personal_table(ctx: Ctx, df: pd.DataFrame, columns: list[str]) -> None:
    """A list with head names (columns, then grid_id), masked for this user; grid_id decides a grid
    leader's rights and stays hidden."""
    names = common.column_labels(supply_views.HEADINGS)
    shown = privacy.mask(df, ctx.user, meeting=ctx.meeting)
    shown = shown.set_axis([names.get(c, c) for c in shown.columns], axis=1)
    st.dataframe(shown, hide_index=True, width="stretch", column_order=[names[c] for c in columns])


def when_inputs(ctx: Ctx, key: str) -> dt.datetime | None:
    """Date and time of a visit; an empty time means now."""
    today = ctx.today
    d = st.date_input(t("supplies.when_date"), value=today, max_value=today, key=f"{key}_date")
    tm = st.time_input(
        t("supplies.when_time"), value=None, key=f"{key}_time", step=300, help=t("supplies.time_help")
    )
    if tm is None:
        return None if d == today else dt.datetime.combine(d, config.clock().time())
    return dt.datetime.combine(d, tm)


def team_input(ctx: Ctx, key: str) -> int | None:
    """The squad that handed out (a squad member's own; a choice, or none, for others)."""
    names = ui.cached(supply_views.team_choices)
    user = ctx.user
    if user.role == "task":
        st.caption(f"{t('supplies.team')}: {names.get(user.team_id, '')}")
        return user.team_id
    return st.selectbox(
        t("supplies.team"),
        [None, *names],
        format_func=lambda i: t("supplies.team_none") if i is None else names[i],
        key=key,
    )


def buildings(ctx: Ctx) -> dict[int, str]:
    """The buildings this user works on (a grid leader's grid, else all): id → label."""
    return ui.cached(supply_views.building_choices, ctx.grid, ctx.lang)
