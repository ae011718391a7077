"""Batches and reconciliation: the batches received, the chosen batch's allocation preview (release
it, correct its stock), what every batch gave out and who its rule left out, and a new batch."""

from __future__ import annotations

import streamlit as st

from dashboard import config, supplies, supply_views, ui
from dashboard.i18n import code, t
from dashboard.supply_views import Batch
from pages.sections import common
from pages.sections.common import Ctx
from pages.sections.supplies_common import done, is_manager, table


def render(ctx: Ctx, batch: Batch | None) -> None:
    view = ui.cached(supply_views.batches_view, ctx.day, ctx.lang)
    st.subheader(t("supplies.batches_title"))
    if not view.listed.empty:
        table(view.listed)
    if batch is not None:
        preview(ctx, batch)
        st.subheader(t("supplies.recon_title"))
        st.caption(t("supplies.recon_caption"))
        table(view.recon)
        for name, left_out, stock, households in view.left_out:
            st.warning(
                t(
                    "supplies.recon_short",
                    batch=ui.plain(name),
                    left_out=left_out,
                    stock=stock,
                    households=households,
                )
            )
    if is_manager(ctx):
        create(ctx)


def _red(value: int) -> str:
    return "color: #c62828; font-weight: bold" if value > 0 else ""


def preview(ctx: Ctx, batch: Batch) -> None:
    view = ui.cached(supply_views.preview_view, batch.id, ctx.lang)
    st.subheader(t("supplies.preview_title", name=batch.name))
    st.markdown(view.needed)
    if view.shortfall:
        st.error(view.shortfall)
    else:
        st.success(view.enough)
    short = common.column_labels(supply_views.HEADINGS)["short"]
    for title, df in ((t("supplies.by_grid"), view.by_grid), (t("supplies.by_compound"), view.by_compound)):
        st.markdown(f"**{title}**")
        st.dataframe(df.style.map(_red, subset=[short]), hide_index=True, width="stretch")
    if not is_manager(ctx):
        return
    if not batch.released and st.button(t("supplies.release_submit"), type="primary", key="sup_release"):
        if ui.write(supplies.release_batch, ctx.user, batch.id, version=batch.version) is not None:
            done(t("supplies.released_ok", name=batch.name))
    with st.form("sup_stock"):
        st.markdown(f"**{t('supplies.stock_title')}**")
        stock = st.number_input(t("supplies.stock"), min_value=0, step=1, value=batch.stock)
        if st.form_submit_button(t("supplies.stock_submit")):
            if ui.write(supplies.set_stock, ctx.user, batch.id, stock, version=batch.version) is not None:
                done(t("supplies.stock_ok"))


def create(ctx: Ctx) -> None:
    st.subheader(t("supplies.create_title"))
    threshold = ui.cached(config.int_rule, "large_household_threshold")
    portions = ui.cached(config.int_rule, "large_household_portions")
    today = ctx.today
    with st.form("sup_create"):
        name = st.text_input(t("supplies.batch_name"), max_chars=100, key="sup_new_name")
        when = st.date_input(t("supplies.when_date"), value=today, max_value=today)
        source = st.selectbox(
            t("supplies.source"),
            ("government", "street", "donation"),
            format_func=lambda v: code("supply_source", v),
        )
        items = st.text_input(t("supplies.items"), max_chars=300)
        rule = st.selectbox(
            t("supplies.rule"),
            ("large_household", "per_household", "per_door"),
            format_func=lambda v: code("supply_rule", v),
            help=t("supplies.rule_help"),
        )
        large_threshold = st.number_input(
            t("supplies.large_threshold"), min_value=1, max_value=50, value=threshold
        )
        large_portions = st.number_input(
            t("supplies.large_portions"), min_value=1, max_value=20, value=portions
        )
        stock = st.number_input(t("supplies.stock"), min_value=0, step=1, value=0, key="sup_new_stock")
        if st.form_submit_button(t("supplies.create_submit"), type="primary"):
            created = ui.write(
                supplies.create_batch,
                ctx.user,
                name,
                when,
                source,
                items,
                rule,
                stock,
                large_threshold=large_threshold,
                large_portions=large_portions,
            )
            if created is not None:
                st.session_state["sup_pick_batch"] = created
                done(t("supplies.created_ok", name=name.strip()))
