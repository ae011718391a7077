"""Set-up step 5, the grids: the grids table, their sizes (to balance them), grids drawn on the map,
buildings assigned by list, and outlines from a file."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import geo, setup, ui
from dashboard.i18n import t
from pages.sections.common import Ctx
from pages.sections.setup_common import done, editor
from pages.sections.setup_map import draw_on_map, import_shapes


def render(ctx: Ctx) -> None:
    editor(ctx, "grid")
    st.subheader(t("setup.grid_sizes"))
    sizes = ui.cached(setup.grid_sizes)
    if sizes.empty:
        ui.empty("setup.missing.grids")
    else:
        shown = sizes.assign(grid=[g if pd.notna(i) else t("setup.unassigned") for g, i in zip(
            sizes["grid"], sizes["grid_id"], strict=True)])  # fmt: skip
        st.dataframe(
            shown.drop(columns=["grid_id"]),
            hide_index=True,
            width="stretch",
            column_config={
                "number": st.column_config.NumberColumn(t("setup.col.number"), format="%d"),
                "grid": t("common.grid"),
                "buildings": t("setup.col.buildings"),
                "households": t("common.households"),
                "residents": t("common.residents"),
            },
        )
        st.bar_chart(shown.set_index("grid")[["households"]], horizontal=True, height=220)
    draw_on_map(ctx, "grid")
    assign_by_list(ctx)
    import_shapes(ctx, "grid")


def assign_by_list(ctx: Ctx) -> None:
    buildings = ui.cached(setup.buildings_list)
    grids = ui.cached(setup.table, "grid", ctx.lang)
    with st.expander(t("setup.assign_title"), icon=":material/checklist:"):
        if buildings.empty or grids.empty:
            ui.empty("setup.no_buildings" if buildings.empty else "setup.missing.grids", n=0)
            return
        grid_labels = {int(r.id): f"{r.number} {r.name}" for r in grids.itertuples()}
        with st.form("setup_assign"):
            grid_id = st.selectbox(
                t("setup.assign_grid"), [None, *grid_labels],
                format_func=lambda g: t("setup.no_grid") if g is None else grid_labels[g], key="setup_assign_grid",
            )  # fmt: skip
            labels = {
                int(r.id): f"{r.compound} {r.building}"
                + (f" ({t('common.grid')} {int(r.grid_number)})" if pd.notna(r.grid_number) else "")
                for r in buildings.itertuples()
            }
            chosen = st.multiselect(
                t("setup.assign_buildings"),
                list(labels),
                format_func=labels.get,
                key="setup_assign_buildings",
            )
            go = st.form_submit_button(t("setup.assign_submit"))
        if go and chosen:
            result = ui.write(geo.assign_buildings, ctx.user, grid_id, chosen)
            if result is not None:
                done(t("setup.assigned", moved=result.moved, already=result.already))
