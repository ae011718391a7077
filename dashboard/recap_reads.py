"""The reads of one recap day that its figures, grid ranking and problems share (dashboard/recap.py):
each made once, on first use, for whichever of them is asked for.

No personal data: the recap is shown on a shared screen.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import SupplyBatch


class DayReads:
    """The reads of one day that the figures, the ranking and the problems share, each made once
    (on first use) for whichever of them is asked for."""

    def __init__(self, session: Session, day: dt.date) -> None:
        self.session, self.day = session, day

    @functools.cached_property
    def transfer_board(self) -> pd.DataFrame:
        from dashboard import transfers

        return transfers.transfer_board(self.session, self.day)

    @functools.cached_property
    def building_zones(self) -> pd.DataFrame:
        """Every building's zone on the day (the headline's zone counts and the disinfection targets)."""
        from dashboard import zones

        return zones.building_zones(self.session, self.day)

    @functools.cached_property
    def disinfection(self) -> Any:
        from dashboard import disinfection

        return disinfection.disinfection_status(self.session, self.day, self.building_zones)

    @functools.cached_property
    def guard_gaps(self) -> pd.DataFrame:
        from dashboard import entrances

        return entrances.guard_gaps(self.session, self.day)

    @functools.cached_property
    def outstanding_medicine(self) -> pd.DataFrame:
        from dashboard import medicine

        return medicine.outstanding_requests(self.session, self.day)

    @functools.cached_property
    def round(self) -> Any:
        """The newest round held by the day (RoundInfo), or None."""
        from dashboard import screening

        round_id = screening.latest_round(self.session, self.day)
        return screening.get_round(self.session, round_id) if round_id is not None else None

    @functools.cached_property
    def round_by_grid(self) -> pd.DataFrame:
        """The round's progress per grid (screening.round_by_grid); the round must exist."""
        from dashboard import screening

        return screening.round_by_grid(self.session, self.round.id, self.day)

    @functools.cached_property
    def followed_by_grid(self) -> dict[Any, int]:
        """grid_id → missed residents of the round whose grid leader has recorded an outcome."""
        from dashboard import screening

        df = screening.missed_by_grid(self.session, self.round.id, self.day, followed_only=True)
        return dict(zip(df["grid_id"], df["followed"], strict=True))

    @functools.cached_property
    def round_totals(self) -> tuple[int, int]:
        """(due, sampled) of the round: summed over round_by_grid when that was read, else read alone."""
        from dashboard import screening

        if "round_by_grid" in self.__dict__:
            return int(self.round_by_grid["due"].sum()), int(self.round_by_grid["sampled"].sum())
        totals = screening.round_totals(self.session, self.round.id, self.day)
        return int(totals["due"]), int(totals["sampled"])

    @functools.cached_property
    def unfollowed_by_grid(self) -> pd.DataFrame:
        """grid_id, grid, unfollowed: the round's missed residents (due, not sampled) nobody has
        followed up yet, per grid — from round_by_grid when that was read, else counted alone."""
        from dashboard import screening

        if "round_by_grid" in self.__dict__:
            by_grid, followed = self.round_by_grid, self.followed_by_grid
            pairs = list(zip(by_grid["grid_id"], by_grid["grid"], by_grid["missed"], strict=True))
            rows = [(g, None if g is None else n, m - followed.get(g, 0)) for g, n, m in pairs]
        else:
            counts = screening.missed_by_grid(self.session, self.round.id, self.day)
            rows = [(g, n, m - f) for g, n, m, f in counts.itertuples(index=False)]
        return pd.DataFrame(rows, columns=["grid_id", "grid", "unfollowed"])

    @functools.cached_property
    def batch_id(self) -> int | None:
        from dashboard import supplies

        return supplies.current_batch(self.session, self.day)

    @functools.cached_property
    def supply_by_grid(self) -> pd.DataFrame:
        """The current batch's coverage per grid (supplies.coverage); the batch must exist."""
        from dashboard import supplies

        return supplies.coverage(self.session, self.batch_id, self.day, "grid")

    @functools.cached_property
    def supply_totals(self) -> tuple[str, int, int]:
        """(name, households entitled, households reached) of the current batch: summed over
        supply_by_grid when that was read (as supplies.supply_summary does), else read alone."""
        from dashboard import supplies

        if "supply_by_grid" in self.__dict__:
            cov = self.supply_by_grid
            name = self.session.scalar(select(SupplyBatch.name).where(SupplyBatch.id == self.batch_id))
            return name, int(cov["households_entitled"].sum()), int(cov["households_reached"].sum())
        summary = supplies.supply_summary(self.session, self.day)
        return summary.batch_name, summary.households_entitled, summary.households_reached
