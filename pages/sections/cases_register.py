"""The case register and its pipeline: cases per status, the list as of the day, and the next step
of a case (with the steps it took so far)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import cases, roles, ui
from dashboard.i18n import code, t
from pages.sections.cases_common import case_label, done, may_act, moment_inputs, show
from pages.sections.common import Ctx

STATUSES_SHOWN = ("reported", "verified", "awaiting_transfer", "transferred", "home_isolation", "recovered")
REGISTER_SHOWN = [
    "case_id", "name", "grid", "compound", "building", "room", "found_at", "channel", "severity", "status",
    "destination", "transferred_at", "recovered_on", "contacts",
]  # fmt: skip


def render(ctx: Ctx) -> None:
    counts = ui.cached(cases.case_counts, ctx.day)
    ui.kpi_row([{"label": code("case_status", s), "value": counts[s]} for s in STATUSES_SHOWN], columns=3)
    active_only = st.toggle(t("cases.active_only"), value=True, key="cases_reg_active")
    register = ui.cached(cases.register_table, ctx.day, active_only, ctx.lang)
    if register.empty:
        ui.empty("cases.none_cases")
        return
    show(ctx, register, REGISTER_SHOWN)
    live = ui.cached(cases.case_register, ctx.today, active_only=True)
    verifier = roles.allowed(ctx.user, "cases.verify")
    live = live[[verifier or may_act(ctx, "cases.update", g) for g in live["grid_id"]]]
    st.subheader(t("cases.step_heading"))
    if live.empty:
        ui.empty("cases.none_to_move")
        return
    labels = {int(r.case_id): case_label(ctx, r) for r in live.itertuples()}
    case_id = st.selectbox(t("cases.pick_case"), list(labels), format_func=labels.get, key="cases_step_pick")
    row = live[live["case_id"] == case_id].iloc[0]
    steps = ui.cached(cases.case_steps, case_id)
    st.dataframe(
        pd.DataFrame(
            [
                {"status": code("case_status", x.status), "at": x.at, "by": x.username, "note": x.note}
                for x in steps
            ]
        ),
        hide_index=True,
        column_config={
            "status": t("common.status"),
            "at": t("common.time"),
            "by": t("cases.col_by"),
            "note": t("common.note"),
        },
    )
    allowed = [
        x for x in cases.NEXT_STEPS[row["status"]] if may_act(ctx, cases.STEP_ACTION[x], row["grid_id"])
    ]
    if not allowed:
        st.caption(t("cases.no_step_for_you", status=code("case_status", row["status"])))
        return
    to = st.radio(
        t("cases.next_step"),
        allowed,
        format_func=lambda x: code("case_status", x),
        horizontal=True,
        key="cases_step_to",
    )
    with st.form("cases_step_form"):
        when = moment_inputs(ctx, "cases_step")
        dest = reason = None
        if to == "transferred":
            dest = st.selectbox(
                t("cases.col_destination"),
                cases.TRANSFER_DESTINATIONS,
                format_func=lambda d: code("destination", d),
                key="cases_step_dest",
            )
        if to == "home_isolation":
            reason = st.text_input(t("cases.reason"), max_chars=200, key="cases_step_reason")
        if st.form_submit_button(t("cases.step_submit"), type="primary"):
            ok = ui.write(
                cases.advance_case,
                ctx.user,
                case_id,
                to,
                at=when,
                destination=dest,
                reason=reason,
                expected_version=int(row["version"]),
            )
            if ok is not None:
                done(t("cases.step_ok", id=case_id, status=code("case_status", to)))
