"""态势总览: the headline figures as of the sidebar date."""

import datetime as dt

import streamlit as st

from dashboard import config, overview, ui
from dashboard.i18n import t

user = ui.require_user()
day = ui.as_of()
figures = ui.cached(overview.headline, day)
before = ui.cached(overview.headline, day - dt.timedelta(days=1))
committee = ui.cached(config.committee_name)
st.title(t("overview.title"))
st.caption(t("overview.heading", committee=committee, date=day.isoformat()))


def _delta(key: str) -> int:
    return figures[key] - before[key]


ui.kpi_row(
    [
        {"label": t("overview.residents"), "value": f"{figures['residents']:,}"},
        {"label": t("overview.households"), "value": f"{figures['households']:,}"},
        {"label": t("overview.compounds"), "value": figures["compounds"]},
        {"label": t("overview.grids"), "value": figures["grids"]},
    ]
)
ui.kpi_row(
    [
        {
            "label": t("overview.new_positives"),
            "value": figures["new_positives"],
            "delta": _delta("new_positives"),
            "delta_color": "inverse",
        },
        {
            "label": t("overview.negative_streak"),
            "value": figures["negative_streak_days"],
            "delta": _delta("negative_streak_days"),
        },
        {
            "label": t("overview.awaiting_transfer"),
            "value": figures["awaiting_transfer"],
            "delta": _delta("awaiting_transfer"),
            "delta_color": "inverse",
        },
        {
            "label": t("overview.sealed_buildings"),
            "value": figures["sealed_buildings"],
            "delta": _delta("sealed_buildings"),
            "delta_color": "inverse",
        },
    ]
)
ui.kpi_row(
    [
        {"label": t("overview.pcr_rounds"), "value": figures["pcr_rounds"]},
        {"label": t("overview.antigen_rounds"), "value": figures["antigen_rounds"]},
    ],
    columns=4,
)
