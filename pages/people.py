"""人员与排班: who works for the committee (staff, cadres, inner-field, property, volunteers, guards),
teams and grids, the roster of shifts, and who is on duty at a moment."""

import datetime as dt

import pandas as pd
import streamlit as st

from dashboard import people, roles, ui
from dashboard.i18n import code, t
from pages.sections import common
from pages.sections.common import page_context, show_flash
from pages.sections.shift_form import shift_form

FLASH = "ppl_flash"
ctx = page_context()
user, day, meeting = ctx.user, ctx.day, ctx.meeting
can_edit_people = roles.allowed(user, "people.edit") and not meeting
may_roster, roster_team = people.roster_scope(user)
# Every list no widget of the page changes, read at once for all tabs.
lists = ui.cached(people.people_lists, ctx.lang, can_edit_people)
# The teams whose roster this user edits (people.team_ids: every team, or their own).
editable_teams = (
    [i for i in lists.teams if roster_team is None or i == roster_team] if may_roster and not meeting else []
)

st.title(t("people.title"))
show_flash(FLASH)


def headings() -> dict[str, str]:
    """The staff lists' column headings in this run's language."""
    return {
        "name": t("common.name"),
        "person_name": t("common.name"),
        "phone": t("common.phone"),
        "kind": t("people.kind"),
        "cadre_level": t("people.cadre_level"),
        "volunteer_kind": t("people.volunteer_kind"),
        "organisation": t("people.organisation"),
        "team": t("common.team"),
        "grid": t("people.grid"),
        "active": t("people.active"),
        "members": t("people.members"),
        "entrance": t("people.entrance"),
        "starts_at": t("people.starts_at"),
        "ends_at": t("people.ends_at"),
        "task": t("people.task"),
    }


def done(message: str) -> None:
    """Keep the success message across the rerun that shows the new figures."""
    common.done(FLASH, message)


def seen(name: str, key: object, value: str | None = None) -> str | None:
    """The stamp of a record as the user last saw it; stores value when given."""
    store = st.session_state.setdefault(f"ppl_seen_{name}", {})
    if value is not None:
        store[str(key)] = value
    return store.get(str(key))


def show(df: pd.DataFrame, columns: list[str], labels: dict[str, str] | None = None) -> None:
    """A staff table of display-ready columns: names and phones shown as this user's role allows
    (none in meeting mode)."""
    shown = people.mask_staff(df, user, meeting=meeting)
    labels = labels or headings()
    st.dataframe(common.headed(shown, {c: labels[c] for c in columns}), hide_index=True, width="stretch")


# --- people -----------------------------------------------------------------------------------


def people_tab() -> None:
    counts = lists.counts
    ui.kpi_row(
        [{"label": code("person_kind", k), "value": counts.get(k, 0)} for k in people.PERSON_KINDS],
        columns=3,
    )
    st.caption(
        t("people.cadres_by_level", **{lvl: counts.get(f"cadre.{lvl}", 0) for lvl in people.CADRE_LEVELS})
    )
    st.caption(
        t("people.volunteers_by_kind", **{v: counts.get(f"volunteer.{v}", 0) for v in people.VOLUNTEER_KINDS})
    )
    teams = lists.teams
    team_labels = {None: t("common.all")} | teams
    kind = st.selectbox(
        t("people.kind"),
        [None, *people.PERSON_KINDS],
        format_func=lambda k: t("common.all") if k is None else code("person_kind", k),
        key="ppl_kind",
    )
    team_id = st.selectbox(t("common.team"), list(team_labels), format_func=team_labels.get, key="ppl_team")
    listed = ui.cached(people.people_table, kind, team_id, ctx.lang)
    if listed.empty:
        ui.empty("people.none_people")
    else:
        show(listed, people.PEOPLE_SHOWN)
    if can_edit_people:
        assign_form(teams)


def assign_form(teams: dict[int, str]) -> None:
    labels = lists.persons
    if not labels:
        return
    team_opts = {None: t("people.no_team")} | teams
    grid_opts = {None: t("people.no_grid")} | lists.grids
    st.divider()
    st.markdown(f"**{t('people.form_assign')}**")
    person_id = st.selectbox(t("people.person"), list(labels), format_func=labels.get, key="ppl_person")
    row = ui.cached(people.person_record, person_id)
    team_now = None if pd.isna(row["team_id"]) else int(row["team_id"])
    grid_now = None if pd.isna(row["staff_grid_id"]) else int(row["staff_grid_id"])
    with st.form("ppl_assign_form"):
        team_id = st.selectbox(
            t("common.team"),
            list(team_opts),
            index=list(team_opts).index(team_now) if team_now in team_opts else 0,
            format_func=team_opts.get,
            key=f"ppl_assign_team_{person_id}",
        )
        grid_id = st.selectbox(
            t("people.grid"),
            list(grid_opts),
            index=list(grid_opts).index(grid_now) if grid_now in grid_opts else 0,
            format_func=grid_opts.get,
            key=f"ppl_assign_grid_{person_id}",
        )
        phone = st.text_input(
            t("common.phone"), value=row["phone"], max_chars=20, key=f"ppl_assign_phone_{person_id}"
        )
        active = st.checkbox(
            t("people.active"), value=bool(row["active"]), key=f"ppl_assign_active_{person_id}"
        )
        submitted = st.form_submit_button(
            t("common.save"), type="primary", width="stretch", key="ppl_assign_submit"
        )
    if submitted:
        saved = ui.write(
            people.do_assign_person,
            user,
            int(person_id),
            stamp=seen("person", person_id) or row["stamp"],
            team_id=team_id,
            grid_id=grid_id,
            phone=phone,
            active=active,
        )
        if saved is not None:
            done(t("common.saved"))
    seen("person", person_id, row["stamp"])

    st.markdown(f"**{t('people.form_new')}**")
    with st.form("ppl_new_form", clear_on_submit=False):
        name = st.text_input(t("common.name"), max_chars=60, key="ppl_new_name")
        kind = st.selectbox(
            t("people.kind"),
            list(people.PERSON_KINDS),
            format_func=lambda k: code("person_kind", k),
            key="ppl_new_kind",
        )
        level = st.selectbox(
            t("people.cadre_level"),
            list(people.CADRE_LEVELS),
            format_func=lambda k: code("cadre_level", k),
            key="ppl_new_level",
        )
        vkind = st.selectbox(
            t("people.volunteer_kind"),
            list(people.VOLUNTEER_KINDS),
            format_func=lambda k: code("volunteer_kind", k),
            key="ppl_new_vkind",
        )
        phone = st.text_input(t("common.phone"), max_chars=20, key="ppl_new_phone")
        organisation = st.text_input(t("people.organisation"), max_chars=100, key="ppl_new_org")
        team_id = st.selectbox(
            t("common.team"), list(team_opts), format_func=team_opts.get, key="ppl_new_team"
        )
        grid_id = st.selectbox(
            t("people.grid"), list(grid_opts), format_func=grid_opts.get, key="ppl_new_grid"
        )
        submitted = st.form_submit_button(t("common.submit"), width="stretch", key="ppl_new_submit")
    if submitted:
        saved = ui.write(
            people.do_add_person,
            user,
            name,
            kind,
            phone=phone,
            cadre_level=level,
            volunteer_kind=vkind,
            organisation=organisation,
            team_id=team_id,
            grid_id=grid_id,
        )
        if saved is not None:
            done(t("people.added"))


# --- teams and grids --------------------------------------------------------------------------


def teams_tab() -> None:
    st.markdown(f"**{t('people.teams_title')}**")
    teams = lists.teams_table
    if teams.empty:
        ui.empty("people.none_teams")
    else:
        labels = {
            "team": t("common.team"),
            "kind": t("people.kind"),
            "person_name": t("people.lead"),
            "members": t("people.members"),
        }
        show(teams, list(labels), labels)
    st.markdown(f"**{t('people.grids_title')}**")
    grids = lists.grid_assignment
    if grids.empty:
        ui.empty("people.none_grids")
    else:
        labels = {
            "grid": t("common.grid"),
            "grid_name": t("people.grid_name"),
            "person_name": t("people.leader"),
            "committee_staff": code("person_kind", "committee_staff"),
            "cadre": code("person_kind", "cadre"),
            "volunteer": code("person_kind", "volunteer"),
            "total": t("people.total"),
        }
        show(grids, list(labels), labels)


# --- roster -----------------------------------------------------------------------------------


def roster_tab() -> None:
    st.markdown(f"**{t('people.roster_day', date=day.isoformat())}**")
    team_labels = {None: t("common.all")} | lists.teams
    default = (
        list(team_labels).index(user.team_id) if user.role == "task" and user.team_id in team_labels else 0
    )
    team_id = st.selectbox(
        t("people.team_filter"),
        list(team_labels),
        index=default,
        format_func=team_labels.get,
        key="roster_team",
    )
    shifts = ui.cached(people.roster_table, day, team_id)
    if shifts.empty:
        ui.empty("people.none_roster")
    else:
        show(shifts, people.ROSTER_SHOWN)
    if meeting:
        return
    if not roles.allowed(user, "services.roster") or not editable_teams:
        if user.role not in ("viewer",):
            st.caption(t("people.no_roster_rights"))
        return
    entrances = {None: t("people.no_entrance")} | lists.entrances
    st.divider()
    st.markdown(f"**{t('people.form_add')}**")
    members = ui.cached(people.roster_members, editable_teams)
    if not members:
        st.info(t("people.no_team_people"))
    else:
        shift_form(
            ctx,
            form="roster_add_form",
            prefix="roster",
            persons=members,
            entrances=entrances,
            entrance_label=t("people.entrance"),
            entrance_first=False,
            with_task=True,
            primary=True,
            flash=FLASH,
        )
    mine = ui.cached(people.shift_choices, day, team_id, editable_teams)
    if mine.empty:
        return
    edit_form(mine, entrances)


def edit_form(mine: pd.DataFrame, entrances: dict) -> None:
    st.markdown(f"**{t('people.form_edit')}**")
    shown = people.mask_staff(mine, user, meeting=meeting)
    labels = {
        int(sid): f"{name} · {span}"
        for sid, name, span in zip(mine["shift_id"], shown["person_name"], mine["span"], strict=True)
    }
    shift_id = st.selectbox(t("people.shift"), list(labels), format_func=labels.get, key="roster_edit_shift")
    row = mine[mine["shift_id"] == shift_id].iloc[0]
    current_entrance = None if pd.isna(row["entrance_id"]) else int(row["entrance_id"])
    with st.form("roster_edit_form"):
        start_day = st.date_input(
            t("people.start_day"), value=row["starts_at"].date(), key=f"roster_e_sd_{shift_id}"
        )
        start_time = st.time_input(
            t("people.start_time"), value=row["starts_at"].time(), step=1800, key=f"roster_e_st_{shift_id}"
        )
        end_day = st.date_input(
            t("people.end_day"), value=row["ends_at"].date(), key=f"roster_e_ed_{shift_id}"
        )
        end_time = st.time_input(
            t("people.end_time"), value=row["ends_at"].time(), step=1800, key=f"roster_e_et_{shift_id}"
        )
        task = st.text_input(
            t("people.task"), value=row["task"], max_chars=100, key=f"roster_e_task_{shift_id}"
        )
        entrance_id = st.selectbox(
            t("people.entrance"),
            list(entrances),
            index=list(entrances).index(current_entrance) if current_entrance in entrances else 0,
            format_func=entrances.get,
            key=f"roster_e_ent_{shift_id}",
        )
        save = st.form_submit_button(t("common.save"), width="stretch", key="roster_edit_submit")
        delete = st.form_submit_button(t("people.delete"), width="stretch", key="roster_delete_submit")
    stamp = seen("shift", shift_id) or row["stamp"]
    if save:
        saved = ui.write(
            people.do_edit_shift,
            user,
            int(shift_id),
            dt.datetime.combine(start_day, start_time),
            dt.datetime.combine(end_day, end_time),
            stamp=stamp,
            entrance_id=entrance_id,
            task=task,
        )
        if saved is not None:
            done(t("common.saved"))
    elif delete:
        if ui.write(people.do_delete_shift, user, int(shift_id), stamp=stamp) is not None:
            done(t("people.deleted"))
    seen("shift", shift_id, row["stamp"])


# --- on duty ----------------------------------------------------------------------------------


def on_duty_tab() -> None:
    now = people.now_on(ctx.today)
    default = now.time().replace(second=0, microsecond=0) if day == ctx.today else dt.time(12, 0)
    chosen = st.time_input(t("people.pick_time"), value=default, step=900, key="duty_time")
    moment, duty = ui.cached(people.on_duty_table, day, chosen.isoformat(), ctx.lang)
    st.markdown(f"**{t('people.on_duty_at', moment=moment.strftime('%Y-%m-%d %H:%M'), n=len(duty))}**")
    if duty.empty:
        ui.empty("people.none_on_duty")
    else:
        show(duty, people.ON_DUTY_SHOWN)


tab_people, tab_teams, tab_roster, tab_duty = st.tabs(
    [t("people.tab_people"), t("people.tab_teams"), t("people.tab_roster"), t("people.tab_on_duty")]
)
with tab_people:
    people_tab()
with tab_teams:
    teams_tab()
with tab_roster:
    roster_tab()
with tab_duty:
    on_duty_tab()
