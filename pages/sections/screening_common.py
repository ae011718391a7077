"""What the sections of the screening page share: the round and grid pickers, the masked lists, a
resident's name as a picker shows it, and the flash message kept across a rerun."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import privacy, roles, screening_views, ui
from dashboard.i18n import code, t
from pages.sections import common
from pages.sections.common import Ctx

FLASH = "scr_flash"


def after_write(result: object, message: str) -> None:
    """Show the lists again with the write in them, and say what was done."""
    if result is not None:
        common.done(FLASH, message)


def pickers(ctx: Ctx) -> screening_views.Pickers:
    """The rounds held up to the as-of day and the grids, for the pickers."""
    return ui.cached(screening_views.pickers, ctx.day, ctx.lang)


def pick_round(choices: screening_views.Pickers, kind: str | None = None) -> int | None:
    """The round the section works on (newest first); None with an explicit empty state."""
    ids = choices.ids[kind]
    if not ids:
        ui.empty(
            "screening.none_rounds_kind" if kind else "screening.none_rounds", kind=code("round_kind", kind)
        )
        return None
    return st.selectbox(t("screening.round"), ids, format_func=choices.labels.get, key=f"scr_round_{kind}")


def pick_grid(
    ctx: Ctx, choices: screening_views.Pickers, first: int | None = None, key: str = "scr_grid"
) -> int | None:
    """A grid leader works on their grid; others choose one grid or all (`first` shown first: all
    when None)."""
    user = ctx.user
    if user.role == "grid_leader":
        st.caption(t("screening.your_grid", n=user.grid_number or ""))
        return user.grid_id
    names = choices.grids
    options = [None, *names]
    return st.selectbox(
        t("common.grid"),
        options,
        index=options.index(first) if first in names else 0,
        format_func=lambda x: t("common.all") if x is None else names[x],
        key=key,
    )


def progress_config() -> dict:
    return {
        "coverage": st.column_config.ProgressColumn(
            t("screening.coverage"), format="percent", min_value=0.0, max_value=1.0
        )
    }


def masked(ctx: Ctx, df: pd.DataFrame, extra: dict[str, str] | None = None) -> pd.DataFrame:
    """df with personal data masked for this user, its columns named by their headings (a column
    without one keeps its name; extra: more headings, column → words)."""
    shown = privacy.mask(df, ctx.user, meeting=ctx.meeting)
    names = common.column_labels(screening_views.HEADINGS)
    if extra:
        names = names | extra
    return shown.set_axis([names.get(c, c) for c in shown.columns], axis=1)


def resident_label(ctx: Ctx, grid_id: int | None, building: str, room: str, name: str) -> str:
    """A resident as a picker shows them: building, room and the name as this user may see it."""
    if not roles.sees_personal(ctx.user, grid_id, meeting=ctx.meeting):
        name = privacy.mask_name(name)
    return f"{building} {room} {name}"
