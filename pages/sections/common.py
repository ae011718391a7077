"""What the page sections share: the page's context, the flash message kept across a rerun, the
section picker, column headings in the run's language, and figures kept as dicts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import roles, ui
from dashboard.i18n import current_language, t
from dashboard.roles import CurrentUser


@dataclass(frozen=True)
class Ctx:
    """Who is looking, at which day, in which language: what every section of a page needs."""

    user: CurrentUser
    day: dt.date  # the as-of day the page replays
    today: dt.date
    meeting: bool
    lang: str
    grid: int | None  # a grid leader's grid: their lists and forms are confined to it


def page_context() -> Ctx:
    """The context of this run (stops the page when nobody is signed in)."""
    user = ui.require_user()
    return Ctx(
        user=user,
        day=ui.as_of(),
        today=ui.today(),
        meeting=ui.meeting_mode(user),
        lang=current_language(),
        grid=roles.grid_filter(user),
    )


def show_flash(key: str) -> None:
    """The success message a form left for this run (see done)."""
    message = st.session_state.pop(key, None)
    if message:
        st.success(message)


def done(key: str, message: str) -> None:
    """Keep a success message across the rerun that shows the new figures, and rerun."""
    st.session_state[key] = message
    st.rerun()


def section_picker(label: str, sections: Sequence[str], *, words: str, key: str) -> str:
    """The page's sections as a row of choices (no visible label); words is the catalogue prefix of
    their names (words + section)."""
    return st.radio(
        label,
        sections,
        format_func=lambda s: t(words + s),
        horizontal=True,
        key=key,
        label_visibility="collapsed",
    )


def column_labels(keys: Mapping[str, str]) -> dict[str, str]:
    """Column → its heading in this run's language; keys maps each column to its catalogue key."""
    return dict(_labels(tuple(keys.items()), current_language()))


@cache
def _labels(items: tuple[tuple[str, str], ...], lang: str) -> tuple[tuple[str, str], ...]:
    return tuple((column, t(key, lang=lang)) for column, key in items)


def headed(df: pd.DataFrame, headings: Mapping[str, str]) -> pd.DataFrame:
    """The columns of `headings` that df has, in that order, named by their headings (what
    df[keep].rename(columns=headings) gives, without copying a frame already in that order)."""
    keep = [c for c in headings if c in df.columns]
    if list(df.columns) != keep:
        df = df[keep]
    return df.set_axis([headings[c] for c in keep], axis=1)


def figure(spec: dict) -> go.Figure:
    """A plotly figure back from its dict (fig.to_dict(), e.g. kept in the shared cache).

    It was validated when it was built: taking it back without validating it again (plotly's own
    `_validate` switch) costs a tenth of building it, and draws the same chart.
    """
    return go.Figure(spec, _validate=False)


def plotly_chart(spec: dict, **kwargs: object) -> None:
    """Draw a figure kept as its dict (see figure)."""
    st.plotly_chart(figure(spec), **kwargs)
