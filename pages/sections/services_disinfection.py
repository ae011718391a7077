"""Disinfection (消杀): the day's required targets against the records (the 1–2 rounds rule), the
targets still undone, the records, and the form that records a round."""

from __future__ import annotations

import streamlit as st

from dashboard import disinfection, people, roles, ui
from dashboard.i18n import code, t
from pages.sections.common import column_labels
from pages.sections.services_common import Svc, done, moment_inputs, show

HEADINGS = {
    "grid": "common.grid",
    "target_kind": "services.dis.target_kind",
    "target": "services.dis.target",
    "reason": "services.dis.why",
    "rounds_needed": "services.dis.rounds_needed",
    "rounds": "services.dis.rounds",
    "at": "services.at",
    "agent": "services.dis.agent",
    "team": "common.team",
    "person_name": "services.dis.person",
}


def render(svc: Svc) -> None:
    ctx = svc.ctx
    view = ui.cached(disinfection.disinfection_view, ctx.day, ctx.lang)
    headings = column_labels(HEADINGS)
    ui.kpi_row(
        [
            {"label": t("services.dis.required"), "value": view.required},
            {"label": t("services.dis.done"), "value": view.done},
            {"label": t("services.dis.missing"), "value": view.required - view.done},
            {"label": t("services.dis.over_max", max=view.rounds_max), "value": len(view.over_max)},
        ]
    )
    st.caption(t("services.dis.rule", min=view.rounds_min, max=view.rounds_max))
    if view.required == 0:
        ui.empty("services.dis.none_required")
    elif view.all_done:
        st.success(t("services.dis.all_done"))
    else:
        st.markdown(f"**{t('services.dis.missing_title')}**")
        show(ctx, view.missing, headings)
    if not view.over_max.empty:
        st.warning(t("services.dis.over_max", max=view.rounds_max))
        show(ctx, view.over_max, headings)
    with st.expander(t("services.dis.targets_title")):
        if view.targets.empty:
            ui.empty("services.dis.none_required")
        else:
            show(ctx, view.targets, headings)
    st.markdown(f"**{t('services.dis.records_title')}**")
    if view.records.empty:
        ui.empty("services.dis.none_records")
    else:
        show(ctx, view.records, headings, staff=True)

    user = ctx.user
    if ctx.meeting or not roles.allowed(user, "services.disinfection"):
        return
    if user.role == "task" and svc.team_kind != "disinfection":
        return
    st.divider()
    record_form(svc, view)


def record_form(svc: Svc, view: disinfection.DisinfectionView) -> None:
    """Record a round; the targets still undone today come first in the picker (`view`: the day's)."""
    ctx = svc.ctx
    user = ctx.user
    st.markdown(f"**{t('services.dis.form')}**")
    kinds = ["building", "site"] + (["route"] if ctx.grid is None else [])
    kind = st.radio(
        t("services.dis.target_kind"),
        kinds,
        format_func=lambda v: code("disinfection_target", v),
        horizontal=True,
        key="dis_kind",
    )
    if ctx.day != ctx.today:
        view = ui.cached(disinfection.disinfection_view, ctx.today, ctx.lang)
    ordered, labels = ui.cached(
        disinfection.target_options, kind, ctx.grid, view.undone.get(kind, []), ctx.lang
    )
    if not ordered:
        st.info(t("services.dis.no_targets"))
        return
    target_id = st.selectbox(t("services.dis.target"), ordered, format_func=labels.get, key="dis_target")
    if user.role == "task":
        team_id = user.team_id
    else:
        team_labels = {None: t("services.dis.nobody")} | view.teams
        team_id = st.selectbox(
            t("services.dis.team"), list(team_labels), format_func=team_labels.get, key="dis_team"
        )
    person_labels: dict[int | None, str] = {None: t("services.dis.nobody")}
    if team_id:
        person_labels |= ui.cached(people.member_names, team_id)
    with st.form("dis_form"):
        when = moment_inputs(ctx, "dis")
        agent = st.text_input(
            t("services.dis.agent"), value=t("services.dis.agent_default"), max_chars=60, key="dis_agent"
        )
        person_id = st.selectbox(
            t("services.dis.person"),
            list(person_labels),
            format_func=person_labels.get,
            key="dis_person",
        )
        submitted = st.form_submit_button(
            t("common.submit"), type="primary", width="stretch", key="dis_submit"
        )
    if submitted:
        saved = ui.write(
            disinfection.do_record_disinfection,
            user,
            kind,
            int(target_id),
            when,
            agent,
            team_id=team_id,
            person_id=person_id,
        )
        if saved is not None:
            done(t("common.saved"))
