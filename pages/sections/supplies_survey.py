"""The household re-survey: doors against households by grid and compound, a door's households
surveyed again (sizes, new households behind it), residents moved between households, and the log."""

from __future__ import annotations

import streamlit as st

from dashboard import privacy, supply_views, survey, ui
from dashboard.i18n import t
from dashboard.supply_views import Batch
from pages.sections import common
from pages.sections.common import Ctx
from pages.sections.supplies_common import buildings, can_survey, done, table


def render(ctx: Ctx, batch: Batch | None = None) -> None:
    view = ui.cached(supply_views.survey_view, ctx.day, ctx.grid, ctx.lang)
    st.subheader(t("supplies.counts_title"))
    st.caption(t("supplies.counts_caption"))
    table(view.by_grid)
    with st.expander(t("supplies.by_compound")):
        table(view.by_compound)
    if can_survey(ctx):
        survey_forms(ctx)
    st.subheader(t("supplies.log_title"))
    if view.log.empty:
        ui.empty("supplies.none_log")
    else:
        table(view.log)


def survey_forms(ctx: Ctx) -> None:
    labels = buildings(ctx)
    if not labels:
        ui.empty("supplies.no_buildings")
        return
    building_id = st.selectbox(
        t("supplies.pick_building"), list(labels), format_func=labels.get, key="sur_building"
    )
    door_labels = ui.cached(supply_views.door_choices, building_id, ctx.lang)
    door = st.selectbox(
        t("supplies.pick_door"), list(door_labels), format_func=door_labels.get, key="sur_door"
    )
    homes = ui.cached(survey.door_households, building_id, door)
    st.markdown(f"**{t('supplies.door_households')}**")
    names = common.column_labels(supply_views.HEADINGS)
    shown = privacy.mask(
        homes[["room", "size", "head_name", "residents", "grid_id"]], ctx.user, meeting=ctx.meeting
    )
    st.dataframe(
        shown.set_axis([names.get(c, c) for c in shown.columns], axis=1),
        hide_index=True,
        width="stretch",
        column_order=[names[c] for c in ("room", "size", "head_name", "residents")],
    )
    n_new = st.number_input(t("supplies.new_count"), min_value=0, max_value=8, value=0, step=1, key="sur_new")
    suggested = ui.cached(survey.suggest_rooms, building_id, door, int(n_new))
    with st.form("sur_door", clear_on_submit=True):
        st.markdown(f"**{t('supplies.survey_form')}**")
        sizes = {}
        for r in homes.itertuples():
            value = st.number_input(
                t("supplies.size_of", room=r.room),
                min_value=0,
                max_value=survey.MAX_SIZE,
                value=int(r.size),
                step=1,
            )
            if value != int(r.size):
                sizes[int(r.household_id)] = (int(value), int(r.version))
        new = []
        for k in range(int(n_new)):
            room = st.text_input(t("supplies.new_room", n=k + 1), value=suggested[k], max_chars=30)
            size = st.number_input(
                t("supplies.new_size", n=k + 1), min_value=1, max_value=survey.MAX_SIZE, value=1
            )
            head = st.text_input(t("supplies.new_head", n=k + 1), max_chars=60)
            rental = st.checkbox(t("supplies.new_rental", n=k + 1))
            new.append(survey.NewHousehold(room, int(size), head, rental))
        if st.form_submit_button(t("supplies.survey_submit"), type="primary", width="stretch"):
            created = ui.write(survey.resurvey_door, ctx.user, building_id, door, sizes=sizes, new=new)
            if created is not None:
                done(t("supplies.survey_ok", door=door, created=len(created)))
    move(ctx, building_id)


def move(ctx: Ctx, building_id: int) -> None:
    st.subheader(t("supplies.move_title"))
    everyone = ui.cached(survey.building_households, building_id)
    if len(everyone) < 2:
        st.caption(t("supplies.one_household"))
        return
    rooms = {int(r.household_id): f"{r.room} ({int(r.size)})" for r in everyone.itertuples()}
    source = st.selectbox(t("supplies.move_from"), list(rooms), format_func=rooms.get, key="sur_from")
    people = ui.cached(survey.household_residents, source)
    if people.empty:
        st.caption(t("supplies.none_residents"))
        return
    shown = privacy.mask(people, ctx.user, meeting=ctx.meeting)
    names = dict(zip(shown["resident_id"].astype(int), shown["name"], strict=True))
    versions = dict(zip(everyone["household_id"].astype(int), everyone["version"].astype(int), strict=True))
    with st.form("sur_move", clear_on_submit=True):
        moving = st.multiselect(
            t("supplies.move_residents"),
            list(names),
            format_func=names.get,
            placeholder=t("supplies.pick_some"),
        )
        target = st.selectbox(t("supplies.move_to"), [h for h in rooms if h != source], format_func=rooms.get)
        if st.form_submit_button(t("supplies.move_submit"), width="stretch"):
            n = ui.write(
                survey.move_residents,
                ctx.user,
                moving,
                target,
                from_version=versions[source],
                to_version=versions[target],
            )
            if n is not None:
                done(t("supplies.move_ok", n=n))
