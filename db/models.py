"""Typed SQLAlchemy models: the whole committee, from compounds to audit rows.

Conventions: singular class names, snake_case tables, dates as DATE, moments as naive local
DATETIME (Asia/Shanghai wall clock, the committee's only time zone), coordinates WGS-84 as
[lon, lat] lists in JSON. Enumerations are short English codes checked in the schema; their
Chinese words live in the message catalogue.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _in(column: str, values: tuple[str, ...]) -> str:
    """A CHECK expression limiting a code column to its known values."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


# --- code lists (stored values) -------------------------------------------------------------
COMPOUND_KINDS = ("public_housing", "homestead", "villa", "commodity")
PERSON_KINDS = ("committee_staff", "cadre", "inner_field", "property", "volunteer", "guard")
CADRE_LEVELS = ("city", "district", "street")
VOLUNTEER_KINDS = ("party_member", "building_head", "young")
TEAM_KINDS = ("disinfection", "transport", "medicine", "patrol", "transfer", "guard", "sampling")
ROUND_KINDS = ("pcr", "antigen")
ROUND_SCOPES = ("all", "sealed", "grid")
RESULT_VALUES = ("pending", "negative", "abnormal", "positive")
SAMPLE_METHODS = ("site", "door", "self")
EXEMPT_REASONS = ("transferred", "quarantine", "away", "bedridden")
MISSED_OUTCOMES = ("door_sampled", "will_come", "refused", "not_home")
RETEST_RESULTS = ("pending", "negative", "positive")
CASE_CHANNELS = ("pooled_retest", "antigen", "single_tube", "symptoms", "district")
CASE_SEVERITIES = ("confirmed", "asymptomatic")
CASE_STATUSES = ("reported", "verified", "awaiting_transfer", "transferred", "recovered", "home_isolation")
DESTINATIONS = ("shelter", "hospital", "quarantine_hotel", "home")
CONTACT_KINDS = ("close", "secondary")
CONTACT_STATUSES = ("identified", "notified", "central_quarantine", "home_quarantine", "released")
ZONES = ("sealed", "controlled", "precaution")
SUPPLY_SOURCES = ("government", "street", "donation")
SUPPLY_RULES = ("per_door", "per_household", "large_household")
DELIVERY_STATUSES = ("delivered", "not_found", "refused")
URGENCIES = ("normal", "urgent")
MEDICINE_STATUSES = ("requested", "in_run", "bought", "delivered", "cancelled")
SHIFTS = ("morning", "noon", "evening")
DISINFECTION_TARGETS = ("building", "site", "route")
FOLLOWUP_STATUSES = ("open", "closed")
ROLES = ("admin", "secretary", "grid_leader", "task", "meeting", "viewer")


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


class Team(Base):
    __tablename__ = "team"
    __table_args__ = (CheckConstraint(_in("kind", TEAM_KINDS), name="kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", use_alter=True))


class Person(Base):
    """Someone who works for the committee: staff, cadres, inner-field, property, volunteers, guards."""

    __tablename__ = "person"
    __table_args__ = (
        CheckConstraint(_in("kind", PERSON_KINDS), name="kind"),
        CheckConstraint("cadre_level IS NULL OR " + _in("cadre_level", CADRE_LEVELS), name="cadre_level"),
        CheckConstraint(
            "volunteer_kind IS NULL OR " + _in("volunteer_kind", VOLUNTEER_KINDS), name="volunteer_kind"
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    phone: Mapped[str] = mapped_column(String(20), default="")
    kind: Mapped[str] = mapped_column(String(20))
    cadre_level: Mapped[str | None] = mapped_column(String(10))
    volunteer_kind: Mapped[str | None] = mapped_column(String(20))
    organisation: Mapped[str] = mapped_column(String(100), default="")
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), index=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id"), index=True)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("resident.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    team: Mapped[Team | None] = relationship(foreign_keys=[team_id])


class SamplingSite(Base):
    __tablename__ = "sampling_site"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    compound_id: Mapped[int | None] = mapped_column(ForeignKey("compound.id"))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id"))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)


class ScreeningRound(Base):
    __tablename__ = "screening_round"
    __table_args__ = (
        CheckConstraint(_in("kind", ROUND_KINDS), name="kind"),
        CheckConstraint(_in("scope", ROUND_SCOPES), name="scope"),
        UniqueConstraint("kind", "number"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    number: Mapped[int] = mapped_column(Integer)
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    scope: Mapped[str] = mapped_column(String(10), default="all")
    scope_grid_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id"))
    time_slots: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    sites: Mapped[list[RoundSite]] = relationship(cascade="all, delete-orphan")


class RoundSite(Base):
    __tablename__ = "round_site"
    round_id: Mapped[int] = mapped_column(ForeignKey("screening_round.id"), primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sampling_site.id"), primary_key=True)


class ScreeningResult(Base):
    """One result per resident per round; exempt residents carry the reason instead of a sample."""

    __tablename__ = "screening_result"
    __table_args__ = (
        UniqueConstraint("round_id", "resident_id"),
        CheckConstraint(_in("result", RESULT_VALUES), name="result"),
        CheckConstraint("method IS NULL OR " + _in("method", SAMPLE_METHODS), name="method"),
        CheckConstraint(
            "exempt_reason IS NULL OR " + _in("exempt_reason", EXEMPT_REASONS), name="exempt_reason"
        ),
        Index("ix_screening_result_round_tube", "round_id", "tube_no"),
        Index("ix_screening_result_resident", "resident_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("screening_round.id"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"))
    sampled_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    method: Mapped[str | None] = mapped_column(String(10))
    tube_no: Mapped[str | None] = mapped_column(String(30))
    result: Mapped[str] = mapped_column(String(10), default="pending")
    exempt_reason: Mapped[str | None] = mapped_column(String(20))
    import_id: Mapped[int | None] = mapped_column(ForeignKey("import_log.id"))


class MissedFollowUp(Base):
    """What the grid leader learned about a resident missed in a round (漏检追踪)."""

    __tablename__ = "missed_followup"
    __table_args__ = (
        UniqueConstraint("round_id", "resident_id"),
        CheckConstraint(_in("outcome", MISSED_OUTCOMES), name="outcome"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("screening_round.id"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"))
    outcome: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(200), default="")
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class Retest(Base):
    """A single-tube retest opened for a member of an abnormal pool, or after a positive antigen."""

    __tablename__ = "retest"
    __table_args__ = (
        UniqueConstraint("round_id", "resident_id"),
        CheckConstraint(_in("result", RETEST_RESULTS), name="result"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("screening_round.id"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"), index=True)
    tube_no: Mapped[str | None] = mapped_column(String(30))
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime)
    result: Mapped[str] = mapped_column(String(10), default="pending")
    result_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_record.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}


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


class FollowUp(Base):
    """A gap found at the daily recap and the loop that closes it (查遗补漏)."""

    __tablename__ = "follow_up"
    __table_args__ = (CheckConstraint(_in("status", FOLLOWUP_STATUSES), name="status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    created_on: Mapped[dt.date] = mapped_column(Date, index=True)
    item: Mapped[str] = mapped_column(String(300))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id"))
    owner: Mapped[str] = mapped_column(String(60), default="")
    due_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="open")
    problem_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    resolution: Mapped[str] = mapped_column(String(300), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}


class DaySnapshot(Base):
    """The figures the recap meeting saw when it closed the day."""

    __tablename__ = "day_snapshot"
    date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
    closed_at: Mapped[dt.datetime] = mapped_column(DateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class User(Base):
    __tablename__ = "app_user"
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="role"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    display_name: Mapped[str] = mapped_column(String(60), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(12))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str | None] = mapped_column(String(2))
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class AuthSession(Base):
    """A server-side login bound to an HttpOnly cookie; only hashes of secrets are stored."""

    __tablename__ = "auth_session"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    bind_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    bind_expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class AuditLog(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    username: Mapped[str] = mapped_column(String(60), default="")
    action: Mapped[str] = mapped_column(String(60))
    table_name: Mapped[str] = mapped_column(String(60), index=True)
    record_id: Mapped[str] = mapped_column(String(60), default="")
    grid_id: Mapped[int | None] = mapped_column(Integer, index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ImportLog(Base):
    """One committed import; the file's hash makes a second import of the same file a no-op."""

    __tablename__ = "import_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    filename: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    rows_added: Mapped[int] = mapped_column(Integer, default=0)
    rows_updated: Mapped[int] = mapped_column(Integer, default=0)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class DataVersion(Base):
    """The last change of each table: a random token replaced in every transaction that writes it
    (db/versions.py). Cached reads compare tokens to know whether what they read has changed."""

    __tablename__ = "data_version"
    table_name: Mapped[str] = mapped_column(String(60), primary_key=True)
    token: Mapped[str] = mapped_column(String(32))
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime)
