"""Medicine (配药): the next hospital run and what it brings back, who may need a check, and the
forms — a request, a request's next step, the run itself."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from dashboard import disinfection, medicine, privacy, roles, ui
from dashboard.i18n import code, t
from pages.sections.common import column_labels
from pages.sections.services_common import Svc, done, grid_picker, seen, show

REQUEST_HEADINGS = {
    "grid": "common.grid",
    "compound": "common.compound",
    "building": "common.building",
    "room": "common.room",
    "resident_name": "common.resident",
    "medicines": "services.med.medicines",
    "hospital": "services.med.hospital",
    "urgency": "services.med.urgency",
    "status_on": "common.status",
    "requested_at": "services.med.requested_at",
    "run_date": "services.med.run_date_col",
}
CHECK_HEADINGS = {
    "grid": "common.grid",
    "compound": "common.compound",
    "building": "common.building",
    "room": "common.room",
    "name": "common.name",
    "phone": "common.phone",
    "age": "services.med.age",
    "chronic_condition": "services.med.chronic_condition",
    "lives_alone": "services.med.lives_alone",
    "is_bedridden": "services.med.bedridden",
    "last_request": "services.med.last_request",
}
RUN_HEADINGS = {
    "date": "services.med.run_date",
    "hospitals": "services.med.hospitals",
    "person_name": "services.med.driver",
    "requests": "services.med.requests",
    "done_at": "services.med.done_at",
}


def render(svc: Svc) -> None:
    ctx = svc.ctx
    user, day, meeting = ctx.user, ctx.day, ctx.meeting
    run = ui.cached(medicine.medicine_view, day, ctx.lang)
    st.subheader(t("services.med.next_run"))
    if run.date is None:
        st.warning(t("services.med.next_run_none"))
    else:
        st.caption(
            t(
                "services.med.next_run_caption",
                date=run.date.isoformat(),
                weekday=t(f"services.weekday.d{run.date.weekday()}"),
                driver=(run.driver if not meeting else privacy.mask_name(run.driver))
                or t("services.med.no_driver"),
                hospitals=run.hospitals or "-",
            )
        )
    ui.kpi_row(
        [
            {"label": t("services.med.next_run"), "value": run.date.isoformat() if run.date else "-"},
            {"label": t("services.med.in_next_run"), "value": run.total},
            {"label": t("services.med.urgent"), "value": run.urgent},
            {"label": t("services.med.overdue"), "value": run.overdue},
        ]
    )
    if run.overdue:
        st.warning(t("services.med.overdue_warning", n=run.overdue))
    st.markdown(f"**{t('services.med.brings_back')}**")
    if run.requests.empty:
        ui.empty("services.med.none_coming")
    else:
        st.dataframe(run.by_hospital, hide_index=True, width="stretch")
        with st.expander(t("services.med.requests_list"), expanded=False):
            show(ctx, run.requests, column_labels(REQUEST_HEADINGS))
    if run.later:
        st.caption(f"{t('services.med.later')}: {run.later}")

    st.markdown(f"**{t('services.med.check_title')}**")
    if meeting:
        st.caption(t("services.med.meeting_hidden"))
    else:
        priority = st.toggle(t("services.med.check_only_priority"), value=True, key="med_priority")
        n, check = ui.cached(medicine.check_list, day, ctx.grid, priority)
        st.caption(t("services.med.check_caption", n=n))
        if check.empty:
            ui.empty("services.med.none_to_check")
        else:
            show(ctx, check, column_labels(CHECK_HEADINGS))

    may_request = roles.allowed(user, "services.medicine") and (
        user.role != "task" or svc.team_kind == "medicine"
    )
    if meeting or not may_request:
        return
    st.divider()
    grid_id = request_form(svc)
    if grid_id is None:
        return
    update_form(svc, grid_id)
    if roles.allowed(user, "services.run"):
        run_form(svc, run)


def request_form(svc: Svc) -> int | None:
    """The request form; returns its grid, or None when there is nobody to ask for (the other
    medicine forms are not shown then either)."""
    ctx = svc.ctx
    st.markdown(f"**{t('services.med.form_request')}**")
    grid_id = grid_picker(ctx, "med_grid")
    if grid_id is None:
        return None
    buildings = ui.cached(disinfection.target_labels, "building", grid_id)
    if not buildings:
        return None
    building_id = st.selectbox(
        t("services.med.building"), list(buildings), format_func=buildings.get, key="med_building"
    )
    residents = ui.cached(medicine.residents_of_building, building_id)
    if residents.empty:
        return None
    shown_names = privacy.mask(residents, ctx.user)
    r_labels = {
        rid: f"{room} · {name}"
        for rid, room, name in zip(
            residents["resident_id"], residents["room"], shown_names["name"], strict=True
        )
    }
    resident_id = st.selectbox(
        t("services.med.resident"), list(r_labels), format_func=r_labels.get, key="med_resident"
    )
    with st.form("med_form"):
        medicines = st.text_area(t("services.med.medicines"), max_chars=300, key="med_medicines", height=80)
        hospital = st.text_input(t("services.med.hospital"), max_chars=100, key="med_hospital")
        urgency = st.radio(
            t("services.med.urgency"),
            ["normal", "urgent"],
            format_func=lambda v: code("urgency", v),
            horizontal=True,
            key="med_urgency",
        )
        chronic = st.text_input(t("services.med.chronic_condition"), max_chars=100, key="med_chronic")
        submitted = st.form_submit_button(
            t("common.submit"), type="primary", width="stretch", key="med_submit"
        )
    if submitted:
        saved = ui.write(
            medicine.do_request_medicine,
            ctx.user,
            int(resident_id),
            medicines,
            hospital=hospital,
            urgency=urgency,
            chronic_condition=chronic,
        )
        if saved is not None:
            done(t("common.saved"))
    return grid_id


def update_form(svc: Svc, grid_id: int) -> None:
    """A request's next step, among the grid's requests of the last 14 days."""
    ctx = svc.ctx
    st.markdown(f"**{t('services.med.form_update')}**")
    open_ = ui.cached(medicine.open_requests, ctx.today, grid_id, ctx.lang)
    if open_.empty:
        ui.empty("services.med.no_requests")
        return
    masked = privacy.mask(open_, ctx.user)
    labels = {
        int(rid): f"#{rid} {name} · {what}"
        for rid, name, what in zip(open_["request_id"], masked["resident_name"], open_["what"], strict=True)
    }
    request_id = st.selectbox(
        t("services.med.request"), list(labels), format_func=labels.get, key="med_request"
    )
    row = open_[open_["request_id"] == request_id].iloc[0]
    with st.form("med_step_form"):
        to_status = st.radio(
            t("services.med.to_status"),
            list(medicine.NEXT_STEPS[row["status"]]),
            format_func=lambda v: code("medicine_status", v),
            horizontal=True,
            key="med_to_status",
        )
        stepped = st.form_submit_button(t("common.save"), width="stretch", key="med_step_submit")
    if stepped:
        saved = ui.write(
            medicine.do_advance_medicine,
            ctx.user,
            int(request_id),
            to_status,
            version=seen("med", request_id) or int(row["version"]),
        )
        if saved is not None:
            done(t("common.saved"))
    seen("med", request_id, int(row["version"]))


def run_form(svc: Svc, run: medicine.MedicineView) -> None:
    ctx = svc.ctx
    today = ctx.today
    st.markdown(f"**{t('services.med.form_run')}**")
    runs = ui.cached(medicine.runs_view, today)
    d_labels = {None: t("services.med.no_driver")} | runs.drivers
    with st.form("run_form"):
        run_date = st.date_input(
            t("services.med.run_date"),
            value=run.date or today,
            max_value=today + dt.timedelta(days=medicine.PLAN_AHEAD_DAYS),
            key="run_date",
        )
        hospitals = st.text_input(
            t("services.med.hospitals"), value=run.hospitals, max_chars=300, key="run_hospitals"
        )
        driver = st.selectbox(
            t("services.med.driver"), list(d_labels), format_func=d_labels.get, key="run_driver"
        )
        save = st.form_submit_button(t("services.med.save_run"), width="stretch", key="run_save")
        collect = st.form_submit_button(t("services.med.collect"), width="stretch", key="run_collect")
    if save or collect:
        saved = ui.write(medicine.do_schedule_run, ctx.user, run_date, hospitals=hospitals, driver_id=driver)
        if saved is not None and collect:
            n = ui.write(medicine.do_collect_into_run, ctx.user, run_date)
            if n is not None:
                done(t("services.med.collected", n=n))
        elif saved is not None:
            done(t("common.saved"))
        runs = ui.cached(medicine.runs_view, today)  # with what was just saved
    if runs.open_runs:
        labels = runs.open_runs
        with st.form("run_complete_form"):
            run_id = st.selectbox(
                t("services.med.run_to_complete"),
                list(labels),
                format_func=labels.get,
                key="run_done_id",
            )
            back = st.form_submit_button(t("services.med.complete"), width="stretch", key="run_complete")
        if back:
            n = ui.write(medicine.do_complete_run, ctx.user, int(run_id))
            if n is not None:
                done(t("services.med.completed", n=n))
    with st.expander(t("services.med.recent_runs")):
        if runs.runs.empty:
            ui.empty("services.med.no_runs")
        else:
            show(ctx, runs.runs, column_labels(RUN_HEADINGS), staff=True)
