"""Trends: coverage of every round over time, and antigen self-test participation by grid."""

from __future__ import annotations

import streamlit as st

from dashboard import screening_views, ui
from dashboard.i18n import code, t
from pages.sections.common import Ctx, plotly_chart


def render(ctx: Ctx) -> None:
    view = ui.cached(screening_views.trends_view, ctx.day, ctx.lang)
    if view.coverage is None:
        ui.empty("screening.none_rounds")
        return
    st.subheader(t("screening.trend_title"))
    plotly_chart(view.coverage, width="stretch")
    st.subheader(t("screening.participation_title"))
    if view.participation is None:
        ui.empty("screening.none_rounds_kind", kind=code("round_kind", "antigen"))
        return
    plotly_chart(view.participation, width="stretch")
    st.dataframe(
        view.by_grid,
        hide_index=True,
        column_config={
            "participation": st.column_config.ProgressColumn(
                t("screening.participation"), min_value=0.0, max_value=1.0, format="percent"
            )
        },
    )
