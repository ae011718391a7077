"""Supplies as the supplies page shows them: the batch picker, coverage with its figures, the lists
of households (not reached, a building's), the batches with their preview and reconciliation, the
re-survey's counts and log, and the pickers of buildings, doors and squads.

Read once through the shared cache (ui.cached), display-ready for `lang`: codes in words, columns
in the order shown and named by their headings, picker labels built. Lists with personal data
keep their column names (head_name, grid_id) so the page can mask them per user; HEADINGS names
them after that.

Part of supplies (the reads are those of dashboard/supplies.py, distribution.py and survey.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard import distribution, supply_coverage, survey
from dashboard.config import end_of
from dashboard.i18n import code, t
from dashboard.supplies import allocation_preview
from dashboard.supply_batches import Rule, batches, get_batch
from dashboard.supply_coverage import (
    NOT_REACHED_COLUMNS,
    coverage,
    reconciliation,
    tallied_rows,
)
from dashboard.supply_visits import Visits, visits
from db.models import SupplyBatch

# Column → catalogue key of its heading (the supplies page's tables).
HEADINGS = {
    "grid": "common.grid",
    "compound": "common.compound",
    "building": "common.building",
    "door": "supplies.col_door",
    "room": "supplies.col_room",
    "size": "supplies.col_size",
    "portions": "supplies.col_portions",
    "head_name": "supplies.col_head",
    "status": "supplies.col_status",
    "at": "supplies.col_at",
    **{
        key: f"supplies.col_{key}"
        for key in (
            "households_entitled households_reached not_found refused portions_needed portions_delivered "
            "coverage stock remainder shortfall households stock_share short doors households_before added "
            "people residents portions_out released households_now"
        ).split()
    },
    "name": "supplies.col_name",
    "batch": "supplies.col_name",
    "date": "supplies.col_date",
    "source": "supplies.col_source",
    "items": "supplies.col_items",
    "rule": "supplies.col_rule",
    "large_threshold": "supplies.col_threshold",
    "large_portions": "supplies.col_large_portions",
    "households_left_out": "supplies.col_left_out",
    "large_households": "supplies.col_large",
    "username": "supplies.col_user",
    "action": "supplies.col_action",
    "size_before": "supplies.col_size_before",
    "size_after": "supplies.col_size_after",
    "moved": "supplies.col_moved",
}
COVERAGE_COUNTS = [
    "households_reached",
    "households_entitled",
    "coverage",
    "portions_delivered",
    "portions_needed",
]
LEVEL_KEYS = {"grid": ["grid"], "compound": ["compound"], "building": ["grid", "compound", "building"]}
NOT_REACHED_SHOWN = ["grid", "compound", "building", "room", "size", "portions", "head_name", "status"]
PROGRESS_SHOWN = ["room", "size", "portions", "head_name", "status", "at"]
BATCHES_SHOWN = [
    "name", "date", "source", "items", "rule", "large_threshold", "large_portions", "stock", "released",
]  # fmt: skip
RECON_SHOWN = [
    "batch", "date", "rule", "stock", "portions_needed", "portions_out", "remainder", "shortfall",
    "households", "households_entitled", "households_reached", "households_left_out",
]  # fmt: skip
PREVIEW_SHOWN = ["households_entitled", "portions_needed", "stock_share", "short"]
SURVEY_COUNTS = ["doors", "households_before", "households_now", "added", "people", "large_households"]
LOG_SHOWN = ["at", "username", "action", "room", "size_before", "size_after", "moved"]
LOG_WORDS = {
    survey.SPLIT: "supplies.action_split",
    survey.SIZE: "supplies.action_size",
    survey.MOVE: "supplies.action_move",
}


@cache
def headings(lang: str) -> dict[str, str]:
    """Column → its heading in lang."""
    return {column: t(key, lang=lang) for column, key in HEADINGS.items()}


def headed(df: pd.DataFrame, columns: list[str], lang: str) -> pd.DataFrame:
    """df's columns (in this order) named by their headings in lang."""
    names = headings(lang)
    return df[columns].set_axis([names.get(c, c) for c in columns], axis=1)


def _status_words(values: pd.Series, lang: str) -> list[str]:
    return [code("delivery_status", s, lang) if isinstance(s, str) else "" for s in values]


# --- the batch every section but the re-survey works on ---------------------------------------


@dataclass(frozen=True)
class Batch:
    """A batch as the sections use it."""

    id: int
    name: str
    rule: str
    stock: int
    released: bool  # by the end of the as-of day
    version: int


_PICKER = select(
    SupplyBatch.id,
    SupplyBatch.name,
    SupplyBatch.date,
    SupplyBatch.rule,
    SupplyBatch.stock,
    SupplyBatch.released_at,
    SupplyBatch.version,
)


@dataclass(frozen=True)
class BatchPicker:
    """The batches dated up to a day, newest first: their ids, labels, the one being handed out."""

    ids: list[int]
    labels: dict[int, str]
    index: int  # of the batch being handed out (the first when none is)
    batches: dict[int, Batch]


def batch_picker(session: Session, as_of: dt.date, lang: str) -> BatchPicker:
    """The batch picker of the supplies page as of a day (batches() and current_batch() of the few
    batch rows, read once)."""
    end = end_of(as_of)
    rows = session.connection().execute(_PICKER).all()
    listed = sorted((r for r in rows if r.date <= as_of), key=lambda r: (r.date, r.id), reverse=True)
    released = {r.id for r in rows if r.released_at is not None and r.released_at <= end}
    ids = [int(r.id) for r in listed]
    labels = {
        int(r.id): t(
            "supplies.batch_label",
            lang=lang,
            name=r.name,
            date=r.date.isoformat(),
            status=t("supplies.status_released" if r.id in released else "supplies.status_draft", lang=lang),
        )
        for r in listed
    }
    found = {
        int(r.id): Batch(int(r.id), str(r.name), str(r.rule), int(r.stock), r.id in released, int(r.version))
        for r in listed
    }
    handed_out = [r for r in rows if r.id in released]
    current = max(handed_out, key=lambda r: (r.date, r.released_at, r.id)).id if ids and handed_out else None
    return BatchPicker(ids, labels, ids.index(current) if current in ids else 0, found)


# --- coverage -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CoverageView:
    """A batch's coverage as of a day: the four figures, the table by grid (empty: nobody owed), how
    many households are not reached yet (of a grid, or all) and, for one grid, their list
    (NOT_REACHED_SHOWN and grid_id, status in words, to mask); the whole area's list is read when
    asked for (not_reached_list), None here."""

    empty: bool
    kpis: list[dict[str, str]]
    by_grid: pd.DataFrame = field(repr=False)
    not_reached_n: int = 0
    not_reached: pd.DataFrame | None = field(default=None, repr=False)


def _coverage_table(df: pd.DataFrame, level: str, lang: str) -> pd.DataFrame:
    return headed(df, [*LEVEL_KEYS[level], *COVERAGE_COUNTS, "not_found", "refused"], lang)


# The households not reached as the coverage section lists them (to mask): NOT_REACHED_SHOWN, grid_id.
_MISSING_COLUMNS = (*NOT_REACHED_SHOWN, "grid_id")


def coverage_view(
    session: Session, batch_id: int, as_of: dt.date, grid_id: int | None, lang: str
) -> CoverageView:
    """The coverage section: its figures and table by grid (from the delivery tally), how many
    households are not reached and, for one grid, which (the whole area's list: not_reached_list)."""
    batch = get_batch(session, batch_id)
    rule = Rule.of(batch)
    names, rows, given_unowed = tallied_rows(session, batch_id, as_of, rule, "grid")
    counts = (
        dict(zip(("grid_id", "grid", *supply_coverage.COVERAGE_COUNTS), zip(*rows, strict=True), strict=True))
        if rows
        else {}
    )
    reached, owed = sum(counts.get("households_reached", ())), sum(counts.get("households_entitled", ()))
    out, needed = sum(counts.get("portions_delivered", ())), sum(counts.get("portions_needed", ()))
    left = batch.stock - out - given_unowed
    kpis = [
        {"label": t("supplies.kpi_households", lang=lang), "value": f"{reached:,} / {owed:,}"},
        {"label": t("supplies.kpi_portions", lang=lang), "value": f"{out:,} / {needed:,}"},
        {"label": t("supplies.kpi_coverage", lang=lang), "value": f"{reached / owed:.1%}" if owed else "-"},
        {"label": t("supplies.kpi_left", lang=lang), "value": f"{left:,}"},
    ]
    if rows:  # the table as _coverage_table(coverage(...)) heads it, made from the rows at once
        counts["coverage"] = [
            r / e for r, e in zip(counts["households_reached"], counts["households_entitled"], strict=True)
        ]
        shown = [*LEVEL_KEYS["grid"], *COVERAGE_COUNTS, "not_found", "refused"]
        by_grid = pd.DataFrame({headings(lang)[c]: counts[c] for c in shown})
    else:
        by_grid = _coverage_table(supply_coverage.coverage_frame(names, rows), "grid", lang)
    missing = {
        key: entitled - reached
        for key, entitled, reached in zip(
            counts.get("grid_id", ()),
            counts.get("households_entitled", ()),
            counts.get("households_reached", ()),
            strict=True,
        )
    }
    if grid_id is None:
        return CoverageView(not rows, kpis, by_grid, sum(missing.values()))
    listed = not_reached_list(session, batch_id, as_of, grid_id, lang) if missing.get(grid_id) else None
    return CoverageView(not rows, kpis, by_grid, missing.get(grid_id, 0), listed)


def not_reached_list(
    session: Session, batch_id: int, as_of: dt.date, grid_id: int | None, lang: str
) -> pd.DataFrame:
    """The households a batch has not reached by the end of a day, of a grid or all, as the coverage
    section lists them (NOT_REACHED_SHOWN and grid_id, the last visit's outcome in words)."""
    rule = Rule.of(get_batch(session, batch_id))
    return _missing(visits(session, batch_id, as_of, rule, _MISSING_COLUMNS), grid_id, lang)


def _missing(seen: Visits, grid_id: int | None, lang: str) -> pd.DataFrame:
    """The households not reached as the coverage section lists them: NOT_REACHED_SHOWN and grid_id,
    the last visit's outcome in words."""
    rows = seen.not_reached(grid_id)
    if not rows:
        return pd.DataFrame([], columns=NOT_REACHED_COLUMNS).assign(status=[])[list(_MISSING_COLUMNS)]
    columns = dict(zip(_MISSING_COLUMNS, zip(*rows, strict=True), strict=False))
    words = {s: code("delivery_status", s, lang) for s in set(columns["status"]) if isinstance(s, str)}
    columns["status"] = [words.get(s, "") for s in columns["status"]]
    return pd.DataFrame({name: _typed(name, values) for name, values in columns.items()})


_COUNTS = frozenset({"size", "portions", "grid_id"})


def _typed(name: str, values: Sequence[Any]) -> Any:
    """A list column as the dtype pandas infers for it (int64 counts, str texts), built without the
    inference; a column holding None (a building without a grid) is left to the inference."""
    if None in values:
        return values
    return np.array(values, dtype=np.int64) if name in _COUNTS else pd.array(values, dtype="str")


def coverage_table(session: Session, batch_id: int, as_of: dt.date, level: str, lang: str) -> pd.DataFrame:
    """The coverage table of a level (compound or building; grid is in coverage_view)."""
    return _coverage_table(coverage(session, batch_id, as_of, level), level, lang)


# --- deliveries -----------------------------------------------------------------------------


@dataclass(frozen=True)
class BuildingView:
    """A building's households as the delivery forms list them (households owed something only)."""

    households: dict[int, str]  # household → its label (still to visit first)
    rooms: dict[int, str]  # household → room
    waiting: list[str]  # rooms not delivered yet
    progress: pd.DataFrame = field(repr=False)  # PROGRESS_SHOWN and grid_id, to mask


def building_view(session: Session, batch_id: int, building_id: int, lang: str) -> BuildingView:
    """What a building owes of a batch and what was handed out so far."""
    homes = distribution.building_households(session, batch_id, building_id)
    owed = homes[homes["portions"] > 0]
    delivered = owed["status"] == "delivered"
    # Households still to visit first; delivered ones stay listed so a second record is refused clearly.
    ordered = pd.concat([owed[~delivered], owed[delivered]])
    labels = {
        int(r.household_id): t(
            "supplies.household_label",
            lang=lang,
            room=r.room,
            portions=int(r.portions),
            status=code("delivery_status", r.status, lang)
            if isinstance(r.status, str)
            else t("supplies.pending", lang=lang),
        )
        for r in ordered.itertuples()
    }
    progress = owed.assign(
        status=_status_words(owed["status"], lang),
        at=[v.strftime("%m-%d %H:%M") if pd.notna(v) else "" for v in owed["at"]],
    )
    return BuildingView(
        labels,
        {int(h): str(r) for h, r in zip(owed["household_id"], owed["room"], strict=True)},
        owed[~delivered]["room"].tolist(),
        progress[[*PROGRESS_SHOWN, "grid_id"]],
    )


def building_choices(session: Session, grid_id: int | None, lang: str) -> dict[int, str]:
    """The buildings (of one grid, or all) for a picker: id → label."""
    places = distribution.buildings_for(session, grid_id)
    return {
        int(r.building_id): t(
            "supplies.building_label", lang=lang, compound=r.compound, building=r.building, grid=r.grid or ""
        )
        for r in places.itertuples()
    }


def team_choices(session: Session) -> dict[int, str]:
    """The squads that may hand out supplies: id → name (transport squads first)."""
    teams = distribution.teams(session)
    return dict(zip(teams["team_id"].astype(int), teams["team"], strict=True))


# --- batches, the preview and the reconciliation ----------------------------------------------


@dataclass(frozen=True)
class BatchesView:
    """The batches as of a day and their reconciliation (codes in words, columns headed), with the
    batches whose rule left households out: (name, left out, stock, lived-in households)."""

    listed: pd.DataFrame = field(repr=False)
    recon: pd.DataFrame = field(repr=False)
    left_out: list[tuple[str, int, int, int]] = field(default_factory=list)


def batches_view(session: Session, as_of: dt.date, lang: str) -> BatchesView:
    """The batches section's tables as of a day."""
    listed = batches(session, as_of)
    recon = reconciliation(session, as_of)
    return BatchesView(
        headed(
            listed.assign(
                source=[code("supply_source", v, lang) for v in listed["source"]],
                rule=[code("supply_rule", v, lang) for v in listed["rule"]],
            ),
            BATCHES_SHOWN,
            lang,
        ),
        headed(recon.assign(rule=[code("supply_rule", v, lang) for v in recon["rule"]]), RECON_SHOWN, lang),
        [
            (str(r.batch), int(r.households_left_out), int(r.stock), int(r.households))
            for r in recon[recon["households_left_out"] > 0].itertuples()
        ],
    )


@dataclass(frozen=True)
class PreviewView:
    """A batch's allocation preview: what its rule needs, enough or short, by grid and compound."""

    needed: str  # the sentence (markdown)
    shortfall: str | None  # the refusal-coloured message when stock is short
    enough: str | None  # the message when it is not
    by_grid: pd.DataFrame = field(repr=False)
    by_compound: pd.DataFrame = field(repr=False)


def preview_view(session: Session, batch_id: int, lang: str) -> PreviewView:
    """The allocation preview of a recorded batch (its rule against its stock), display-ready."""
    batch = get_batch(session, batch_id)
    preview = allocation_preview(session, Rule.of(batch), batch.stock)
    needed = t(
        "supplies.preview_needed",
        lang=lang,
        rule=code("supply_rule", batch.rule, lang),
        needed=f"{preview.needed:,}",
        households=f"{preview.households:,}",
        stock=f"{preview.stock:,}",
    )
    short = t("supplies.shortfall", lang=lang, n=f"{preview.shortfall:,}") if preview.shortfall else None
    enough = None if short else t("supplies.enough", lang=lang, left=f"{preview.stock - preview.needed:,}")
    frames = [
        headed(df.rename(columns={"households": "households_entitled"}), [key, *PREVIEW_SHOWN], lang)
        for df, key in ((preview.by_grid, "grid"), (preview.by_compound, "compound"))
    ]
    return PreviewView(needed, short, enough, *frames)


# --- the household re-survey ------------------------------------------------------------------


@dataclass(frozen=True)
class SurveyView:
    """The re-survey's counts by grid and compound, and its log up to a day (of a grid, or all)."""

    by_grid: pd.DataFrame = field(repr=False)
    by_compound: pd.DataFrame = field(repr=False)
    log: pd.DataFrame = field(repr=False)


def survey_view(session: Session, as_of: dt.date, grid_id: int | None, lang: str) -> SurveyView:
    """The survey section's tables (no personal data in them)."""
    counts = [
        headed(
            survey.survey_counts(session, level).rename(columns={"households": "households_now"}),
            [level, *SURVEY_COUNTS],
            lang,
        )
        for level in ("grid", "compound")
    ]
    log = survey.survey_log(session, as_of, grid_id)
    log = log.assign(action=[t(LOG_WORDS[a], lang=lang) for a in log["action"]])
    return SurveyView(*counts, headed(log, LOG_SHOWN, lang))


def door_choices(session: Session, building_id: int, lang: str) -> dict[str, str]:
    """A building's doors for a picker: door → label (households and people behind it)."""
    return {
        str(r.door): t(
            "supplies.door_label", lang=lang, door=r.door, households=int(r.households), people=int(r.people)
        )
        for r in survey.doors(session, building_id).itertuples()
    }
