"""态势总览: KPI tiles that open their lists, the epidemic curve, a compact map and the grid scoreboard."""

import datetime as dt

import pandas as pd
import streamlit as st

from dashboard import charts, config, maps, overview, privacy, roles, ui
from dashboard.i18n import code, t

user = ui.require_user()
day = ui.as_of()
lang = ui.lang()
figures = ui.cached(overview.basics, day)
view = ui.cached(overview.day_view, day)
now = view.kpis
before = ui.cached(overview.kpis, day - dt.timedelta(days=1))
committee = ui.cached(config.committee_name)

st.title(t("overview.title"))
st.caption(t("overview.heading", committee=ui.plain(committee), date=day.isoformat()))
st.caption(
    t(
        "overview.basics",
        compounds=figures["compounds"],
        grids=figures["grids"],
        households=f"{figures['households']:,}",
        residents=f"{figures['residents']:,}",
        pcr=figures["pcr_rounds"],
        antigen=figures["antigen_rounds"],
    )
)

DRILL = "overview_drill"


def _open(kind: str) -> None:
    st.session_state[DRILL] = kind


def _close() -> None:
    st.session_state.pop(DRILL, None)


def _pct(value: float | None) -> str:
    return "—" if value is None else t("overview.pct", value=value * 100)


def _pp(a: float | None, b: float | None) -> str | None:
    if a is None or b is None or abs(a - b) < 0.0005:
        return None
    return t("overview.pp", value=(a - b) * 100)


def _tile(
    kind: str, label: str, value: object, *, delta: object = None, inverse: bool = False, notes=()
) -> None:
    """One KPI tile: the figure, its change against the day before, a note or two, and its list."""
    with st.container(border=True, height="stretch"):
        st.metric(label, value, delta=delta, delta_color="inverse" if inverse else "normal")
        for note in notes:
            if note:
                st.caption(note)
        st.button(
            t("overview.open_list"),
            key=f"tile_{kind}",
            icon=":material/list:",
            type="tertiary",
            on_click=_open,
            args=(kind,),
        )


row1 = st.columns(4)
with row1[0]:
    _tile(
        "new",
        t("overview.new_positives"),
        now.new_positives,
        delta=now.new_positives - before.new_positives,
        inverse=True,
    )
with row1[1]:
    _tile(
        "streak",
        t("overview.negative_streak"),
        now.negative_streak,
        delta=now.negative_streak - before.negative_streak,
    )
with row1[2]:
    _tile(
        "screening",
        t("overview.screening_coverage"),
        _pct(now.screening_coverage),
        delta=_pp(now.screening_coverage, before.screening_coverage),
        notes=[
            t(
                "overview.screening_round",
                number=now.round_number,
                date=now.round_date.isoformat(),
                sampled=f"{now.screening_sampled:,}",
                due=f"{now.screening_due:,}",
            )
            if now.round_number
            else t("overview.no_round")
        ],
    )
with row1[3]:
    waiting = now.awaiting_cases + now.awaiting_contacts
    _tile(
        "transfer",
        t("overview.awaiting_all"),
        waiting,
        delta=waiting - (before.awaiting_cases + before.awaiting_contacts),
        inverse=True,
        notes=[
            t("overview.awaiting_split", cases=now.awaiting_cases, contacts=now.awaiting_contacts),
            t("overview.longest_wait", hours=f"{now.longest_wait_hours:.1f}")
            if now.longest_wait_hours is not None
            else "",
            t("overview.overdue_count", n=now.overdue_transfers) if now.overdue_transfers else "",
        ],
    )

row2 = st.columns(4)
with row2[0]:
    _tile(
        "zones",
        t("overview.zoned"),
        f"{now.sealed_buildings} / {now.controlled_buildings}",
        delta=now.sealed_buildings - before.sealed_buildings,
        inverse=True,
    )
with row2[1]:
    _tile(
        "supply",
        t("overview.supply_coverage"),
        _pct(now.supply_coverage),
        delta=_pp(now.supply_coverage, before.supply_coverage)
        if now.batch_name == before.batch_name
        else None,
        notes=[
            t(
                "overview.supply_batch",
                batch=ui.plain(now.batch_name),
                reached=f"{now.supply_reached:,}",
                entitled=f"{now.supply_entitled:,}",
            )
            if now.batch_name
            else t("overview.no_batch")
        ],
    )
with row2[2]:
    _tile(
        "follow_ups",
        t("overview.open_follow_ups"),
        now.open_follow_ups,
        delta=now.open_follow_ups - before.open_follow_ups,
        inverse=True,
        notes=[t("overview.overdue_follow_ups", n=now.overdue_follow_ups) if now.overdue_follow_ups else ""],
    )


# --- the list behind a tile -----------------------------------------------------------------

own_grid = roles.grid_filter(user)


def _confine(df: pd.DataFrame) -> pd.DataFrame:
    """A grid leader's personal-data lists show their own grid only."""
    if own_grid is None or df.empty or "grid_id" not in df.columns:
        return df
    st.caption(t("overview.own_grid_only", grid=user.grid_number or own_grid))
    return df[df["grid_id"] == own_grid]


def _table(df: pd.DataFrame, labels: dict[str, str]) -> None:
    """A list with personal data masked for this user (dropped in meeting mode); labelled columns only."""
    shown = privacy.mask(df, user, meeting=ui.meeting_mode(user))
    keep = [c for c in labels if c in shown.columns]
    st.dataframe(shown[keep].rename(columns=labels), hide_index=True, width="stretch")
    st.caption(t("overview.rows_shown", n=len(df)))


def _list_new() -> None:
    df = _confine(ui.cached(overview.new_cases, day))
    if df.empty:
        ui.empty("overview.none_new")
        return
    df = df.assign(
        channel=[code("case_channel", v) for v in df["channel"]],
        severity=[code("case_severity", v) for v in df["severity"]],
        status=[code("case_status", v) for v in df["status"]],
    )
    _table(
        df,
        {
            "found_at": t("overview.col_found_at"),
            "name": t("overview.col_name"),
            "grid": t("overview.col_grid"),
            "compound": t("overview.col_compound"),
            "building": t("overview.col_building"),
            "channel": t("overview.col_channel"),
            "severity": t("overview.col_severity"),
            "status": t("overview.col_status_case"),
        },
    )


def _list_streak() -> None:
    if figures["total_positives"] == 0:
        ui.empty("overview.no_cases_yet")
        return
    curve = ui.cached(overview.positives_by_channel, day, day - dt.timedelta(days=13))
    per_day = curve.groupby("date", as_index=False)["positives"].sum().sort_values("date", ascending=False)
    last = max(ui.cached(overview.positives_by_day, day))
    st.caption(t("overview.last_positive", date=last.isoformat()))
    st.dataframe(
        per_day.rename(columns={"date": t("overview.col_date"), "positives": t("overview.col_positives")}),
        hide_index=True,
        width="stretch",
    )


def _list_screening() -> None:
    by_grid = view.scoreboard[["grid", "residents", "screening_coverage", "missed"]]
    st.dataframe(
        by_grid,
        hide_index=True,
        width="stretch",
        column_config={
            "grid": st.column_config.NumberColumn(t("overview.col_grid"), format="%d"),
            "residents": st.column_config.NumberColumn(t("overview.col_residents")),
            "screening_coverage": st.column_config.ProgressColumn(
                t("overview.col_screening"), min_value=0.0, max_value=1.0, format="percent"
            ),
            "missed": st.column_config.NumberColumn(t("overview.col_missed")),
        },
    )
    df = _confine(ui.cached(overview.missed_residents, day))
    if df.empty:
        ui.empty("overview.none_missed")
        return
    df = df.assign(outcome=[code("missed_outcome", v) if isinstance(v, str) else "" for v in df["outcome"]])
    _table(
        df,
        {
            "grid": t("overview.col_grid"),
            "compound": t("overview.col_compound"),
            "building": t("overview.col_building"),
            "room": t("overview.col_room"),
            "name": t("overview.col_name"),
            "phone": t("overview.col_phone"),
            "outcome": t("overview.col_outcome"),
        },
    )


def _list_transfer() -> None:
    # Waiting hours run with the clock: today's are at most the cache's ten minutes old.
    df = _confine(ui.cached(overview.transfer_queue, day))
    if df.empty:
        ui.empty("overview.none_waiting")
        return
    df = df.assign(kind=[t(f"overview.kind_{k}") for k in df["kind"]])
    _table(
        df,
        {
            "kind": t("overview.col_kind"),
            "name": t("overview.col_name"),
            "grid": t("overview.col_grid"),
            "compound": t("overview.col_compound"),
            "building": t("overview.col_building"),
            "requested_at": t("overview.col_requested"),
            "hours": t("overview.col_hours"),
            "overdue": t("overview.col_overdue"),
        },
    )


def _list_zones() -> None:
    df = ui.cached(overview.zoned_buildings, day)
    if df.empty:
        ui.empty("overview.none_zoned")
        return
    df = df.assign(zone=[code("zone", z) for z in df["zone"]])
    _table(
        df,
        {
            "zone": t("overview.col_zone"),
            "grid": t("overview.col_grid"),
            "compound": t("overview.col_compound"),
            "building": t("overview.col_building"),
            "last_case": t("overview.col_last_case"),
            "steps_down_on": t("overview.col_steps_down"),
            "days_left": t("overview.col_days_left"),
        },
    )


def _list_supply() -> None:
    if not now.batch_name:
        ui.empty("overview.no_batch")
        return
    st.caption(
        t(
            "overview.supply_batch",
            batch=ui.plain(now.batch_name),
            reached=f"{now.supply_reached:,}",
            entitled=f"{now.supply_entitled:,}",
        )
    )
    by_grid = view.scoreboard[["grid", "households", "supply_coverage"]]
    st.dataframe(
        by_grid,
        hide_index=True,
        width="stretch",
        column_config={
            "grid": st.column_config.NumberColumn(t("overview.col_grid"), format="%d"),
            "households": st.column_config.NumberColumn(t("overview.col_households")),
            "supply_coverage": st.column_config.ProgressColumn(
                t("overview.col_supply"), min_value=0.0, max_value=1.0, format="percent"
            ),
        },
    )
    df = _confine(ui.cached(overview.households_without_batch, day))
    if df.empty:
        ui.empty("overview.none_unreached")
        return
    _table(
        df,
        {
            "grid": t("overview.col_grid"),
            "compound": t("overview.col_compound"),
            "building": t("overview.col_building"),
            "door": t("overview.col_door"),
            "room": t("overview.col_room"),
            "head_name": t("overview.col_head"),
            "size": t("overview.col_size"),
            "portions": t("overview.col_portions"),
        },
    )


def _list_follow_ups() -> None:
    df = ui.cached(overview.open_follow_ups, day)
    if df.empty:
        ui.empty("overview.none_follow_ups")
        return
    _table(
        df,
        {
            "created_on": t("overview.col_created"),
            "grid": t("overview.col_grid"),
            "item": t("overview.col_item"),
            "owner": t("overview.col_owner"),
            "due_on": t("overview.col_due_on"),
            "days_overdue": t("overview.col_days_overdue"),
        },
    )


LISTS = {
    "new": ("overview.list_new", _list_new),
    "streak": ("overview.list_streak", _list_streak),
    "screening": ("overview.list_screening", _list_screening),
    "transfer": ("overview.list_transfer", _list_transfer),
    "zones": ("overview.list_zones", _list_zones),
    "supply": ("overview.list_supply", _list_supply),
    "follow_ups": ("overview.list_follow_ups", _list_follow_ups),
}
drill = st.session_state.get(DRILL)
if drill in LISTS:
    title_key, render = LISTS[drill]

    def _dialog() -> None:
        render()
        # A dialog closes only when the app reruns from inside it (a callback alone leaves it open).
        if st.button(t("overview.close"), key="drill_close"):
            _close()
            st.rerun()

    st.dialog(t(title_key), width="large", on_dismiss=_close)(_dialog)()


# --- curve and map --------------------------------------------------------------------------

left, right = st.columns([3, 2])
with left:
    st.subheader(t("overview.curve_title"))
    if figures["total_positives"] == 0:
        ui.empty("overview.no_cases_yet")
    else:
        st.plotly_chart(
            charts.from_json(ui.cached(charts.epidemic_curve_json, day, lang)),
            key="overview_curve",
            config={"displaylogo": False},
        )
with right:
    st.subheader(t("overview.map_title"))
    settings = config.env()
    assets_mode = maps.effective_assets(settings.assets)
    if assets_mode != settings.assets:
        st.caption(t("map.assets_missing"))
    ui.folium_map(
        maps.built_map,
        day,
        dt.datetime.now().hour,
        settings.tiles,
        lang,
        assets_mode,
        True,
        key="overview_map",
        height=360,
        returned_objects=[],
    )


# --- the grid scoreboard --------------------------------------------------------------------

STATUS_COLOURS = {"alert": "#c0392b", "watch": "#e67e22", "ok": "#27ae60"}
st.subheader(t("overview.scoreboard"), help=t("overview.scoreboard_help"))
board = view.scoreboard
if board.empty:
    ui.empty("overview.no_grids")
else:
    colours = {t(f"overview.status_{k}"): c for k, c in STATUS_COLOURS.items()}
    shown = board.assign(status=[t(f"overview.status_{s}") for s in board["status"]])
    styled = shown.style.map(
        lambda v: f"background-color: {colours.get(v, '')}; color: white; font-weight: 600", subset=["status"]
    )
    leader_visible = not ui.meeting_mode(user)
    st.dataframe(
        styled,
        hide_index=True,
        width="stretch",
        column_order=[
            "status",
            "grid",
            *(["leader"] if leader_visible else []),
            "households",
            "residents",
            "screening_coverage",
            "missed",
            "new_cases",
            "active_cases",
            "sealed_buildings",
            "awaiting_transfer",
            "supply_coverage",
            "open_follow_ups",
        ],
        column_config={
            "status": st.column_config.TextColumn(t("overview.col_status")),
            "grid": st.column_config.NumberColumn(t("overview.col_grid"), format="%d"),
            "leader": st.column_config.TextColumn(t("overview.col_leader")),
            "households": st.column_config.NumberColumn(t("overview.col_households")),
            "residents": st.column_config.NumberColumn(t("overview.col_residents")),
            "screening_coverage": st.column_config.ProgressColumn(
                t("overview.col_screening"), min_value=0.0, max_value=1.0, format="percent"
            ),
            "missed": st.column_config.NumberColumn(t("overview.col_missed")),
            "new_cases": st.column_config.NumberColumn(t("overview.col_new_cases")),
            "active_cases": st.column_config.NumberColumn(t("overview.col_active_cases")),
            "sealed_buildings": st.column_config.NumberColumn(t("overview.col_sealed")),
            "awaiting_transfer": st.column_config.NumberColumn(t("overview.col_awaiting")),
            "supply_coverage": st.column_config.ProgressColumn(
                t("overview.col_supply"), min_value=0.0, max_value=1.0, format="percent"
            ),
            "open_follow_ups": st.column_config.NumberColumn(t("overview.col_follow_ups")),
        },
    )
