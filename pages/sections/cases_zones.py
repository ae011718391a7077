"""The three zones (封控区 / 管控区 / 防范区): counts, compounds and buildings with their countdown,
the zone history of a compound or building, and a manager's announced zones."""

from __future__ import annotations

import streamlit as st

from dashboard import cases, config, roles, ui, zones
from dashboard.i18n import code, t
from pages.sections.cases_common import CODES, done, show
from pages.sections.common import Ctx


def render(ctx: Ctx) -> None:
    day = ctx.day
    counts = ui.cached(zones.zone_counts, day)
    ui.kpi_row([{"label": code("zone", z), "value": counts[z]} for z in cases.ZONES], columns=3)
    st.caption(
        t(
            "cases.zone_rule",
            sealed=ui.cached(config.int_rule, "zone_sealed_days"),
            controlled=ui.cached(config.int_rule, "zone_controlled_days"),
        )
    )
    compounds = ui.cached(zones.compound_board, day)
    st.subheader(t("cases.zone_compounds"))
    show(
        ctx,
        compounds,
        ["compound", "kind", "zone", "sealed_buildings", "steps_down_on", "days_left"],
        codes={**CODES, "kind": "compound_kind"},
    )
    st.subheader(t("cases.zone_buildings"))
    buildings = ui.cached(zones.building_board, day)
    if buildings.empty:
        ui.empty("cases.none_zone_buildings")
    else:
        show(
            ctx,
            buildings,
            ["compound", "building", "grid", "zone", "last_case", "steps_down_on", "days_left"],
            codes=CODES,
        )
    st.subheader(t("cases.zone_history"))
    names = {int(r.compound_id): r.compound for r in compounds.itertuples()}
    if not names:
        return
    compound = st.selectbox(
        t("common.compound"), list(names), format_func=names.get, key="cases_zone_compound"
    )
    blds = ui.cached(cases.buildings_of_compound, compound)
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
    show(ctx, shown, ["zone", "start_on", "end_on", "days", "overridden"], codes=CODES)
    if roles.allowed(ctx.user, "cases.zone"):
        form_zone(ctx, names, compound, building)


def form_zone(ctx: Ctx, names: dict[int, str], compound: int, building: int | None) -> None:
    day, today = ctx.day, ctx.today
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
                    ctx.user,
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
        show(ctx, overrides, ["compound", "building", "zone", "start_on", "end_on", "reason"], codes=CODES)
        labels = {
            int(r.zone_change_id): f"{r.compound} {r.building} · {code('zone', r.zone)} · {r.start_on}"
            for r in running.itertuples()
        }
        with st.form("cases_zone_end_form"):
            zc = st.selectbox(
                t("cases.zone_override_pick"), list(labels), format_func=labels.get, key="cases_zone_end_pick"
            )
            end = st.date_input(t("cases.col_end_on"), value=day, max_value=today, key="cases_zone_end")
            if st.form_submit_button(t("cases.zone_override_end")):
                if ui.write(zones.end_announced_zone, ctx.user, zc, end) is not None:
                    done(t("cases.zone_override_ok"))
