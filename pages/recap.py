"""每日复盘: the meeting screen — the day against the day before, grids ranked, problems, follow-ups,
close the day and the brief. Meeting-screen mode is always on here: no personal data."""

import datetime as dt

import pandas as pd
import streamlit as st

from dashboard import config, followups, recap, reports, roles, ui
from dashboard.i18n import current_language, t

user = ui.require_user()
day = ui.as_of()
yesterday = day - dt.timedelta(days=1)
lang = current_language()
# Large type on the shared screen, whatever the sidebar toggle says.
st.html(
    "<style>html{font-size:19px}[data-testid=stMetricValue]{font-size:2.6rem}"
    "[data-testid=stDataFrame] *{font-size:1.05rem}</style>"
)
st.title(t("recap.title"))
st.caption(
    t("recap.heading", date=day.isoformat(), yesterday=yesterday.isoformat())
    + " · "
    + t("recap.meeting_note")
)

SECTIONS = ("figures", "grids", "problems", "followups", "close")


def meeting() -> recap.Meeting:
    """The day's figures, the day before's, the ranking and the problems, from one set of reads."""
    return ui.cached(recap.meeting, day)


def figures_of(on: dt.date) -> dict:
    """recap.day_figures of the day or the day before: the meeting's, with the follow-up figures read
    on their own (a new follow-up reads only those again)."""
    m = meeting()
    return {**(m.today if on == day else m.yesterday), **ui.cached(recap.followup_figures, on)}


def section_figures() -> None:
    st.subheader(t("recap.section_figures"))
    today_f, before_f = figures_of(day), figures_of(yesterday)
    comparisons = recap.compare_days(today_f, before_f)
    headline = [
        c
        for c in comparisons
        if c.key in ("new_positives", "negative_streak_days", "awaiting_transfer", "sealed_buildings")
    ]
    ui.kpi_row(
        [
            {
                "label": t(f"recap.fig.{c.key}"),
                "value": c.today,
                "delta": c.change,
                "delta_color": "inverse" if c.better == "down" else "normal",
            }
            for c in headline
        ]
    )
    rows = reports.comparison_rows_from(comparisons, lang)
    verdicts = [c.verdict for c in comparisons]
    # Figures mix counts and percentages: show every cell as text (one Arrow type per column).
    df = pd.DataFrame(rows, columns=reports.comparison_header(lang)).astype(str)
    colours = {"good": "background-color: #e3f4e1", "bad": "background-color: #f9dcdc", "neutral": ""}
    styled = df.style.apply(lambda _col: [colours[v] for v in verdicts], axis=0, subset=[df.columns[-1]])
    st.dataframe(styled, hide_index=True, width="stretch", height=min(40 + 36 * len(df), 820))


def section_grids() -> None:
    st.subheader(t("recap.section_grids"))
    ranking = meeting().ranking
    if ranking.empty:
        ui.empty("common.empty_state")
        return
    shown = pd.DataFrame(
        {
            t("recap.rank"): ranking["rank"],
            t("common.grid"): [t("recap.grid_label", n=int(n)) for n in ranking["grid"]],
            t("recap.screening"): ranking["screening"] * 100,
            t("recap.missed_reached"): [
                f"{r}/{m}" for r, m in zip(ranking["missed_reached"], ranking["missed"], strict=True)
            ],
            t("recap.supply"): ranking["supply"] * 100,
            t("recap.disinfection"): ranking["disinfection"] * 100,
            t("recap.score"): ranking["score"] * 100,
        }
    )
    bar = {"min_value": 0, "max_value": 100, "format": "%.1f%%"}
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config={
            t("recap.screening"): st.column_config.ProgressColumn(**bar),
            t("recap.supply"): st.column_config.ProgressColumn(**bar),
            t("recap.disinfection"): st.column_config.ProgressColumn(**bar),
            t("recap.score"): st.column_config.NumberColumn(format="%.1f"),
        },
    )


def section_problems() -> None:
    st.subheader(t("recap.section_problems"))
    found = meeting().problems
    if not found:
        st.success(t("recap.no_problems"))
        return
    with ui.read_session() as s:
        followed = followups.followed_problem_keys(s, [p.key for p in found])
    may_follow = roles.allowed(user, "recap.followup")
    for p in found:
        left, right = st.columns([5, 1], vertical_alignment="center")
        left.markdown(f"**{ui.plain(reports.problem_text(p, lang))}**")
        if p.key in followed:
            right.caption("✓ " + t("recap.followed"))
        elif may_follow and (user.is_manager or p.grid_id == user.grid_id):
            if right.button(t("recap.make_followup"), key=f"follow_{p.key}"):
                done = ui.write(
                    followups.create_followup,
                    user,
                    reports.problem_text(p, lang),
                    grid_id=p.grid_id,
                    due_on=day if day >= ui.today() else ui.today(),
                    problem_key=p.key,
                    success=t("common.saved"),
                )
                if done is not None:
                    st.rerun()


def section_followups() -> None:
    st.subheader(t("recap.section_followups"))
    fu = ui.cached(followups.followups, day)
    if fu.empty:
        ui.empty("recap.no_followups")
    else:
        shown = pd.DataFrame(
            {
                t("recap.created"): fu["created_on"],
                t("common.grid"): [
                    t("recap.grid_label", n=int(n)) if pd.notna(n) else "" for n in fu["grid"]
                ],
                t("recap.item"): fu["item"],
                t("recap.owner"): fu["owner"],
                t("recap.due"): fu["due_on"],
                t("common.status"): [
                    t("recap.overdue")
                    if o
                    else (
                        t("recap.carried_over")
                        if c
                        else (t("code.followup_status.open") if op else t("recap.closed_today"))
                    )
                    for o, c, op in zip(fu["overdue"], fu["carried_over"], fu["open"], strict=True)
                ],
                t("recap.resolution"): fu["resolution"],
            }
        )
        highlight = ["background-color: #fff1cc" if c else "" for c in fu["carried_over"]]
        st.dataframe(
            shown.style.apply(lambda _row: highlight, axis=0),
            hide_index=True,
            width="stretch",
        )
    if not roles.allowed(user, "recap.followup"):
        return
    mine = fu[fu["open"]] if not fu.empty else fu
    if user.role == "grid_leader" and not mine.empty:
        mine = mine[mine["grid_id"] == user.grid_id]
    left, right = st.columns(2)
    with left, st.form("followup_new", clear_on_submit=True):
        st.markdown(f"**{t('recap.new_followup')}**")
        item = st.text_input(t("recap.item"), max_chars=300)
        with ui.read_session() as s:
            grid_choices = recap.grid_choices(s)
        if user.role == "grid_leader":
            grid_choices = {k: v for k, v in grid_choices.items() if k == user.grid_id}
        grid_id = st.selectbox(
            t("common.grid"),
            options=list(grid_choices),
            format_func=lambda g: grid_choices[g],
        )
        owner = st.text_input(t("recap.owner"), max_chars=60)
        due = st.date_input(t("recap.due"), value=max(day, ui.today()) if day >= ui.today() else ui.today())
        if st.form_submit_button(t("recap.add"), type="primary"):
            if ui.write(
                followups.create_followup,
                user,
                item,
                grid_id=grid_id,
                owner=owner,
                due_on=due,
                success=t("common.saved"),
            ):
                st.rerun()
    with right:
        if mine.empty:
            return
        with st.form("followup_close", clear_on_submit=True):
            st.markdown(f"**{t('recap.close_item')}**")
            options = {int(r.id): (int(r.version), f"{r.created_on} · {r.item}") for r in mine.itertuples()}
            chosen = st.selectbox(t("recap.item"), options=list(options), format_func=lambda i: options[i][1])
            resolution = st.text_area(t("recap.resolution"), max_chars=300)
            if st.form_submit_button(t("recap.close_item")):
                version = options[chosen][0] if chosen in options else None
                if ui.write(
                    followups.close_followup,
                    user,
                    chosen,
                    resolution,
                    expected_version=version,
                    success=t("common.saved"),
                ):
                    st.rerun()


def section_close() -> None:
    st.subheader(t("recap.section_close"))
    with ui.read_session() as s:
        snap = recap.snapshot(s, day)
        diffs = recap.snapshot_differences(s, day) if snap else None
    if snap is not None:
        st.success(
            t(
                "recap.day_closed",
                date=day.isoformat(),
                at=snap.closed_at.strftime("%Y-%m-%d %H:%M"),
                who=snap.closed_by,
            )
        )
        if diffs is not None and not diffs.empty:
            st.warning(t("recap.differences"))
            st.dataframe(
                pd.DataFrame(
                    {
                        t("recap.figure"): [reports.figure_label(k) for k in diffs["key"]],
                        t("recap.snapshot_value"): diffs["snapshot"].astype(str),
                        t("recap.live_value"): diffs["live"].astype(str),
                    }
                ),
                hide_index=True,
            )
    elif roles.allowed(user, "recap.close_day"):
        st.caption(t("recap.close_day_help"))
        if st.button(t("recap.close_day"), type="primary", icon=":material/lock:"):
            if ui.write(recap.close_day, user, day, success=t("common.saved")):
                st.rerun()
    # The day's figures are in the cache already (section_figures): the text is made from them.
    figures = {**figures_of(day), "committee": ui.cached(config.committee_name)}
    text = reports.brief_text_from(figures, day, lang)
    st.markdown(f"**{t('recap.brief_text')}**")
    st.code(text, language=None, wrap_lines=True)
    c1, c2, c3 = st.columns(3)
    # The files are made when someone asks for them (a PDF with its font costs seconds), not on every run.
    c1.download_button(
        t("recap.download_xlsx"),
        data=lambda: ui.cached(reports.brief_xlsx, day, lang),
        file_name=f"brief-{day.isoformat()}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    c2.download_button(
        t("recap.download_pdf"),
        data=lambda: ui.cached(reports.brief_pdf, day, lang),
        file_name=f"brief-{day.isoformat()}.pdf",
        mime="application/pdf",
    )
    c3.download_button(
        t("recap.download_json"),
        data=lambda: ui.cached(reports.brief_json, day),
        file_name=f"brief-{day.isoformat()}.json",
        mime="application/json",
    )


RENDER = {
    "figures": section_figures,
    "grids": section_grids,
    "problems": section_problems,
    "followups": section_followups,
    "close": section_close,
}

auto = st.toggle(t("recap.auto_advance"), key="recap_auto")
if auto:
    seconds = st.slider(t("recap.auto_seconds"), 10, 120, 30, step=5, key="recap_seconds")

    @st.fragment(run_every=dt.timedelta(seconds=seconds))
    def carousel() -> None:
        index = st.session_state.get("recap_section", -1) + 1
        st.session_state["recap_section"] = index % len(SECTIONS)
        name = SECTIONS[st.session_state["recap_section"]]
        st.caption(f"{t('recap.section')} {st.session_state['recap_section'] + 1}/{len(SECTIONS)}")
        RENDER[name]()

    carousel()
else:
    for name in SECTIONS:
        RENDER[name]()
        st.divider()
