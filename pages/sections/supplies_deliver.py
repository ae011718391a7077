"""Deliveries: a building's households owed the batch, one household's visit, the whole building
but some rooms, and the building's progress."""

from __future__ import annotations

import streamlit as st

from dashboard import distribution, supply_views, ui
from dashboard.i18n import code, t
from dashboard.supply_views import Batch
from pages.sections.common import Ctx
from pages.sections.supplies_common import buildings, done, personal_table, team_input, when_inputs


def render(ctx: Ctx, batch: Batch | None) -> None:
    if batch is None:
        return
    if not batch.released:
        st.info(t("supplies.not_released_yet"))
        return
    labels = buildings(ctx)
    if not labels:
        ui.empty("supplies.no_buildings")
        return
    building_id = st.selectbox(
        t("supplies.pick_building"), list(labels), format_func=labels.get, key="sup_building"
    )
    view = ui.cached(supply_views.building_view, batch.id, building_id, ctx.lang)
    if not view.households:
        ui.empty("supplies.nothing_owed")
        return
    st.subheader(t("supplies.deliver_one"))
    with st.form("sup_one", clear_on_submit=True):
        household_id = st.selectbox(
            t("supplies.household"),
            list(view.households),
            format_func=view.households.get,
            key="sup_one_household",
        )
        status = st.radio(
            t("supplies.visit_status"),
            ("delivered", "not_found", "refused"),
            format_func=lambda s: code("delivery_status", s),
            horizontal=True,
            key="sup_one_status",
        )
        at = when_inputs(ctx, "sup_one")
        team_id = team_input(ctx, "sup_one_team")
        note = st.text_input(t("common.note"), max_chars=200)
        if st.form_submit_button(t("supplies.deliver_submit"), type="primary", width="stretch"):
            result = ui.write(
                distribution.record_delivery,
                ctx.user,
                batch.id,
                household_id,
                status=status,
                at=at,
                team_id=team_id,
                note=note,
            )
            if result is not None:
                room = view.rooms[household_id]
                done(t("supplies.delivered_ok", room=room, status=code("delivery_status", status)))
    st.subheader(t("supplies.deliver_building"))
    if not view.waiting:
        st.success(t("supplies.all_done"))
    else:
        with st.form("sup_building", clear_on_submit=True):
            skip = st.multiselect(
                t("supplies.except_rooms"),
                view.waiting,
                key="sup_except",
                placeholder=t("supplies.pick_rooms"),
            )
            at = when_inputs(ctx, "sup_building")
            team_id = team_input(ctx, "sup_building_team")
            note = st.text_input(t("common.note"), max_chars=200)
            if st.form_submit_button(t("supplies.deliver_building_submit"), width="stretch"):
                result = ui.write(
                    distribution.deliver_building,
                    ctx.user,
                    batch.id,
                    building_id,
                    except_rooms=skip,
                    at=at,
                    team_id=team_id,
                    note=note,
                )
                if result is not None:
                    done(t("supplies.building_ok", **result.__dict__))
    st.subheader(t("supplies.building_progress"))
    personal_table(ctx, view.progress, supply_views.PROGRESS_SHOWN)
