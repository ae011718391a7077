"""生活保障: the next hospital run and what it brings back, the courier backlog by shift, the day's
disinfection targets still undone, and whether every open entrance is guarded round the clock.

The frame of the page; each tab lives in pages/sections/services_*.py.
"""

import streamlit as st

from dashboard import people, ui
from dashboard.i18n import t
from pages.sections import services_courier, services_disinfection, services_entrances, services_medicine
from pages.sections.common import page_context, show_flash
from pages.sections.services_common import FLASH, Svc

ctx = page_context()
svc = Svc(ctx, ui.cached(people.team_kind, ctx.user.team_id) if ctx.user.team_id else None)

st.title(t("services.title"))
st.caption(t("services.heading", date=ctx.day.isoformat()))
show_flash(FLASH)

TABS = {
    "services.tab_medicine": services_medicine,
    "services.tab_courier": services_courier,
    "services.tab_disinfection": services_disinfection,
    "services.tab_entrances": services_entrances,
}
for tab, section in zip(st.tabs([t(key) for key in TABS]), TABS.values(), strict=True):
    with tab:
        section.render(svc)
if ctx.user.role == "viewer":
    st.caption(t("services.read_only"))
