"""追阳追密: the transfer board, reporting a positive and its contacts, the case register and its
pipeline, the three zones with their countdown and history, and the source analysis.

The frame of the page; each section lives in pages/sections/cases_*.py.
"""

import streamlit as st

from dashboard.i18n import t
from pages.sections import (
    cases_board,
    cases_contacts,
    cases_register,
    cases_report,
    cases_sources,
    cases_zones,
)
from pages.sections.cases_common import FLASH
from pages.sections.common import page_context, section_picker, show_flash

SECTIONS = {
    "board": cases_board,
    "report": cases_report,
    "register": cases_register,
    "contacts": cases_contacts,
    "zones": cases_zones,
    "sources": cases_sources,
}

ctx = page_context()
st.title(t("cases.title"))
show_flash(FLASH)
section = section_picker(t("cases.section"), list(SECTIONS), words="cases.sec_", key="cases_section")
SECTIONS[section].render(ctx)
