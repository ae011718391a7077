"""Screening rounds (核酸/抗原): rounds, progress by grid and building, the missed list and its marks.

How a resident stands in a round (one screening_result row per resident and round, or none):
- sampled: a row without an exemption, or one with a sample method (a bedridden resident sampled at
  the door keeps the reason 'bedridden' and gets method 'door');
- exempt (left out of "due"): a row with reason transferred / quarantine / away and no sample;
- due: everyone in the round's scope who is not exempt; missed: due and not sampled.
Bedridden residents stay due (sampled door to door, 上门采样) and are counted separately.

Pooled tubes and retests live in dashboard/tubes.py, the import in dashboard/screening_import.py,
the missed-list workbook and the trends in dashboard/screening_reports.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, and_, case, exists, func, insert, or_, select, true, union_all
from sqlalchemy.orm import Session

from dashboard import audit, config, roles, validate, zones
from dashboard.config import end_of
from dashboard.errors import ValidationError
from dashboard.i18n import code, t
from dashboard.roles import CurrentUser
from db.models import (
    EXEMPT_REASONS,
    MISSED_OUTCOMES,
    ROUND_KINDS,
    ROUND_SCOPES,
    Building,
    Case,
    Compound,
    Contact,
    Grid,
    Household,
    MissedFollowUp,
    Resident,
    RoundSite,
    SamplingSite,
    ScreeningResult,
    ScreeningRound,
)

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


def get_round(session: Session, round_id: int) -> RoundInfo:
    """The round, or ValidationError when there is no such round."""
    row = session.get(ScreeningRound, round_id)
    if row is None:
        raise ValidationError("screening.no_round")
    return RoundInfo(
        row.id, row.kind, row.number, row.date, row.scope, row.scope_grid_id, row.time_slots, row.note
    )


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
    df = pd.DataFrame(session.execute(stmt).all(), columns=cols)
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


# --- progress -------------------------------------------------------------------------------


def count_where(cond: ColumnElement[bool]) -> Any:
    """SUM of 1 where cond holds (0 for an empty group)."""
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


def status_exprs(as_of: dt.date) -> dict[str, ColumnElement[bool]]:
    """How an outer-joined screening_result row stands as of a day (sampled, exempt, door, bedridden).

    Conditions on an outer-joined screening_result row (never NULL, so NOT works as expected)."""
    has_row = R.id.is_not(None)
    reason = func.coalesce(R.exempt_reason, "")
    method = func.coalesce(R.method, "")
    sampled = and_(
        has_row, or_(reason == "", method != ""), or_(R.sampled_at.is_(None), R.sampled_at <= end_of(as_of))
    )
    exempt = and_(reason.in_(OUT_OF_DUE), method == "")
    return {
        "sampled": sampled,
        "exempt": exempt,
        "door": and_(sampled, method == "door"),
        "bedridden": and_(or_(Resident.is_bedridden, reason == "bedridden"), ~exempt),
        "reason": reason,
    }


PROGRESS_COLUMNS = [
    "residents",
    "transferred",
    "quarantine",
    "away",
    "exempt",
    "due",
    "sampled",
    "door",
    "bedridden",
    "missed",
    "coverage",
]


@dataclass(frozen=True)
class RoundProgress:
    """Sampled against due for one round, by grid and by building, with the totals."""

    round: RoundInfo
    by_grid: pd.DataFrame
    by_building: pd.DataFrame
    totals: dict[str, float]


def _finish(df: pd.DataFrame) -> pd.DataFrame:
    df["exempt"] = df["transferred"] + df["quarantine"] + df["away"]
    df["due"] = df["residents"] - df["exempt"]
    df["missed"] = df["due"] - df["sampled"]
    df["coverage"] = (df["sampled"] / df["due"].where(df["due"] > 0)).fillna(0.0).round(4)
    return df


def _odd(as_of: dt.date) -> ColumnElement[bool]:
    """Result rows other than a plain sample taken by the end of as_of: exempt or bedridden, sampled at
    the door, or sampled later. Any other row (a NULL here from a NULL method or sampled_at included)
    is sampled, neither exempt nor at the door, and bedridden exactly when its resident is."""
    return or_(R.exempt_reason.is_not(None), R.method == "door", R.sampled_at > end_of(as_of))


STATUS_COUNTS = ["residents", "transferred", "quarantine", "away", "sampled", "door", "bedridden"]


def _status_counts(
    session: Session, rnd: RoundInfo, as_of: dt.date, scope: ColumnElement[bool], *, by: str | None
) -> dict[int | None, list[int]]:
    """STATUS_COUNTS of a round as of a day per building_id (by="building"), per grid_id (by="grid")
    or in total (by=None, under the key None).

    Three grouped reads rather than one pass working out every resident's status: the residents in
    scope (and the bedridden among them), the round's result rows, and the few _odd rows whose status
    status_exprs works out; the rest of the rows are plain samples.
    """
    s = status_exprs(as_of)
    scoped = rnd.scope != "all"
    key = {"building": [Household.building_id], "grid": [Building.grid_id], None: []}[by]

    def placed(stmt: Any) -> Any:
        """The resident's place joined when the grouping or the scope needs it, grouped by key."""
        if by or scoped:
            stmt = stmt.join(Household, Household.id == Resident.household_id)
        if by == "grid" or scoped:
            stmt = stmt.join(Building, Building.id == Household.building_id).where(scope)
        return stmt.group_by(*key)

    def read(stmt: Any) -> dict[int | None, list[int]]:
        if key:
            return {row[0]: [int(v or 0) for v in row[1:]] for row in session.execute(stmt)}
        return {None: [int(v or 0) for v in session.execute(stmt).one()]}

    people = read(
        placed(
            select(*key, func.count(Resident.id), count_where(Resident.is_bedridden)).select_from(Resident)
        )
    )
    rows = select(*key, func.count(R.id)).select_from(R).where(R.round_id == rnd.id)
    with_row = read(placed(rows.join(Resident, Resident.id == R.resident_id)) if key or scoped else rows)
    odd = read(
        placed(
            select(
                *key,
                func.count(R.id),
                count_where(and_(s["exempt"], s["reason"] == "transferred")),
                count_where(and_(s["exempt"], s["reason"] == "quarantine")),
                count_where(and_(s["exempt"], s["reason"] == "away")),
                count_where(s["sampled"]),
                count_where(s["door"]),
                count_where(s["bedridden"]),
                count_where(Resident.is_bedridden),
            )
            .select_from(R)
            .join(Resident, Resident.id == R.resident_id)
            .where(R.round_id == rnd.id, _odd(as_of))
        )
    )
    out = {}
    for k, (residents, bedridden) in people.items():
        n_odd, transferred, quarantine, away, sampled, door, odd_bedridden, odd_flagged = odd.get(k, [0] * 8)
        plain = with_row.get(k, [0])[0] - n_odd
        out[k] = [
            residents,
            transferred,
            quarantine,
            away,
            plain + sampled,
            door,
            bedridden - odd_flagged + odd_bedridden,
        ]
    return out


def _totals(counts: dict[str, int]) -> dict[str, float]:
    totals: dict[str, float] = dict(counts)
    totals["exempt"] = counts["transferred"] + counts["quarantine"] + counts["away"]
    totals["due"] = counts["residents"] - totals["exempt"]
    totals["missed"] = totals["due"] - counts["sampled"]
    totals["coverage"] = round(counts["sampled"] / totals["due"], 4) if totals["due"] else 0.0
    return totals


def round_totals(session: Session, round_id: int, as_of: dt.date) -> dict[str, float]:
    """round_progress(...).totals alone, without the per-building breakdown (cheaper)."""
    rnd = get_round(session, round_id)
    counted = _status_counts(session, rnd, as_of, scope_clause(session, rnd), by=None)[None]
    return _totals(dict(zip(STATUS_COUNTS, counted, strict=True)))


def round_progress(session: Session, round_id: int, as_of: dt.date) -> RoundProgress:
    """Residents, exempt, due, sampled (door to door among them), bedridden and missed per grid and building."""
    rnd = get_round(session, round_id)
    counted = _status_counts(session, rnd, as_of, scope_clause(session, rnd), by="building")
    places = session.execute(
        select(Building.id, Building.grid_id, Grid.number, Compound.name, Building.name)
        .join(Compound, Compound.id == Building.compound_id)
        .outerjoin(Grid, Grid.id == Building.grid_id)
        .order_by(Grid.number, Compound.name, Building.name)
    ).all()
    counts = STATUS_COUNTS
    b = pd.DataFrame(
        [(*place, *counted[place[0]]) for place in places if place[0] in counted],
        columns=["building_id", "grid_id", "grid", "compound", "building", *counts],
    )
    for col in counts:
        b[col] = b[col].astype(int)
    b = _finish(b)
    if b.empty:
        g = pd.DataFrame(columns=["grid_id", "grid", *PROGRESS_COLUMNS])
    else:
        g = (
            b.assign(grid_id=b["grid_id"].fillna(-1), grid=b["grid"].fillna(0))
            .groupby(["grid_id", "grid"], as_index=False)[counts]
            .sum()
        )
        g = _finish(g)
        g["grid_id"] = g["grid_id"].astype(int).replace(-1, None)
        g["grid"] = g["grid"].astype(int)
    totals = _totals({c: int(b[c].sum()) if not b.empty else 0 for c in counts})
    b["grid"] = b["grid"].astype("Int64")
    return RoundProgress(rnd, g[["grid_id", "grid", *PROGRESS_COLUMNS]], b, totals)


def round_by_grid(session: Session, round_id: int, as_of: dt.date) -> pd.DataFrame:
    """round_progress(...).by_grid alone, counted per grid without the per-building breakdown."""
    rnd = get_round(session, round_id)
    counted = _status_counts(session, rnd, as_of, scope_clause(session, rnd), by="grid")
    numbers = dict(session.execute(select(Grid.id, Grid.number)).all())
    rows = sorted(
        ((-1 if g is None else g, numbers.get(g) or 0, *counts) for g, counts in counted.items()),
        key=lambda r: r[0],
    )
    g = pd.DataFrame(rows, columns=["grid_id", "grid", *STATUS_COUNTS])
    if g.empty:
        return pd.DataFrame(columns=["grid_id", "grid", *PROGRESS_COLUMNS])
    g = _finish(g.astype(int))
    g["grid_id"] = g["grid_id"].astype(int).replace(-1, None)
    return g[["grid_id", "grid", *PROGRESS_COLUMNS]]


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


# --- the missed list (漏检名单) --------------------------------------------------------------


def _people_select(rnd: RoundInfo, as_of: dt.date, *, results: str = "outer") -> Any:
    """Residents of the round's scope with their place and their follow-up (as of the day).

    results="inner" keeps only residents with a result row in the round (read from those rows first).
    """
    F = MissedFollowUp
    on_result = and_(R.round_id == rnd.id, R.resident_id == Resident.id)
    stmt = select(
        Resident.id.label("resident_id"),
        Building.grid_id,
        Grid.number.label("grid"),
        Compound.name.label("compound"),
        Building.name.label("building"),
        Household.room,
        Resident.name,
        Resident.phone,
        Resident.is_bedridden.label("bedridden"),
        F.outcome,
        F.note,
        F.at,
    )
    if results == "inner":
        stmt = stmt.select_from(R).join(Resident, on_result)
    else:
        stmt = stmt.select_from(Resident)
    stmt = (
        stmt.join(Household, Household.id == Resident.household_id)
        .join(Building, Building.id == Household.building_id)
        .join(Compound, Compound.id == Building.compound_id)
        .outerjoin(Grid, Grid.id == Building.grid_id)
    )
    if results != "inner":
        stmt = stmt.outerjoin(R, on_result)
    return stmt.outerjoin(
        F, and_(F.round_id == rnd.id, F.resident_id == Resident.id, F.at <= end_of(as_of))
    ).order_by(Grid.number, Compound.name, Building.name, Household.room, Resident.id)


MISSED_COLUMNS = [
    "resident_id",
    "grid_id",
    "grid",
    "compound",
    "building",
    "room",
    "name",
    "phone",
    "bedridden",
    "outcome",
    "outcome_note",
    "outcome_at",
]


def _missed_candidates(rnd: RoundInfo, as_of: dt.date) -> Any:
    """The ids of the residents who may be missed in the round: those without a row in it and those
    with an _odd row (a plain row is a sample). Found from the indexes before anyone is placed."""
    return union_all(
        select(Resident.id)
        .outerjoin(R, and_(R.round_id == rnd.id, R.resident_id == Resident.id))
        .where(R.id.is_(None)),
        select(R.resident_id).where(R.round_id == rnd.id, _odd(as_of)),
    )


def missed_residents(
    session: Session, round_id: int, as_of: dt.date, grid_id: int | None = None
) -> pd.DataFrame:
    """Residents due in the round and not sampled (as of the day), with what their grid leader learned."""
    rnd = get_round(session, round_id)
    s = status_exprs(as_of)
    stmt = _people_select(rnd, as_of).where(
        Resident.id.in_(_missed_candidates(rnd, as_of)),
        scope_clause(session, rnd),
        ~s["exempt"],
        ~s["sampled"],
    )
    if grid_id is not None:
        stmt = stmt.where(Building.grid_id == grid_id)
    df = pd.DataFrame(session.execute(stmt).all(), columns=MISSED_COLUMNS)
    df["bedridden"] = df["bedridden"].astype(bool)
    df["grid"] = df["grid"].astype("Int64")
    return df


def missed_by_grid(
    session: Session, round_id: int, as_of: dt.date, *, followed_only: bool = False
) -> pd.DataFrame:
    """How many residents missed_residents() lists per grid: grid_id, grid, missed, followed (those
    with an outcome recorded by the end of the day), grid_id order.

    followed_only counts the followed alone, read from the round's follow-ups (missed = followed then).
    """
    rnd = get_round(session, round_id)
    s = status_exprs(as_of)
    F = MissedFollowUp
    end = end_of(as_of)
    if followed_only:
        candidates: Any = select(F.resident_id).where(F.round_id == rnd.id, F.at <= end)
    else:
        candidates = _missed_candidates(rnd, as_of)
    stmt = (
        select(Building.grid_id, Grid.number, func.count(Resident.id), func.count(F.outcome))
        .select_from(Resident)
        .join(Household, Household.id == Resident.household_id)
        .join(Building, Building.id == Household.building_id)
        .outerjoin(Grid, Grid.id == Building.grid_id)
        .outerjoin(R, and_(R.round_id == rnd.id, R.resident_id == Resident.id))
        .outerjoin(F, and_(F.round_id == rnd.id, F.resident_id == Resident.id, F.at <= end))
        .where(Resident.id.in_(candidates), scope_clause(session, rnd), ~s["exempt"], ~s["sampled"])
        .group_by(Building.grid_id, Grid.number)
        .order_by(Building.grid_id)
    )
    if followed_only:
        stmt = stmt.where(F.outcome.is_not(None))
    df = pd.DataFrame(session.execute(stmt).all(), columns=["grid_id", "grid", "missed", "followed"])
    return df.astype({"missed": int, "followed": int})


def exempt_residents(
    session: Session, round_id: int, as_of: dt.date, grid_id: int | None = None
) -> pd.DataFrame:
    """Residents left out of the round's 'due', with the reason."""
    rnd = get_round(session, round_id)
    s = status_exprs(as_of)
    base = _people_select(rnd, as_of, results="inner").add_columns(R.exempt_reason.label("reason"))
    # Only a row with a reason is exempt: the rows read are those of the round with a reason.
    stmt = base.where(
        R.round_id == rnd.id, R.exempt_reason.in_(OUT_OF_DUE), scope_clause(session, rnd), s["exempt"]
    )
    if grid_id is not None:
        stmt = stmt.where(Building.grid_id == grid_id)
    df = pd.DataFrame(session.execute(stmt).all(), columns=[*MISSED_COLUMNS, "reason"])
    return df[["resident_id", "grid_id", "grid", "compound", "building", "room", "name", "reason"]]


def why_missed(outcome: str | None, bedridden: bool) -> str:
    """The reason a missed resident shows, in the current language."""
    if outcome:
        return code("missed_outcome", outcome)
    if bedridden:
        return t("screening.why_bedridden")
    return t("screening.why_none")


def _resident_place(session: Session, resident_id: int) -> tuple[Resident, int | None]:
    res = session.get(Resident, resident_id)
    if res is None:
        raise ValidationError("common.not_found", what=t("common.resident"))
    grid_id = session.scalar(
        select(Building.grid_id)
        .join(Household, Household.building_id == Building.id)
        .where(Household.id == res.household_id)
    )
    return res, grid_id


def in_scope(session: Session, rnd: RoundInfo, resident_id: int) -> bool:
    """True when the resident belongs to the round's scope."""
    found = session.scalar(
        select(Resident.id)
        .join(Household, Household.id == Resident.household_id)
        .join(Building, Building.id == Household.building_id)
        .where(Resident.id == resident_id, scope_clause(session, rnd))
    )
    return found is not None


def _is_sampled(row: ScreeningResult | None) -> bool:
    return row is not None and (row.exempt_reason is None or row.method is not None)


def _checked_target(
    session: Session, user: CurrentUser, action: str, round_id: int, resident_id: int, now: dt.datetime
) -> tuple[RoundInfo, int | None, ScreeningResult | None]:
    rnd = get_round(session, round_id)
    _res, grid_id = _resident_place(session, resident_id)
    roles.require(user, action, grid_id=grid_id)
    if rnd.date > now.date():
        raise ValidationError("common.future_date", date=rnd.date.isoformat())
    if not in_scope(session, rnd, resident_id):
        raise ValidationError("screening.not_in_scope")
    row = session.scalar(select(R).where(R.round_id == round_id, R.resident_id == resident_id))
    return rnd, grid_id, row


def mark_missed(
    session: Session,
    user: CurrentUser,
    round_id: int,
    resident_id: int,
    outcome: str,
    *,
    note: str = "",
    tube_no: str = "",
    now: dt.datetime | None = None,
) -> int:
    """Record what the grid leader learned about a missed resident; door_sampled also records the sample."""
    now = now or config.now(session)
    outcome = validate.choice(outcome, MISSED_OUTCOMES, "screening.outcome")
    note = validate.text(note, "common.note", max_len=200, required=False)
    tube_no = validate.text(tube_no, "screening.tube_no", max_len=30, required=False)
    rnd, grid_id, result = _checked_target(session, user, "screening.missed", round_id, resident_id, now)
    if _is_sampled(result):
        raise ValidationError("screening.already_sampled")
    if result is not None and result.exempt_reason in OUT_OF_DUE:
        raise ValidationError("screening.is_exempt", reason=code("exempt_reason", result.exempt_reason))
    follow = session.scalar(
        select(MissedFollowUp).where(
            MissedFollowUp.round_id == round_id, MissedFollowUp.resident_id == resident_id
        )
    )
    before = audit.snapshot(follow)
    if follow is None:
        follow = MissedFollowUp(round_id=round_id, resident_id=resident_id, outcome=outcome)
        session.add(follow)
    follow.outcome, follow.note, follow.at, follow.user_id = outcome, note, now, user.id
    session.flush()
    audit.record(
        session,
        user,
        "screening.missed",
        "missed_followup",
        follow.id,
        grid_id=grid_id,
        before=before,
        after=audit.snapshot(follow),
        at=now,
    )
    if outcome == "door_sampled":
        before_result = audit.snapshot(result)
        if result is None:
            result = ScreeningResult(round_id=round_id, resident_id=resident_id, result="pending")
            session.add(result)
        result.method = "door"
        result.sampled_at = now
        result.tube_no = tube_no or result.tube_no
        session.flush()
        audit.record(
            session,
            user,
            "screening.result",
            "screening_result",
            result.id,
            grid_id=grid_id,
            before=before_result,
            after=audit.snapshot(result),
            at=now,
        )
    return follow.id


def mark_exempt(
    session: Session,
    user: CurrentUser,
    round_id: int,
    resident_id: int,
    reason: str,
    *,
    now: dt.datetime | None = None,
) -> int:
    """Leave a resident out of a round's 'due' (transferred, in quarantine, away), or mark them bedridden."""
    now = now or config.now(session)
    reason = validate.choice(reason, EXEMPT_REASONS, "screening.exempt_reason")
    _rnd, grid_id, result = _checked_target(session, user, "screening.missed", round_id, resident_id, now)
    if _is_sampled(result):
        raise ValidationError("screening.already_sampled")
    before = audit.snapshot(result)
    if result is None:
        result = ScreeningResult(round_id=round_id, resident_id=resident_id, result="pending")
        session.add(result)
    result.exempt_reason = reason
    session.flush()
    audit.record(
        session,
        user,
        "screening.exempt",
        "screening_result",
        result.id,
        grid_id=grid_id,
        before=before,
        after=audit.snapshot(result),
        at=now,
    )
    return result.id
