"""Screening rounds (核酸/抗原): the rounds and their scope, creating one (with who is exempt on its
day), and how a resident stands in a round as SQL conditions.

How a resident stands in a round (one screening_result row per resident and round, or none):
- sampled: a row without an exemption, or one with a sample method (a bedridden resident sampled at
  the door keeps the reason 'bedridden' and gets method 'door');
- exempt (left out of "due"): a row with reason transferred / quarantine / away and no sample;
- due: everyone in the round's scope who is not exempt; missed: due and not sampled.
Bedridden residents stay due (sampled door to door, 上门采样) and are counted separately.

Part of screening (dashboard/screening.py gathers its names).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import (
    ColumnElement,
    and_,
    bindparam,
    case,
    exists,
    func,
    insert,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session

from dashboard import audit, config, roles, validate, zones
from dashboard.config import end_of
from dashboard.errors import ValidationError
from dashboard.roles import CurrentUser
from db.models import (
    ROUND_KINDS,
    ROUND_SCOPES,
    Building,
    Case,
    Contact,
    Grid,
    Household,
    Resident,
    RoundSite,
    SamplingSite,
    ScreeningResult,
    ScreeningRound,
)
from db.reads import plain_reads

OUT_OF_DUE = ("transferred", "quarantine", "away")
R = ScreeningResult


# --- rounds ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundInfo:
    """One screening round as the pages and write functions see it."""

    id: int
    kind: str
    number: int
    date: dt.date
    scope: str
    scope_grid_id: int | None
    time_slots: str
    note: str


_ROUND_READ = select(
    ScreeningRound.id,
    ScreeningRound.kind,
    ScreeningRound.number,
    ScreeningRound.date,
    ScreeningRound.scope,
    ScreeningRound.scope_grid_id,
    ScreeningRound.time_slots,
    ScreeningRound.note,
).where(ScreeningRound.id == bindparam("round_id"))


def get_round(session: Session, round_id: int) -> RoundInfo:
    """The round, or ValidationError when there is no such round (a plain read: the ORM's loading
    costs more than the read)."""
    row = plain_reads(session).execute(_ROUND_READ, {"round_id": round_id}).first()
    if row is None:
        raise ValidationError("screening.no_round")
    return RoundInfo(*row)


def rounds(session: Session, as_of: dt.date, kind: str | None = None) -> pd.DataFrame:
    """Rounds held up to as_of, newest first (PCR before antigen on a day): round_id, kind, number, date,
    scope, grid, sites, time_slots, note."""
    stmt = (
        select(
            ScreeningRound.id,
            ScreeningRound.kind,
            ScreeningRound.number,
            ScreeningRound.date,
            ScreeningRound.scope,
            Grid.number,
            ScreeningRound.time_slots,
            ScreeningRound.note,
        )
        .outerjoin(Grid, Grid.id == ScreeningRound.scope_grid_id)
        .where(ScreeningRound.date <= as_of)
        .order_by(ScreeningRound.date.desc(), ScreeningRound.kind.desc(), ScreeningRound.number.desc())
    )
    if kind:
        stmt = stmt.where(ScreeningRound.kind == kind)
    cols = ["round_id", "kind", "number", "date", "scope", "grid", "time_slots", "note"]
    df = pd.DataFrame([tuple(r) for r in session.execute(stmt)], columns=cols)
    site_rows = session.execute(
        select(RoundSite.round_id, SamplingSite.name)
        .join(SamplingSite, SamplingSite.id == RoundSite.site_id)
        .join(ScreeningRound, ScreeningRound.id == RoundSite.round_id)
        .where(ScreeningRound.date <= as_of)
        .order_by(SamplingSite.name)
    ).all()
    names: dict[int, list[str]] = {}
    for round_id, name in site_rows:
        names.setdefault(round_id, []).append(name)
    df.insert(6, "sites", [", ".join(names.get(int(r), [])) for r in df["round_id"]])
    df["grid"] = df["grid"].astype("Int64")
    return df


def latest_round(session: Session, as_of: dt.date, kind: str | None = None) -> int | None:
    """The id of the newest round held up to as_of (of a kind), or None."""
    stmt = select(ScreeningRound.id).where(ScreeningRound.date <= as_of)
    if kind:
        stmt = stmt.where(ScreeningRound.kind == kind)
    return session.scalar(
        stmt.order_by(
            ScreeningRound.date.desc(), ScreeningRound.kind.desc(), ScreeningRound.number.desc()
        ).limit(1)
    )


def sampling_sites(session: Session) -> pd.DataFrame:
    """The sampling sites: site_id, name, grid."""
    rows = session.execute(
        select(SamplingSite.id, SamplingSite.name, Grid.number)
        .outerjoin(Grid, Grid.id == SamplingSite.grid_id)
        .order_by(SamplingSite.name)
    ).all()
    return pd.DataFrame(rows, columns=["site_id", "name", "grid"])


def grids(session: Session) -> pd.DataFrame:
    """The grids: grid_id, number, name."""
    rows = session.execute(select(Grid.id, Grid.number, Grid.name).order_by(Grid.number)).all()
    return pd.DataFrame(rows, columns=["grid_id", "number", "name"])


def sealed_building_ids(session: Session, day: dt.date) -> list[int]:
    """Buildings sealed as the day began (zone rule of dashboard/zones.py): sealed on the day and on the
    day before, so a building sealed by a case found during a round joins the next round, not this one."""

    def sealed(on: dt.date) -> set[int]:
        b = zones.building_zones(session, on)
        return set() if b.empty else {int(x) for x in b.loc[b["zone"] == "sealed", "building_id"]}

    return sorted(sealed(day) & sealed(day - dt.timedelta(days=1)))


def scope_clause(session: Session, rnd: RoundInfo) -> ColumnElement[bool]:
    """The condition on Building that selects the round's scope."""
    if rnd.scope == "grid":
        return Building.grid_id == rnd.scope_grid_id
    if rnd.scope == "sealed":
        return Building.id.in_(sealed_building_ids(session, rnd.date))
    return true()


def bound_scope(scope: str) -> ColumnElement[bool] | None:
    """scope_clause of a round of a scope with bound parameters (scope_params gives their values),
    for a statement built once; None for the whole area."""
    if scope == "grid":
        return Building.grid_id == bindparam("scope_grid_id")
    if scope == "sealed":
        return Building.id.in_(bindparam("scope_building_ids", expanding=True))
    return None


def scope_params(session: Session, rnd: RoundInfo) -> dict[str, Any]:
    """The values of bound_scope(rnd.scope)'s parameters for the round."""
    if rnd.scope == "grid":
        return {"scope_grid_id": rnd.scope_grid_id}
    if rnd.scope == "sealed":
        return {"scope_building_ids": sealed_building_ids(session, rnd.date)}
    return {}


def _exemptions_on(session: Session, day: dt.date, scope: ColumnElement[bool]) -> list[tuple[int, str]]:
    """(resident_id, reason) for residents in scope who are out of the round on a day.

    An unrecovered case → transferred; a contact not yet released → quarantine; away → away.
    """
    active_case = exists().where(
        Case.resident_id == Resident.id,
        Case.found_on <= day,
        or_(Case.recovered_on.is_(None), Case.recovered_on > day),
    )
    in_quarantine = exists().where(
        Contact.resident_id == Resident.id,
        Contact.identified_on <= day,
        or_(Contact.released_on.is_(None), Contact.released_on > day),
        or_(Contact.status != "released", Contact.released_on > day),
    )
    reason = case(
        (active_case, "transferred"),
        (in_quarantine, "quarantine"),
        (Resident.is_away, "away"),
        else_=None,
    )
    rows = session.execute(
        select(Resident.id, reason)
        .join(Household, Household.id == Resident.household_id)
        .join(Building, Building.id == Household.building_id)
        .where(scope, or_(active_case, in_quarantine, Resident.is_away))
    ).all()
    return [(int(r), str(why)) for r, why in rows if why]


def create_round(
    session: Session,
    user: CurrentUser,
    kind: str,
    date: dt.date,
    scope: str,
    *,
    scope_grid_id: int | None = None,
    site_ids: Iterable[int] = (),
    time_slots: str = "",
    note: str = "",
    now: dt.datetime | None = None,
) -> int:
    """Create a round (numbered on from the last of its kind) and record who is exempt on its day."""
    roles.require(user, "screening.round")
    now = now or config.now(session)
    kind = validate.choice(kind, ROUND_KINDS, "screening.kind")
    scope = validate.choice(scope, ROUND_SCOPES, "screening.scope")
    date = validate.day(date, today=now.date())
    time_slots = validate.text(time_slots, "screening.time_slots", max_len=200, required=False)
    note = validate.text(note, "common.note", max_len=200, required=False)
    if scope == "grid":
        if scope_grid_id is None or session.get(Grid, scope_grid_id) is None:
            raise ValidationError("screening.scope_grid_required")
    else:
        scope_grid_id = None
    site_ids = sorted({int(s) for s in site_ids})
    if site_ids:
        known = set(session.scalars(select(SamplingSite.id).where(SamplingSite.id.in_(site_ids))))
        if known != set(site_ids):
            raise ValidationError("screening.unknown_site")
    if scope == "sealed" and not sealed_building_ids(session, date):
        raise ValidationError("screening.no_sealed_buildings", date=date.isoformat())
    last = session.scalar(select(func.max(ScreeningRound.number)).where(ScreeningRound.kind == kind))
    row = ScreeningRound(
        kind=kind,
        number=int(last or 0) + 1,
        date=date,
        scope=scope,
        scope_grid_id=scope_grid_id,
        time_slots=time_slots,
        note=note,
        created_at=now,
    )
    row.sites = [RoundSite(site_id=s) for s in site_ids]
    session.add(row)
    session.flush()
    info = get_round(session, row.id)
    exempt = _exemptions_on(session, date, scope_clause(session, info))
    if exempt:
        session.execute(
            insert(ScreeningResult),
            [
                {"round_id": row.id, "resident_id": r, "result": "pending", "exempt_reason": why}
                for r, why in exempt
            ],
        )
    after = audit.snapshot(row) | {"site_ids": site_ids, "exempt": len(exempt)}
    audit.record(session, user, "screening.round", "screening_round", row.id, after=after, at=now)
    return row.id


# --- how a resident stands ------------------------------------------------------------------


def count_where(cond: ColumnElement[bool]) -> Any:
    """SUM of 1 where cond holds (0 for an empty group)."""
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


def status_exprs(as_of: dt.date | ColumnElement[Any]) -> dict[str, ColumnElement[bool]]:
    """How an outer-joined screening_result row stands as of a day (sampled, exempt, door, bedridden);
    as_of a day, or the end of one as a bound parameter (for a statement built once).

    Conditions on an outer-joined screening_result row (never NULL, so NOT works as expected)."""
    end = end_of(as_of) if isinstance(as_of, dt.date) else as_of
    has_row = R.id.is_not(None)
    reason = func.coalesce(R.exempt_reason, "")
    method = func.coalesce(R.method, "")
    sampled = and_(has_row, or_(reason == "", method != ""), or_(R.sampled_at.is_(None), R.sampled_at <= end))
    exempt = and_(reason.in_(OUT_OF_DUE), method == "")
    return {
        "sampled": sampled,
        "exempt": exempt,
        "door": and_(sampled, method == "door"),
        "bedridden": and_(or_(Resident.is_bedridden, reason == "bedridden"), ~exempt),
        "reason": reason,
    }


def _odd(as_of: dt.date) -> ColumnElement[bool]:
    """Result rows other than a plain sample taken by the end of as_of: exempt or bedridden, sampled at
    the door, or sampled later. Any other row (a NULL here from a NULL method or sampled_at included)
    is sampled, neither exempt nor at the door, and bedridden exactly when its resident is."""
    return or_(R.exempt_reason.is_not(None), R.method == "door", R.sampled_at > end_of(as_of))
