"""Tallies: counts that database triggers keep in step with their records (db/tallies.py), so the
area-wide figures read a few thousand tally rows instead of tens of thousands of records.

They hold nothing of their own: db.tallies.rebuild() recounts them from the records at any time.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base

# A plain result without a sample time counts as sampled on any day: it counts "from" this day.
ALWAYS = dt.date(1, 1, 1)


class BuildingTally(Base):
    """Residents of a building, and the bedridden among them."""

    __tablename__ = "building_tally"
    building_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    residents: Mapped[int] = mapped_column(Integer, default=0)
    bedridden: Mapped[int] = mapped_column(Integer, default=0)


class HouseholdTally(Base):
    """Households of a building."""

    __tablename__ = "household_tally"
    building_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    households: Mapped[int] = mapped_column(Integer, default=0)


class RoundTally(Base):
    """A round's plain results (neither an exemption nor a door-to-door sample) of a building's
    residents, by the day their sample was taken (ALWAYS for a result with no sample time)."""

    __tablename__ = "round_tally"
    round_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    building_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    counts_from: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    results: Mapped[int] = mapped_column(Integer, default=0)


class DeliveryTally(Base):
    """A batch's delivery rows (one per household visited) of a building's households, by the day of
    the last visit and its outcome: how many households, and the portions the rows record."""

    __tablename__ = "delivery_tally"
    batch_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    building_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    status: Mapped[str] = mapped_column(String(12), primary_key=True)
    households: Mapped[int] = mapped_column(Integer, default=0)
    portions: Mapped[int] = mapped_column(Integer, default=0)
