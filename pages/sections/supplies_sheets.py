"""Delivery sheets: the squads' printable lists of the chosen buildings for the batch (the export
is audited)."""

from __future__ import annotations

import streamlit as st

from dashboard import supply_sheet, ui
from dashboard.i18n import t
from dashboard.supply_views import Batch
from pages.sections.common import Ctx
from pages.sections.supplies_common import buildings


def render(ctx: Ctx, batch: Batch | None) -> None:
    if batch is None:
        return
    st.caption(t("supplies.sheets_caption"))
    labels = buildings(ctx)
    chosen = st.multiselect(
        t("supplies.sheet_buildings"),
        list(labels),
        format_func=labels.get,
        key="sup_sheet_b",
        placeholder=t("supplies.pick_some"),
    )
    if st.button(t("supplies.sheet_prepare"), type="primary", key="sup_sheet_make"):
        data = ui.write(supply_sheet.delivery_sheet, ctx.user, batch.id, chosen)
        if data is not None:
            st.session_state["sup_sheet"] = (batch.id, data, len(chosen))
    made = st.session_state.get("sup_sheet")
    if made and made[0] == batch.id:
        st.success(t("supplies.sheet_ready", n=made[2]))
        st.download_button(
            t("common.download"),
            made[1],
            file_name=f"{t('supplies.sheet_file')}-{batch.name}.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            key="sup_sheet_dl",
        )
