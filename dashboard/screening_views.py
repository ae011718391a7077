"""Screening as the screening page shows it: the rounds and their pickers, a round's progress with
its figures, the missed and exempt lists, pooled tubes and the residents under control, the antigen
line list's households and members, and the trends.

Read once through the shared cache (ui.cached), display-ready for `lang`: codes in words, columns
in the order shown and named by their headings, picker labels built, charts as plotly dicts. Lists
with personal data keep their column names (name, phone, grid_id) so the page can mask them per
user; HEADINGS names them after that.

Part of screening (the reads are those of dashboard/screening.py, tubes.py and screening_reports.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard import screening_reports, tubes
from dashboard.i18n import code, t
from dashboard.screening_missed import exempt_residents, missed_residents, why_missed
from dashboard.screening_progress import round_by_grid, round_progress, totals_of
from dashboard.screening_rounds import rounds, sampling_sites
from db.models import Grid, ScreeningRound
from db.reads import plain_reads

# Column → catalogue key of its heading (the screening page's tables).
HEADINGS = {
    "grid": "common.grid",
    "compound": "common.compound",
    "building": "common.building",
    "room": "common.room",
    "name": "common.name",
    "phone": "common.phone",
    "residents": "screening.in_scope",
    "transferred": "code.exempt_reason.transferred",
    "quarantine": "code.exempt_reason.quarantine",
    "away": "code.exempt_reason.away",
    "exempt": "screening.exempt",
    "due": "screening.due",
    "sampled": "screening.sampled",
    "door": "screening.door",
    "bedridden": "screening.bedridden",
    "missed": "screening.missed_n",
    "why": "screening.why",
    "reason": "screening.exempt_reason",
    "outcome_note": "common.note",
    "round": "screening.round",
    "tube_no": "screening.tube_no",
    "opened_at": "screening.opened_at",
}
BY_GRID_SHOWN = ["grid", "due", "sampled", "coverage", "missed", "door", "transferred", "quarantine", "away"]
BY_BUILDING_SHOWN = ["grid", "compound", "building", "due", "sampled", "coverage", "missed", "door", "exempt"]
EXEMPT_SHOWN = ["grid_id", "grid", "compound", "building", "room", "name", "reason"]
MISSED_SHOWN = ["grid_id", "grid", "building", "room", "name", "phone", "why", "outcome_note"]
CONTROL_SHOWN = ["grid_id", "round", "tube_no", "grid", "building", "room", "name", "phone", "opened_at"]
ROUND_HEADINGS = {
    "kind": "screening.kind",
    "number": "screening.number",
    "date": "common.date",
    "scope": "screening.scope",
    "grid": "common.grid",
    "sites": "screening.sites",
    "time_slots": "screening.time_slots",
    "note": "common.note",
}
TUBE_HEADINGS = {
    "tube_no": "screening.tube_no",
    "members": "screening.members",
    "retests_open": "screening.retests_open",
}


@cache
def headings(lang: str) -> dict[str, str]:
    """Column → its heading in lang."""
    return {column: t(key, lang=lang) for column, key in HEADINGS.items()}


def headed(
    df: pd.DataFrame, columns: list[str], lang: str, names: dict[str, str] | None = None
) -> pd.DataFrame:
    """df's columns (in this order) named by their headings in lang (names: column → catalogue key,
    HEADINGS by default; a column without a heading keeps its name)."""
    words = headings(lang) if names is None else {c: t(k, lang=lang) for c, k in names.items()}
    return df[columns].set_axis([words.get(c, c) for c in columns], axis=1)


# --- rounds and grids -----------------------------------------------------------------------


@dataclass(frozen=True)
class Pickers:
    """The rounds held up to a day, newest first: the pickers' ids per kind (None: every kind) and
    their labels; and the grids' labels ("Grid n")."""

    ids: dict[str | None, list[int]]
    labels: dict[int, str]
    grids: dict[int, str]

    @property
    def empty(self) -> bool:
        return not self.ids[None]


def pickers(session: Session, as_of: dt.date, lang: str) -> Pickers:
    """The round and grid pickers as of a day (the rounds in rounds()' order, read without their sites)."""
    R = ScreeningRound
    held = plain_reads(session).execute(
        select(R.id, R.kind, R.number, R.date, R.scope)
        .where(R.date <= as_of)
        .order_by(R.date.desc(), R.kind.desc(), R.number.desc())
    )
    labels: dict[int, str] = {}
    ids: dict[str | None, list[int]] = {None: [], "pcr": [], "antigen": []}
    for round_id, kind, number, day, scope in held:
        labels[round_id] = t(
            "screening.round_label",
            lang=lang,
            date=day.isoformat(),
            kind=code("round_kind", kind, lang),
            number=number,
            scope=code("round_scope", scope, lang),
        )
        ids[None].append(round_id)
        ids.setdefault(kind, []).append(round_id)
    names = {
        grid_id: t("screening.grid_n", lang=lang, n=n)
        for grid_id, n in plain_reads(session).execute(select(Grid.id, Grid.number).order_by(Grid.number))
    }
    return Pickers(ids, labels, names)


def rounds_table(session: Session, as_of: dt.date, lang: str) -> pd.DataFrame:
    """The rounds held up to a day (kind and scope in words), headed."""
    held = rounds(session, as_of)
    shown = held.assign(
        kind=[code("round_kind", k, lang) for k in held["kind"]],
        scope=[code("round_scope", s, lang) for s in held["scope"]],
    ).drop(columns=["round_id"])
    return headed(shown, list(shown.columns), lang, ROUND_HEADINGS)


def site_choices(session: Session) -> dict[int, str]:
    """The sampling sites for a picker: id → name."""
    sites = sampling_sites(session)
    return {int(i): n for i, n in zip(sites["site_id"], sites["name"], strict=True)}


# --- a round's progress ---------------------------------------------------------------------


@dataclass(frozen=True)
class ProgressView:
    """A round's progress as of a day, every grid's: the four figures, the exemptions sentence, the
    table by grid, how many residents are left out of its due (exempt_list lists them) and the grid
    with the most residents missed (the one to look at first; None when nobody is missed)."""

    kpis: list[dict[str, str]]
    exempt_caption: str
    by_grid: pd.DataFrame = field(repr=False)
    exempt_n: int = 0
    most_missed_grid: int | None = None


def exempt_list(
    session: Session, round_id: int, as_of: dt.date, grid_id: int | None, lang: str
) -> pd.DataFrame:
    """The residents left out of a round's due, of one grid or all (EXEMPT_SHOWN, the reason in words,
    to mask)."""
    df = exempt_residents(session, round_id, as_of, grid_id)
    return df.assign(reason=[code("exempt_reason", r, lang) for r in df["reason"]])[EXEMPT_SHOWN]


def progress_view(session: Session, round_id: int, as_of: dt.date, lang: str) -> ProgressView:
    """The progress section of a round, every grid's, counted per grid (grid_progress() gives the
    table by building, of one grid or all)."""
    by_grid = round_by_grid(session, round_id, as_of)
    tot = totals_of(by_grid)
    kpis = [
        {"label": t("screening.due", lang=lang), "value": f"{tot['due']:,}"},
        {"label": t("screening.sampled", lang=lang), "value": f"{tot['sampled']:,}"},
        {"label": t("screening.coverage", lang=lang), "value": f"{tot['coverage']:.1%}"},
        {"label": t("screening.missed_n", lang=lang), "value": f"{tot['missed']:,}"},
    ]
    caption = t(
        "screening.exempt_caption",
        lang=lang,
        exempt=tot["exempt"],
        transferred=tot["transferred"],
        quarantine=tot["quarantine"],
        away=tot["away"],
        door=tot["door"],
        bedridden=tot["bedridden"],
    )
    placed = by_grid[by_grid["grid_id"] >= 0]  # (-1: the buildings of no grid)
    most = placed.loc[placed["missed"].idxmax()] if not placed.empty else None
    return ProgressView(
        kpis,
        caption,
        headed(by_grid, BY_GRID_SHOWN, lang),
        int(tot["exempt"]),
        int(most["grid_id"]) if most is not None and most["missed"] > 0 else None,
    )


@dataclass(frozen=True)
class GridProgress:
    """A round's progress by building, of one grid or every grid's, and how many residents of those
    buildings are left out of its due."""

    by_building: pd.DataFrame = field(repr=False)
    exempt_n: int = 0


def grid_progress(
    session: Session, round_id: int, as_of: dt.date, grid_id: int | None, lang: str
) -> GridProgress:
    """The progress section's table by building: of one grid (its buildings alone are read) or, with
    grid_id None, of every grid."""
    b = round_progress(session, round_id, as_of, grid_id).by_building
    return GridProgress(headed(b, BY_BUILDING_SHOWN, lang), int(b["exempt"].sum()))


# --- the missed list ------------------------------------------------------------------------


@dataclass(frozen=True)
class MissedList:
    """A round's missed residents as of a day: the list (MISSED_SHOWN, the reason in words) and, for
    the forms, each one's id, grid, building, room and name (to mask in a picker)."""

    table: pd.DataFrame = field(repr=False)
    people: list[tuple[int, int | None, str, str, str]] = field(repr=False)


def missed_list(
    session: Session, round_id: int, as_of: dt.date, grid_id: int | None, lang: str
) -> MissedList:
    """The missed section's list."""
    missed = missed_residents(session, round_id, as_of, grid_id)
    shown = missed.assign(
        why=[why_missed(o, b, lang) for o, b in zip(missed["outcome"], missed["bedridden"], strict=True)],
        outcome_note=missed["outcome_note"].fillna(""),
    )
    people = [
        (int(r.resident_id), None if pd.isna(r.grid_id) else int(r.grid_id), r.building, r.room, r.name)
        for r in missed.itertuples()
    ]
    return MissedList(shown[MISSED_SHOWN], people)


# --- pooled tubes and the residents under control -------------------------------------------


def abnormal_tubes(session: Session, round_id: int, lang: str) -> pd.DataFrame:
    """Tubes of a round with an abnormal member, headed."""
    df = tubes.abnormal_tubes(session, round_id)
    return headed(df, list(df.columns), lang, TUBE_HEADINGS)


@dataclass(frozen=True)
class UnderControl:
    """Residents with a retest open (CONTROL_SHOWN, the round in words) and, for the retest form,
    each one's retest id, version, grid, building, room and name."""

    table: pd.DataFrame = field(repr=False)
    people: list[tuple[int, int, int | None, str, str, str]] = field(repr=False)


def under_control(session: Session, as_of: dt.date, grid_id: int | None, lang: str) -> UnderControl:
    """The residents under control at the end of a day (of one grid, or all)."""
    control = tubes.under_control(session, as_of, grid_id)
    shown = control.assign(
        round=[
            t("screening.round_short", lang=lang, kind=code("round_kind", k, lang), number=int(n))
            for k, n in zip(control["kind"], control["number"], strict=True)
        ]
    )
    people = [
        (
            int(r.retest_id),
            int(r.version),
            None if pd.isna(r.grid_id) else int(r.grid_id),
            r.building,
            r.room,
            r.name,
        )
        for r in control.itertuples()
    ]
    return UnderControl(shown[CONTROL_SHOWN], people)


# --- the antigen line list ------------------------------------------------------------------


@dataclass(frozen=True)
class Households:
    """Households for the antigen line list: id → label, and id → grid."""

    labels: dict[int, str]
    grid_of: dict[int, int | None]


def household_choices(session: Session, grid_id: int | None, lang: str) -> Households:
    """The households (of one grid, or all) the antigen line list can be recorded for."""
    homes = tubes.households(session, grid_id)
    labels = {
        int(h.household_id): t(
            "screening.household_label",
            lang=lang,
            grid=h.grid,
            compound=h.compound,
            building=h.building,
            room=h.room,
        )
        for h in homes.itertuples()
    }
    grid_of = {
        int(h): None if pd.isna(g) else int(g)
        for h, g in zip(homes["household_id"], homes["grid_id"], strict=True)
    }
    return Households(labels, grid_of)


# --- trends ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrendsView:
    """Coverage per round over time and antigen participation per grid (charts as plotly dicts;
    None without rounds), with the participation by grid over every antigen round."""

    coverage: dict | None
    participation: dict | None
    by_grid: pd.DataFrame | None = field(default=None, repr=False)


def trends_view(session: Session, as_of: dt.date, lang: str) -> TrendsView:
    """The trends section's charts and table."""
    trend = screening_reports.coverage_trend(session, as_of)
    if trend.empty:
        return TrendsView(None, None)
    chart = screening_reports.coverage_chart(trend, lang).to_dict()
    part = screening_reports.antigen_participation(session, as_of)
    if part.empty:
        return TrendsView(chart, None)
    mean = part.groupby("grid", as_index=False)[["due", "sampled"]].sum()
    mean["participation"] = mean["sampled"] / mean["due"].where(mean["due"] > 0)
    mean = mean.rename(
        columns={
            "grid": t("common.grid", lang=lang),
            "due": t("screening.due", lang=lang),
            "sampled": t("screening.sampled", lang=lang),
        }
    )
    return TrendsView(chart, screening_reports.participation_chart(part, lang).to_dict(), mean)
