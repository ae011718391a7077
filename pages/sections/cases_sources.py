"""Source analysis (探本溯源): the epidemic curve by housing type, cases by housing, compound and
building, clusters, infections within households, household size and the channel that found them."""

from __future__ import annotations

import streamlit as st

from dashboard import sources, ui, zones
from dashboard.i18n import t
from pages.sections.cases_common import show
from pages.sections.common import Ctx, plotly_chart


def render(ctx: Ctx) -> None:
    day = ctx.day
    first = ui.cached(zones.first_day) or day
    since = st.date_input(
        t("cases.sources.since"), value=min(first, day), max_value=day, key="cases_src_since"
    )
    view = ui.cached(sources.sources_view, day, since, ctx.lang)
    if view is None:
        ui.empty("cases.sources.none")
        return
    spread = view.spread
    ui.kpi_row(
        [
            {"label": t("cases.sources.kpi_cases"), "value": view.cases},
            {"label": t("cases.sources.kpi_clusters"), "value": view.clusters_found},
            {"label": t("cases.sources.kpi_households"), "value": spread.households_with_cases},
            {
                "label": t("cases.sources.kpi_secondary"),
                "value": f"{spread.secondary_cases} ({spread.secondary_share:.0%})",
            },
        ],
        columns=4,
    )
    st.subheader(t("cases.sources.curve"))
    plotly_chart(view.curve)
    st.subheader(t("cases.sources.by_housing"))
    st.markdown(t("cases.sources.leader", **view.leader))
    plotly_chart(view.housing_chart)
    show(ctx, view.housing, ["group", "cases", "share", "residents", "per_1000"])
    st.subheader(t("cases.sources.by_compound"))
    show(ctx, view.by_compound, ["compound", "kind", "cases", "residents", "per_1000"])
    st.subheader(t("cases.sources.by_building"))
    show(ctx, view.by_building, ["compound", "building", "grid", "cases", "households_hit", "residents"])
    st.subheader(t("cases.sources.clusters"))
    st.caption(t("cases.sources.clusters_caption"))
    if view.clusters.empty:
        ui.empty("cases.sources.none_clusters")
    else:
        show(
            ctx,
            view.clusters,
            ["compound", "building", "grid", "first_on", "last_on", "days", "cases", "households"],
        )
    st.subheader(t("cases.sources.in_households"))
    st.caption(t("cases.sources.in_households_caption"))
    show(ctx, view.in_households, ["group", "first_cases", "secondary_cases"])
    st.subheader(t("cases.sources.by_size"))
    plotly_chart(view.sizes_chart)
    st.subheader(t("cases.sources.by_channel"))
    plotly_chart(view.channels_chart)
