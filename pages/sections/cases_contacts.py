"""Contacts (密接): contacts per status, a case's contacts as of the day, adding contacts (household
prefilled, other residents, people from outside), and moving a contact to its next status."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import cases, contacts, ui
from dashboard.i18n import code, t
from pages.sections.cases_common import case_label, done, may_act, moment_inputs, show, who
from pages.sections.common import Ctx

EVERY_SHOWN = ["case_id", "kind", "name", "building", "room", "status", "identified_on", "released_on"]
CASE_SHOWN = [
    "kind", "name", "building", "room", "status", "identified_on", "notified_at", "quarantined_at",
    "released_on",
]  # fmt: skip


def render(ctx: Ctx) -> None:
    counts = ui.cached(contacts.contact_counts, ctx.day)
    ui.kpi_row([{"label": code("contact_status", s), "value": counts[s]} for s in counts], columns=5)
    live = ui.cached(cases.case_register, ctx.day, active_only=True)
    live = live[[may_act(ctx, "cases.contact", g) for g in live["grid_id"]]]
    if live.empty:
        ui.empty("cases.none_cases")
        every = ui.cached(contacts.contacts_table, ctx.day, ctx.lang)
        if not every.empty:
            show(ctx, every, EVERY_SHOWN)
        return
    labels = {int(r.case_id): case_label(ctx, r) for r in live.itertuples()}
    wanted = st.session_state.get("cases_contact_case")
    index = list(labels).index(wanted) if wanted in labels else 0
    case_id = st.selectbox(
        t("cases.pick_case"), list(labels), index=index, format_func=labels.get, key="cases_con_case"
    )
    shown = ui.cached(contacts.contacts_table, ctx.day, ctx.lang, case_id=case_id)
    # The forms act on the current status.
    linked = ui.cached(contacts.contacts_of, ctx.today, case_id=case_id)
    members = ui.cached(contacts.household_members, case_id)
    if shown.empty:
        ui.empty("cases.none_contacts")
    else:
        show(ctx, shown, CASE_SHOWN)
    st.subheader(t("cases.add_heading"))
    kind = st.radio(
        t("cases.col_kind"),
        cases.CONTACT_KINDS,
        format_func=lambda k: code("contact_kind", k),
        horizontal=True,
        key="cases_con_kind",
    )
    parents = {
        int(r.contact_id): f"{code('contact_kind', r.kind)} · {who(ctx, r.name, r.grid_id)}"
        for r in linked.itertuples()
    }
    parent = st.selectbox(
        t("cases.parent_contact"),
        [None, *parents],
        format_func=lambda x: parents.get(x, "—"),
        key="cases_con_parent",
    )
    st.caption(t("cases.search_caption"))
    names = ui.cached(cases.building_labels, ctx.grid)
    building = st.selectbox(
        t("common.building"),
        [None, *names],
        format_func=lambda x: names.get(x, "—"),
        key="cases_con_building",
    )
    room = st.text_input(t("cases.room_filter"), key="cases_con_room", max_chars=30)
    found = pd.DataFrame(columns=["resident_id", "name", "room", "grid_id", "birth_year"])
    if building is not None:
        found = ui.cached(cases.residents_in, building, room=room, grid_id=ctx.grid)
    with st.form("cases_contact_form"):
        family = {
            int(r.resident_id): f"{who(ctx, r.name, r.grid_id)} · {r.birth_year}"
            for r in members.itertuples()
        }
        picked_family = st.multiselect(
            t("cases.household_members"),
            list(family),
            default=list(family),
            format_func=family.get,
            key="cases_con_family",
        )
        others = {
            int(r.resident_id): f"{r.room} · {who(ctx, r.name, r.grid_id)} · {r.birth_year}"
            for r in found.itertuples()
        }
        picked_others = st.multiselect(
            t("cases.other_residents"), list(others), format_func=others.get, key="cases_con_others"
        )
        outside = st.text_area(t("cases.outside_names"), key="cases_con_outside", max_chars=600)
        identified = st.date_input(
            t("cases.col_identified_on"), value=ctx.day, max_value=ctx.today, key="cases_con_date"
        )
        if st.form_submit_button(t("cases.add_submit"), type="primary"):
            entries = [
                contacts.NewContact(kind, rid, parent_contact_id=parent)
                for rid in [*picked_family, *picked_others]
            ]
            entries += [
                contacts.NewContact(kind, outside_name=line.strip(), parent_contact_id=parent)
                for line in outside.splitlines()
                if line.strip()
            ]
            ok = ui.write(contacts.add_contacts, ctx.user, case_id, entries, identified_on=identified)
            if ok is not None:
                done(t("cases.add_ok", n=len(ok)))
    movable = linked[linked["status"] != "released"] if not linked.empty else linked
    if movable.empty:
        return
    step_form(ctx, movable)


def step_form(ctx: Ctx, movable: pd.DataFrame) -> None:
    st.subheader(t("cases.contact_step_heading"))
    ks = {
        int(r.contact_id): (
            f"{code('contact_kind', r.kind)} · {who(ctx, r.name, r.grid_id)} · {code('contact_status', r.status)}"
        )
        for r in movable.itertuples()
    }
    contact_id = st.selectbox(t("cases.pick_contact"), list(ks), format_func=ks.get, key="cases_cstep_pick")
    row = movable[movable["contact_id"] == contact_id].iloc[0]
    to = st.radio(
        t("cases.next_step"),
        contacts.CONTACT_NEXT[row["status"]],
        format_func=lambda x: code("contact_status", x),
        horizontal=True,
        key="cases_cstep_to",
    )
    with st.form("cases_cstep_form"):
        when = moment_inputs(ctx, "cases_cstep")
        if st.form_submit_button(t("cases.step_submit"), type="primary"):
            ok = ui.write(
                contacts.advance_contact,
                ctx.user,
                contact_id,
                to,
                at=when,
                expected_version=int(row["version"]),
            )
            if ok is not None:
                done(t("cases.contact_step_ok", status=code("contact_status", to)))
