"""Services: courier counts, disinfection routes and records, duty shifts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import DISINFECTION_TARGETS, SHIFTS, Base, _in


class CourierCount(Base):
    """Parcels one squad handled for one grid in one shift (快递)."""

    __tablename__ = "courier_count"
    __table_args__ = (
        UniqueConstraint("date", "shift", "grid_id"),
        CheckConstraint(_in("shift", SHIFTS), name="shift"),
        CheckConstraint("received >= 0", name="received"),
        CheckConstraint("delivered >= 0", name="delivered"),
        Index("ix_courier_count_date", "date"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date)
    shift: Mapped[str] = mapped_column(String(10))
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    received: Mapped[int] = mapped_column(Integer, default=0)
    delivered: Mapped[int] = mapped_column(Integer, default=0)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}


class DisinfectionRoute(Base):
    """A residents' route that is disinfected daily (e.g. from a gate to a sampling site)."""

    __tablename__ = "disinfection_route"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class DisinfectionRecord(Base):
    __tablename__ = "disinfection_record"
    __table_args__ = (
        CheckConstraint(_in("target_kind", DISINFECTION_TARGETS), name="target_kind"),
        Index("ix_disinfection_record_date", "date"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    target_kind: Mapped[str] = mapped_column(String(10))
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sampling_site.id"))
    route_id: Mapped[int | None] = mapped_column(ForeignKey("disinfection_route.id"))
    agent: Mapped[str] = mapped_column(String(60), default="")
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class DutyShift(Base):
    """A roster entry; with an entrance it is a guard shift (值守)."""

    __tablename__ = "duty_shift"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="order"),
        Index("ix_duty_shift_starts_at", "starts_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    entrance_id: Mapped[int | None] = mapped_column(ForeignKey("entrance.id"), index=True)
    starts_at: Mapped[dt.datetime] = mapped_column(DateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(DateTime)
    task: Mapped[str] = mapped_column(String(100), default="")
