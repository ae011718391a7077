"""The three zones (三区), derived by rule from the cases: one function for overview, map and brief.

A building is sealed (封控区) while a case was found in it within the last `zone_sealed_days` (7),
controlled (管控区) after that until `zone_controlled_days` (14) have passed, precaution (防范区)
otherwise. A compound takes the strictest zone of its buildings. Recorded overrides in zone_change
(an announcement by the district) take precedence for their period.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from dashboard import audit, roles, validate
from dashboard.config import int_rule, today
from dashboard.config import now as config_now
from dashboard.errors import ValidationError
from dashboard.roles import CurrentUser
from db.models import ZONES, Building, Case, Compound, Grid, Household, Resident, ScreeningRound, ZoneChange
from db.reads import core_rows, driver_rows

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
    buildings = driver_rows(
        session, select(Building.id, Building.compound_id, Building.grid_id).order_by(Building.id)
    )
    columns = ["building_id", "compound_id", "grid_id", "last_case"]
    if not buildings:
        return pd.DataFrame(buildings, columns=columns).assign(
            zone=pd.Series(dtype=str), steps_down_on=pd.Series(dtype=object)
        )
    last_of = _last_cases(session, as_of)
    ids, compound_ids, grid_ids = (list(c) for c in zip(*buildings, strict=True))
    last_case = [last_of.get(b) for b in ids]
    zone, steps = zoned(rule, as_of, ids, last_case, overrides(session, as_of)["building"])
    return pd.DataFrame(
        {
            "building_id": ids,
            "compound_id": compound_ids,
            "grid_id": grid_ids,
            "last_case": pd.Series(last_case, dtype=object),
            "zone": zone,
            "steps_down_on": pd.Series(steps, dtype=object),
        }
    )


def _last_cases(session: Session, as_of: dt.date) -> dict[int, dt.date]:
    """building → the day of its latest case found by as_of (buildings with a case only)."""
    return dict(
        core_rows(
            session,
            select(Household.building_id, func.max(Case.found_on))
            .join(Resident, Resident.household_id == Household.id)
            .join(Case, Case.resident_id == Resident.id)
            .where(Case.found_on <= as_of)
            .group_by(Household.building_id),
        )
    )


def zoned(
    rule: ZoneRule,
    as_of: dt.date,
    ids: Sequence[int],
    last_case: Sequence[dt.date | None],
    forced: dict[int, str],
) -> tuple[list[str], list[dt.date | None]]:
    """The zone and step-down day of each building (ids, with the day of its latest case), as of a
    day: by the rule, or as announced (`forced`: overrides()["building"], no step-down day)."""
    # The zone and step-down day depend on the last case's day alone: work each day out once.
    by_day = {d: (rule.zone(d, as_of), rule.steps_down_on(d, as_of)) for d in set(last_case)}
    zone = [by_day[d][0] for d in last_case]
    steps = [by_day[d][1] for d in last_case]
    if forced:
        for i, b in enumerate(ids):
            if b in forced:
                zone[i], steps[i] = forced[b], None
    return zone, steps


def overrides(session: Session, as_of: dt.date) -> dict[str, dict[int, str]]:
    """The zones announced for as_of: {"building": {building_id: zone}, "compound": {compound_id: zone}}."""
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


def compound_zones(session: Session, as_of: dt.date, buildings: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every compound's zone on as_of (the strictest of its buildings): compound_id, zone, steps_down_on.

    `buildings` is building_zones(session, as_of) when the caller already has it.
    """
    b = building_zones(session, as_of) if buildings is None else buildings
    if b.empty:
        return pd.DataFrame(columns=["compound_id", "zone", "steps_down_on", "sealed_buildings"])
    of = strictest(
        b["compound_id"].tolist(), b["zone"].tolist(), b["steps_down_on"].tolist(), overrides(session, as_of)
    )
    ids = sorted(of)
    return pd.DataFrame(
        {
            "compound_id": [int(c) for c in ids],
            "zone": [of[c][0] for c in ids],
            "steps_down_on": pd.Series([of[c][1] for c in ids], dtype=object),
            "sealed_buildings": [of[c][2] for c in ids],
        }
    )


def strictest(
    compound_ids: Sequence[int],
    zone: list[str],
    steps: list[dt.date | None],
    announced: dict[str, dict[int, str]],
) -> dict[int, tuple[str, dt.date | None, int]]:
    """Per compound of the buildings given (their compound, zone and step-down day): its zone, the day
    it steps down and how many of its buildings are sealed. The zone is the strictest of its buildings'
    with the latest step-down day among them in that zone, or as announced (`announced`: overrides())."""
    of: dict[int, list[Any]]  # compound_id → [zone, step-down day, sealed buildings]
    if len(zone) == zone.count("precaution") and len(steps) == steps.count(None):
        of = {c: ["precaution", None, 0] for c in dict.fromkeys(compound_ids)}  # a quiet day
    else:
        of = {}
        for compound_id, z, day in zip(compound_ids, zone, steps, strict=True):
            mine = of.get(compound_id)
            if mine is None or ORDER[z] < ORDER[mine[0]]:
                mine = of[compound_id] = [z, None, mine[2] if mine else 0]
            if z == mine[0] and day and (mine[1] is None or day > mine[1]):
                mine[1] = day
            mine[2] += z == "sealed"
    for compound_id, forced in announced["compound"].items():
        if compound_id in of:
            of[compound_id][0], of[compound_id][1] = forced, None
    return {c: (v[0], v[1], v[2]) for c, v in of.items()}


def zone_counts(session: Session, as_of: dt.date, buildings: pd.DataFrame | None = None) -> dict[str, int]:
    """Buildings per zone on as_of (`buildings`: building_zones(session, as_of) when the caller has it).

    Without it, only the buildings a case or an announcement concerns are zoned one by one; every
    other building is in the zone of a building without a case.
    """
    if buildings is not None:
        counts = buildings["zone"].value_counts().to_dict() if not buildings.empty else {}
        return {z: int(counts.get(z, 0)) for z in ORDER}
    rule = rule_for(session)
    last_of = _last_cases(session, as_of)
    forced = overrides(session, as_of)["building"]
    ids = sorted(set(last_of) | set(forced))
    zone, _ = zoned(rule, as_of, ids, [last_of.get(b) for b in ids], forced)
    out = dict.fromkeys(ORDER, 0)
    for z in zone:
        out[z] += 1
    others = int(session.scalar(select(func.count()).select_from(Building)) or 0) - len(ids)
    if others > 0:
        out[rule.zone(None, as_of)] += others
    return out


# --- the countdown, the history, and the announced overrides ---------------------------------


def first_day(session: Session) -> dt.date | None:
    """The first day the records know of (first screening round or first case)."""
    days = [
        session.scalar(select(func.min(ScreeningRound.date))),
        session.scalar(select(func.min(Case.found_on))),
    ]
    days = [d for d in days if d is not None]
    return min(days) if days else None


def _days_left(steps_down_on: object, as_of: dt.date) -> int | None:
    if steps_down_on is None or pd.isna(steps_down_on):
        return None
    return (steps_down_on - as_of).days


def building_board(session: Session, as_of: dt.date, *, include_precaution: bool = False) -> pd.DataFrame:
    """Buildings with their zone on as_of, the day each steps down and the days left (解封倒计时)."""
    b = building_zones(session, as_of)
    names = pd.DataFrame(
        session.execute(
            select(
                Building.id.label("building_id"),
                Compound.name.label("compound"),
                Building.name.label("building"),
                Grid.number.label("grid"),
            )
            .join(Compound, Compound.id == Building.compound_id)
            .outerjoin(Grid, Grid.id == Building.grid_id)
        ).all(),
        columns=["building_id", "compound", "building", "grid"],
    )
    columns = ["building_id", "compound", "building", "grid", "grid_id", "zone", "last_case", "steps_down_on"]
    if b.empty:
        return pd.DataFrame(columns=[*columns, "days_left"])
    df = b.merge(names, on="building_id")[columns]
    if not include_precaution:
        df = df[df["zone"] != "precaution"]
    df = df.assign(days_left=pd.array([_days_left(v, as_of) for v in df["steps_down_on"]], dtype="Int64"))
    df["rank"] = df["zone"].map(ORDER)
    return df.sort_values(["rank", "steps_down_on", "building_id"], na_position="last").drop(columns="rank")


def compound_board(session: Session, as_of: dt.date) -> pd.DataFrame:
    """Every compound with its zone on as_of, kind, sealed buildings, step-down day and days left."""
    c = compound_zones(session, as_of)
    names = pd.DataFrame(
        session.execute(select(Compound.id, Compound.name, Compound.kind)).all(),
        columns=["compound_id", "compound", "kind"],
    )
    columns = ["compound_id", "compound", "kind", "zone", "sealed_buildings", "steps_down_on", "days_left"]
    if c.empty:
        return pd.DataFrame(columns=columns)
    df = c.merge(names, on="compound_id")
    df["days_left"] = pd.array([_days_left(v, as_of) for v in df["steps_down_on"]], dtype="Int64")
    df["rank"] = df["zone"].map(ORDER)
    return df.sort_values(["rank", "compound_id"])[columns]


def zone_history(
    session: Session,
    building_id: int | None = None,
    compound_id: int | None = None,
    until: dt.date | None = None,
    *,
    since: dt.date | None = None,
) -> pd.DataFrame:
    """The zone periods of one building or compound from the first day of the records to until.

    Columns: zone, start_on, end_on (inclusive; until for the period still running), days,
    overridden (True when an announced zone_change decided the period).
    """
    columns = ["zone", "start_on", "end_on", "days", "overridden"]
    if (building_id is None) == (compound_id is None):
        raise ValueError("zone_history needs exactly one of building_id, compound_id")
    until = until or today(session)
    since = since or first_day(session) or until
    if since > until:
        return pd.DataFrame(columns=columns)
    rule = rule_for(session)
    if building_id is not None:
        building_ids = [building_id]
    else:
        building_ids = list(session.scalars(select(Building.id).where(Building.compound_id == compound_id)))
    found: dict[int, list[dt.date]] = {b: [] for b in building_ids}
    for b, day in session.execute(
        select(Household.building_id, Case.found_on)
        .join(Resident, Resident.household_id == Household.id)
        .join(Case, Case.resident_id == Resident.id)
        .where(Household.building_id.in_(building_ids), Case.found_on <= until)
        .distinct()
        .order_by(Case.found_on)
    ):
        found[b].append(day)
    announced = session.execute(
        select(
            ZoneChange.building_id,
            ZoneChange.compound_id,
            ZoneChange.zone,
            ZoneChange.start_on,
            ZoneChange.end_on,
        )
        .where(
            or_(ZoneChange.building_id.in_(building_ids), ZoneChange.compound_id == compound_id),
            ZoneChange.start_on <= until,
        )
        .order_by(ZoneChange.start_on, ZoneChange.id)
    ).all()

    def announced_on(day: dt.date, *, building: int | None = None) -> str | None:
        zone = None
        for b, c, z, start, end in announced:
            if start <= day and (end is None or end >= day):
                if (building is not None and b == building) or (building is None and c == compound_id):
                    zone = z
        return zone

    periods: list[dict[str, object]] = []
    day = since
    while day <= until:
        zone, overridden = "precaution", False
        for b in building_ids:
            past = [d for d in found[b] if d <= day]
            z = rule.zone(past[-1] if past else None, day)
            forced = announced_on(day, building=b)
            if forced is not None:
                z = forced
            if ORDER[z] < ORDER[zone] or (forced is not None and z == zone):
                zone, overridden = z, forced is not None
        if compound_id is not None:
            forced = announced_on(day)
            if forced is not None:
                zone, overridden = forced, True
        last = periods[-1] if periods else None
        if last and last["zone"] == zone and last["overridden"] == overridden:
            last["end_on"] = day
        else:
            periods.append({"zone": zone, "start_on": day, "end_on": day, "overridden": overridden})
        day += dt.timedelta(days=1)
    df = pd.DataFrame(periods)
    df["days"] = [(e - s).days + 1 for s, e in zip(df["start_on"], df["end_on"], strict=True)]
    return df[columns]


def zone_overrides(session: Session, as_of: dt.date) -> pd.DataFrame:
    """Announced zones recorded up to as_of (newest first), with the place they apply to."""
    rows = session.execute(
        select(
            ZoneChange.id.label("zone_change_id"),
            ZoneChange.building_id,
            ZoneChange.compound_id,
            func.coalesce(Compound.name, "").label("compound"),
            func.coalesce(Building.name, "").label("building"),
            ZoneChange.zone,
            ZoneChange.start_on,
            ZoneChange.end_on,
            ZoneChange.reason,
        )
        .outerjoin(Building, Building.id == ZoneChange.building_id)
        .outerjoin(Compound, Compound.id == func.coalesce(ZoneChange.compound_id, Building.compound_id))
        .where(ZoneChange.start_on <= as_of)
        .order_by(ZoneChange.start_on.desc(), ZoneChange.id.desc())
    ).mappings()
    return pd.DataFrame(
        rows.all(),
        columns=[
            "zone_change_id", "building_id", "compound_id", "compound", "building", "zone", "start_on",
            "end_on", "reason",
        ],
    )  # fmt: skip


def announce_zone(
    session: Session,
    user: CurrentUser,
    *,
    building_id: int | None = None,
    compound_id: int | None = None,
    zone: str,
    start_on: dt.date,
    end_on: dt.date | None = None,
    reason: str,
    now: dt.datetime | None = None,
) -> ZoneChange:
    """Record a zone announced for a building or compound (it overrides the rule for its period)."""
    now = now or config_now(session)
    if (building_id is None) == (compound_id is None):
        raise ValidationError("cases.zones.one_target")
    grid_id = None
    if building_id is not None:
        building = session.get(Building, building_id)
        if building is None:
            raise ValidationError("common.not_found", what=f"building {building_id}")
        grid_id = building.grid_id
    elif session.get(Compound, compound_id) is None:
        raise ValidationError("common.not_found", what=f"compound {compound_id}")
    roles.require(user, "cases.zone", grid_id=grid_id)
    zone = validate.choice(zone, ZONES, "cases.zones.zone")
    start_on = validate.day(start_on, today=now.date())
    if end_on is not None:
        end_on = validate.day(end_on, today=now.date(), not_before=start_on)
    reason = validate.text(reason, "cases.zones.reason", max_len=200)
    row = ZoneChange(
        building_id=building_id,
        compound_id=compound_id,
        zone=zone,
        start_on=start_on,
        end_on=end_on,
        reason=reason,
        user_id=user.id,
    )
    session.add(row)
    session.flush()
    audit.record(
        session, user, "cases.zone", "zone_change", row.id, grid_id=grid_id, after=audit.snapshot(row), at=now
    )
    return row


def end_announced_zone(
    session: Session,
    user: CurrentUser,
    zone_change_id: int,
    end_on: dt.date,
    *,
    now: dt.datetime | None = None,
) -> ZoneChange:
    """Close an announced zone on end_on (its last day); the rule decides again from the day after."""
    now = now or config_now(session)
    row = session.get(ZoneChange, zone_change_id) if isinstance(zone_change_id, int) else None
    if row is None:
        raise ValidationError("common.not_found", what=f"zone_change {zone_change_id}")
    grid_id = session.get(Building, row.building_id).grid_id if row.building_id is not None else None
    roles.require(user, "cases.zone", grid_id=grid_id)
    end_on = validate.day(end_on, today=now.date(), not_before=row.start_on)
    before = audit.snapshot(row)
    row.end_on = end_on
    session.flush()
    audit.record(
        session,
        user,
        "cases.zone_end",
        "zone_change",
        row.id,
        grid_id=grid_id,
        before=before,
        after=audit.snapshot(row),
        at=now,
    )
    return row
