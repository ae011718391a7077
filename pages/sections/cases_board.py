"""The transfer board (转运): who waits to be moved out, the day's figures, and the two forms —
mark a transfer done, plan its entrance, route, team and vehicle."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import cases, transfers, ui
from dashboard.i18n import code, t
from pages.sections.cases_common import done, may_act, moment_inputs, show, who
from pages.sections.common import Ctx

BOARD_SHOWN = [
    "subject", "kind", "name", "grid", "compound", "building", "room", "requested_at", "hours_waited",
    "overdue", "destination", "entrance", "route", "team", "vehicle",
]  # fmt: skip
OVERDUE_STYLE = "color: #c62828; font-weight: 600"


def render(ctx: Ctx) -> None:
    view = ui.cached(transfers.board_view, ctx.day, ctx.today, ctx.lang)
    board = transfers.board_at(view, transfers.board_moment(ctx.day, ctx.today))
    ui.kpi_row(
        [
            {"label": t("cases.kpi_waiting_cases"), "value": int((board["subject"] == "case").sum())},
            {"label": t("cases.kpi_waiting_contacts"), "value": int((board["subject"] == "contact").sum())},
            {
                "label": t("cases.kpi_overdue", hours=view.overdue_hours),
                "value": int(board["overdue"].sum()) if not board.empty else 0,
            },
            {
                "label": t("cases.kpi_same_day"),
                "value": "—" if view.same_day_share is None else f"{view.same_day_share:.0%}",
                "help": t("cases.kpi_same_day_help"),
            },
            {
                "label": t("cases.kpi_median_hours"),
                "value": "—" if view.median_hours is None else f"{view.median_hours:.1f}",
            },
        ],
        columns=5,
    )
    st.subheader(t("cases.board_heading", date=ctx.day.isoformat()))
    st.caption(t("cases.board_caption", hours=view.overdue_hours))
    if board.empty:
        ui.empty("cases.none_waiting")
    else:
        red = t("cases.overdue_mark")
        shown = board.assign(
            subject=board["subject_word"],
            kind=board["kind_word"],
            overdue=[red if x else "" for x in board["overdue"]],
            destination=board["destination_word"],
        )

        def paint(row: pd.Series) -> list[str]:
            return [OVERDUE_STYLE if row.get("overdue") == red else ""] * len(row)

        show(ctx, shown, BOARD_SHOWN, style=paint)
        mine = board[[may_act(ctx, "cases.transfer", g) for g in board["grid_id"]]]
        if not mine.empty:
            labels = {
                int(r.transfer_id): t(
                    "cases.transfer_label",
                    subject=r.subject_word,
                    name=who(ctx, r.name, r.grid_id),
                    building=r.building,
                    room=r.room,
                    hours=r.hours_waited,
                )
                for r in mine.itertuples()
            }
            form_done(ctx, labels, mine)
            form_plan(ctx, labels, mine)
    st.subheader(t("cases.daily_heading"))
    if view.recent.empty:
        ui.empty("cases.none_daily")
    else:
        show(ctx, view.recent, transfers.DAILY_SHOWN)


def _row(mine: pd.DataFrame, tid: int) -> pd.Series:
    return mine[mine["transfer_id"] == tid].iloc[0]


def form_done(ctx: Ctx, labels: dict[int, str], mine: pd.DataFrame) -> None:
    st.subheader(t("cases.done_heading"))
    tid = st.selectbox(t("cases.pick_transfer"), list(labels), format_func=labels.get, key="cases_done_pick")
    row = _row(mine, tid)
    planned = row["destination"]
    with st.form("cases_done_form"):
        when = moment_inputs(ctx, "cases_done")
        dest = None
        if row["subject"] == "case":
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
                ctx.user,
                tid,
                when,
                destination=dest,
                expected_version=int(row["version"]),
            )
            if ok is not None:
                done(t("cases.done_ok", label=labels[tid]))


def form_plan(ctx: Ctx, labels: dict[int, str], mine: pd.DataFrame) -> None:
    with st.expander(t("cases.plan_heading")):
        tid = st.selectbox(
            t("cases.pick_transfer"), list(labels), format_func=labels.get, key="cases_plan_pick"
        )
        row = _row(mine, tid)
        gates = ui.cached(transfers.entrance_labels)
        squads = ui.cached(transfers.team_labels)
        with st.form("cases_plan_form"):
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
            options = cases.TRANSFER_DESTINATIONS if row["subject"] == "case" else ("quarantine_hotel",)
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
                    ctx.user,
                    tid,
                    entrance_id=entrance,
                    route=route,
                    team_id=team,
                    vehicle=vehicle,
                    destination=dest,
                    expected_version=int(row["version"]),
                )
                if ok is not None:
                    done(t("cases.plan_ok", label=labels[tid]))
