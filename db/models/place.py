"""The place: the committee and its settings, compounds, grids, buildings, households, residents."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.models.base import COMPOUND_KINDS, Base, _in

if TYPE_CHECKING:  # resolved at mapping time by name, through the class registry
    from db.models.people import Person


class Committee(Base):
    """The residents' committee this database belongs to (one row)."""

    __tablename__ = "committee"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    street: Mapped[str] = mapped_column(String(100), default="")
    district: Mapped[str] = mapped_column(String(100), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    demo_today: Mapped[dt.date | None] = mapped_column(Date)
    center_lat: Mapped[float | None] = mapped_column(Float)
    center_lon: Mapped[float | None] = mapped_column(Float)


class Setting(Base):
    """A rule of the field that a committee may change (zone days, transfer hours ...)."""

    __tablename__ = "setting"
    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class Compound(Base):
    __tablename__ = "compound"
    __table_args__ = (CheckConstraint(_in("kind", COMPOUND_KINDS), name="kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(200), default="")
    polygon: Mapped[list[Any] | None] = mapped_column(JSON)
    buildings: Mapped[list[Building]] = relationship(back_populates="compound")


class Grid(Base):
    __tablename__ = "grid"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    name: Mapped[str] = mapped_column(String(60))
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", use_alter=True))
    polygon: Mapped[list[Any] | None] = mapped_column(JSON)
    leader: Mapped[Person | None] = relationship(foreign_keys=[leader_id])
    buildings: Mapped[list[Building]] = relationship(back_populates="grid")


class Building(Base):
    __tablename__ = "building"
    __table_args__ = (
        UniqueConstraint("compound_id", "name"),
        CheckConstraint("floors IS NULL OR floors >= 0", name="floors"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compound.id"), index=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    floors: Mapped[int | None] = mapped_column(Integer)
    compound: Mapped[Compound] = relationship(back_populates="buildings")
    grid: Mapped[Grid | None] = relationship(back_populates="buildings")
    households: Mapped[list[Household]] = relationship(back_populates="building")


class Household(Base):
    """One family (户). Several households may share one door (门) in homestead houses."""

    __tablename__ = "household"
    __table_args__ = (
        UniqueConstraint("building_id", "room"),
        CheckConstraint("size >= 0", name="size"),
        # The few households of no one (size 0): a supply batch owes them nothing (supply_coverage);
        # what each building's households are owed is read from the index alone.
        Index("ix_household_size", "size"),
        Index("ix_household_building_size", "building_id", "size"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id"), index=True)
    door: Mapped[str] = mapped_column(String(30))
    room: Mapped[str] = mapped_column(String(30))
    size: Mapped[int] = mapped_column(Integer, default=1)
    is_rental: Mapped[bool] = mapped_column(Boolean, default=False)
    head_name: Mapped[str] = mapped_column(String(60), default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    building: Mapped[Building] = relationship(back_populates="households")
    residents: Mapped[list[Resident]] = relationship(back_populates="household")
    __mapper_args__ = {"version_id_col": version}


class Resident(Base):
    __tablename__ = "resident"
    __table_args__ = (
        CheckConstraint("sex IN ('M', 'F')", name="sex"),
        CheckConstraint("birth_year BETWEEN 1900 AND 2100", name="birth_year"),
        Index("ix_resident_phone_name", "phone", "name"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    sex: Mapped[str] = mapped_column(String(1))
    birth_year: Mapped[int] = mapped_column(Integer)
    phone: Mapped[str] = mapped_column(String(20), default="")
    id_number: Mapped[str | None] = mapped_column(String(18), unique=True)
    is_chronic: Mapped[bool] = mapped_column(Boolean, default=False)
    chronic_condition: Mapped[str] = mapped_column(String(100), default="")
    is_bedridden: Mapped[bool] = mapped_column(Boolean, default=False)
    is_disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    is_pregnant: Mapped[bool] = mapped_column(Boolean, default=False)
    lives_alone: Mapped[bool] = mapped_column(Boolean, default=False)
    is_away: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    household: Mapped[Household] = relationship(back_populates="residents")
    __mapper_args__ = {"version_id_col": version}
