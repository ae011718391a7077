"""追阳追密: the transfer board, reporting a positive and its contacts, the case register and its
pipeline, the three zones with their countdown and history, and the source analysis."""

import datetime as dt

import pandas as pd
import streamlit as st

from dashboard import cases, config, contacts, privacy, roles, sources, transfers, ui, zones
from dashboard.i18n import code, t

user = ui.require_user()
day = ui.as_of()
today = ui.today()
meeting = ui.meeting_mode(user)
scope = roles.grid_filter(user)  # a grid leader's forms are confined to their grid

st.title(t("cases.title"))
flash = st.session_state.pop("cases_flash", None)
if flash:
    st.success(flash)

SECTIONS = ("board", "report", "register", "contacts", "zones", "sources")
section = st.radio(
    t("cases.section"),
    SECTIONS,
    format_func=lambda s: t(f"cases.sec_{s}"),
    horizontal=True,
    key="cases_section",
    label_visibility="collapsed",
)

COLUMNS = {
    "subject": t("cases.col_subject"),
    "kind": t("cases.col_kind"),
    "name": t("common.name"),
    "case_name": t("cases.col_case_name"),
    "grid": t("common.grid"),
    "compound": t("common.compound"),
    "building": t("common.building"),
    "room": t("common.room"),
    "requested_at": t("cases.col_requested_at"),
    "hours_waited": t("cases.col_hours_waited"),
    "overdue": t("cases.col_overdue"),
    "destination": t("cases.col_destination"),
    "entrance": t("cases.col_entrance"),
    "route": t("cases.col_route"),
    "team": t("cases.col_team"),
    "vehicle": t("cases.col_vehicle"),
    "case_id": t("cases.col_case_id"),
    "found_at": t("cases.col_found_at"),
    "channel": t("cases.col_channel"),
    "severity": t("cases.col_severity"),
    "status": t("common.status"),
    "transferred_at": t("cases.col_transferred_at"),
    "recovered_on": t("cases.col_recovered_on"),
    "contacts": t("cases.col_contacts"),
    "identified_on": t("cases.col_identified_on"),
    "notified_at": t("cases.col_notified_at"),
    "quarantined_at": t("cases.col_quarantined_at"),
    "released_on": t("cases.col_released_on"),
    "zone": t("cases.col_zone"),
    "last_case": t("cases.col_last_case"),
    "steps_down_on": t("cases.col_steps_down_on"),
    "days_left": t("cases.col_days_left"),
    "sealed_buildings": t("cases.col_sealed_buildings"),
    "start_on": t("cases.col_start_on"),
    "end_on": t("cases.col_end_on"),
    "days": t("cases.col_days"),
    "overridden": t("cases.col_overridden"),
    "reason": t("cases.col_reason"),
    "cases": t("cases.sources.cases"),
    "residents": t("common.residents"),
    "per_1000": t("cases.sources.per_1000"),
    "share": t("cases.sources.share"),
    "group": t("cases.sources.housing"),
    "size": t("cases.sources.household_size"),
    "households_hit": t("cases.sources.households_hit"),
    "households": t("cases.sources.households"),
    "first_on": t("cases.sources.first_on"),
    "last_on": t("cases.sources.last_on"),
    "first_cases": t("cases.sources.first_cases"),
    "secondary_cases": t("cases.sources.secondary_cases"),
    "day": t("common.date"),
    "requested": t("cases.col_requested"),
    "moved_same_day": t("cases.col_moved_same_day"),
    "same_day_share": t("cases.col_same_day_share"),
    "median_hours": t("cases.col_median_hours"),
    "waiting": t("cases.col_waiting"),
}
DECIMALS = {"hours_waited", "median_hours", "per_1000"}
SHARES = {"share", "same_day_share"}
CODES = {
    "channel": "case_channel",
    "severity": "case_severity",
    "destination": "destination",
    "zone": "zone",
}


def show(df: pd.DataFrame, columns: list[str], *, codes: dict[str, str] | None = None, style=None) -> None:  # noqa: ANN001
    """Mask personal data for this user, turn codes into words, keep and name the columns."""
    shown = privacy.mask(df, user, meeting=meeting)
    for col, kind in {**CODES, **(codes or {})}.items():
        if col in shown.columns:
            shown[col] = [code(kind, v) if isinstance(v, str) else "" for v in shown[col]]
    keep = [c for c in columns if c in shown.columns]
    shown = shown[keep]
    if style is not None:
        shown = shown.style.apply(style, axis=1)
    config_ = {c: COLUMNS.get(c, c) for c in keep}
    for c in DECIMALS.intersection(keep):
        config_[c] = st.column_config.NumberColumn(COLUMNS[c], format="%.1f")
    for c in SHARES.intersection(keep):
        config_[c] = st.column_config.NumberColumn(COLUMNS[c], format="percent")
    st.dataframe(shown, hide_index=True, width="stretch", column_config=config_)


def who(name: object, grid_id: object) -> str:
    """A person's name as this user may see it in a picker."""
    grid = None if grid_id is None or pd.isna(grid_id) else int(grid_id)
    if meeting:
        return "—"
    return str(name) if roles.sees_personal(user, grid) else privacy.mask_name(str(name))


def may_act(action: str, grid_id: object) -> bool:
    """Whether a form should offer this row to the user (the write function checks again)."""
    if not roles.allowed(user, action):
        return False
    if user.role == "grid_leader" and action in roles.GRID_SCOPED:
        return grid_id is not None and not pd.isna(grid_id) and int(grid_id) == user.grid_id
    return True


def moment_inputs(prefix: str) -> dt.datetime:
    """Date and time of a step: the as-of day (today by default), now's time on today."""
    default_time = (
        dt.datetime.now().time().replace(second=0, microsecond=0) if day >= today else dt.time(20, 0)
    )
    d = st.date_input(t("common.date"), value=day, max_value=today, key=f"{prefix}_date")
    tm = st.time_input(t("common.time"), value=default_time, key=f"{prefix}_time", step=300)
    return dt.datetime.combine(d, tm)


def done(message: str) -> None:
    st.session_state["cases_flash"] = message
    st.rerun()


# --- the transfer board ---------------------------------------------------------------------


def section_board() -> None:
    with ui.read_session() as s:
        board = transfers.transfer_board(s, day)
    daily = ui.cached(transfers.transfer_daily, day)
    on_day = daily[daily["day"] == day]
    overdue_hours = ui.cached(config.int_rule, "transfer_overdue_hours")
    share = f"{on_day['same_day_share'].iloc[0]:.0%}" if not on_day.empty else "—"
    median = on_day["median_hours"].iloc[0] if not on_day.empty else None
    ui.kpi_row(
        [
            {"label": t("cases.kpi_waiting_cases"), "value": int((board["subject"] == "case").sum())},
            {"label": t("cases.kpi_waiting_contacts"), "value": int((board["subject"] == "contact").sum())},
            {
                "label": t("cases.kpi_overdue", hours=overdue_hours),
                "value": int(board["overdue"].sum()) if not board.empty else 0,
            },
            {"label": t("cases.kpi_same_day"), "value": share, "help": t("cases.kpi_same_day_help")},
            {
                "label": t("cases.kpi_median_hours"),
                "value": "—" if median is None or pd.isna(median) else f"{median:.1f}",
            },
        ],
        columns=5,
    )
    st.subheader(t("cases.board_heading", date=day.isoformat()))
    st.caption(t("cases.board_caption", hours=overdue_hours))
    if board.empty:
        ui.empty("cases.none_waiting")
    else:
        shown = board.assign(
            subject=[t(f"cases.subject_{x}") for x in board["subject"]],
            kind=[code("contact_kind", k) if isinstance(k, str) else "" for k in board["kind"]],
            overdue=[t("cases.overdue_mark") if x else "" for x in board["overdue"]],
        )
        red = t("cases.overdue_mark")

        def paint(row: pd.Series) -> list[str]:
            colour = "color: #c62828; font-weight: 600" if row.get("overdue") == red else ""
            return [colour] * len(row)

        show(
            shown,
            ["subject", "kind", "name", "grid", "compound", "building", "room", "requested_at", "hours_waited",
             "overdue", "destination", "entrance", "route", "team", "vehicle"],
            style=paint,
        )  # fmt: skip
        mine = board[[may_act("cases.transfer", g) for g in board["grid_id"]]]
        if not mine.empty:
            labels = {
                int(r.transfer_id): t(
                    "cases.transfer_label",
                    subject=t(f"cases.subject_{r.subject}"),
                    name=who(r.name, r.grid_id),
                    building=r.building,
                    room=r.room,
                    hours=r.hours_waited,
                )
                for r in mine.itertuples()
            }
            versions = {int(r.transfer_id): int(r.version) for r in mine.itertuples()}
            subjects = {int(r.transfer_id): r.subject for r in mine.itertuples()}
            form_done(labels, versions, subjects, mine)
            form_plan(labels, versions, subjects, mine)
    st.subheader(t("cases.daily_heading"))
    recent = daily[daily["day"] > day - dt.timedelta(days=14)].sort_values("day", ascending=False)
    if recent.empty:
        ui.empty("cases.none_daily")
    else:
        show(recent, ["day", "requested", "moved_same_day", "same_day_share", "median_hours", "waiting"])


def form_done(
    labels: dict[int, str], versions: dict[int, int], subjects: dict[int, str], mine: pd.DataFrame
) -> None:
    st.subheader(t("cases.done_heading"))
    tid = st.selectbox(t("cases.pick_transfer"), list(labels), format_func=labels.get, key="cases_done_pick")
    planned = mine.loc[mine["transfer_id"] == tid, "destination"].iloc[0]
    with st.form("cases_done_form"):
        when = moment_inputs("cases_done")
        dest = None
        if subjects[tid] == "case":
            options = cases.TRANSFER_DESTINATIONS
            dest = st.selectbox(
                t("cases.col_destination"),
                options,
                index=options.index(planned) if planned in options else 0,
                format_func=lambda d: code("destination", d),
                key=f"cases_done_dest_{tid}",
            )
        if st.form_submit_button(t("cases.mark_done"), type="primary"):
            ok = ui.write(
                transfers.mark_transfer_done,
                user,
                tid,
                when,
                destination=dest,
                expected_version=versions[tid],
            )
            if ok is not None:
                done(t("cases.done_ok", label=labels[tid]))


def form_plan(
    labels: dict[int, str], versions: dict[int, int], subjects: dict[int, str], mine: pd.DataFrame
) -> None:
    with st.expander(t("cases.plan_heading")):
        tid = st.selectbox(
            t("cases.pick_transfer"), list(labels), format_func=labels.get, key="cases_plan_pick"
        )
        row = mine[mine["transfer_id"] == tid].iloc[0]
        entrances = ui.cached(transfers.open_entrances)
        teams = ui.cached(transfers.transfer_teams)
        with st.form("cases_plan_form"):
            gates = {int(r.entrance_id): f"{r.name} ({r.road})" for r in entrances.itertuples()}
            squads = {int(r.team_id): r.name for r in teams.itertuples()}
            current_gate = None if pd.isna(row["entrance_id"]) else int(row["entrance_id"])
            current_team = None if pd.isna(row["team_id"]) else int(row["team_id"])
            entrance = st.selectbox(
                t("cases.col_entrance"),
                [None, *gates],
                index=[None, *gates].index(current_gate) if current_gate in gates else 0,
                format_func=lambda x: gates.get(x, "—"),
                key=f"cases_plan_gate_{tid}",
            )
            route = st.text_input(
                t("cases.col_route"), value=row["route"] or "", max_chars=200, key=f"cases_plan_route_{tid}"
            )
            team = st.selectbox(
                t("cases.col_team"),
                [None, *squads],
                index=[None, *squads].index(current_team) if current_team in squads else 0,
                format_func=lambda x: squads.get(x, "—"),
                key=f"cases_plan_team_{tid}",
            )
            vehicle = st.text_input(
                t("cases.col_vehicle"),
                value=row["vehicle"] or "",
                max_chars=60,
                key=f"cases_plan_vehicle_{tid}",
            )
            options = cases.TRANSFER_DESTINATIONS if subjects[tid] == "case" else ("quarantine_hotel",)
            dest = st.selectbox(
                t("cases.col_destination"),
                options,
                index=options.index(row["destination"]) if row["destination"] in options else 0,
                format_func=lambda d: code("destination", d),
                key=f"cases_plan_dest_{tid}",
            )
            if st.form_submit_button(t("common.save")):
                ok = ui.write(
                    transfers.assign_transfer,
                    user,
                    tid,
                    entrance_id=entrance,
                    route=route,
                    team_id=team,
                    vehicle=vehicle,
                    destination=dest,
                    expected_version=versions[tid],
                )
                if ok is not None:
                    done(t("cases.plan_ok", label=labels[tid]))


# --- reporting a positive -------------------------------------------------------------------


def pick_resident(prefix: str, *, label: str) -> tuple[int | None, object]:
    """Building → room → resident, within the user's grid. Returns (resident_id, grid_id)."""
    buildings = ui.cached(cases.buildings_for, scope)
    if buildings.empty:
        ui.empty("cases.none_buildings")
        return None, None
    names = {int(r.building_id): f"{r.compound} {r.building}" for r in buildings.itertuples()}
    building = st.selectbox(
        t("common.building"), list(names), format_func=names.get, key=f"{prefix}_building"
    )
    room = st.text_input(t("cases.room_filter"), key=f"{prefix}_room", max_chars=30)
    with ui.read_session() as s:
        people = cases.residents_in(s, building, room=room, grid_id=scope)
    if people.empty:
        ui.empty("cases.none_residents")
        return None, None
    labels = {
        int(r.resident_id): f"{r.room} · {who(r.name, r.grid_id)} · {r.birth_year}"
        for r in people.itertuples()
    }
    picked = st.selectbox(label, list(labels), format_func=labels.get, key=f"{prefix}_resident")
    grid = people.loc[people["resident_id"] == picked, "grid_id"].iloc[0]
    return picked, grid


def section_report() -> None:
    if not roles.allowed(user, "cases.report"):
        st.info(t("cases.read_only"))
        return
    st.subheader(t("cases.report_heading"))
    resident, _ = pick_resident("cases_rep", label=t("cases.positive_resident"))
    if resident is None:
        return
    with st.form("cases_report_form"):
        found_at = moment_inputs("cases_rep")
        channel = st.selectbox(
            t("cases.col_channel"),
            cases.CASE_CHANNELS,
            format_func=lambda c: code("case_channel", c),
            key="cases_rep_channel",
        )
        severity = st.radio(
            t("cases.col_severity"),
            cases.CASE_SEVERITIES,
            format_func=lambda c: code("case_severity", c),
            horizontal=True,
            key="cases_rep_severity",
        )
        note = st.text_input(t("common.note"), max_chars=200, key="cases_rep_note")
        if st.form_submit_button(t("cases.report_submit"), type="primary"):
            row = ui.write(cases.report_case, user, resident, found_at, channel, severity, note=note)
            if row is not None:
                st.session_state["cases_contact_case"] = row.id
                done(t("cases.report_ok", id=row.id))


# --- the register and the pipeline ----------------------------------------------------------


def case_label(r: object) -> str:
    return t(
        "cases.case_label",
        id=int(r.case_id),
        name=who(r.name, r.grid_id),
        building=f"{r.compound} {r.building}",
        room=r.room,
        status=code("case_status", r.status),
    )


def section_register() -> None:
    counts = ui.cached(cases.case_counts, day)
    ui.kpi_row(
        [{"label": code("case_status", s), "value": counts[s]} for s in ("reported", "verified", "awaiting_transfer", "transferred", "home_isolation", "recovered")],
        columns=3,
    )  # fmt: skip
    active_only = st.toggle(t("cases.active_only"), value=True, key="cases_reg_active")
    register = ui.cached(cases.case_register, day, active_only=active_only)
    if register.empty:
        ui.empty("cases.none_cases")
        return
    show(
        register,
        ["case_id", "name", "grid", "compound", "building", "room", "found_at", "channel", "severity", "status",
         "destination", "transferred_at", "recovered_on", "contacts"],
        codes={"status": "case_status"},
    )  # fmt: skip
    with ui.read_session() as s:
        live = cases.case_register(s, today, active_only=True)
    live = live[[may_act("cases.update", g) or roles.allowed(user, "cases.verify") for g in live["grid_id"]]]
    st.subheader(t("cases.step_heading"))
    if live.empty:
        ui.empty("cases.none_to_move")
        return
    labels = {int(r.case_id): case_label(r) for r in live.itertuples()}
    case_id = st.selectbox(t("cases.pick_case"), list(labels), format_func=labels.get, key="cases_step_pick")
    row = live[live["case_id"] == case_id].iloc[0]
    with ui.read_session() as s:
        steps = cases.case_steps(s, case_id)
    st.dataframe(
        pd.DataFrame(
            [
                {"status": code("case_status", x.status), "at": x.at, "by": x.username, "note": x.note}
                for x in steps
            ]
        ),
        hide_index=True,
        column_config={
            "status": t("common.status"),
            "at": t("common.time"),
            "by": t("cases.col_by"),
            "note": t("common.note"),
        },
    )
    allowed = [x for x in cases.NEXT_STEPS[row["status"]] if may_act(cases.STEP_ACTION[x], row["grid_id"])]
    if not allowed:
        st.caption(t("cases.no_step_for_you", status=code("case_status", row["status"])))
        return
    to = st.radio(
        t("cases.next_step"),
        allowed,
        format_func=lambda x: code("case_status", x),
        horizontal=True,
        key="cases_step_to",
    )
    with st.form("cases_step_form"):
        when = moment_inputs("cases_step")
        dest = reason = None
        if to == "transferred":
            dest = st.selectbox(
                t("cases.col_destination"),
                cases.TRANSFER_DESTINATIONS,
                format_func=lambda d: code("destination", d),
                key="cases_step_dest",
            )
        if to == "home_isolation":
            reason = st.text_input(t("cases.reason"), max_chars=200, key="cases_step_reason")
        if st.form_submit_button(t("cases.step_submit"), type="primary"):
            ok = ui.write(
                cases.advance_case,
                user,
                case_id,
                to,
                at=when,
                destination=dest,
                reason=reason,
                expected_version=int(row["version"]),
            )
            if ok is not None:
                done(t("cases.step_ok", id=case_id, status=code("case_status", to)))


# --- contacts -------------------------------------------------------------------------------


def section_contacts() -> None:
    counts = ui.cached(contacts.contact_counts, day)
    ui.kpi_row([{"label": code("contact_status", s), "value": counts[s]} for s in counts], columns=5)
    with ui.read_session() as s:
        live = cases.case_register(s, day, active_only=True)
    live = live[[may_act("cases.contact", g) for g in live["grid_id"]]]
    if live.empty:
        ui.empty("cases.none_cases")
        every = ui.cached(contacts.contacts_of, day)
        if not every.empty:
            show(every, ["case_id", "kind", "name", "building", "room", "status", "identified_on", "released_on"], codes={"status": "contact_status", "kind": "contact_kind"})  # fmt: skip
        return
    labels = {int(r.case_id): case_label(r) for r in live.itertuples()}
    wanted = st.session_state.get("cases_contact_case")
    index = list(labels).index(wanted) if wanted in labels else 0
    case_id = st.selectbox(
        t("cases.pick_case"), list(labels), index=index, format_func=labels.get, key="cases_con_case"
    )
    with ui.read_session() as s:
        shown = contacts.contacts_of(s, day, case_id=case_id)
        linked = contacts.contacts_of(s, today, case_id=case_id)  # the forms act on the current status
        members = contacts.household_members(s, case_id)
    if shown.empty:
        ui.empty("cases.none_contacts")
    else:
        show(
            shown,
            ["kind", "name", "building", "room", "status", "identified_on", "notified_at", "quarantined_at", "released_on"],
            codes={"status": "contact_status", "kind": "contact_kind"},
        )  # fmt: skip
    st.subheader(t("cases.add_heading"))
    kind = st.radio(
        t("cases.col_kind"),
        cases.CONTACT_KINDS,
        format_func=lambda k: code("contact_kind", k),
        horizontal=True,
        key="cases_con_kind",
    )
    parents = {
        int(r.contact_id): f"{code('contact_kind', r.kind)} · {who(r.name, r.grid_id)}"
        for r in linked.itertuples()
    }
    parent = st.selectbox(
        t("cases.parent_contact"),
        [None, *parents],
        format_func=lambda x: parents.get(x, "—"),
        key="cases_con_parent",
    )
    st.caption(t("cases.search_caption"))
    buildings = ui.cached(cases.buildings_for, scope)
    names = {int(r.building_id): f"{r.compound} {r.building}" for r in buildings.itertuples()}
    building = st.selectbox(
        t("common.building"),
        [None, *names],
        format_func=lambda x: names.get(x, "—"),
        key="cases_con_building",
    )
    room = st.text_input(t("cases.room_filter"), key="cases_con_room", max_chars=30)
    found = pd.DataFrame(columns=["resident_id", "name", "room", "grid_id", "birth_year"])
    if building is not None:
        with ui.read_session() as s:
            found = cases.residents_in(s, building, room=room, grid_id=scope)
    with st.form("cases_contact_form"):
        family = {
            int(r.resident_id): f"{who(r.name, r.grid_id)} · {r.birth_year}" for r in members.itertuples()
        }
        picked_family = st.multiselect(
            t("cases.household_members"),
            list(family),
            default=list(family),
            format_func=family.get,
            key="cases_con_family",
        )
        others = {
            int(r.resident_id): f"{r.room} · {who(r.name, r.grid_id)} · {r.birth_year}"
            for r in found.itertuples()
        }
        picked_others = st.multiselect(
            t("cases.other_residents"), list(others), format_func=others.get, key="cases_con_others"
        )
        outside = st.text_area(t("cases.outside_names"), key="cases_con_outside", max_chars=600)
        identified = st.date_input(
            t("cases.col_identified_on"), value=day, max_value=today, key="cases_con_date"
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
            ok = ui.write(contacts.add_contacts, user, case_id, entries, identified_on=identified)
            if ok is not None:
                done(t("cases.add_ok", n=len(ok)))
    movable = linked[linked["status"] != "released"] if not linked.empty else linked
    if movable.empty:
        return
    st.subheader(t("cases.contact_step_heading"))
    ks = {int(r.contact_id): f"{code('contact_kind', r.kind)} · {who(r.name, r.grid_id)} · {code('contact_status', r.status)}" for r in movable.itertuples()}  # fmt: skip
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
        when = moment_inputs("cases_cstep")
        if st.form_submit_button(t("cases.step_submit"), type="primary"):
            ok = ui.write(
                contacts.advance_contact, user, contact_id, to, at=when, expected_version=int(row["version"])
            )
            if ok is not None:
                done(t("cases.contact_step_ok", status=code("contact_status", to)))


# --- zones ----------------------------------------------------------------------------------


def section_zones() -> None:
    counts = ui.cached(zones.zone_counts, day)
    ui.kpi_row([{"label": code("zone", z), "value": counts[z]} for z in cases.ZONES], columns=3)
    st.caption(t("cases.zone_rule", sealed=ui.cached(config.int_rule, "zone_sealed_days"), controlled=ui.cached(config.int_rule, "zone_controlled_days")))  # fmt: skip
    compounds = ui.cached(zones.compound_board, day)
    st.subheader(t("cases.zone_compounds"))
    show(compounds, ["compound", "kind", "zone", "sealed_buildings", "steps_down_on", "days_left"], codes={"kind": "compound_kind"})  # fmt: skip
    st.subheader(t("cases.zone_buildings"))
    buildings = ui.cached(zones.building_board, day)
    if buildings.empty:
        ui.empty("cases.none_zone_buildings")
    else:
        show(buildings, ["compound", "building", "grid", "zone", "last_case", "steps_down_on", "days_left"])
    st.subheader(t("cases.zone_history"))
    names = {int(r.compound_id): r.compound for r in compounds.itertuples()}
    if not names:
        return
    compound = st.selectbox(
        t("common.compound"), list(names), format_func=names.get, key="cases_zone_compound"
    )
    inside = ui.cached(cases.buildings_for)
    inside = inside[inside["compound_id"] == compound]
    blds = {int(r.building_id): r.building for r in inside.itertuples()}
    building = st.selectbox(
        t("common.building"),
        [None, *blds],
        format_func=lambda x: blds.get(x, t("cases.whole_compound")),
        key="cases_zone_building",
    )
    history = (
        ui.cached(zones.zone_history, building_id=building, until=day)
        if building is not None
        else ui.cached(zones.zone_history, compound_id=compound, until=day)
    )
    shown = history.assign(overridden=[t("common.yes") if x else "" for x in history["overridden"]])
    show(shown, ["zone", "start_on", "end_on", "days", "overridden"])
    if roles.allowed(user, "cases.zone"):
        form_zone(names, compound, building)


def form_zone(names: dict[int, str], compound: int, building: int | None) -> None:
    with st.expander(t("cases.zone_override_heading")):
        target = names[compound] if building is None else f"{names[compound]} · #{building}"
        st.caption(t("cases.zone_override_caption", target=target))
        with st.form("cases_zone_form"):
            zone = st.selectbox(
                t("cases.col_zone"), cases.ZONES, format_func=lambda z: code("zone", z), key="cases_zone_zone"
            )
            start = st.date_input(t("cases.col_start_on"), value=day, max_value=today, key="cases_zone_start")
            reason = st.text_input(t("cases.col_reason"), max_chars=200, key="cases_zone_reason")
            if st.form_submit_button(t("common.save")):
                ok = ui.write(
                    zones.announce_zone,
                    user,
                    building_id=building,
                    compound_id=None if building is not None else compound,
                    zone=zone,
                    start_on=start,
                    reason=reason,
                )
                if ok is not None:
                    done(t("cases.zone_override_ok"))
        overrides = ui.cached(zones.zone_overrides, today)
        running = overrides[overrides["end_on"].isna()]
        if running.empty:
            return
        show(overrides, ["compound", "building", "zone", "start_on", "end_on", "reason"])
        labels = {int(r.zone_change_id): f"{r.compound} {r.building} · {code('zone', r.zone)} · {r.start_on}" for r in running.itertuples()}  # fmt: skip
        with st.form("cases_zone_end_form"):
            zc = st.selectbox(
                t("cases.zone_override_pick"), list(labels), format_func=labels.get, key="cases_zone_end_pick"
            )
            end = st.date_input(t("cases.col_end_on"), value=day, max_value=today, key="cases_zone_end")
            if st.form_submit_button(t("cases.zone_override_end")):
                if ui.write(zones.end_announced_zone, user, zc, end) is not None:
                    done(t("cases.zone_override_ok"))


# --- source analysis ------------------------------------------------------------------------


def section_sources() -> None:
    first = ui.cached(zones.first_day) or day
    since = st.date_input(
        t("cases.sources.since"), value=min(first, day), max_value=day, key="cases_src_since"
    )
    total = ui.cached(sources.cases_by_channel, day, since=since)
    n = int(total["cases"].sum()) if not total.empty else 0
    if n == 0:
        ui.empty("cases.sources.none")
        return
    spread = ui.cached(sources.household_spread, day, since=since)
    found = ui.cached(sources.clusters, day, since=since)
    ui.kpi_row(
        [
            {"label": t("cases.sources.kpi_cases"), "value": n},
            {"label": t("cases.sources.kpi_clusters"), "value": len(found)},
            {"label": t("cases.sources.kpi_households"), "value": spread.households_with_cases},
            {"label": t("cases.sources.kpi_secondary"), "value": f"{spread.secondary_cases} ({spread.secondary_share:.0%})"},
        ],
        columns=4,
    )  # fmt: skip
    st.subheader(t("cases.sources.curve"))
    st.plotly_chart(sources.curve_figure(ui.cached(sources.daily_cases_by_housing, day, since=since)))
    st.subheader(t("cases.sources.by_housing"))
    housing = ui.cached(sources.cases_by_housing, day, since=since)
    top = housing.iloc[0]
    st.markdown(t("cases.sources.leader", group=sources.housing_label(top["kind"], bool(top["is_rental"])), cases=int(top["cases"]), share=f"{top['share']:.0%}", rate=top["per_1000"]))  # fmt: skip
    st.plotly_chart(sources.housing_figure(housing))
    show(
        housing.assign(group=[sources.housing_label(k, r) for k, r in zip(housing["kind"], housing["is_rental"], strict=True)]),
        ["group", "cases", "share", "residents", "per_1000"],
    )  # fmt: skip
    st.subheader(t("cases.sources.by_compound"))
    show(ui.cached(sources.cases_by_compound, day, since=since), ["compound", "kind", "cases", "residents", "per_1000"], codes={"kind": "compound_kind"})  # fmt: skip
    st.subheader(t("cases.sources.by_building"))
    show(ui.cached(sources.cases_by_building, day, since=since), ["compound", "building", "grid", "cases", "households_hit", "residents"])  # fmt: skip
    st.subheader(t("cases.sources.clusters"))
    st.caption(t("cases.sources.clusters_caption"))
    if found.empty:
        ui.empty("cases.sources.none_clusters")
    else:
        show(found, ["compound", "building", "grid", "first_on", "last_on", "days", "cases", "households"])
    st.subheader(t("cases.sources.in_households"))
    st.caption(t("cases.sources.in_households_caption"))
    by = ui.cached(sources.household_spread_by_housing, day, since=since)
    show(
        by.assign(
            group=[sources.housing_label(k, r) for k, r in zip(by["kind"], by["is_rental"], strict=True)]
        ),
        ["group", "first_cases", "secondary_cases"],
    )
    st.subheader(t("cases.sources.by_size"))
    sizes = ui.cached(sources.cases_by_household_size, day, since=since)
    st.plotly_chart(sources.bar_figure(sizes, "size", label=t("cases.sources.household_size")))
    st.subheader(t("cases.sources.by_channel"))
    st.plotly_chart(
        sources.bar_figure(total, "channel", label=t("cases.col_channel"), code_kind="case_channel")
    )


{
    "board": section_board,
    "report": section_report,
    "register": section_register,
    "contacts": section_contacts,
    "zones": section_zones,
    "sources": section_sources,
}[section]()
