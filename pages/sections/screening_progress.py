"""Progress of a round: due, sampled, coverage and missed, the exemptions, the table by grid, the
table by building of one grid (the one with the most missed first) or all, and the residents left
out of the round's due."""

from __future__ import annotations

import streamlit as st

from dashboard import screening_views, ui
from dashboard.i18n import t
from pages.sections.common import Ctx
from pages.sections.screening_common import masked, pick_grid, pick_round, pickers, progress_config


def render(ctx: Ctx) -> None:
    choices = pickers(ctx)
    round_id = pick_round(choices)
    if round_id is None:
        return
    view = ui.cached(screening_views.progress_view, round_id, ctx.day, ctx.lang)
    ui.kpi_row(view.kpis)
    st.caption(view.exempt_caption)
    if view.by_grid.empty:
        ui.empty("screening.none_in_scope")
        return
    config = progress_config()
    st.subheader(t("screening.by_grid"))
    st.dataframe(view.by_grid, hide_index=True, width="stretch", column_config=config)
    st.subheader(t("screening.by_building"), help=t("screening.by_building_help"))
    # The grid with the most residents missed comes up first; every grid's buildings on demand.
    grid_id = pick_grid(ctx, choices, first=view.most_missed_grid, key="scr_grid_buildings")
    shown = ui.cached(screening_views.grid_progress, round_id, ctx.day, grid_id, ctx.lang)
    st.dataframe(shown.by_building, hide_index=True, width="stretch", column_config=config)
    # The list is read only while the expander is open (it reruns the page when opened or closed).
    box = st.expander(t("screening.exempt_list", n=shown.exempt_n), key="scr_exempt_open", on_change="rerun")
    if box.open:
        exempt = ui.cached(screening_views.exempt_list, round_id, ctx.day, grid_id, ctx.lang)
        # grid_id decides what this user may see (masked) and stays hidden.
        box.dataframe(masked(ctx, exempt), hide_index=True, width="stretch", column_config={"grid_id": None})
