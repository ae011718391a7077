"""态势总览: KPI tiles that open their lists, the epidemic curve, a compact map and the grid scoreboard.

The frame of the page; the tiles live in pages/sections/overview_tiles.py and the list behind each
tile in pages/sections/overview_lists.py.
"""

import datetime as dt

import streamlit as st

from dashboard import charts, config, maps, overview, ui
from dashboard.i18n import t
from pages.sections import overview_lists, overview_tiles
from pages.sections.common import page_context
from pages.sections.overview_common import DRILL, Day

ctx = page_context()
day, lang = ctx.day, ctx.lang
figures = ui.cached(overview.basics, day)
view = ui.cached(overview.day_view, day)
before = ui.cached(overview.kpis, day - dt.timedelta(days=1))
committee = ui.cached(config.committee_name)
today = Day(ctx, figures, view, before)

st.title(t("overview.title"))
st.caption(t("overview.heading", committee=ui.plain(committee), date=day.isoformat()))
st.caption(
    t(
        "overview.basics",
        compounds=figures["compounds"],
        grids=figures["grids"],
        households=f"{figures['households']:,}",
        residents=f"{figures['residents']:,}",
        pcr=figures["pcr_rounds"],
        antigen=figures["antigen_rounds"],
    )
)
overview_tiles.render(today)
drill = st.session_state.get(DRILL)
if drill in overview_lists.LISTS:
    overview_lists.render(today, drill)


# --- curve and map --------------------------------------------------------------------------

left, right = st.columns([3, 2])
with left:
    st.subheader(t("overview.curve_title"))
    if figures["total_positives"] == 0:
        ui.empty("overview.no_cases_yet")
    else:
        st.plotly_chart(
            charts.from_json(ui.cached(charts.epidemic_curve_json, day, lang)),
            key="overview_curve",
            config={"displaylogo": False},
        )
with right:
    st.subheader(t("overview.map_title"), help=t("overview.map_help"))
    settings = config.env()
    assets_mode = maps.effective_assets(settings.assets)
    if assets_mode != settings.assets:
        st.caption(t("map.assets_missing"))
    ui.folium_map(
        maps.built_map,
        day,
        config.clock().hour,
        settings.tiles,
        lang,
        assets_mode,
        True,
        key="overview_map",
        height=360,
        returned_objects=[],
    )


# --- the grid scoreboard --------------------------------------------------------------------

STATUS_COLOURS = {"alert": "#c0392b", "watch": "#e67e22", "ok": "#27ae60"}
st.subheader(t("overview.scoreboard"), help=t("overview.scoreboard_help"))
board = view.scoreboard
if board.empty:
    ui.empty("overview.no_grids")
else:
    colours = {t(f"overview.status_{k}"): c for k, c in STATUS_COLOURS.items()}
    shown = board.assign(status=[t(f"overview.status_{s}") for s in board["status"]])
    styled = shown.style.map(
        lambda v: f"background-color: {colours.get(v, '')}; color: white; font-weight: 600", subset=["status"]
    )
    leader_visible = not ctx.meeting
    st.dataframe(
        styled,
        hide_index=True,
        width="stretch",
        column_order=[
            "status",
            "grid",
            *(["leader"] if leader_visible else []),
            "households",
            "residents",
            "screening_coverage",
            "missed",
            "new_cases",
            "active_cases",
            "sealed_buildings",
            "awaiting_transfer",
            "supply_coverage",
            "open_follow_ups",
        ],
        column_config={
            "status": st.column_config.TextColumn(t("overview.col_status")),
            "grid": st.column_config.NumberColumn(t("overview.col_grid"), format="%d"),
            "leader": st.column_config.TextColumn(t("overview.col_leader")),
            "households": st.column_config.NumberColumn(t("overview.col_households")),
            "residents": st.column_config.NumberColumn(t("overview.col_residents")),
            "screening_coverage": st.column_config.ProgressColumn(
                t("overview.col_screening"), min_value=0.0, max_value=1.0, format="percent"
            ),
            "missed": st.column_config.NumberColumn(t("overview.col_missed")),
            "new_cases": st.column_config.NumberColumn(t("overview.col_new_cases")),
            "active_cases": st.column_config.NumberColumn(t("overview.col_active_cases")),
            "sealed_buildings": st.column_config.NumberColumn(t("overview.col_sealed")),
            "awaiting_transfer": st.column_config.NumberColumn(t("overview.col_awaiting")),
            "supply_coverage": st.column_config.ProgressColumn(
                t("overview.col_supply"), min_value=0.0, max_value=1.0, format="percent"
            ),
            "open_follow_ups": st.column_config.NumberColumn(t("overview.col_follow_ups")),
        },
    )
