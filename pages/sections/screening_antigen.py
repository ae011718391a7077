"""The antigen line list: a household's members and their self-test results in an antigen round."""

from __future__ import annotations

import streamlit as st

from dashboard import privacy, roles, screening_views, tubes, ui
from dashboard.i18n import code, t
from pages.sections.common import Ctx
from pages.sections.screening_common import after_write, pick_round, pickers

VALUES = ("negative", "positive", "not_done")


def render(ctx: Ctx) -> None:
    user = ctx.user
    round_id = pick_round(pickers(ctx), "antigen")
    if round_id is None:
        return
    homes = ui.cached(screening_views.household_choices, ctx.grid, ctx.lang)
    if not homes.labels:
        ui.empty("screening.none_households")
        return
    if not roles.allowed(user, "screening.result"):
        st.info(t("screening.read_only"))
        return
    household_id = st.selectbox(
        t("common.household"), list(homes.labels), format_func=homes.labels.get, key="scr_household"
    )
    members = ui.cached(tubes.household_members, household_id, round_id)
    if members.empty:
        ui.empty("screening.none_members")
        return
    sees = roles.sees_personal(user, homes.grid_of[household_id], meeting=ctx.meeting)
    with st.form(f"scr_antigen_{household_id}"):
        st.markdown(f"**{t('screening.antigen_title')}**")
        chosen = {}
        for m in members.itertuples():
            current = m.result if m.method == "self" and m.result in ("negative", "positive") else "not_done"
            chosen[int(m.resident_id)] = st.radio(
                m.name if sees else privacy.mask_name(m.name),
                VALUES,
                index=VALUES.index(current),
                format_func=lambda v: t("screening.not_done") if v == "not_done" else code("result", v),
                horizontal=True,
                key=f"scr_ag_{round_id}_{m.resident_id}",
            )
        if st.form_submit_button(t("common.save"), type="primary", width="stretch"):
            counts = ui.write(tubes.record_household_antigen, user, round_id, household_id, chosen)
            if counts is not None:
                message = t("screening.antigen_saved", **counts)
                if counts["positive"]:
                    message += " " + t("screening.antigen_positive", n=counts["positive"])
                after_write(counts, message)
