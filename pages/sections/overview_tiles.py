"""The overview's KPI tiles: each figure with its change against the day before, a note or two,
and the button that opens its list."""

from __future__ import annotations

import streamlit as st

from dashboard import ui
from dashboard.i18n import t
from pages.sections.overview_common import Day, open_list


def _pct(value: float | None) -> str:
    return "—" if value is None else t("overview.pct", value=value * 100)


def _pp(a: float | None, b: float | None) -> str | None:
    if a is None or b is None or abs(a - b) < 0.0005:
        return None
    return t("overview.pp", value=(a - b) * 100)


def _tile(
    kind: str, label: str, value: object, *, delta: object = None, inverse: bool = False, notes=()
) -> None:
    """One KPI tile: the figure, its change against the day before, a note or two, and its list."""
    with st.container(border=True, height="stretch"):
        st.metric(label, value, delta=delta, delta_color="inverse" if inverse else "normal")
        for note in notes:
            if note:
                st.caption(note)
        st.button(
            t("overview.open_list"),
            key=f"tile_{kind}",
            icon=":material/list:",
            type="tertiary",
            on_click=open_list,
            args=(kind,),
        )


def render(day: Day) -> None:
    now, before = day.now, day.before
    row1 = st.columns(4)
    with row1[0]:
        _tile(
            "new",
            t("overview.new_positives"),
            now.new_positives,
            delta=now.new_positives - before.new_positives,
            inverse=True,
        )
    with row1[1]:
        _tile(
            "streak",
            t("overview.negative_streak"),
            now.negative_streak,
            delta=now.negative_streak - before.negative_streak,
        )
    with row1[2]:
        _tile(
            "screening",
            t("overview.screening_coverage"),
            _pct(now.screening_coverage),
            delta=_pp(now.screening_coverage, before.screening_coverage),
            notes=[
                t(
                    "overview.screening_round",
                    number=now.round_number,
                    date=now.round_date.isoformat(),
                    sampled=f"{now.screening_sampled:,}",
                    due=f"{now.screening_due:,}",
                )
                if now.round_number
                else t("overview.no_round")
            ],
        )
    with row1[3]:
        waiting = now.awaiting_cases + now.awaiting_contacts
        _tile(
            "transfer",
            t("overview.awaiting_all"),
            waiting,
            delta=waiting - (before.awaiting_cases + before.awaiting_contacts),
            inverse=True,
            notes=[
                t("overview.awaiting_split", cases=now.awaiting_cases, contacts=now.awaiting_contacts),
                t("overview.longest_wait", hours=f"{now.longest_wait_hours:.1f}")
                if now.longest_wait_hours is not None
                else "",
                t("overview.overdue_count", n=now.overdue_transfers) if now.overdue_transfers else "",
            ],
        )

    row2 = st.columns(4)
    with row2[0]:
        _tile(
            "zones",
            t("overview.zoned"),
            f"{now.sealed_buildings} / {now.controlled_buildings}",
            delta=now.sealed_buildings - before.sealed_buildings,
            inverse=True,
        )
    with row2[1]:
        _tile(
            "supply",
            t("overview.supply_coverage"),
            _pct(now.supply_coverage),
            delta=_pp(now.supply_coverage, before.supply_coverage)
            if now.batch_name == before.batch_name
            else None,
            notes=[
                t(
                    "overview.supply_batch",
                    batch=ui.plain(now.batch_name),
                    reached=f"{now.supply_reached:,}",
                    entitled=f"{now.supply_entitled:,}",
                )
                if now.batch_name
                else t("overview.no_batch")
            ],
        )
    with row2[2]:
        _tile(
            "follow_ups",
            t("overview.open_follow_ups"),
            now.open_follow_ups,
            delta=now.open_follow_ups - before.open_follow_ups,
            inverse=True,
            notes=[
                t("overview.overdue_follow_ups", n=now.overdue_follow_ups) if now.overdue_follow_ups else ""
            ],
        )
