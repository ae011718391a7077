"""The targets disinfection requires on a day (消杀对象): every sealed building (dashboard/zones),
every building where a close contact under control that day lives (identified on or before the day,
not released by then), every sampling site used by a screening round that day, and every active
residents' route. Re-exported by dashboard/disinfection.py (the entry module).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from dashboard import config, zones
from db.models import (
    Building,
    Case,
    Compound,
    Contact,
    DisinfectionRoute,
    Grid,
    Household,
    Resident,
    RoundSite,
    SamplingSite,
    ScreeningRound,
    ZoneChange,
)

TARGET_COLUMNS = ["target_kind", "target_id", "target", "grid_id", "grid", "reason", "rounds_needed"]


def _building_names(session: Session, ids: list[int]) -> dict[int, tuple[str, int | None, int | None]]:
    if not ids:
        return {}
    rows = session.execute(
        select(Building.id, Compound.name, Building.name, Building.grid_id, Grid.number)
        .join(Compound, Compound.id == Building.compound_id)
        .outerjoin(Grid, Grid.id == Building.grid_id)
        .where(Building.id.in_(ids))
    ).all()
    return {b: (f"{c} {n}", g, num) for b, c, n, g, num in rows}


def close_contact_buildings(session: Session, day: dt.date) -> list[int]:
    """Buildings where a close contact lives who is under control on day (identified, not released)."""
    rows = session.scalars(
        select(Household.building_id)
        .join(Resident, Resident.household_id == Household.id)
        .join(Contact, Contact.resident_id == Resident.id)
        .where(
            Contact.kind == "close",
            Contact.identified_on <= day,
            or_(Contact.released_on.is_(None), Contact.released_on > day),
        )
        .distinct()
    ).all()
    return sorted(int(b) for b in rows)


def sealed_buildings(session: Session, day: dt.date) -> list[int]:
    """The buildings sealed on day (zones.building_zones() says "sealed"), by id, read narrowly: only
    a building with a case in the rule's last sealed_days can be sealed by the rule (zones.ZoneRule
    decides), and an announced zone (zone_change) replaces the rule's."""
    rule = zones.rule_for(session)
    recent = session.execute(
        select(Household.building_id, func.max(Case.found_on))
        .join(Resident, Resident.household_id == Household.id)
        .join(Case, Case.resident_id == Resident.id)
        .where(Case.found_on <= day, Case.found_on > day - dt.timedelta(days=rule.sealed_days))
        .group_by(Household.building_id)
    ).all()
    zone = {int(b): rule.zone(last, day) for b, last in recent}
    announced = session.execute(  # as zones reads them (the last of a building's applies)
        select(ZoneChange.building_id, ZoneChange.compound_id, ZoneChange.zone).where(
            ZoneChange.start_on <= day, or_(ZoneChange.end_on.is_(None), and_(ZoneChange.end_on >= day))
        )
    ).all()
    for b, _compound, forced in announced:
        if b is not None:
            zone[int(b)] = forced
    return sorted(b for b, z in zone.items() if z == "sealed")


def target_rows(
    session: Session, day: dt.date, buildings: pd.DataFrame | None, rounds_min: int | None = None
) -> list[tuple]:
    """The day's required targets as TARGET_COLUMNS rows: sealed buildings, the other buildings of
    close contacts, the sites of the day's rounds, the active routes (`rounds_min`: the rule
    disinfection_rounds_min when the caller has read it)."""
    if rounds_min is None:
        rounds_min = config.int_rule(session, "disinfection_rounds_min")
    if buildings is None:
        sealed = sealed_buildings(session, day)
    else:
        b = buildings
        sealed = [int(i) for i in b.loc[b["zone"] == "sealed", "building_id"]] if not b.empty else []
    contact = [i for i in close_contact_buildings(session, day) if i not in set(sealed)]
    names = _building_names(session, sealed + contact)
    out: list[tuple] = []
    for ids, reason, needed in ((sealed, "sealed", rounds_min), (contact, "close_contact", 1)):
        for i in ids:
            name, grid_id, grid = names[i]
            out.append(("building", i, name, grid_id, grid, reason, max(1, needed)))
    sites = session.execute(
        select(SamplingSite.id, SamplingSite.name, SamplingSite.grid_id, Grid.number)
        .join(RoundSite, RoundSite.site_id == SamplingSite.id)
        .join(ScreeningRound, ScreeningRound.id == RoundSite.round_id)
        .outerjoin(Grid, Grid.id == SamplingSite.grid_id)
        .where(ScreeningRound.date == day)
        .distinct()
        .order_by(SamplingSite.id)
    ).all()
    out += [("site", i, name, grid_id, grid, "site", 1) for i, name, grid_id, grid in sites]
    routes = session.execute(
        select(DisinfectionRoute.id, DisinfectionRoute.name)
        .where(DisinfectionRoute.active)
        .order_by(DisinfectionRoute.id)
    ).all()
    out += [("route", i, name, None, None, "route", 1) for i, name in routes]
    return out


def nullable_grids(df: pd.DataFrame) -> pd.DataFrame:
    """The grid columns as nullable integers (a route has no grid)."""
    df["grid_id"] = df["grid_id"].astype("Int64")
    df["grid"] = df["grid"].astype("Int64")
    return df


def required_targets(session: Session, day: dt.date, buildings: pd.DataFrame | None = None) -> pd.DataFrame:
    """The day's required targets: target_kind, target_id, target, grid_id, grid, reason, rounds_needed.

    `buildings` is zones.building_zones(session, day) when the caller already has it."""
    return nullable_grids(pd.DataFrame(target_rows(session, day, buildings), columns=TARGET_COLUMNS))
