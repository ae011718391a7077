"""Pooled tubes: marking a PCR round's tube abnormal (a retest for each of its members), the
round's abnormal tubes, the residents under control and their retest results."""

from __future__ import annotations

import streamlit as st

from dashboard import roles, screening_views, tubes, ui
from dashboard.i18n import code, t
from pages.sections.common import Ctx, column_labels
from pages.sections.screening_common import after_write, masked, pick_round, pickers, resident_label


def render(ctx: Ctx) -> None:
    user = ctx.user
    round_id = pick_round(pickers(ctx), "pcr")
    if round_id is not None:
        if roles.allowed(user, "screening.tube"):
            with st.form("scr_tube", clear_on_submit=True):
                st.markdown(f"**{t('screening.tube_title')}**")
                tube_no = st.text_input(t("screening.tube_no"), max_chars=30)
                if st.form_submit_button(t("screening.tube_mark"), type="primary", width="stretch"):
                    opened = ui.write(tubes.mark_tube_abnormal, user, round_id, tube_no)
                    if opened:
                        after_write(opened, t("screening.tube_marked", n=len(opened), tube=tube_no.strip()))
        abnormal = ui.cached(screening_views.abnormal_tubes, round_id, ctx.lang)
        if not abnormal.empty:
            st.dataframe(abnormal, hide_index=True)
    st.subheader(t("screening.under_control"))
    control = ui.cached(screening_views.under_control, ctx.day, ctx.grid, ctx.lang)
    if control.table.empty:
        ui.empty("screening.none_under_control")
        return
    names = column_labels(screening_views.HEADINGS)
    order = ["grid", "building", "room", "name", "phone", "round", "tube_no", "opened_at"]
    st.dataframe(
        masked(ctx, control.table),
        hide_index=True,
        width="stretch",
        column_order=[names[c] for c in order],
    )
    if roles.allowed(user, "screening.tube"):
        rows = {p[0]: p for p in control.people}
        with st.form("scr_retest", clear_on_submit=True):
            st.markdown(f"**{t('screening.retest_title')}**")
            retest_id = st.selectbox(
                t("common.resident"), list(rows), format_func=lambda i: resident_label(ctx, *rows[i][2:])
            )
            result = st.radio(
                t("screening.retest_result"),
                ("negative", "positive"),
                format_func=lambda v: code("result", v),
            )
            severity = st.selectbox(
                t("screening.severity"),
                ("asymptomatic", "confirmed"),
                format_func=lambda v: code("case_severity", v),
            )
            if st.form_submit_button(t("common.save"), type="primary", width="stretch"):
                saved = ui.write(
                    tubes.record_retest,
                    user,
                    retest_id,
                    result,
                    version=rows[retest_id][1],
                    severity=severity,
                )
                after_write(saved, t("screening.retest_saved"))
