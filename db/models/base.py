"""The models' common ground: Base with its naming convention and type map, the `_in` CHECK helper and
the code lists (stored values).

Conventions: singular class names, snake_case tables, dates as DATE, moments as naive local
DATETIME (Asia/Shanghai wall clock, the committee's only time zone), coordinates WGS-84 as
[lon, lat] lists in JSON. Enumerations are short English codes checked in the schema; their
Chinese words live in the message catalogue.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, MetaData
from sqlalchemy.orm import DeclarativeBase

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
