"""Coverage: households reached and portions handed out of the batch as of the day, by grid,
compound or building, and the households not reached yet."""

from __future__ import annotations

import streamlit as st

from dashboard import supplies, supply_views, ui
from dashboard.i18n import t
from dashboard.supply_views import Batch
from pages.sections.common import Ctx
from pages.sections.supplies_common import coverage_config, personal_table, table


def render(ctx: Ctx, batch: Batch | None) -> None:
    if batch is None:
        return
    view = ui.cached(supply_views.coverage_view, batch.id, ctx.day, ctx.grid, ctx.lang)
    if view.empty:
        ui.empty("supplies.none_coverage")
        return
    ui.kpi_row(view.kpis, columns=2)
    st.caption(t("supplies.as_of_note", date=ctx.day.isoformat()))
    level = st.radio(
        t("supplies.level"), supplies.LEVELS, format_func=lambda x: t(f"supplies.level_{x}"), horizontal=True
    )
    shown = (
        view.by_grid
        if level == "grid"
        else ui.cached(supply_views.coverage_table, batch.id, ctx.day, level, ctx.lang)
    )
    table(shown, column_config=coverage_config())
    st.subheader(t("supplies.not_reached_title"))
    if not view.not_reached_n:
        st.success(t("supplies.none_not_reached"))
    elif view.not_reached is not None:  # one grid's list, read with its figures
        personal_table(ctx, view.not_reached, supply_views.NOT_REACHED_SHOWN)
    else:  # the whole area's: read only while the expander is open (it reruns the page)
        box = st.expander(
            t("supplies.not_reached_list", n=view.not_reached_n), key="sup_missing_open", on_change="rerun"
        )
        if box.open:
            listed = ui.cached(supply_views.not_reached_list, batch.id, ctx.day, None, ctx.lang)
            with box:
                personal_table(ctx, listed, supply_views.NOT_REACHED_SHOWN)
