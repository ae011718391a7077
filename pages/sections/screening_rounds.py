"""Rounds: a new round (kind, day, scope, sites, time slots) and the rounds held so far."""

from __future__ import annotations

import streamlit as st

from dashboard import roles, screening, screening_views, ui
from dashboard.i18n import code, t
from pages.sections.common import Ctx
from pages.sections.screening_common import after_write, pickers


def render(ctx: Ctx) -> None:
    choices = pickers(ctx)
    if roles.allowed(ctx.user, "screening.round"):
        new_round(ctx, choices)
    if choices.empty:
        ui.empty("screening.none_rounds")
        return
    st.dataframe(ui.cached(screening_views.rounds_table, ctx.day, ctx.lang), hide_index=True, width="stretch")


def new_round(ctx: Ctx, choices: screening_views.Pickers) -> None:
    with st.expander(t("screening.new_round"), expanded=choices.empty), st.form("scr_new_round"):
        kind = st.radio(
            t("screening.kind"),
            ("pcr", "antigen"),
            format_func=lambda k: code("round_kind", k),
            horizontal=True,
        )
        date = st.date_input(t("common.date"), value=ctx.today, max_value=ctx.today)
        scope = st.radio(
            t("screening.scope"),
            ("all", "sealed", "grid"),
            format_func=lambda s: code("round_scope", s),
            horizontal=True,
        )
        grids = choices.grids
        scope_grid = st.selectbox(
            t("screening.scope_grid"),
            [None, *grids],
            format_func=lambda x: "—" if x is None else grids[x],
        )
        sites = ui.cached(screening_views.site_choices)
        site_ids = st.multiselect(t("screening.sites"), list(sites), format_func=sites.get)
        slots = st.text_input(
            t("screening.time_slots"), max_chars=200, placeholder=t("screening.time_slots_hint")
        )
        note = st.text_input(t("common.note"), max_chars=200)
        if st.form_submit_button(t("screening.create"), type="primary", width="stretch"):
            new_id = ui.write(
                screening.create_round,
                ctx.user,
                kind,
                date,
                scope,
                scope_grid_id=scope_grid,
                site_ids=site_ids,
                time_slots=slots,
                note=note,
            )
            after_write(new_id, t("screening.created"))
