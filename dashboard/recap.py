"""The daily recap (每日复盘): the day against the day before, the grids ranked, the day's problems
generated from the data, and the frozen record of what the meeting saw (close the day).

No function here returns personal data: the recap is shown on a shared screen.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboard import audit, config, followups, overview, validate
from dashboard.errors import ValidationError
from dashboard.recap_reads import DayReads
from dashboard.roles import CurrentUser, require
from db.models import (
    Building,
    Case,
    DaySnapshot,
    Delivery,
    Grid,
    Household,
    Person,
    Resident,
    SupplyBatch,
    User,
)

# Headline figures compared day against day: key → whether a rise is good ("up"), bad ("down")
# or neither (None). Keys come from day_figures().
COMPARED: tuple[tuple[str, str | None], ...] = (
    ("new_positives", "down"),
    ("negative_streak_days", "up"),
    ("awaiting_transfer", "down"),
    ("contacts_awaiting_transfer", "down"),
    ("transfer_overdue", "down"),
    ("sealed_buildings", "down"),
    ("controlled_buildings", "down"),
    ("screening_coverage", "up"),
    ("missed_residents", "down"),
    ("supply_coverage", "up"),
    ("deliveries_today", None),
    ("parcels_received", None),
    ("parcels_delivered", None),
    ("parcel_backlog", "down"),
    ("disinfection_done", "up"),
    ("disinfection_missing", "down"),
    ("unguarded_hours", "down"),
    ("medicine_outstanding", "down"),
    ("medicine_overdue", "down"),
    ("open_followups", "down"),
    ("followups_closed", "up"),
)
PERCENT_KEYS = frozenset({"screening_coverage", "supply_coverage"})


def day_figures(session: Session, day: dt.date, reads: DayReads | None = None) -> dict[str, Any]:
    """Every figure the recap shows for a day (aggregates only, JSON-safe)."""
    return {**_figures(reads or DayReads(session, day)), **followup_figures(session, day)}


def followup_figures(session: Session, day: dt.date) -> dict[str, int]:
    """The follow-up figures of day_figures(): open_followups, followups_closed, followups_carried_over."""
    fu = followups.followups(session, day)
    return {
        "open_followups": int(fu["open"].sum()) if not fu.empty else 0,
        "followups_closed": int((~fu["open"]).sum()) if not fu.empty else 0,
        "followups_carried_over": int(fu["carried_over"].sum()) if not fu.empty else 0,
    }


def _figures(reads: DayReads) -> dict[str, Any]:
    """day_figures() but the follow-up figures."""
    from dashboard import courier

    session, day = reads.session, reads.day
    figures = dict(overview.headline(session, day, reads.building_zones))
    board = reads.transfer_board
    figures["transfer_overdue"] = int(board["overdue"].sum()) if not board.empty else 0
    figures["screening_round"] = None
    figures["screening_coverage"] = None
    figures["missed_residents"] = 0
    rnd = reads.round
    if rnd is not None:
        due, sampled = reads.round_totals
        figures["screening_round"] = f"{rnd.kind}:{rnd.number}:{rnd.date.isoformat()}"
        figures["screening_coverage"] = float(round(sampled / due, 4) if due else 0.0)
        figures["missed_residents"] = due - sampled
    figures["supply_batch"] = None
    figures["supply_coverage"] = None
    if reads.batch_id is not None:
        name, entitled, reached = reads.supply_totals
        figures["supply_batch"] = name
        figures["supply_coverage"] = round(reached / entitled if entitled else 0.0, 4)
    figures["deliveries_today"] = deliveries_on(session, day)
    parcels = courier.courier_day_totals(session, day)
    figures["parcels_received"] = parcels.received
    figures["parcels_delivered"] = parcels.delivered
    figures["parcel_backlog"] = parcels.backlog_end
    status = reads.disinfection
    figures["disinfection_required"] = status.required
    figures["disinfection_done"] = status.done
    figures["disinfection_missing"] = status.required - status.done
    gaps = reads.guard_gaps
    figures["unguarded_hours"] = round(float(gaps["hours"].sum()), 1) if not gaps.empty else 0.0
    pending = reads.outstanding_medicine
    figures["medicine_outstanding"] = int(len(pending))
    figures["medicine_overdue"] = int(pending["overdue"].sum()) if not pending.empty else 0
    return figures


@dataclass(frozen=True)
class Meeting:
    """What the recap screen shows of a day from one set of reads: the day's and the day before's
    figures without the follow-up ones (followup_figures, read on their own so a new follow-up does
    not make all of this read again), the grids ranked and the day's problems."""

    today: dict[str, Any]
    yesterday: dict[str, Any]
    ranking: pd.DataFrame
    problems: list[Problem]


def meeting(session: Session, day: dt.date) -> Meeting:
    """The recap of a day (see Meeting); {**today, **followup_figures(day)} is day_figures(day)."""
    reads = DayReads(session, day)
    # The ranking first: the day's figures then sum its per-grid reads instead of reading totals.
    ranking = grid_ranking(session, day, reads)
    found = problems(session, day, reads)
    return Meeting(
        today=_figures(reads),
        yesterday=_figures(DayReads(session, day - dt.timedelta(days=1))),
        ranking=ranking,
        problems=found,
    )


@dataclass(frozen=True)
class Comparison:
    key: str
    today: float | int | None
    yesterday: float | int | None
    better: str | None

    @property
    def change(self) -> float | int | None:
        if self.today is None or self.yesterday is None:
            return None
        return self.today - self.yesterday

    @property
    def arrow(self) -> str:
        c = self.change
        if c is None or abs(c) < 1e-3:
            return "→"
        return "↑" if c > 0 else "↓"

    @property
    def verdict(self) -> str:
        """good / bad / neutral, by the direction a rise should go."""
        c = self.change
        if c is None or abs(c) < 1e-3 or self.better is None:
            return "neutral"
        return "good" if (c > 0) == (self.better == "up") else "bad"


def compare_days(today: dict[str, Any], yesterday: dict[str, Any]) -> list[Comparison]:
    """The day against the day before, figure by figure."""
    return [
        Comparison(key, today.get(key), yesterday.get(key), better)
        for key, better in COMPARED
        if key in today
    ]


# --- close the day --------------------------------------------------------------------------


def close_day(
    session: Session, user: CurrentUser, day: dt.date, *, now: dt.datetime | None = None
) -> DaySnapshot:
    """Freeze the day's figures as the meeting saw them; a day is closed once."""
    require(user, "recap.close_day")
    today = config.today(session)
    day = validate.day(day, today=today)
    if session.get(DaySnapshot, day) is not None:
        raise ValidationError("recap.day_already_closed", date=day.isoformat())
    figures = day_figures(session, day)
    figures["problems"] = [p.as_dict() for p in problems(session, day)]
    row = DaySnapshot(date=day, figures=figures, closed_at=now or config.now(session), user_id=user.id)
    session.add(row)
    session.flush()
    audit.record(
        session, user, "recap.close_day", "day_snapshot", day.isoformat(), after={"figures": len(figures)}
    )
    return row


@dataclass(frozen=True)
class SnapshotInfo:
    closed_at: dt.datetime
    closed_by: str
    figures: dict[str, Any]


def snapshot(session: Session, day: dt.date) -> SnapshotInfo | None:
    """The frozen record of a closed day, or None."""
    row = session.get(DaySnapshot, day)
    if row is None:
        return None
    who = session.scalar(select(User.display_name).where(User.id == row.user_id)) if row.user_id else ""
    return SnapshotInfo(row.closed_at, who or "", dict(row.figures))


def snapshot_differences(session: Session, day: dt.date) -> pd.DataFrame:
    """Figures whose live value differs from what the meeting saw: key, snapshot, live."""
    snap = snapshot(session, day)
    if snap is None:
        return pd.DataFrame(columns=["key", "snapshot", "live"])
    live = day_figures(session, day)
    rows = [
        {"key": k, "snapshot": snap.figures.get(k), "live": v}
        for k, v in live.items()
        if k in snap.figures and snap.figures.get(k) != v and not isinstance(v, list | dict)
    ]
    return pd.DataFrame(rows, columns=["key", "snapshot", "live"])


# --- the day's problems ---------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """A gap the data shows for a day, stated without personal data."""

    key: str  # stable: kind:day:grid — so it becomes at most one follow-up
    kind: str
    grid_id: int | None
    grid: int | None
    count: int
    params: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "kind": self.kind, "grid": self.grid, "count": self.count, **self.params}


PROBLEM_KINDS = (
    "new_positives",
    "transfer_overdue",
    "missed_residents",
    "supply_gap",
    "disinfection_undone",
    "unguarded",
    "medicine_overdue",
)


def _by_grid(
    df: pd.DataFrame, kind: str, day: dt.date, counts: str | None = None, **params: Any
) -> list[Problem]:
    """One problem per grid from rows carrying grid_id and grid: each row one instance, or as many as
    its `counts` column says."""
    if df.empty:
        return []
    grids = df.assign(grid_id=df["grid_id"].astype("Int64"), grid=df["grid"].astype("Int64"))
    out = []
    for (grid_id, grid), part in grids.groupby(["grid_id", "grid"], dropna=False, sort=True):
        gid = None if pd.isna(grid_id) else int(grid_id)
        num = None if pd.isna(grid) else int(grid)
        n = int(part[counts].sum()) if counts else int(len(part))
        out.append(Problem(f"{kind}:{day}:{gid or 0}", kind, gid, num, n, dict(params)))
    return out


def problems(session: Session, day: dt.date, reads: DayReads | None = None) -> list[Problem]:
    """The day's problems generated from the data, most urgent kinds first (aggregates, no names)."""
    reads = reads or DayReads(session, day)
    found: list[Problem] = []
    found += _by_grid(cases_found_on(session, day), "new_positives", day)
    board = reads.transfer_board
    if not board.empty:
        found += _by_grid(board[board["overdue"]], "transfer_overdue", day)
    if reads.round is not None and reads.round.date == day:
        missed = reads.unfollowed_by_grid
        found += _by_grid(missed[missed["unfollowed"] > 0], "missed_residents", day, "unfollowed")
    if reads.batch_id is not None:
        batch_id = reads.batch_id
        batch_name = session.scalar(select(SupplyBatch.name).where(SupplyBatch.id == batch_id))
        numbers = dict(session.execute(select(Grid.id, Grid.number)).all())
        for row in reads.supply_by_grid.itertuples():
            gap = int(row.households_entitled - row.households_reached)
            if gap > 0:
                found.append(
                    Problem(
                        f"supply_gap:{day}:{batch_id}:{row.grid_id or 0}",
                        "supply_gap",
                        row.grid_id,
                        numbers.get(row.grid_id) if row.grid_id else None,
                        gap,
                        {"batch": batch_name},
                    )
                )
    found += _by_grid(reads.disinfection.missing, "disinfection_undone", day)
    gaps = reads.guard_gaps
    for row in gaps.groupby(["entrance_id", "entrance"], as_index=False)["hours"].sum().itertuples():
        found.append(
            Problem(
                f"unguarded:{day}:{row.entrance_id}",
                "unguarded",
                None,
                None,
                int(round(row.hours)),
                {"entrance": row.entrance, "hours": round(float(row.hours), 1)},
            )
        )
    pending = reads.outstanding_medicine
    if not pending.empty:
        found += _by_grid(pending[pending["overdue"]], "medicine_overdue", day)
    order = {k: i for i, k in enumerate(PROBLEM_KINDS)}
    return sorted(found, key=lambda p: (order[p.kind], p.grid or 0))


def deliveries_on(session: Session, day: dt.date) -> int:
    """Households handed supplies during the day (any batch)."""
    start = dt.datetime.combine(day, dt.time())
    return int(
        session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(
                Delivery.status == "delivered",
                Delivery.at >= start,
                Delivery.at < start + dt.timedelta(days=1),
            )
        )
        or 0
    )


def cases_found_on(session: Session, day: dt.date) -> pd.DataFrame:
    """One row per case found on the day with its grid (no names)."""
    rows = session.execute(
        select(Case.id, Building.grid_id, Grid.number)
        .join(Resident, Resident.id == Case.resident_id)
        .join(Household, Household.id == Resident.household_id)
        .join(Building, Building.id == Household.building_id)
        .outerjoin(Grid, Grid.id == Building.grid_id)
        .where(Case.found_on == day)
    ).all()
    return pd.DataFrame(rows, columns=["case_id", "grid_id", "grid"])


# --- the grids ranked -----------------------------------------------------------------------


def grid_ranking(session: Session, day: dt.date, reads: DayReads | None = None) -> pd.DataFrame:
    """Grids ranked on screening coverage, missed residents reached, deliveries and disinfection.

    Columns: grid_id, grid, leader, screening, missed, missed_reached, reached_share, supply,
    disinfection, score, rank. Shares are 0..1; a share with nothing to measure counts as 1.
    """
    reads = reads or DayReads(session, day)
    grids = pd.DataFrame(
        session.execute(
            select(Grid.id, Grid.number, Person.name)
            .outerjoin(Person, Person.id == Grid.leader_id)
            .order_by(Grid.number)
        ).all(),
        columns=["grid_id", "grid", "leader"],
    )
    if grids.empty:
        return grids.assign(score=pd.Series(dtype=float), rank=pd.Series(dtype=int))
    grids["screening"] = 1.0
    grids["missed"] = 0
    grids["missed_reached"] = 0
    if reads.round is not None:
        progress = reads.round_by_grid
        cov = dict(zip(progress["grid_id"], progress["coverage"], strict=True))
        grids["screening"] = grids["grid_id"].map(lambda g: float(cov.get(g, 1.0)))
        # Missed (due, not sampled) per grid, and how many of them a grid leader has reached.
        total = dict(zip(progress["grid_id"], progress["missed"], strict=True))
        reached = reads.followed_by_grid
        grids["missed"] = grids["grid_id"].map(lambda g: int(total.get(g, 0)))
        grids["missed_reached"] = grids["grid_id"].map(lambda g: int(reached.get(g, 0)))
    grids["reached_share"] = [
        (r / m) if m else 1.0 for r, m in zip(grids["missed_reached"], grids["missed"], strict=True)
    ]
    grids["supply"] = 1.0
    if reads.batch_id is not None:
        cov = reads.supply_by_grid
        share = dict(zip(cov["grid_id"], cov["coverage"].fillna(1.0), strict=True))
        grids["supply"] = grids["grid_id"].map(lambda g: float(share.get(g, 1.0)))
    targets = reads.disinfection.targets
    grids["disinfection"] = 1.0
    if not targets.empty:
        in_grid = targets[targets["grid_id"].notna()]
        done = in_grid.groupby("grid_id")["done"].mean()
        grids["disinfection"] = grids["grid_id"].map(lambda g: float(done.get(g, 1.0)))
    grids["score"] = grids[["screening", "reached_share", "supply", "disinfection"]].mean(axis=1).round(4)
    grids = grids.sort_values(["score", "grid"], ascending=[False, True]).reset_index(drop=True)
    grids["rank"] = range(1, len(grids) + 1)
    return grids


def problem_counts(found: list[Problem]) -> dict[str, int]:
    """How many problems of each kind (for the snapshot and the brief)."""
    counts = dict.fromkeys(PROBLEM_KINDS, 0)
    for p in found:
        counts[p.kind] += 1
    return counts


def grid_choices(session: Session) -> dict[int | None, str]:
    """Grids for a follow-up form: id → label (None: the whole area)."""
    from dashboard.i18n import t

    out: dict[int | None, str] = {None: t("recap.area_wide")}
    for gid, number in session.execute(select(Grid.id, Grid.number).order_by(Grid.number)).all():
        out[gid] = t("recap.grid_label", n=number)
    return out
