"""筛查: rounds, progress by grid and building, the missed list, pooled tubes and retests,
antigen line lists, the import of the sampling system's export, and trends."""

import streamlit as st

from dashboard import imports, privacy, roles, screening, screening_import, screening_reports, tubes, ui
from dashboard.errors import JuweiError
from dashboard.i18n import code, t

user = ui.require_user()
day = ui.as_of()
meeting = ui.meeting_mode(user)
st.title(t("screening.title"))

SECTIONS = ("progress", "missed", "tubes", "antigen", "import", "rounds", "trends")
section = st.radio(
    t("screening.section"),
    SECTIONS,
    format_func=lambda s: t(f"screening.sec_{s}"),
    horizontal=True,
    key="scr_section",
    label_visibility="collapsed",
)
held = ui.cached(screening.rounds, day)
flash = st.session_state.pop("scr_flash", None)
if flash:
    st.success(flash)


def after_write(result: object, message: str) -> None:
    """Show the lists again with the write in them, and say what was done."""
    if result is not None:
        st.session_state["scr_flash"] = message
        st.rerun()


def round_label(r) -> str:  # noqa: ANN001 - a row of screening.rounds
    return t(
        "screening.round_label",
        date=r.date.isoformat(),
        kind=code("round_kind", r.kind),
        number=int(r.number),
        scope=code("round_scope", r.scope),
    )


def pick_round(kind: str | None = None) -> int | None:
    """The round the section works on (newest first); None with an explicit empty state."""
    choices = held if kind is None else held[held["kind"] == kind]
    if choices.empty:
        ui.empty(
            "screening.none_rounds_kind" if kind else "screening.none_rounds", kind=code("round_kind", kind)
        )
        return None
    labels = {int(r.round_id): round_label(r) for r in choices.itertuples()}
    return st.selectbox(t("screening.round"), list(labels), format_func=labels.get, key=f"scr_round_{kind}")


def pick_grid() -> int | None:
    """A grid leader works on their grid; others choose one grid or all."""
    if user.role == "grid_leader":
        st.caption(t("screening.your_grid", n=user.grid_number or ""))
        return user.grid_id
    g = ui.cached(screening.grids)
    options = [None, *[int(x) for x in g["grid_id"]]]
    numbers = dict(zip(g["grid_id"], g["number"], strict=True))
    return st.selectbox(
        t("common.grid"),
        options,
        format_func=lambda x: t("common.all") if x is None else t("screening.grid_n", n=numbers[x]),
        key="scr_grid",
    )


def progress_config() -> dict:
    return {
        "coverage": st.column_config.ProgressColumn(
            t("screening.coverage"), format="percent", min_value=0.0, max_value=1.0
        )
    }


RENAME = {
    "grid": t("common.grid"),
    "compound": t("common.compound"),
    "building": t("common.building"),
    "room": t("common.room"),
    "name": t("common.name"),
    "phone": t("common.phone"),
    "residents": t("screening.in_scope"),
    "transferred": code("exempt_reason", "transferred"),
    "quarantine": code("exempt_reason", "quarantine"),
    "away": code("exempt_reason", "away"),
    "exempt": t("screening.exempt"),
    "due": t("screening.due"),
    "sampled": t("screening.sampled"),
    "door": t("screening.door"),
    "bedridden": t("screening.bedridden"),
    "missed": t("screening.missed_n"),
    "why": t("screening.why"),
    "reason": t("screening.exempt_reason"),
}


def show_progress() -> None:
    round_id = pick_round()
    if round_id is None:
        return
    p = ui.cached(screening.round_progress, round_id, day)
    tot = p.totals
    ui.kpi_row(
        [
            {"label": t("screening.due"), "value": f"{tot['due']:,}"},
            {"label": t("screening.sampled"), "value": f"{tot['sampled']:,}"},
            {"label": t("screening.coverage"), "value": f"{tot['coverage']:.1%}"},
            {"label": t("screening.missed_n"), "value": f"{tot['missed']:,}"},
        ]
    )
    st.caption(
        t(
            "screening.exempt_caption",
            exempt=tot["exempt"],
            transferred=tot["transferred"],
            quarantine=tot["quarantine"],
            away=tot["away"],
            door=tot["door"],
            bedridden=tot["bedridden"],
        )
    )
    if p.by_grid.empty:
        ui.empty("screening.none_in_scope")
        return
    st.subheader(t("screening.by_grid"))
    cols = ["grid", "due", "sampled", "coverage", "missed", "door", "transferred", "quarantine", "away"]
    st.dataframe(
        p.by_grid[cols].rename(columns=RENAME),
        hide_index=True,
        width="stretch",
        column_config={RENAME.get(k, k): v for k, v in progress_config().items()},
    )
    st.subheader(t("screening.by_building"))
    grid_id = pick_grid()
    b = p.by_building if grid_id is None else p.by_building[p.by_building["grid_id"] == grid_id]
    cols = ["grid", "compound", "building", "due", "sampled", "coverage", "missed", "door", "exempt"]
    st.dataframe(
        b[cols].rename(columns=RENAME),
        hide_index=True,
        width="stretch",
        column_config={RENAME.get(k, k): v for k, v in progress_config().items()},
    )
    exempt = ui.cached(screening.exempt_residents, round_id, day, grid_id)
    with st.expander(t("screening.exempt_list", n=len(exempt))):
        shown = exempt.assign(reason=exempt["reason"].map(lambda r: code("exempt_reason", r)))
        ui.masked_table(shown.drop(columns=["resident_id"]), user, rename=RENAME)


def resident_label(r) -> str:  # noqa: ANN001 - a row of the missed list
    name = r.name if roles.sees_personal(user, r.grid_id, meeting=meeting) else privacy.mask_name(r.name)
    return f"{r.building} {r.room} {name}"


def show_missed() -> None:
    round_id = pick_round()
    if round_id is None:
        return
    grid_id = pick_grid()
    missed = ui.cached(screening.missed_residents, round_id, day, grid_id)
    if missed.empty:
        st.success(t("screening.none_missed"))
        return
    st.caption(t("screening.missed_count", n=len(missed)))
    shown = missed.assign(
        why=[screening.why_missed(o, b) for o, b in zip(missed["outcome"], missed["bedridden"], strict=True)],
        outcome_note=missed["outcome_note"].fillna(""),
    )
    # A grid leader's list is all one grid: leave the column out so the reason fits on a phone.
    columns = ["grid", "building", "room", "name", "phone", "why"][1 if user.role == "grid_leader" else 0 :]
    ui.masked_table(
        shown[["grid_id", "grid", "building", "room", "name", "phone", "why", "outcome_note"]].rename(
            columns={"outcome_note": t("common.note")}
        ),
        user,
        rename=RENAME,
        column_order=[RENAME[c] for c in columns] + [t("common.note")],
    )
    if roles.allowed(user, "screening.missed"):
        labels = {int(r.resident_id): resident_label(r) for r in missed.itertuples()}
        with st.form("scr_mark", clear_on_submit=True):
            st.markdown(f"**{t('screening.mark_title')}**")
            resident_id = st.selectbox(t("common.resident"), list(labels), format_func=labels.get)
            outcome = st.radio(
                t("screening.outcome"),
                ("door_sampled", "will_come", "refused", "not_home"),
                format_func=lambda o: code("missed_outcome", o),
            )
            tube_no = st.text_input(t("screening.tube_no_door"), max_chars=30)
            note = st.text_input(t("common.note"), max_chars=200)
            if st.form_submit_button(t("common.save"), type="primary", width="stretch"):
                saved = ui.write(
                    screening.mark_missed, user, round_id, resident_id, outcome, note=note, tube_no=tube_no
                )
                after_write(saved, t("screening.marked"))
        with st.expander(t("screening.exempt_title")), st.form("scr_exempt", clear_on_submit=True):
            resident_id = st.selectbox(t("common.resident"), list(labels), format_func=labels.get)
            reason = st.radio(
                t("screening.exempt_reason"),
                ("away", "quarantine", "transferred", "bedridden"),
                format_func=lambda r: code("exempt_reason", r),
            )
            if st.form_submit_button(t("common.save"), width="stretch"):
                saved = ui.write(screening.mark_exempt, user, round_id, resident_id, reason)
                after_write(saved, t("screening.marked"))
    if roles.allowed(user, "export.aggregate") and roles.allowed(user, "screening.missed"):
        if st.button(t("screening.export"), icon=":material/download:", key="scr_export"):
            data = ui.write(screening_reports.export_missed, user, round_id, grid_id, day)
            if data is not None:
                st.session_state["scr_export_file"] = (round_id, grid_id, data)
        ready = st.session_state.get("scr_export_file")
        if ready and ready[:2] == (round_id, grid_id):
            st.download_button(
                t("common.download"),
                ready[2],
                file_name=f"missed_{round_id}_{grid_id or 'all'}.xlsx",
                mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                key="scr_export_dl",
            )


def show_tubes() -> None:
    round_id = pick_round("pcr")
    if round_id is not None:
        if roles.allowed(user, "screening.tube"):
            with st.form("scr_tube", clear_on_submit=True):
                st.markdown(f"**{t('screening.tube_title')}**")
                tube_no = st.text_input(t("screening.tube_no"), max_chars=30)
                if st.form_submit_button(t("screening.tube_mark"), type="primary", width="stretch"):
                    opened = ui.write(tubes.mark_tube_abnormal, user, round_id, tube_no)
                    if opened:
                        after_write(opened, t("screening.tube_marked", n=len(opened), tube=tube_no.strip()))
        abnormal = ui.cached(tubes.abnormal_tubes, round_id)
        if not abnormal.empty:
            st.dataframe(
                abnormal.rename(
                    columns={
                        "tube_no": t("screening.tube_no"),
                        "members": t("screening.members"),
                        "retests_open": t("screening.retests_open"),
                    }
                ),
                hide_index=True,
            )
    st.subheader(t("screening.under_control"))
    grid_id = roles.grid_filter(user)
    control = ui.cached(tubes.under_control, day, grid_id)
    if control.empty:
        ui.empty("screening.none_under_control")
        return
    shown = control.assign(
        round=[
            t("screening.round_short", kind=code("round_kind", k), number=int(n))
            for k, n in zip(control["kind"], control["number"], strict=True)
        ]
    )
    ui.masked_table(
        shown[["grid_id", "round", "tube_no", "grid", "building", "room", "name", "phone", "opened_at"]],
        user,
        rename=RENAME
        | {
            "round": t("screening.round"),
            "tube_no": t("screening.tube_no"),
            "opened_at": t("screening.opened_at"),
        },
        column_order=[RENAME.get(c, c) for c in ("grid", "building", "room", "name", "phone")]
        + [t("screening.round"), t("screening.tube_no"), t("screening.opened_at")],
    )
    if roles.allowed(user, "screening.tube"):
        rows = {int(r.retest_id): r for r in control.itertuples()}
        with st.form("scr_retest", clear_on_submit=True):
            st.markdown(f"**{t('screening.retest_title')}**")
            retest_id = st.selectbox(
                t("common.resident"), list(rows), format_func=lambda i: resident_label(rows[i])
            )
            result = st.radio(
                t("screening.retest_result"),
                ("negative", "positive"),
                format_func=lambda v: code("result", v),
            )
            severity = st.selectbox(
                t("screening.severity"),
                ("asymptomatic", "confirmed"),
                format_func=lambda v: code("case_severity", v),
            )
            if st.form_submit_button(t("common.save"), type="primary", width="stretch"):
                saved = ui.write(
                    tubes.record_retest,
                    user,
                    retest_id,
                    result,
                    version=int(rows[retest_id].version),
                    severity=severity,
                )
                after_write(saved, t("screening.retest_saved"))


def show_antigen() -> None:
    round_id = pick_round("antigen")
    if round_id is None:
        return
    grid_id = roles.grid_filter(user)
    homes = ui.cached(tubes.households, grid_id)
    if homes.empty:
        ui.empty("screening.none_households")
        return
    if not roles.allowed(user, "screening.result"):
        st.info(t("screening.read_only"))
        return
    labels = {
        int(h.household_id): t(
            "screening.household_label", grid=h.grid, compound=h.compound, building=h.building, room=h.room
        )
        for h in homes.itertuples()
    }
    household_id = st.selectbox(
        t("common.household"), list(labels), format_func=labels.get, key="scr_household"
    )
    with ui.read_session() as s:
        members = tubes.household_members(s, household_id, round_id)
    if members.empty:
        ui.empty("screening.none_members")
        return
    grid_of_home = homes.loc[homes["household_id"] == household_id, "grid_id"].iloc[0]
    values = ("negative", "positive", "not_done")
    with st.form(f"scr_antigen_{household_id}"):
        st.markdown(f"**{t('screening.antigen_title')}**")
        chosen = {}
        for m in members.itertuples():
            name = (
                m.name
                if roles.sees_personal(user, grid_of_home, meeting=meeting)
                else privacy.mask_name(m.name)
            )
            current = m.result if m.method == "self" and m.result in ("negative", "positive") else "not_done"
            chosen[int(m.resident_id)] = st.radio(
                name,
                values,
                index=values.index(current),
                format_func=lambda v: t("screening.not_done") if v == "not_done" else code("result", v),
                horizontal=True,
                key=f"scr_ag_{round_id}_{m.resident_id}",
            )
        if st.form_submit_button(t("common.save"), type="primary", width="stretch"):
            counts = ui.write(tubes.record_household_antigen, user, round_id, household_id, chosen)
            if counts is not None:
                message = t("screening.antigen_saved", **counts)
                if counts["positive"]:
                    message += " " + t("screening.antigen_positive", n=counts["positive"])
                after_write(counts, message)


def show_import() -> None:
    round_id = pick_round()
    if round_id is None:
        return
    if not roles.allowed(user, "screening.import"):
        st.info(t("screening.read_only"))
        return
    st.caption(t("screening.imp_help"))
    upload = st.file_uploader(t("screening.imp_file"), type=["csv", "xlsx"], key="scr_upload")
    if upload is None:
        return
    data = upload.getvalue()
    digest = imports.file_digest(data)
    key = (digest, round_id)
    dry = None
    cached_dry = st.session_state.get("scr_dry")
    if cached_dry and cached_dry[0] == key:
        dry = cached_dry[1]
    else:
        try:
            with ui.read_session() as s:
                dry = screening_import.dry_run(s, user, round_id, data, upload.name)
        except JuweiError as exc:
            st.error(exc.message())
            return
        st.session_state["scr_dry"] = (key, dry)
    plan = dry.payload
    summary = screening_import.summary(dry)
    st.subheader(t("screening.imp_dry_run"))
    if plan.previous_import:
        st.info(
            t("screening.imp_seen_before", at=plan.previous_import.isoformat(sep=" ", timespec="minutes"))
        )
    st.caption(
        t(
            "screening.imp_columns",
            columns=", ".join(f"{t('screening.field_' + f)} ← {c}" for f, c in plan.columns.items()),
        )
    )
    ui.kpi_row(
        [
            {"label": t(f"screening.imp_n_{k}"), "value": summary[k]}
            for k in ("add", "update", "unchanged", "retests")
        ]
    )
    ui.kpi_row(
        [
            {"label": t(f"screening.imp_n_{k}"), "value": summary[k]}
            for k in ("unmatched", "duplicate", "malformed", "rejected")
        ]
    )
    if dry.issues:
        issues = dry.issues_frame()
        st.dataframe(
            issues.rename(columns={"row": t("imports.row"), "reason": t("imports.reason")}),
            hide_index=True,
            width="stretch",
        )
    if summary["malformed"]:
        st.error(t("screening.imp_has_errors", n=summary["malformed"]))
        return
    todo = summary["add"] + summary["update"] + summary["retests"]
    if todo == 0:
        st.success(t("screening.imp_nothing"))
        return
    if st.button(t("screening.imp_commit", n=todo), type="primary", key="scr_commit"):
        bar = st.progress(0.0, text=t("screening.imp_started"))
        done = ui.write(
            screening_import.import_results,
            user,
            round_id,
            data,
            upload.name,
            progress=lambda f, text: bar.progress(f, text=text),
        )
        st.session_state.pop("scr_dry", None)
        if done is not None:
            s = screening_import.summary(done)
            after_write(done, t("screening.imp_done", add=s["add"], update=s["update"]))


def show_rounds() -> None:
    if roles.allowed(user, "screening.round"):
        with st.expander(t("screening.new_round"), expanded=held.empty), st.form("scr_new_round"):
            kind = st.radio(
                t("screening.kind"),
                ("pcr", "antigen"),
                format_func=lambda k: code("round_kind", k),
                horizontal=True,
            )
            date = st.date_input(t("common.date"), value=ui.today(), max_value=ui.today())
            scope = st.radio(
                t("screening.scope"),
                ("all", "sealed", "grid"),
                format_func=lambda s: code("round_scope", s),
                horizontal=True,
            )
            g = ui.cached(screening.grids)
            grid_ids = [int(x) for x in g["grid_id"]]
            numbers = dict(zip(g["grid_id"], g["number"], strict=True))
            scope_grid = st.selectbox(
                t("screening.scope_grid"),
                [None, *grid_ids],
                format_func=lambda x: "—" if x is None else t("screening.grid_n", n=numbers[x]),
            )
            sites = ui.cached(screening.sampling_sites)
            site_names = dict(zip(sites["site_id"], sites["name"], strict=True))
            site_ids = st.multiselect(
                t("screening.sites"), [int(x) for x in sites["site_id"]], format_func=site_names.get
            )
            slots = st.text_input(
                t("screening.time_slots"), max_chars=200, placeholder=t("screening.time_slots_hint")
            )
            note = st.text_input(t("common.note"), max_chars=200)
            if st.form_submit_button(t("screening.create"), type="primary", width="stretch"):
                new_id = ui.write(
                    screening.create_round,
                    user,
                    kind,
                    date,
                    scope,
                    scope_grid_id=scope_grid,
                    site_ids=site_ids,
                    time_slots=slots,
                    note=note,
                )
                after_write(new_id, t("screening.created"))
    if held.empty:
        ui.empty("screening.none_rounds")
        return
    shown = held.assign(
        kind=held["kind"].map(lambda k: code("round_kind", k)),
        scope=held["scope"].map(lambda s: code("round_scope", s)),
    ).drop(columns=["round_id"])
    st.dataframe(
        shown.rename(
            columns={
                "kind": t("screening.kind"),
                "number": t("screening.number"),
                "date": t("common.date"),
                "scope": t("screening.scope"),
                "grid": t("common.grid"),
                "sites": t("screening.sites"),
                "time_slots": t("screening.time_slots"),
                "note": t("common.note"),
            }
        ),
        hide_index=True,
        width="stretch",
    )


def show_trends() -> None:
    trend = ui.cached(screening_reports.coverage_trend, day)
    if trend.empty:
        ui.empty("screening.none_rounds")
        return
    st.subheader(t("screening.trend_title"))
    st.plotly_chart(screening_reports.coverage_chart(trend), width="stretch")
    part = ui.cached(screening_reports.antigen_participation, day)
    st.subheader(t("screening.participation_title"))
    if part.empty:
        ui.empty("screening.none_rounds_kind", kind=code("round_kind", "antigen"))
        return
    st.plotly_chart(screening_reports.participation_chart(part), width="stretch")
    mean = part.groupby("grid", as_index=False)[["due", "sampled"]].sum()
    mean["participation"] = mean["sampled"] / mean["due"].where(mean["due"] > 0)
    st.dataframe(
        mean.rename(
            columns={"grid": t("common.grid"), "due": t("screening.due"), "sampled": t("screening.sampled")}
        ),
        hide_index=True,
        column_config={
            "participation": st.column_config.ProgressColumn(
                t("screening.participation"), format="percent", min_value=0.0, max_value=1.0
            )
        },
    )


{
    "progress": show_progress,
    "missed": show_missed,
    "tubes": show_tubes,
    "antigen": show_antigen,
    "import": show_import,
    "rounds": show_rounds,
    "trends": show_trends,
}[section]()
