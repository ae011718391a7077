"""The missed list of a round: who is due and not sampled (with what their grid leader learned),
marking a visit or an exemption, and the list as a workbook."""

from __future__ import annotations

import streamlit as st

from dashboard import roles, screening, screening_reports, screening_views, ui
from dashboard.i18n import code, t
from pages.sections.common import Ctx, column_labels
from pages.sections.screening_common import (
    after_write,
    masked,
    pick_grid,
    pick_round,
    pickers,
    resident_label,
)


def render(ctx: Ctx) -> None:
    user = ctx.user
    choices = pickers(ctx)
    round_id = pick_round(choices)
    if round_id is None:
        return
    grid_id = pick_grid(ctx, choices)
    missed = ui.cached(screening_views.missed_list, round_id, ctx.day, grid_id, ctx.lang)
    if missed.table.empty:
        st.success(t("screening.none_missed"))
        return
    st.caption(t("screening.missed_count", n=len(missed.table)))
    # A grid leader's list is all one grid: leave the column out so the reason fits on a phone.
    columns = ["grid", "building", "room", "name", "phone", "why"][1 if user.role == "grid_leader" else 0 :]
    names = column_labels(screening_views.HEADINGS)
    st.dataframe(
        masked(ctx, missed.table),
        hide_index=True,
        width="stretch",
        column_order=[names[c] for c in [*columns, "outcome_note"]],
    )
    if roles.allowed(user, "screening.missed"):
        labels = {rid: resident_label(ctx, g, b, r, n) for rid, g, b, r, n in missed.people}
        with st.form("scr_mark", clear_on_submit=True):
            st.markdown(f"**{t('screening.mark_title')}**")
            resident_id = st.selectbox(t("common.resident"), list(labels), format_func=labels.get)
            outcome = st.radio(
                t("screening.outcome"),
                ("door_sampled", "will_come", "refused", "not_home"),
                format_func=lambda o: code("missed_outcome", o),
            )
            tube_no = st.text_input(t("screening.tube_no_door"), max_chars=30)
            note = st.text_input(t("common.note"), max_chars=200)
            if st.form_submit_button(t("common.save"), type="primary", width="stretch"):
                saved = ui.write(
                    screening.mark_missed, user, round_id, resident_id, outcome, note=note, tube_no=tube_no
                )
                after_write(saved, t("screening.marked"))
        with st.expander(t("screening.exempt_title")), st.form("scr_exempt", clear_on_submit=True):
            resident_id = st.selectbox(t("common.resident"), list(labels), format_func=labels.get)
            reason = st.radio(
                t("screening.exempt_reason"),
                ("away", "quarantine", "transferred", "bedridden"),
                format_func=lambda r: code("exempt_reason", r),
            )
            if st.form_submit_button(t("common.save"), width="stretch"):
                saved = ui.write(screening.mark_exempt, user, round_id, resident_id, reason)
                after_write(saved, t("screening.marked"))
    if roles.allowed(user, "export.aggregate") and roles.allowed(user, "screening.missed"):
        if st.button(t("screening.export"), icon=":material/download:", key="scr_export"):
            data = ui.write(screening_reports.export_missed, user, round_id, grid_id, ctx.day)
            if data is not None:
                st.session_state["scr_export_file"] = (round_id, grid_id, data)
        ready = st.session_state.get("scr_export_file")
        if ready and ready[:2] == (round_id, grid_id):
            st.download_button(
                t("common.download"),
                ready[2],
                file_name=f"missed_{round_id}_{grid_id or 'all'}.xlsx",
                mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                key="scr_export_dl",
            )
