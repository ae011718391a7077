"""筛查: rounds, progress by grid and building, the missed list, pooled tubes and retests,
antigen line lists, the import of the sampling system's export, and trends.

The frame of the page; each section lives in pages/sections/screening_*.py.
"""

import streamlit as st

from dashboard.i18n import t
from pages.sections import (
    screening_antigen,
    screening_import,
    screening_missed,
    screening_progress,
    screening_rounds,
    screening_trends,
    screening_tubes,
)
from pages.sections.common import page_context, section_picker, show_flash
from pages.sections.screening_common import FLASH

SECTIONS = {
    "progress": screening_progress,
    "missed": screening_missed,
    "tubes": screening_tubes,
    "antigen": screening_antigen,
    "import": screening_import,
    "rounds": screening_rounds,
    "trends": screening_trends,
}

ctx = page_context()
st.title(t("screening.title"))
section = section_picker(t("screening.section"), list(SECTIONS), words="screening.sec_", key="scr_section")
show_flash(FLASH)
SECTIONS[section].render(ctx)
