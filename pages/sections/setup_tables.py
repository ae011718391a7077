"""The set-up steps that are an editable table: compounds, buildings and entrances (each with the
map to draw them on and a file of shapes), and the staff with their teams."""

from __future__ import annotations

import streamlit as st

from dashboard import ui
from dashboard.i18n import t
from pages.sections.common import Ctx
from pages.sections.setup_common import editor
from pages.sections.setup_map import draw_on_map, import_shapes


def compounds(ctx: Ctx) -> None:
    editor(ctx, "compound")
    draw_on_map(ctx, "compound")
    import_shapes(ctx, "compound")


def buildings(ctx: Ctx) -> None:
    editor(ctx, "building")
    draw_on_map(ctx, "building")
    import_shapes(ctx, "building")


def entrances(ctx: Ctx) -> None:
    editor(ctx, "entrance")
    draw_on_map(ctx, "entrance")
    import_shapes(ctx, "entrance")


def staff(ctx: Ctx) -> None:
    if ctx.meeting:
        ui.empty("setup.hidden_in_meeting")
        return
    st.subheader(t("setup.staff"))
    editor(ctx, "person")
    st.subheader(t("setup.teams"))
    editor(ctx, "team")
