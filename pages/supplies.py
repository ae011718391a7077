"""物资保供: deliveries by household or whole building, coverage, batches with their allocation preview
and reconciliation, the household re-survey, and the squads' delivery sheets.

The frame of the page; each section lives in pages/sections/supplies_*.py.
"""

import streamlit as st

from dashboard.i18n import t
from pages.sections import (
    supplies_batches,
    supplies_coverage,
    supplies_deliver,
    supplies_sheets,
    supplies_survey,
)
from pages.sections.common import page_context, section_picker, show_flash
from pages.sections.supplies_common import FLASH, pick_batch, sections_for

SECTIONS = {
    "deliver": supplies_deliver,
    "coverage": supplies_coverage,
    "batches": supplies_batches,
    "survey": supplies_survey,
    "sheets": supplies_sheets,
}

ctx = page_context()
st.title(t("supplies.title"))
show_flash(FLASH)
section = section_picker(t("supplies.title"), sections_for(ctx), words="supplies.tab_", key="sup_section")
# The batch every section but the re-survey works on.
batch = None if section == "survey" else pick_batch(ctx)
SECTIONS[section].render(ctx, batch)
