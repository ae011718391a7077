"""Supplies and medicine: batches, deliveries, hospital runs and medicine requests."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import (
    DELIVERY_STATUSES,
    MEDICINE_STATUSES,
    SUPPLY_RULES,
    SUPPLY_SOURCES,
    URGENCIES,
    Base,
    _in,
)


class SupplyBatch(Base):
    __tablename__ = "supply_batch"
    __table_args__ = (
        CheckConstraint(_in("source", SUPPLY_SOURCES), name="source"),
        CheckConstraint(_in("rule", SUPPLY_RULES), name="rule"),
        CheckConstraint("stock >= 0", name="stock"),
        CheckConstraint("large_threshold >= 1", name="large_threshold"),
        CheckConstraint("large_portions >= 1", name="large_portions"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    date: Mapped[dt.date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(20))
    items: Mapped[str] = mapped_column(String(300), default="")
    rule: Mapped[str] = mapped_column(String(20))
    large_threshold: Mapped[int] = mapped_column(Integer, default=6)
    large_portions: Mapped[int] = mapped_column(Integer, default=2)
    stock: Mapped[int] = mapped_column(Integer, default=0)
    released_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}


class Delivery(Base):
    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("batch_id", "household_id"),
        CheckConstraint(_in("status", DELIVERY_STATUSES), name="status"),
        CheckConstraint("portions >= 0", name="portions"),
        Index("ix_delivery_at", "at"),  # the day's deliveries (recap, brief)
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("supply_batch.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="delivered")
    portions: Mapped[int] = mapped_column(Integer, default=0)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    note: Mapped[str] = mapped_column(String(200), default="")


class HospitalRun(Base):
    __tablename__ = "hospital_run"
    id: Mapped[int] = mapped_column(primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date, unique=True)
    hospitals: Mapped[str] = mapped_column(String(300), default="")
    driver_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class MedicineRequest(Base):
    __tablename__ = "medicine_request"
    __table_args__ = (
        CheckConstraint(_in("urgency", URGENCIES), name="urgency"),
        CheckConstraint(_in("status", MEDICINE_STATUSES), name="status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"), index=True)
    medicines: Mapped[str] = mapped_column(String(300))
    hospital: Mapped[str] = mapped_column(String(100), default="")
    urgency: Mapped[str] = mapped_column(String(10), default="normal")
    chronic_condition: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(12), default="requested")
    requested_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("hospital_run.id"), index=True)
    bought_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}
