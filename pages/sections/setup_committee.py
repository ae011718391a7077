"""Set-up step 1: the committee's name, address and the centre of its map."""

from __future__ import annotations

import streamlit as st

from dashboard import config, setup, ui
from dashboard.i18n import t
from pages.sections.common import Ctx
from pages.sections.setup_common import done


def render(ctx: Ctx) -> None:
    with ui.read_session() as s:
        current = config.committee(s)
    with st.form("setup_committee"):
        name = st.text_input(t("setup.committee_name"), value=current.name if current else "", max_chars=100)
        street = st.text_input(t("setup.street"), value=current.street if current else "", max_chars=100)
        district = st.text_input(
            t("setup.district"), value=current.district if current else "", max_chars=100
        )
        city = st.text_input(t("setup.city"), value=current.city if current else "", max_chars=100)
        address = st.text_input(t("setup.address"), value=current.address if current else "", max_chars=200)
        lat = st.number_input(
            t("setup.center_lat"), value=current.center_lat if current else None, format="%.6f",
            help=t("setup.center_help"),
        )  # fmt: skip
        lon = st.number_input(
            t("setup.center_lon"), value=current.center_lon if current else None, format="%.6f"
        )
        save = st.form_submit_button(t("common.save"), type="primary")
    if save:
        saved = ui.write(
            setup.save_committee, ctx.user, name, street=street, district=district, city=city,
            address=address, center_lat=lat, center_lon=lon,
        )  # fmt: skip
        if saved is not None:
            done(t("setup.committee_saved"))
