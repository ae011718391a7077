"""Reporting a positive: pick the resident (building → room → person, within one's grid), then the
moment, channel and severity."""

from __future__ import annotations

import streamlit as st

from dashboard import cases, roles, ui
from dashboard.i18n import code, t
from pages.sections.cases_common import done, moment_inputs, who
from pages.sections.common import Ctx


def pick_resident(ctx: Ctx, prefix: str, *, label: str) -> tuple[int | None, object]:
    """Building → room → resident, within the user's grid. Returns (resident_id, grid_id)."""
    names = ui.cached(cases.building_labels, ctx.grid)
    if not names:
        ui.empty("cases.none_buildings")
        return None, None
    building = st.selectbox(
        t("common.building"), list(names), format_func=names.get, key=f"{prefix}_building"
    )
    room = st.text_input(t("cases.room_filter"), key=f"{prefix}_room", max_chars=30)
    people = ui.cached(cases.residents_in, building, room=room, grid_id=ctx.grid)
    if people.empty:
        ui.empty("cases.none_residents")
        return None, None
    labels = {
        int(r.resident_id): f"{r.room} · {who(ctx, r.name, r.grid_id)} · {r.birth_year}"
        for r in people.itertuples()
    }
    picked = st.selectbox(label, list(labels), format_func=labels.get, key=f"{prefix}_resident")
    grid = people.loc[people["resident_id"] == picked, "grid_id"].iloc[0]
    return picked, grid


def render(ctx: Ctx) -> None:
    if not roles.allowed(ctx.user, "cases.report"):
        st.info(t("cases.read_only"))
        return
    st.subheader(t("cases.report_heading"))
    resident, _ = pick_resident(ctx, "cases_rep", label=t("cases.positive_resident"))
    if resident is None:
        return
    with st.form("cases_report_form"):
        found_at = moment_inputs(ctx, "cases_rep")
        channel = st.selectbox(
            t("cases.col_channel"),
            cases.CASE_CHANNELS,
            format_func=lambda c: code("case_channel", c),
            key="cases_rep_channel",
        )
        severity = st.radio(
            t("cases.col_severity"),
            cases.CASE_SEVERITIES,
            format_func=lambda c: code("case_severity", c),
            horizontal=True,
            key="cases_rep_severity",
        )
        note = st.text_input(t("common.note"), max_chars=200, key="cases_rep_note")
        if st.form_submit_button(t("cases.report_submit"), type="primary"):
            row = ui.write(cases.report_case, ctx.user, resident, found_at, channel, severity, note=note)
            if row is not None:
                st.session_state["cases_contact_case"] = row.id
                done(t("cases.report_ok", id=row.id))
