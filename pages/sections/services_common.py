"""What the sections (tabs) of the services page share: the page's context with the user's team
kind, the flash message, the record versions a form saw, the moment inputs, the grid picker and the
tables (personal data masked per user)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from dashboard import people, privacy, ui
from dashboard.i18n import t
from pages.sections import common
from pages.sections.common import Ctx

FLASH = "svc_flash"


@dataclass(frozen=True)
class Svc:
    """The services page's context: the common one and the kind of the user's team (None: none)."""

    ctx: Ctx
    team_kind: str | None


def done(message: str) -> None:
    """Keep the success message across the rerun that shows the new figures."""
    common.done(FLASH, message)


def seen(name: str, key: object, value: object | None = None) -> object:
    """The version (or stamp) of a record as the user last saw it; stores value when given."""
    store = st.session_state.setdefault(f"svc_seen_{name}", {})
    if value is not None:
        store[str(key)] = value
    return store.get(str(key))


def moment_inputs(ctx: Ctx, prefix: str) -> dt.datetime:
    """A date and a time (phone-friendly), defaulting to now."""
    now = people.now_on(ctx.today).replace(second=0)
    d = st.date_input(t("services.day"), value=now.date(), max_value=ctx.today, key=f"{prefix}_date")
    tm = st.time_input(t("services.at"), value=now.time(), step=300, key=f"{prefix}_time")
    return dt.datetime.combine(d, tm)


def grid_picker(ctx: Ctx, key: str) -> int | None:
    """The grid a form writes to: a grid leader's own, else a choice."""
    if ctx.grid is not None:
        return ctx.grid
    grids = ui.cached(people.grid_names)
    if not grids:
        st.info(t("services.no_grid"))
        return None
    return st.selectbox(t("common.grid"), list(grids), format_func=grids.get, key=key)


def show(ctx: Ctx, df: pd.DataFrame, headings: dict[str, str], *, staff: bool = False) -> None:
    """A table of the columns of `headings` (column → heading): staff names and phones shown as the
    user's role allows (staff), residents' personal data masked per grid (grid_id) otherwise;
    none of it in meeting mode."""
    if staff:
        shown = people.mask_staff(df, ctx.user, meeting=ctx.meeting)
    elif privacy.personal_columns(df):
        shown = privacy.mask(df, ctx.user, meeting=ctx.meeting)
    else:
        shown = df
    st.dataframe(common.headed(shown, headings), hide_index=True, width="stretch")
