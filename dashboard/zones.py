"""The three zones (三区), derived by rule from the cases: one function for overview, map and brief.

A building is sealed (封控区) while a case was found in it within the last `zone_sealed_days` (7),
controlled (管控区) after that until `zone_controlled_days` (14) have passed, precaution (防范区)
otherwise. A compound takes the strictest zone of its buildings. Recorded overrides in zone_change
(an announcement by the district) take precedence for their period.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from dashboard.config import int_rule
from db.models import Building, Case, Household, Resident, ZoneChange

ORDER = {"sealed": 0, "controlled": 1, "precaution": 2}


@dataclass(frozen=True)
class ZoneRule:
    sealed_days: int = 7
    controlled_days: int = 14

    def zone(self, last_case: dt.date | None, as_of: dt.date) -> str:
        """The zone of a place whose latest case was found on last_case."""
        if last_case is None or last_case > as_of:
            return "precaution"
        age = (as_of - last_case).days
        if age < self.sealed_days:
            return "sealed"
        if age < self.controlled_days:
            return "controlled"
        return "precaution"

    def steps_down_on(self, last_case: dt.date | None, as_of: dt.date) -> dt.date | None:
        """The day the place moves to the next milder zone (解封倒计时), or None when already precaution."""
        zone = self.zone(last_case, as_of)
        if zone == "sealed":
            return last_case + dt.timedelta(days=self.sealed_days)
        if zone == "controlled":
            return last_case + dt.timedelta(days=self.controlled_days)
        return None


def rule_for(session: Session) -> ZoneRule:
    """The committee's zone rule (7 and 14 days unless changed in settings)."""
    return ZoneRule(int_rule(session, "zone_sealed_days"), int_rule(session, "zone_controlled_days"))


def building_zones(session: Session, as_of: dt.date) -> pd.DataFrame:
    """Every building's zone on as_of: building_id, compound_id, grid_id, last_case, zone, steps_down_on."""
    rule = rule_for(session)
    last_case = (
        select(Household.building_id.label("building_id"), func.max(Case.found_on).label("last_case"))
        .join(Resident, Resident.household_id == Household.id)
        .join(Case, Case.resident_id == Resident.id)
        .where(Case.found_on <= as_of)
        .group_by(Household.building_id)
        .subquery()
    )
    rows = session.execute(
        select(Building.id, Building.compound_id, Building.grid_id, last_case.c.last_case)
        .outerjoin(last_case, last_case.c.building_id == Building.id)
        .order_by(Building.id)
    ).all()
    df = pd.DataFrame(rows, columns=["building_id", "compound_id", "grid_id", "last_case"])
    if df.empty:
        return df.assign(zone=pd.Series(dtype=str), steps_down_on=pd.Series(dtype=object))
    df["last_case"] = df["last_case"].map(lambda v: v if pd.notna(v) else None)
    df["zone"] = [rule.zone(v, as_of) for v in df["last_case"]]
    df["steps_down_on"] = [rule.steps_down_on(v, as_of) for v in df["last_case"]]
    overrides = _overrides(session, as_of)
    if overrides:
        for building_id, zone in overrides.get("building", {}).items():
            df.loc[df["building_id"] == building_id, ["zone", "steps_down_on"]] = [zone, None]
    return df


def _overrides(session: Session, as_of: dt.date) -> dict[str, dict[int, str]]:
    rows = session.execute(
        select(ZoneChange.building_id, ZoneChange.compound_id, ZoneChange.zone).where(
            ZoneChange.start_on <= as_of, or_(ZoneChange.end_on.is_(None), and_(ZoneChange.end_on >= as_of))
        )
    ).all()
    out: dict[str, dict[int, str]] = {"building": {}, "compound": {}}
    for building_id, compound_id, zone in rows:
        if building_id is not None:
            out["building"][building_id] = zone
        else:
            out["compound"][compound_id] = zone
    return out


def compound_zones(session: Session, as_of: dt.date) -> pd.DataFrame:
    """Every compound's zone on as_of (the strictest of its buildings): compound_id, zone, steps_down_on."""
    b = building_zones(session, as_of)
    if b.empty:
        return pd.DataFrame(columns=["compound_id", "zone", "steps_down_on", "sealed_buildings"])
    b["rank"] = b["zone"].map(ORDER)
    out = []
    for compound_id, part in b.groupby("compound_id"):
        strictest = part.loc[part["rank"].idxmin()]
        steps = [
            d
            for d, z in zip(part["steps_down_on"], part["zone"], strict=True)
            if z == strictest["zone"] and d
        ]
        out.append(
            {
                "compound_id": int(compound_id),
                "zone": strictest["zone"],
                "steps_down_on": max(steps) if steps else None,
                "sealed_buildings": int((part["zone"] == "sealed").sum()),
            }
        )
    df = pd.DataFrame(out)
    for compound_id, zone in _overrides(session, as_of)["compound"].items():
        df.loc[df["compound_id"] == compound_id, ["zone", "steps_down_on"]] = [zone, None]
    return df


def zone_counts(session: Session, as_of: dt.date) -> dict[str, int]:
    """Buildings per zone on as_of."""
    b = building_zones(session, as_of)
    counts = b["zone"].value_counts().to_dict() if not b.empty else {}
    return {z: int(counts.get(z, 0)) for z in ORDER}
