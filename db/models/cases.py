"""Cases and control: cases, their events, contacts, entrances, transfers and zones."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.models.base import (
    CASE_CHANNELS,
    CASE_SEVERITIES,
    CASE_STATUSES,
    CONTACT_KINDS,
    CONTACT_STATUSES,
    DESTINATIONS,
    ZONES,
    Base,
    _in,
)

if TYPE_CHECKING:  # resolved at mapping time by name, through the class registry
    from db.models.place import Resident


class Case(Base):
    __tablename__ = "case_record"
    __table_args__ = (
        CheckConstraint(_in("channel", CASE_CHANNELS), name="channel"),
        CheckConstraint(_in("severity", CASE_SEVERITIES), name="severity"),
        CheckConstraint(_in("status", CASE_STATUSES), name="status"),
        CheckConstraint("destination IS NULL OR " + _in("destination", DESTINATIONS), name="destination"),
        Index("ix_case_record_found_on", "found_on"),
        # At most one case per resident that has not recovered, even when two reports race.
        Index(
            "uq_case_record_active_resident",
            "resident_id",
            unique=True,
            sqlite_where=text("status <> 'recovered'"),
            postgresql_where=text("status <> 'recovered'"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"), index=True)
    found_on: Mapped[dt.date] = mapped_column(Date)
    found_at: Mapped[dt.datetime] = mapped_column(DateTime)
    channel: Mapped[str] = mapped_column(String(20))
    severity: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="reported")
    destination: Mapped[str | None] = mapped_column(String(20))
    verified_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    transferred_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    recovered_on: Mapped[dt.date | None] = mapped_column(Date)
    home_isolation_reason: Mapped[str] = mapped_column(String(200), default="")
    source_round_id: Mapped[int | None] = mapped_column(ForeignKey("screening_round.id"))
    note: Mapped[str] = mapped_column(String(200), default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    resident: Mapped[Resident] = relationship()
    events: Mapped[list[CaseEvent]] = relationship(cascade="all, delete-orphan", order_by="CaseEvent.at")
    __mapper_args__ = {"version_id_col": version}


class CaseEvent(Base):
    """One step of a case's pipeline, timestamped with who did it."""

    __tablename__ = "case_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    note: Mapped[str] = mapped_column(String(200), default="")


class Contact(Base):
    __tablename__ = "contact"
    __table_args__ = (
        CheckConstraint(_in("kind", CONTACT_KINDS), name="kind"),
        CheckConstraint(_in("status", CONTACT_STATUSES), name="status"),
        Index("uq_contact_case_resident", "case_id", "resident_id", unique=True),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id"), index=True)
    parent_contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"))
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("resident.id"), index=True)
    outside_name: Mapped[str] = mapped_column(String(60), default="")
    kind: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20), default="identified")
    identified_on: Mapped[dt.date] = mapped_column(Date, index=True)
    notified_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    quarantined_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    released_on: Mapped[dt.date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}


class Entrance(Base):
    __tablename__ = "entrance"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    road: Mapped[str] = mapped_column(String(60), default="")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    is_open: Mapped[bool] = mapped_column(Boolean, default=False)


class EntranceChange(Base):
    """Open/closed history of an entrance."""

    __tablename__ = "entrance_change"
    id: Mapped[int] = mapped_column(primary_key=True)
    entrance_id: Mapped[int] = mapped_column(ForeignKey("entrance.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    is_open: Mapped[bool] = mapped_column(Boolean)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class Transfer(Base):
    """Moving a case or a contact out of the area (转运)."""

    __tablename__ = "transfer"
    __table_args__ = (
        CheckConstraint("(case_id IS NULL) <> (contact_id IS NULL)", name="one_subject"),
        CheckConstraint("destination IS NULL OR " + _in("destination", DESTINATIONS), name="destination"),
        Index("ix_transfer_requested_at", "requested_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_record.id"), unique=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"), unique=True)
    requested_at: Mapped[dt.datetime] = mapped_column(DateTime)
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    destination: Mapped[str | None] = mapped_column(String(20))
    entrance_id: Mapped[int | None] = mapped_column(ForeignKey("entrance.id"))
    route: Mapped[str] = mapped_column(String(200), default="")
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    vehicle: Mapped[str] = mapped_column(String(60), default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}


class ZoneChange(Base):
    """A zone recorded for a building or compound: the derived history, or an announced override."""

    __tablename__ = "zone_change"
    __table_args__ = (
        CheckConstraint(_in("zone", ZONES), name="zone"),
        CheckConstraint("(building_id IS NULL) <> (compound_id IS NULL)", name="one_target"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id"), index=True)
    compound_id: Mapped[int | None] = mapped_column(ForeignKey("compound.id"), index=True)
    zone: Mapped[str] = mapped_column(String(12))
    start_on: Mapped[dt.date] = mapped_column(Date)
    end_on: Mapped[dt.date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
