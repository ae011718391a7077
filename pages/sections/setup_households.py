"""Households and residents by hand (below the ledger step): a household of a building added or
changed, and a resident added to a household."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import setup, ui
from dashboard.i18n import t
from pages.sections.common import Ctx
from pages.sections.setup_common import done


def households_by_hand(ctx: Ctx) -> None:
    buildings = ui.cached(setup.buildings_list)
    with st.expander(t("setup.household_title"), icon=":material/home:"):
        if buildings.empty:
            ui.empty("setup.no_buildings")
            return
        labels = {int(r.id): f"{r.compound} {r.building}" for r in buildings.itertuples()}
        building_id = st.selectbox(
            t("setup.household_building"), list(labels), format_func=labels.get, key="setup_hh_building"
        )
        households = ui.cached(setup.households_of, building_id)
        by_id = {int(r.id): r for r in households.itertuples()}
        picked = st.selectbox(
            t("setup.household_pick"),
            [None, *by_id],
            format_func=lambda h: t("setup.household_new") if h is None else by_id[h].room,
            key="setup_hh_pick",
        )
        cur = by_id.get(picked)
        with st.form(f"setup_household_{building_id}_{picked}"):
            room = st.text_input(t("common.room"), value=cur.room if cur else "", max_chars=30)
            door = st.text_input(t("setup.col.door"), value=cur.door if cur else "", max_chars=30)
            size = st.number_input(
                t("setup.col.size"), min_value=0, max_value=99, value=int(cur.size) if cur else 1
            )
            rental = st.checkbox(t("setup.col.is_rental"), value=bool(cur.is_rental) if cur else False)
            head = st.text_input(t("setup.col.head_name"), value=cur.head_name if cur else "", max_chars=60)
            save = st.form_submit_button(t("common.save"))
        if save:
            saved = ui.write(
                setup.save_household, ctx.user, building_id, room, door=door, size=size, is_rental=rental,
                head_name=head, household_id=picked, version=int(cur.version) if cur else None,
            )  # fmt: skip
            if saved is not None:
                done(t("setup.household_saved"))
    residents_by_hand(ctx, buildings)


def residents_by_hand(ctx: Ctx, buildings: pd.DataFrame) -> None:
    with st.expander(t("setup.resident_title"), icon=":material/person_add:"):
        households = ui.cached(
            setup.households_of, st.session_state.get("setup_hh_building") or int(buildings.id[0])
        )
        if households.empty:
            ui.empty("setup.no_households")
            return
        rooms = {int(r.id): r.room for r in households.itertuples()}
        with st.form("setup_resident"):
            household_id = st.selectbox(t("setup.household_pick"), list(rooms), format_func=rooms.get)
            name = st.text_input(t("common.name"), max_chars=60)
            sex = st.radio(
                t("setup.col.sex"), ["M", "F"], format_func=lambda x: t(f"setup.sex.{x}"), horizontal=True
            )
            year = st.number_input(
                t("setup.col.birth_year"), min_value=1900, max_value=ctx.today.year, value=1970
            )
            phone = st.text_input(t("common.phone"), max_chars=20)
            id_number = st.text_input(t("common.id_number"), max_chars=18)
            chronic = st.text_input(t("setup.col.chronic"), max_chars=100)
            alone = st.checkbox(t("setup.col.lives_alone"))
            bedridden = st.checkbox(t("setup.col.bedridden"))
            add = st.form_submit_button(t("common.save"))
        if add:
            made = ui.write(
                setup.add_resident, ctx.user, household_id, name, sex, year, phone=phone, id_number=id_number,
                chronic_condition=chronic, lives_alone=alone, is_bedridden=bedridden,
            )  # fmt: skip
            if made is not None:
                done(t("setup.resident_saved"))
