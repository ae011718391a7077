"""初始设置: a new committee sets up Juwei step by step — by hand, from Excel, or on the map.

The frame of the page (the checklist, the step picker); each step lives in pages/sections/setup_*.py.
"""

import streamlit as st

from dashboard import roles, setup, ui
from dashboard.i18n import t
from pages.sections import setup_committee, setup_grids, setup_ledger, setup_tables
from pages.sections.common import page_context, show_flash
from pages.sections.setup_common import FLASH, checklist

STEPS = {
    "committee": setup_committee.render,
    "compounds": setup_tables.compounds,
    "buildings": setup_tables.buildings,
    "ledger": setup_ledger.render,
    "grids": setup_grids.render,
    "entrances": setup_tables.entrances,
    "staff": setup_tables.staff,
}

ctx = page_context()
st.title(t("setup.title"))
if not roles.allowed(ctx.user, "setup.edit"):
    st.error(t("setup.denied"))
    st.stop()
show_flash(FLASH)

steps = ui.cached(setup.readiness)
checklist(steps)
st.caption(t("setup.intro"))
step = st.radio(
    t("setup.step_label"),
    list(STEPS),
    format_func=lambda k: t(f"setup.step.{k}"),
    horizontal=True,
    key="setup_step",
)
if step != "committee" and not steps[0].done:  # the committee's name comes first
    st.warning(t("setup.no_committee_first"))
    st.stop()
STEPS[step](ctx)
