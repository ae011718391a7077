"""生活保障: the next hospital run and what it brings back, the courier backlog by shift, the day's
disinfection targets still undone, and whether every open entrance is guarded round the clock."""

import datetime as dt

import pandas as pd
import streamlit as st

from dashboard import config, courier, disinfection, entrances, medicine, people, privacy, roles, ui
from dashboard.i18n import code, t

user = ui.require_user()
day = ui.as_of()
today = ui.today()
meeting = ui.meeting_mode(user)
my_grid = roles.grid_filter(user)
my_team_kind = ui.cached(people.team_kind, user.team_id) if user.team_id else None

st.title(t("services.title"))
st.caption(t("services.heading", date=day.isoformat()))
flash = st.session_state.pop("svc_flash", None)
if flash:
    st.success(flash)


def done(message: str) -> None:
    """Keep the success message across the rerun that shows the new figures."""
    st.session_state["svc_flash"] = message
    st.rerun()


def seen(name: str, key: object, value: object | None = None) -> object:
    """The version (or stamp) of a record as the user last saw it; stores value when given."""
    store = st.session_state.setdefault(f"svc_seen_{name}", {})
    if value is not None:
        store[str(key)] = value
    return store.get(str(key))


def moment_inputs(prefix: str) -> dt.datetime:
    """A date and a time (phone-friendly), defaulting to now."""
    with ui.read_session() as s:
        now = config.now(s).replace(second=0)
    d = st.date_input(t("services.day"), value=now.date(), max_value=today, key=f"{prefix}_date")
    tm = st.time_input(t("services.at"), value=now.time(), step=300, key=f"{prefix}_time")
    return dt.datetime.combine(d, tm)


def grid_picker(key: str) -> int | None:
    """The grid a form writes to: a grid leader's own, else a choice."""
    if my_grid is not None:
        return my_grid
    grids = ui.cached(people.grid_assignment)
    if grids.empty:
        st.info(t("services.no_grid"))
        return None
    labels = dict(zip(grids["grid_id"], grids["grid"], strict=True))
    return st.selectbox(t("common.grid"), list(labels), format_func=lambda g: str(labels[g]), key=key)


def show(df: pd.DataFrame, columns: dict[str, str], *, staff: bool = False) -> None:
    """A table of the chosen columns, personal data masked for this user (dropped in meeting mode)."""
    keep = [c for c in columns if c in df.columns]
    if staff:
        shown = people.mask_staff(df, user, meeting=meeting)
        st.dataframe(
            shown[[c for c in keep if c in shown.columns]].rename(columns=columns),
            hide_index=True,
            width="stretch",
        )
        return
    extra = ["grid_id"] if "grid_id" in df.columns and "grid_id" not in keep else []
    masked = privacy.mask(df[keep + extra], user, meeting=meeting)
    masked = masked[[c for c in keep if c in masked.columns]]
    st.dataframe(masked.rename(columns=columns), hide_index=True, width="stretch")


# --- medicine ---------------------------------------------------------------------------------

MED_COLS = {
    "grid": t("common.grid"),
    "compound": t("common.compound"),
    "building": t("common.building"),
    "room": t("common.room"),
    "resident_name": t("common.resident"),
    "medicines": t("services.med.medicines"),
    "hospital": t("services.med.hospital"),
    "urgency": t("services.med.urgency"),
    "status_on": t("common.status"),
    "requested_at": t("services.med.requested_at"),
    "run_date": t("services.med.run_date_col"),
}


def _coded(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    if "urgency" in out.columns:
        out["urgency"] = out["urgency"].map(lambda v: code("urgency", v))
    if "status_on" in out.columns:
        out["status_on"] = out["status_on"].map(lambda v: code("medicine_status", v))
    return out


def medicine_tab() -> None:
    run = ui.cached(medicine.next_run, day)
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
        st.dataframe(
            run.by_hospital.rename(
                columns={
                    "hospital": t("services.med.hospital"),
                    "requests": t("services.med.requests"),
                    "urgent": t("services.med.urgent"),
                    "medicines": t("services.med.medicines"),
                }
            ),
            hide_index=True,
            width="stretch",
        )
        with st.expander(t("services.med.requests_list"), expanded=False):
            show(_coded(run.requests), MED_COLS)
    if not run.later.empty:
        st.caption(f"{t('services.med.later')}: {len(run.later)}")

    st.markdown(f"**{t('services.med.check_title')}**")
    if meeting:
        st.caption(t("services.med.meeting_hidden"))
    else:
        check = ui.cached(medicine.residents_needing_check, day, my_grid)
        if st.toggle(t("services.med.check_only_priority"), value=True, key="med_priority"):
            check = check[check["is_chronic"] | check["lives_alone"]]
        st.caption(t("services.med.check_caption", n=len(check)))
        if check.empty:
            ui.empty("services.med.none_to_check")
        else:
            show(
                check.head(500),
                {
                    "grid": t("common.grid"),
                    "compound": t("common.compound"),
                    "building": t("common.building"),
                    "room": t("common.room"),
                    "name": t("common.name"),
                    "phone": t("common.phone"),
                    "age": t("services.med.age"),
                    "chronic_condition": t("services.med.chronic_condition"),
                    "lives_alone": t("services.med.lives_alone"),
                    "is_bedridden": t("services.med.bedridden"),
                    "last_request": t("services.med.last_request"),
                },
            )

    may_request = roles.allowed(user, "services.medicine") and (
        user.role != "task" or my_team_kind == "medicine"
    )
    if meeting or not may_request:
        return
    st.divider()
    st.markdown(f"**{t('services.med.form_request')}**")
    grid_id = grid_picker("med_grid")
    if grid_id is None:
        return
    buildings = ui.cached(disinfection.target_choices, "building", grid_id)
    if buildings.empty:
        return
    b_labels = dict(zip(buildings["target_id"], buildings["target"], strict=True))
    building_id = st.selectbox(
        t("services.med.building"), list(b_labels), format_func=b_labels.get, key="med_building"
    )
    residents = ui.cached(medicine.residents_of_building, building_id)
    if residents.empty:
        return
    shown_names = privacy.mask(residents, user)
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
            user,
            int(resident_id),
            medicines,
            hospital=hospital,
            urgency=urgency,
            chronic_condition=chronic,
        )
        if saved is not None:
            done(t("common.saved"))

    st.markdown(f"**{t('services.med.form_update')}**")
    recent = ui.cached(medicine.requests_on, today, grid_id)
    open_ = recent[recent["status"].isin(list(medicine.NEXT_STEPS))] if not recent.empty else recent
    if open_.empty:
        ui.empty("services.med.no_requests")
    else:
        masked = privacy.mask(open_, user)
        labels = {
            int(rid): f"#{rid} {name} · {meds[:30]} · {code('medicine_status', status)}"
            for rid, name, meds, status in zip(
                open_["request_id"], masked["resident_name"], open_["medicines"], open_["status"], strict=True
            )
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
                user,
                int(request_id),
                to_status,
                version=seen("med", request_id) or int(row["version"]),
            )
            if saved is not None:
                done(t("common.saved"))
        seen("med", request_id, int(row["version"]))

    if roles.allowed(user, "services.run"):
        run_form(run)


def run_form(run: medicine.NextRun) -> None:
    st.markdown(f"**{t('services.med.form_run')}**")
    drivers = ui.cached(medicine.drivers)
    d_labels = {None: t("services.med.no_driver")} | dict(
        zip(drivers["person_id"].astype(int), drivers["name"], strict=True)
    )
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
        saved = ui.write(medicine.do_schedule_run, user, run_date, hospitals=hospitals, driver_id=driver)
        if saved is not None and collect:
            n = ui.write(medicine.do_collect_into_run, user, run_date)
            if n is not None:
                done(t("services.med.collected", n=n))
        elif saved is not None:
            done(t("common.saved"))
    runs = ui.cached(medicine.runs_between, today - dt.timedelta(days=14), today + dt.timedelta(days=14))
    open_runs = runs[runs["done_at"].isna() & (runs["date"] <= today)] if not runs.empty else runs
    if not open_runs.empty:
        labels = dict(zip(open_runs["run_id"].astype(int), open_runs["date"].astype(str), strict=True))
        with st.form("run_complete_form"):
            run_id = st.selectbox(
                t("services.med.run_to_complete"),
                list(labels),
                format_func=labels.get,
                key="run_done_id",
            )
            back = st.form_submit_button(t("services.med.complete"), width="stretch", key="run_complete")
        if back:
            n = ui.write(medicine.do_complete_run, user, int(run_id))
            if n is not None:
                done(t("services.med.completed", n=n))
    with st.expander(t("services.med.recent_runs")):
        if runs.empty:
            ui.empty("services.med.no_runs")
        else:
            show(
                runs,
                {
                    "date": t("services.med.run_date"),
                    "hospitals": t("services.med.hospitals"),
                    "person_name": t("services.med.driver"),
                    "requests": t("services.med.requests"),
                    "done_at": t("services.med.done_at"),
                },
                staff=True,
            )


# --- courier ----------------------------------------------------------------------------------

SHIFT_COLS = {
    "team": t("services.courier.squad"),
    "grid": t("common.grid"),
    "shift": t("services.courier.shift"),
    "carried_in": t("services.courier.carried_in"),
    "received": t("services.courier.received"),
    "delivered": t("services.courier.delivered"),
    "left_over": t("services.courier.left_over"),
    "backlog": t("services.courier.backlog"),
}


def _shifts(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    if "shift" in out.columns:
        out["shift"] = out["shift"].map(lambda v: code("shift", v))
    return out


def courier_tab() -> None:
    totals = ui.cached(courier.courier_day_totals, day)
    ui.kpi_row(
        [
            {"label": t("services.courier.received"), "value": totals.received},
            {"label": t("services.courier.delivered"), "value": totals.delivered},
            {"label": t("services.courier.left_over"), "value": totals.left_over},
            {
                "label": t("services.courier.backlog_end"),
                "value": totals.backlog_end,
                "delta": totals.backlog_end - totals.backlog_start,
                "delta_color": "inverse",
            },
        ]
    )
    if totals.rows == 0:
        ui.empty("services.courier.none_today")
    else:
        st.markdown(f"**{t('services.courier.by_shift')}**")
        show(_shifts(ui.cached(courier.backlog_by_shift, day)), SHIFT_COLS)
        st.markdown(f"**{t('services.courier.by_squad')}**")
        show(_shifts(ui.cached(courier.by_squad_and_shift, day)), SHIFT_COLS)
    st.markdown(f"**{t('services.courier.by_grid')}**")
    show(ui.cached(courier.backlog_by_grid, day), SHIFT_COLS)
    st.markdown(f"**{t('services.courier.chart')}**")
    chart = ui.cached(courier.daily, day - dt.timedelta(days=13), day)
    st.plotly_chart(courier.daily_chart(chart), width="stretch", config={"displayModeBar": False})

    if meeting or not roles.allowed(user, "services.courier"):
        return
    if user.role == "task" and my_team_kind != "transport":
        return
    st.divider()
    st.markdown(f"**{t('services.courier.form')}**")
    form_day = st.date_input(t("services.day"), value=today, max_value=today, key="courier_day")
    shift = st.selectbox(
        t("services.courier.shift"),
        list(courier.SHIFT_RANK),
        format_func=lambda s: code("shift", s),
        key="courier_shift",
    )
    grid_id = grid_picker("courier_grid")
    if grid_id is None:
        return
    if user.role == "task":
        team_id = user.team_id
    else:
        squads = ui.cached(courier.transport_teams)
        s_labels = {None: t("services.courier.no_squad")} | dict(
            zip(squads["team_id"].astype(int), squads["name"], strict=True)
        )
        team_id = st.selectbox(
            t("services.courier.squad"), list(s_labels), format_func=s_labels.get, key="courier_team"
        )
    triple = (form_day.isoformat(), shift, int(grid_id))
    with ui.read_session() as s:
        existing = courier.existing_count(s, form_day, shift, int(grid_id))
        carried = courier.carried_in(s, int(grid_id), form_day, shift)
    if st.session_state.get("courier_triple") != triple:
        st.session_state["courier_triple"] = triple
        st.session_state["courier_received"] = existing["received"] if existing else 0
        st.session_state["courier_delivered"] = existing["delivered"] if existing else 0
    if existing:
        st.caption(
            t("services.courier.existing", received=existing["received"], delivered=existing["delivered"])
        )
    with st.form("courier_form"):
        received = st.number_input(
            t("services.courier.received"), min_value=0, step=1, key="courier_received"
        )
        delivered = st.number_input(
            t("services.courier.delivered"), min_value=0, step=1, key="courier_delivered"
        )
        st.caption(t("services.courier.available", n=carried + int(received), carried=carried))
        submitted = st.form_submit_button(
            t("common.save"), type="primary", width="stretch", key="courier_submit"
        )
    version_seen = seen("courier", triple)
    if submitted:
        saved = ui.write(
            courier.do_record_courier,
            user,
            form_day,
            shift,
            int(grid_id),
            int(received),
            int(delivered),
            team_id=team_id,
            version=version_seen if version_seen != "new" else None,
        )
        if saved is not None:
            st.session_state.pop("courier_triple", None)
            done(t("common.saved"))
    seen("courier", triple, existing["version"] if existing else "new")


# --- disinfection -----------------------------------------------------------------------------

DIS_COLS = {
    "grid": t("common.grid"),
    "target_kind": t("services.dis.target_kind"),
    "target": t("services.dis.target"),
    "reason": t("services.dis.why"),
    "rounds_needed": t("services.dis.rounds_needed"),
    "rounds": t("services.dis.rounds"),
    "at": t("services.at"),
    "agent": t("services.dis.agent"),
    "team": t("common.team"),
    "person_name": t("services.dis.person"),
}


def _targets(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    if "target_kind" in out.columns:
        out["target_kind"] = out["target_kind"].map(lambda v: code("disinfection_target", v))
    if "reason" in out.columns:
        out["reason"] = out["reason"].map(lambda v: t(f"services.dis.reason.{v}"))
    return out


def disinfection_tab() -> None:
    status = ui.cached(disinfection.disinfection_status, day)
    ui.kpi_row(
        [
            {"label": t("services.dis.required"), "value": status.required},
            {"label": t("services.dis.done"), "value": status.done},
            {"label": t("services.dis.missing"), "value": status.required - status.done},
            {"label": t("services.dis.over_max", max=status.rounds_max), "value": len(status.over_max)},
        ]
    )
    st.caption(t("services.dis.rule", min=status.rounds_min, max=status.rounds_max))
    if status.required == 0:
        ui.empty("services.dis.none_required")
    elif status.all_done:
        st.success(t("services.dis.all_done"))
    else:
        st.markdown(f"**{t('services.dis.missing_title')}**")
        show(_targets(status.missing), DIS_COLS)
    if not status.over_max.empty:
        st.warning(t("services.dis.over_max", max=status.rounds_max))
        show(_targets(status.over_max), DIS_COLS)
    with st.expander(t("services.dis.targets_title")):
        if status.targets.empty:
            ui.empty("services.dis.none_required")
        else:
            show(_targets(status.targets), DIS_COLS)
    st.markdown(f"**{t('services.dis.records_title')}**")
    records = ui.cached(disinfection.records_of_day, day)
    if records.empty:
        ui.empty("services.dis.none_records")
    else:
        show(_targets(records), DIS_COLS, staff=True)

    if meeting or not roles.allowed(user, "services.disinfection"):
        return
    if user.role == "task" and my_team_kind != "disinfection":
        return
    st.divider()
    st.markdown(f"**{t('services.dis.form')}**")
    kinds = ["building", "site"] + (["route"] if my_grid is None else [])
    kind = st.radio(
        t("services.dis.target_kind"),
        kinds,
        format_func=lambda v: code("disinfection_target", v),
        horizontal=True,
        key="dis_kind",
    )
    choices = ui.cached(disinfection.target_choices, kind, my_grid)
    if choices.empty:
        st.info(t("services.dis.no_targets"))
        return
    today_status = ui.cached(disinfection.disinfection_status, today)
    wanted = set(
        today_status.missing.loc[today_status.missing["target_kind"] == kind, "target_id"]
        .astype(int)
        .tolist()
    )
    ordered = sorted(choices["target_id"].astype(int), key=lambda i: (i not in wanted, i))
    names = dict(zip(choices["target_id"].astype(int), choices["target"], strict=True))
    labels = {i: names[i] + (" " + t("services.dis.required_first") if i in wanted else "") for i in ordered}
    target_id = st.selectbox(t("services.dis.target"), ordered, format_func=labels.get, key="dis_target")
    if user.role == "task":
        team_id = user.team_id
    else:
        teams = ui.cached(disinfection.disinfection_teams)
        team_labels = {None: t("services.dis.nobody")} | dict(
            zip(teams["team_id"].astype(int), teams["name"], strict=True)
        )
        team_id = st.selectbox(
            t("services.dis.team"), list(team_labels), format_func=team_labels.get, key="dis_team"
        )
    members = ui.cached(people.people_list, None, team_id) if team_id else None
    person_labels: dict[int | None, str] = {None: t("services.dis.nobody")}
    if members is not None:
        members = members[members["active"]]
        person_labels |= dict(zip(members["person_id"].astype(int), members["name"], strict=True))
    with st.form("dis_form"):
        when = moment_inputs("dis")
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


# --- entrances and guards ---------------------------------------------------------------------


def entrances_tab() -> None:
    states = ui.cached(entrances.entrance_states, day)
    if states.empty:
        ui.empty("services.ent.none_entrances")
        return
    coverage = ui.cached(entrances.guard_coverage, day)
    gaps = ui.cached(entrances.guard_gaps, day)
    ui.kpi_row(
        [
            {"label": t("services.ent.open_now"), "value": int(states["is_open"].sum())},
            {"label": t("services.ent.gap_hours"), "value": round(float(gaps["hours"].sum()), 2)},
            {
                "label": t("services.ent.guarded_all_day"),
                "value": t("common.yes") if gaps.empty else t("common.no"),
            },
        ]
    )
    st.markdown(f"**{t('services.ent.coverage_title')}**")
    if gaps.empty:
        st.success(t("services.ent.all_covered"))
    else:
        st.warning(t("services.ent.gaps_warning", n=len(gaps)))
        shown = gaps.assign(
            gap_start=gaps["gap_start"].map(lambda v: v.strftime("%m-%d %H:%M")),
            gap_end=gaps["gap_end"].map(lambda v: v.strftime("%m-%d %H:%M")),
        )
        show(
            shown,
            {
                "entrance": t("services.ent.entrance"),
                "gap_start": t("services.ent.gap_start"),
                "gap_end": t("services.ent.gap_end"),
                "hours": t("services.ent.hours"),
            },
        )
    show(
        coverage,
        {
            "entrance": t("services.ent.entrance"),
            "road": t("services.ent.road"),
            "open_hours": t("services.ent.open_hours"),
            "guarded_hours": t("services.ent.guarded_hours"),
            "gap_hours": t("services.ent.gap_hours"),
            "guards": t("services.ent.guards"),
        },
    )
    st.markdown(f"**{t('services.ent.entrances')}**")
    show(
        states.assign(
            is_open=states["is_open"].map(lambda v: t("services.ent.open") if v else t("services.ent.closed"))
        ),
        {
            "entrance": t("services.ent.entrance"),
            "road": t("services.ent.road"),
            "is_open": t("services.ent.state"),
            "since": t("services.ent.since"),
        },
    )
    st.markdown(f"**{t('services.ent.shifts_title')}**")
    shifts = ui.cached(entrances.guard_shifts, day)
    if shifts.empty:
        ui.empty("services.ent.none_shifts")
    else:
        show(
            shifts,
            {
                "entrance": t("services.ent.entrance"),
                "person_name": t("common.name"),
                "phone": t("common.phone"),
                "team": t("common.team"),
                "starts_at": t("services.ent.starts"),
                "ends_at": t("services.ent.ends"),
            },
            staff=True,
        )
    with st.expander(t("services.ent.history_title")):
        history = ui.cached(entrances.entrance_history, day)
        if history.empty:
            ui.empty("services.ent.none_history")
        else:
            show(
                history.assign(
                    is_open=history["is_open"].map(
                        lambda v: t("services.ent.open") if v else t("services.ent.closed")
                    )
                ),
                {
                    "entrance": t("services.ent.entrance"),
                    "at": t("services.at"),
                    "is_open": t("services.ent.state"),
                    "username": t("services.ent.recorded_by"),
                },
            )
    if meeting:
        return
    labels = dict(zip(states["entrance_id"].astype(int), states["entrance"], strict=True))
    if roles.allowed(user, "services.entrance"):
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
            when = moment_inputs("ent")
            submitted = st.form_submit_button(
                t("common.save"), type="primary", width="stretch", key="ent_submit"
            )
        if submitted:
            if (
                ui.write(entrances.do_set_entrance, user, int(entrance_id), bool(make_open), at=when)
                is not None
            ):
                done(t("common.saved"))
    may_roster = roles.allowed(user, "services.roster") and (user.is_manager or my_team_kind == "guard")
    if may_roster:
        guards = ui.cached(people.people_list, None, user.team_id if user.role == "task" else None)
        guards = guards[
            guards["active"] & ((guards["kind"] == "guard") | (guards["team_id"] == user.team_id))
        ]
        if guards.empty:
            return
        st.markdown(f"**{t('services.ent.form_guard')}**")
        g_labels = dict(zip(guards["person_id"].astype(int), guards["name"], strict=True))
        with st.form("guard_form"):
            entrance_id = st.selectbox(
                t("services.ent.entrance"),
                list(labels),
                format_func=labels.get,
                key="guard_entrance",
            )
            person_id = st.selectbox(
                t("people.person"), list(g_labels), format_func=g_labels.get, key="guard_person"
            )
            start_day = st.date_input(t("people.start_day"), value=day, key="guard_start_day")
            start_time = st.time_input(
                t("people.start_time"), value=dt.time(8, 0), step=1800, key="guard_start"
            )
            end_day = st.date_input(t("people.end_day"), value=day, key="guard_end_day")
            end_time = st.time_input(t("people.end_time"), value=dt.time(16, 0), step=1800, key="guard_end")
            submitted = st.form_submit_button(t("common.save"), width="stretch", key="guard_submit")
        if submitted:
            saved = ui.write(
                people.do_add_shift,
                user,
                int(person_id),
                dt.datetime.combine(start_day, start_time),
                dt.datetime.combine(end_day, end_time),
                entrance_id=int(entrance_id),
            )
            if saved is not None:
                done(t("common.saved"))


tab_med, tab_courier, tab_dis, tab_ent = st.tabs(
    [
        t("services.tab_medicine"),
        t("services.tab_courier"),
        t("services.tab_disinfection"),
        t("services.tab_entrances"),
    ]
)
with tab_med:
    medicine_tab()
with tab_courier:
    courier_tab()
with tab_dis:
    disinfection_tab()
with tab_ent:
    entrances_tab()
if user.role == "viewer":
    st.caption(t("services.read_only"))
