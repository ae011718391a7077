"""What the parts of the overview page share: the day's reads (figures, tiles, scoreboard, the day
before's tiles) and the list a tile opened."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from dashboard.overview import DayView, Kpis
from pages.sections.common import Ctx

DRILL = "overview_drill"  # session key: the tile whose list is open


@dataclass(frozen=True)
class Day:
    """The overview's reads of the as-of day: basics() figures, day_view() and the day before's kpis."""

    ctx: Ctx
    figures: dict[str, int]
    view: DayView
    before: Kpis

    @property
    def now(self) -> Kpis:
        return self.view.kpis


def open_list(kind: str) -> None:
    st.session_state[DRILL] = kind


def close_list() -> None:
    st.session_state.pop(DRILL, None)
