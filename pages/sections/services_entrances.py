"""Entrances and guards (出入口与值守): which entrances are open, whether each open entrance is
guarded round the clock, the guard shifts and the history, and the forms — open or close an
entrance, put a guard on an entrance."""

from __future__ import annotations

import streamlit as st

from dashboard import entrances, people, roles, ui
from dashboard.i18n import t
from pages.sections.common import column_labels
from pages.sections.services_common import FLASH, Svc, done, moment_inputs, show
from pages.sections.shift_form import shift_form

GAP_HEADINGS = {
    "entrance": "services.ent.entrance",
    "gap_start": "services.ent.gap_start",
    "gap_end": "services.ent.gap_end",
    "hours": "services.ent.hours",
}
COVERAGE_HEADINGS = {
    "entrance": "services.ent.entrance",
    "road": "services.ent.road",
    "open_hours": "services.ent.open_hours",
    "guarded_hours": "services.ent.guarded_hours",
    "gap_hours": "services.ent.gap_hours",
    "guards": "services.ent.guards",
}
STATE_HEADINGS = {
    "entrance": "services.ent.entrance",
    "road": "services.ent.road",
    "is_open": "services.ent.state",
    "since": "services.ent.since",
}
SHIFT_HEADINGS = {
    "entrance": "services.ent.entrance",
    "person_name": "common.name",
    "phone": "common.phone",
    "team": "common.team",
    "starts_at": "services.ent.starts",
    "ends_at": "services.ent.ends",
}
HISTORY_HEADINGS = {
    "entrance": "services.ent.entrance",
    "at": "services.at",
    "is_open": "services.ent.state",
    "username": "services.ent.recorded_by",
}


def render(svc: Svc) -> None:
    ctx = svc.ctx
    view = ui.cached(entrances.entrances_view, ctx.day, ctx.lang)
    if view is None:
        ui.empty("services.ent.none_entrances")
        return
    ui.kpi_row(
        [
            {"label": t("services.ent.open_now"), "value": view.open_now},
            {"label": t("services.ent.gap_hours"), "value": view.gap_hours},
            {
                "label": t("services.ent.guarded_all_day"),
                "value": t("common.yes") if view.gaps.empty else t("common.no"),
            },
        ]
    )
    st.markdown(f"**{t('services.ent.coverage_title')}**")
    if view.gaps.empty:
        st.success(t("services.ent.all_covered"))
    else:
        st.warning(t("services.ent.gaps_warning", n=len(view.gaps)))
        show(ctx, view.gaps, column_labels(GAP_HEADINGS))
    show(ctx, view.coverage, column_labels(COVERAGE_HEADINGS))
    st.markdown(f"**{t('services.ent.entrances')}**")
    show(ctx, view.states, column_labels(STATE_HEADINGS))
    st.markdown(f"**{t('services.ent.shifts_title')}**")
    if view.shifts.empty:
        ui.empty("services.ent.none_shifts")
    else:
        show(ctx, view.shifts, column_labels(SHIFT_HEADINGS), staff=True)
    with st.expander(t("services.ent.history_title")):
        if view.history.empty:
            ui.empty("services.ent.none_history")
        else:
            show(ctx, view.history, column_labels(HISTORY_HEADINGS))
    if ctx.meeting:
        return
    user = ctx.user
    if roles.allowed(user, "services.entrance"):
        state_form(svc, view.labels)
    may_roster = roles.allowed(user, "services.roster") and (user.is_manager or svc.team_kind == "guard")
    if may_roster:
        guards = ui.cached(people.guard_labels, user.team_id if user.role == "task" else None, user.team_id)
        if not guards:
            return
        st.markdown(f"**{t('services.ent.form_guard')}**")
        shift_form(
            ctx,
            form="guard_form",
            prefix="guard",
            persons=guards,
            entrances=view.labels,
            entrance_label=t("services.ent.entrance"),
            entrance_first=True,
            with_task=False,
            primary=False,
            flash=FLASH,
        )


def state_form(svc: Svc, labels: dict[int, str]) -> None:
    ctx = svc.ctx
    st.divider()
    st.markdown(f"**{t('services.ent.form_state')}**")
    with st.form("ent_form"):
        entrance_id = st.selectbox(
            t("services.ent.entrance"), list(labels), format_func=labels.get, key="ent_entrance"
        )
        make_open = st.radio(
            t("services.ent.new_state"),
            [True, False],
            format_func=lambda v: t("services.ent.make_open") if v else t("services.ent.make_closed"),
            horizontal=True,
            key="ent_open",
        )
        when = moment_inputs(ctx, "ent")
        submitted = st.form_submit_button(t("common.save"), type="primary", width="stretch", key="ent_submit")
    if submitted:
        if (
            ui.write(entrances.do_set_entrance, ctx.user, int(entrance_id), bool(make_open), at=when)
            is not None
        ):
            done(t("common.saved"))
