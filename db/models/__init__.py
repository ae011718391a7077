"""Typed SQLAlchemy models: the whole committee, from compounds to audit rows.

Conventions: singular class names, snake_case tables, dates as DATE, moments as naive local
DATETIME (Asia/Shanghai wall clock, the committee's only time zone), coordinates WGS-84 as
[lon, lat] lists in JSON. Enumerations are short English codes checked in the schema; their
Chinese words live in the message catalogue.

The models live in one module per area (base, place, people, screening, cases, supplies, services,
accounts); this package re-exports every name the former single module db/models.py had, and
imports every area so that all tables are on Base.metadata and every relationship string resolves.
Areas are imported in the order the tables were declared, so Base.metadata keeps that order.
"""

from __future__ import annotations

# The names the former module had from its own imports stay importable from here.
import datetime as dt  # noqa: F401
from typing import Any  # noqa: F401

from sqlalchemy import (  # noqa: F401
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
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship  # noqa: F401

# Areas in the order their tables were declared (Base.metadata keeps that order); isort must not sort them.
from db.models.base import (  # noqa: F401
    CADRE_LEVELS,
    CASE_CHANNELS,
    CASE_SEVERITIES,
    CASE_STATUSES,
    COMPOUND_KINDS,
    CONTACT_KINDS,
    CONTACT_STATUSES,
    DELIVERY_STATUSES,
    DESTINATIONS,
    DISINFECTION_TARGETS,
    EXEMPT_REASONS,
    FOLLOWUP_STATUSES,
    MEDICINE_STATUSES,
    MISSED_OUTCOMES,
    NAMING,
    PERSON_KINDS,
    RESULT_VALUES,
    RETEST_RESULTS,
    ROLES,
    ROUND_KINDS,
    ROUND_SCOPES,
    SAMPLE_METHODS,
    SHIFTS,
    SUPPLY_RULES,
    SUPPLY_SOURCES,
    TEAM_KINDS,
    URGENCIES,
    VOLUNTEER_KINDS,
    ZONES,
    Base,
    _in,
)

# isort: split
from db.models.place import (  # noqa: F401
    Building,
    Committee,
    Compound,
    Grid,
    Household,
    Resident,
    Setting,
)

# isort: split
from db.models.people import (  # noqa: F401
    Person,
    Team,
)

# isort: split
from db.models.screening import (  # noqa: F401
    NOT_PLAIN,
    MissedFollowUp,
    Retest,
    RoundSite,
    SamplingSite,
    ScreeningResult,
    ScreeningRound,
)

# isort: split
from db.models.cases import (  # noqa: F401
    Case,
    CaseEvent,
    Contact,
    Entrance,
    EntranceChange,
    Transfer,
    ZoneChange,
)

# isort: split
from db.models.supplies import (  # noqa: F401
    Delivery,
    HospitalRun,
    MedicineRequest,
    SupplyBatch,
)

# isort: split
from db.models.services import (  # noqa: F401
    CourierCount,
    DisinfectionRecord,
    DisinfectionRoute,
    DutyShift,
)

# isort: split
from db.models.accounts import (  # noqa: F401
    AuditLog,
    AuthSession,
    DataVersion,
    DaySnapshot,
    FollowUp,
    ImportLog,
    User,
)

# isort: split
from db.models.tallies import ALWAYS, BuildingTally, DeliveryTally, HouseholdTally, RoundTally  # noqa: F401

__all__ = [
    "dt",
    "Any",
    "JSON",
    "Boolean",
    "CheckConstraint",
    "Date",
    "DateTime",
    "Float",
    "ForeignKey",
    "Index",
    "Integer",
    "MetaData",
    "String",
    "UniqueConstraint",
    "text",
    "DeclarativeBase",
    "Mapped",
    "mapped_column",
    "relationship",
    "NAMING",
    "_in",
    "Base",
    "COMPOUND_KINDS",
    "PERSON_KINDS",
    "CADRE_LEVELS",
    "VOLUNTEER_KINDS",
    "TEAM_KINDS",
    "ROUND_KINDS",
    "ROUND_SCOPES",
    "RESULT_VALUES",
    "SAMPLE_METHODS",
    "EXEMPT_REASONS",
    "MISSED_OUTCOMES",
    "RETEST_RESULTS",
    "CASE_CHANNELS",
    "CASE_SEVERITIES",
    "CASE_STATUSES",
    "DESTINATIONS",
    "CONTACT_KINDS",
    "CONTACT_STATUSES",
    "ZONES",
    "SUPPLY_SOURCES",
    "SUPPLY_RULES",
    "DELIVERY_STATUSES",
    "URGENCIES",
    "MEDICINE_STATUSES",
    "SHIFTS",
    "DISINFECTION_TARGETS",
    "FOLLOWUP_STATUSES",
    "ROLES",
    "Committee",
    "Setting",
    "Compound",
    "Grid",
    "Building",
    "Household",
    "Resident",
    "Team",
    "Person",
    "SamplingSite",
    "ScreeningRound",
    "RoundSite",
    "ScreeningResult",
    "MissedFollowUp",
    "Retest",
    "Case",
    "CaseEvent",
    "Contact",
    "Entrance",
    "EntranceChange",
    "Transfer",
    "ZoneChange",
    "SupplyBatch",
    "Delivery",
    "HospitalRun",
    "MedicineRequest",
    "CourierCount",
    "DisinfectionRoute",
    "DisinfectionRecord",
    "DutyShift",
    "FollowUp",
    "DaySnapshot",
    "User",
    "AuthSession",
    "AuditLog",
    "ImportLog",
    "DataVersion",
    "BuildingTally",
    "HouseholdTally",
    "RoundTally",
]
