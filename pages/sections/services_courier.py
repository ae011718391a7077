"""Courier (快递): the day's parcels, the backlog by shift, squad and grid, the last two weeks, and
the form that records a shift's parcels for a grid."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import courier, roles, ui
from dashboard.i18n import code, t
from pages.sections.common import column_labels, headed, plotly_chart
from pages.sections.services_common import Svc, done, grid_picker, seen

SHIFT_HEADINGS = {
    "team": "services.courier.squad",
    "grid": "common.grid",
    "shift": "services.courier.shift",
    "carried_in": "services.courier.carried_in",
    "received": "services.courier.received",
    "delivered": "services.courier.delivered",
    "left_over": "services.courier.left_over",
    "backlog": "services.courier.backlog",
}


def table(df: pd.DataFrame, headings: dict[str, str]) -> None:
    """A courier table (no personal data), its columns named in this run's language."""
    st.dataframe(headed(df, headings), hide_index=True, width="stretch")


def render(svc: Svc) -> None:
    ctx = svc.ctx
    view = ui.cached(courier.courier_view, ctx.day, ctx.lang)
    totals = view.totals
    ui.kpi_row(
        [
            {"label": t("services.courier.received"), "value": totals.received},
            {"label": t("services.courier.delivered"), "value": totals.delivered},
            {"label": t("services.courier.left_over"), "value": totals.left_over},
            {
                "label": t("services.courier.backlog_end"),
                "value": totals.backlog_end,
                "delta": totals.backlog_end - totals.backlog_start,
                "delta_color": "inverse",
            },
        ]
    )
    headings = column_labels(SHIFT_HEADINGS)
    if totals.rows == 0:
        ui.empty("services.courier.none_today")
    else:
        st.markdown(f"**{t('services.courier.by_shift')}**")
        table(view.by_shift, headings)
        st.markdown(f"**{t('services.courier.by_squad')}**")
        table(view.by_squad, headings)
    st.markdown(f"**{t('services.courier.by_grid')}**")
    table(view.by_grid, headings)
    st.markdown(f"**{t('services.courier.chart')}**")
    plotly_chart(view.chart, width="stretch", config={"displayModeBar": False})

    user = ctx.user
    if ctx.meeting or not roles.allowed(user, "services.courier"):
        return
    if user.role == "task" and svc.team_kind != "transport":
        return
    st.divider()
    record_form(svc, view.squads)


def record_form(svc: Svc, squads: dict[int, str]) -> None:
    """Record a shift's parcels for a grid (`squads`: the transport squads, id → name)."""
    ctx = svc.ctx
    user, today = ctx.user, ctx.today
    st.markdown(f"**{t('services.courier.form')}**")
    form_day = st.date_input(t("services.day"), value=today, max_value=today, key="courier_day")
    shift = st.selectbox(
        t("services.courier.shift"),
        list(courier.SHIFT_RANK),
        format_func=lambda s: code("shift", s),
        key="courier_shift",
    )
    grid_id = grid_picker(ctx, "courier_grid")
    if grid_id is None:
        return
    if user.role == "task":
        team_id = user.team_id
    else:
        s_labels = {None: t("services.courier.no_squad")} | squads
        team_id = st.selectbox(
            t("services.courier.squad"), list(s_labels), format_func=s_labels.get, key="courier_team"
        )
    triple = (form_day.isoformat(), shift, int(grid_id))
    existing, carried = ui.cached(courier.form_state, form_day, shift, int(grid_id))
    if st.session_state.get("courier_triple") != triple:
        st.session_state["courier_triple"] = triple
        st.session_state["courier_received"] = existing["received"] if existing else 0
        st.session_state["courier_delivered"] = existing["delivered"] if existing else 0
    if existing:
        st.caption(
            t("services.courier.existing", received=existing["received"], delivered=existing["delivered"])
        )
    with st.form("courier_form"):
        received = st.number_input(
            t("services.courier.received"), min_value=0, step=1, key="courier_received"
        )
        delivered = st.number_input(
            t("services.courier.delivered"), min_value=0, step=1, key="courier_delivered"
        )
        st.caption(t("services.courier.available", n=carried + int(received), carried=carried))
        submitted = st.form_submit_button(
            t("common.save"), type="primary", width="stretch", key="courier_submit"
        )
    version_seen = seen("courier", triple)
    if submitted:
        saved = ui.write(
            courier.do_record_courier,
            user,
            form_day,
            shift,
            int(grid_id),
            int(received),
            int(delivered),
            team_id=team_id,
            version=version_seen if version_seen != "new" else None,
        )
        if saved is not None:
            st.session_state.pop("courier_triple", None)
            done(t("common.saved"))
    seen("courier", triple, existing["version"] if existing else "new")
