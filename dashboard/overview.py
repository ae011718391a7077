"""The situation at a glance, as of a day: the headline figures every page and the brief share, the
KPI tiles of the overview with the lists behind them, the epidemic curve and the grid scoreboard.

Every figure is computed here from the schema with SQL aggregates, so the overview does not depend
on the area modules (screening, cases, supplies, recap) and a replayed day gives that day's view.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import and_, case, false, func, literal, or_, select
from sqlalchemy.orm import Session

from dashboard import config, zones
from dashboard.config import end_of
from db.models import (
    CASE_CHANNELS,
    Building,
    Case,
    Compound,
    Contact,
    Delivery,
    Entrance,
    EntranceChange,
    FollowUp,
    Grid,
    Household,
    MissedFollowUp,
    Person,
    Resident,
    ScreeningResult,
    ScreeningRound,
    SupplyBatch,
    Transfer,
)


def _count(session: Session, stmt: Any) -> int:
    return int(session.scalar(stmt) or 0)


def positives_by_day(session: Session, as_of: dt.date) -> dict[dt.date, int]:
    """New positives per day (by the day they were found), up to as_of."""
    rows = session.execute(
        select(Case.found_on, func.count()).where(Case.found_on <= as_of).group_by(Case.found_on)
    ).all()
    return {d: int(n) for d, n in rows}


def negative_streak(session: Session, as_of: dt.date, *, last: dt.date | None = None) -> int:
    """Consecutive days up to as_of with no new positive (counting as_of itself).

    last: the day of the latest positive up to as_of when the caller knows it (None: read it)."""
    if last is None:
        last = session.scalar(select(func.max(Case.found_on)).where(Case.found_on <= as_of))
    if last is None:
        first = session.scalar(select(func.min(ScreeningRound.date)).where(ScreeningRound.date <= as_of))
        return (as_of - first).days + 1 if first else 0
    return (as_of - last).days


def open_entrances(session: Session, as_of: dt.date) -> int:
    """Entrances open at the end of as_of (from their history; the current flag when there is none)."""
    end = end_of(as_of)
    latest = (
        select(EntranceChange.entrance_id, func.max(EntranceChange.at).label("at"))
        .where(EntranceChange.at <= end)
        .group_by(EntranceChange.entrance_id)
        .subquery()
    )
    rows = session.execute(
        select(Entrance.id, Entrance.is_open, EntranceChange.is_open)
        .outerjoin(latest, latest.c.entrance_id == Entrance.id)
        .outerjoin(
            EntranceChange,
            and_(EntranceChange.entrance_id == Entrance.id, EntranceChange.at == latest.c.at),
        )
    ).all()
    has_history = _count(session, select(func.count()).select_from(EntranceChange)) > 0
    if not has_history:
        return sum(1 for _, now_open, _ in rows if now_open)
    return sum(1 for _, _, was_open in rows if was_open)


def awaiting_transfer(session: Session, as_of: dt.date, *, contacts: bool = False) -> int:
    """Cases (or contacts) requested for transfer by the end of as_of and not yet moved then."""
    end = end_of(as_of)
    subject = Transfer.contact_id if contacts else Transfer.case_id
    return _count(
        session,
        select(func.count())
        .select_from(Transfer)
        .where(
            subject.is_not(None),
            Transfer.requested_at <= end,
            or_(Transfer.done_at.is_(None), Transfer.done_at > end),
        ),
    )


PLACES = (Compound, Grid, Building, Household, Resident)


def headline(session: Session, as_of: dt.date) -> dict[str, Any]:
    """The headline figures as of a day (the keys of `python -m dashboard brief --format json`)."""
    people = dict(
        session.execute(select(Person.kind, func.count()).where(Person.active).group_by(Person.kind)).all()
    )
    rounds = dict(
        session.execute(
            select(ScreeningRound.kind, func.count())
            .where(ScreeningRound.date <= as_of)
            .group_by(ScreeningRound.kind)
        ).all()
    )
    per_day = positives_by_day(session, as_of)
    peak_date, peak = (None, 0)
    if per_day:
        peak_date, peak = max(per_day.items(), key=lambda kv: (kv[1], -kv[0].toordinal()))
    zone_count = zones.zone_counts(session, as_of)
    # The five sizes in one statement.
    compounds, grids, buildings, households, residents = session.execute(
        select(*(select(func.count()).select_from(m).scalar_subquery() for m in PLACES))
    ).one()
    return {
        "date": as_of.isoformat(),
        "compounds": int(compounds),
        "grids": int(grids),
        "buildings": int(buildings),
        "households": int(households),
        "residents": int(residents),
        "staff": int(people.get("committee_staff", 0)),
        "cadres": int(people.get("cadre", 0)),
        "inner_field_staff": int(people.get("inner_field", 0)),
        "property_staff": int(people.get("property", 0)),
        "volunteers": int(people.get("volunteer", 0)),
        "guards": int(people.get("guard", 0)),
        "open_entrances": open_entrances(session, as_of),
        "pcr_rounds": int(rounds.get("pcr", 0)),
        "antigen_rounds": int(rounds.get("antigen", 0)),
        "new_positives": int(per_day.get(as_of, 0)),
        "new_positives_yesterday": int(per_day.get(as_of - dt.timedelta(days=1), 0)),
        "total_positives": int(sum(per_day.values())),
        "peak_new_positives": int(peak),
        "peak_date": peak_date.isoformat() if peak_date else None,
        "negative_streak_days": negative_streak(session, as_of, last=max(per_day) if per_day else None),
        "awaiting_transfer": awaiting_transfer(session, as_of),
        "contacts_awaiting_transfer": awaiting_transfer(session, as_of, contacts=True),
        "sealed_buildings": zone_count["sealed"],
        "controlled_buildings": zone_count["controlled"],
    }


# --- shared conditions ----------------------------------------------------------------------


def active_case(as_of: dt.date) -> Any:
    """A case found by as_of and not yet recovered then (still counted, wherever it is treated)."""
    return and_(Case.found_on <= as_of, or_(Case.recovered_on.is_(None), Case.recovered_on > as_of))


def reference_moment(session: Session, as_of: dt.date) -> dt.datetime:
    """The moment 'as of' a day means for waiting times: its end, or now when the day is today."""
    return min(end_of(as_of), config.now(session))


def _frame(rows: Any, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame([tuple(r) for r in rows], columns=columns)


def _grid_names(session: Session) -> pd.DataFrame:
    return _frame(
        session.execute(
            select(Grid.id, Grid.number, Grid.name, Person.name)
            .outerjoin(Person, Person.id == Grid.leader_id)
            .order_by(Grid.number)
        ).all(),
        ["grid_id", "grid", "grid_name", "leader"],
    )


# --- new positives and the epidemic curve ---------------------------------------------------


def new_cases(session: Session, as_of: dt.date) -> pd.DataFrame:
    """The cases found on as_of: found_at, channel, severity, status, name, grid_id, grid, compound, building."""
    rows = session.execute(
        select(
            Case.id,
            Case.found_at,
            Case.channel,
            Case.severity,
            Case.status,
            Resident.name,
            Building.grid_id,
            Grid.number,
            Compound.name,
            Building.name,
        )
        .join(Resident, Resident.id == Case.resident_id)
        .join(Household, Household.id == Resident.household_id)
        .join(Building, Building.id == Household.building_id)
        .join(Compound, Compound.id == Building.compound_id)
        .outerjoin(Grid, Grid.id == Building.grid_id)
        .where(Case.found_on == as_of)
        .order_by(Case.found_at, Case.id)
    ).all()
    return _frame(
        rows,
        [
            "case_id",
            "found_at",
            "channel",
            "severity",
            "status",
            "name",
            "grid_id",
            "grid",
            "compound",
            "building",
        ],
    )


def first_day(session: Session) -> dt.date | None:
    """The first day on record (first case or first screening round)."""
    days = [
        session.scalar(select(func.min(Case.found_on))),
        session.scalar(select(func.min(ScreeningRound.date))),
    ]
    days = [d for d in days if d is not None]
    return min(days) if days else None


def positives_by_channel(session: Session, as_of: dt.date, start: dt.date | None = None) -> pd.DataFrame:
    """New positives per day and channel from start (default: the first day on record) to as_of.

    Columns: date, channel, positives — every day present (zero days too), so the curve has no gaps.
    """
    start = start or first_day(session)
    if start is None or start > as_of:
        return pd.DataFrame(columns=["date", "channel", "positives"])
    rows = session.execute(
        select(Case.found_on, Case.channel, func.count())
        .where(Case.found_on >= start, Case.found_on <= as_of)
        .group_by(Case.found_on, Case.channel)
    ).all()
    counts = {(d, c): int(n) for d, c, n in rows}
    channels = [c for c in CASE_CHANNELS if any(k[1] == c for k in counts)] or [CASE_CHANNELS[0]]
    days = [start + dt.timedelta(days=i) for i in range((as_of - start).days + 1)]
    return pd.DataFrame(
        [(d, c, counts.get((d, c), 0)) for d in days for c in channels],
        columns=["date", "channel", "positives"],
    )


# --- screening coverage of the day's round --------------------------------------------------


@dataclass(frozen=True)
class RoundRef:
    """The round a day's screening coverage is about."""

    round_id: int
    number: int
    date: dt.date
    scope: str
    scope_grid_id: int | None


def day_round(session: Session, as_of: dt.date) -> RoundRef | None:
    """The day's round: the latest PCR round on or before as_of."""
    row = session.execute(
        select(
            ScreeningRound.id,
            ScreeningRound.number,
            ScreeningRound.date,
            ScreeningRound.scope,
            ScreeningRound.scope_grid_id,
        )
        .where(ScreeningRound.kind == "pcr", ScreeningRound.date <= as_of)
        .order_by(ScreeningRound.date.desc(), ScreeningRound.number.desc())
        .limit(1)
    ).first()
    return RoundRef(*row) if row else None


def _scope(session: Session, rnd: RoundRef) -> list[Any]:
    """Conditions on Building limiting residents to the round's scope."""
    if rnd.scope == "grid":
        return [Building.grid_id == rnd.scope_grid_id]
    if rnd.scope == "sealed":
        b = zones.building_zones(session, rnd.date)
        ids = [int(i) for i in b.loc[b["zone"] == "sealed", "building_id"]] if not b.empty else []
        return [Building.id.in_(ids)] if ids else [false()]
    return []


def _sampled(as_of: dt.date) -> Any:
    return and_(
        ScreeningResult.id.is_not(None),
        ScreeningResult.exempt_reason.is_(None),
        or_(ScreeningResult.sampled_at.is_(None), ScreeningResult.sampled_at <= end_of(as_of)),
    )


def _grouped(session: Session, stmt: Any, key: Any | None) -> dict[Any, list[int]]:
    """{key: counts} of a select of counts, grouped by key in key order (or one row under the key None)."""
    if key is None:
        return {None: [int(v or 0) for v in session.execute(stmt).one()]}
    rows = session.execute(stmt.group_by(key).order_by(key))
    return {row[0]: [int(v or 0) for v in row[1:]] for row in rows}


def residents_by_grid(session: Session, *where: Any) -> dict[int | None, int]:
    """Residents per grid_id (of the buildings matching where), in grid_id order."""
    stmt = (
        select(Building.grid_id, func.count(Resident.id))
        .select_from(Resident)
        .join(Household, Household.id == Resident.household_id)
        .join(Building, Building.id == Household.building_id)
        .where(*where)
    )
    return {k: v[0] for k, v in _grouped(session, stmt, Building.grid_id).items()}


def _screening_counts(
    session: Session,
    rnd: RoundRef,
    as_of: dt.date,
    *,
    by_grid: bool,
    residents: dict[int | None, int] | None = None,
) -> dict[int | None, list[int]]:
    """[in_scope, exempt, sampled] of the day's round per grid_id (or in total, under the key None).

    Grouped reads rather than one pass over every resident with their result: the residents in scope
    (or `residents`, everyone per grid, when the round covers everyone), the round's result rows, and
    the few rows that are not a plain sample by the end of the day (an exemption, or sampled later),
    whose status is worked out; every other row is sampled.
    """
    scope = _scope(session, rnd)
    key = Building.grid_id if by_grid else None
    keys = [key] if by_grid else []

    def placed(stmt: Any, *, results: bool) -> Any:
        """The resident's building joined when the grouping or the scope needs it."""
        if not (by_grid or scope):
            return stmt
        if results:
            stmt = stmt.join(Resident, Resident.id == ScreeningResult.resident_id)
        return (
            stmt.join(Household, Household.id == Resident.household_id)
            .join(Building, Building.id == Household.building_id)
            .where(*scope)
        )

    if residents is not None and rnd.scope == "all":
        in_scope = residents if by_grid else {None: sum(residents.values())}
    else:
        people = placed(select(*keys, func.count(Resident.id)).select_from(Resident), results=False)
        in_scope = {k: v[0] for k, v in _grouped(session, people, key).items()}
    this_round = ScreeningResult.round_id == rnd.round_id
    rows = _grouped(
        session, placed(select(*keys, func.count(ScreeningResult.id)).where(this_round), results=True), key
    )
    odd = select(
        *keys,
        func.count(ScreeningResult.id),
        func.sum(case((ScreeningResult.exempt_reason.is_not(None), 1), else_=0)),
        func.sum(case((_sampled(as_of), 1), else_=0)),
    ).where(
        this_round,
        or_(ScreeningResult.exempt_reason.is_not(None), ScreeningResult.sampled_at > end_of(as_of)),
    )
    odd_rows = _grouped(session, placed(odd, results=True), key)
    out = {}
    for k, n in in_scope.items():
        n_odd, exempt, sampled = odd_rows.get(k, [0, 0, 0])
        out[k] = [n, exempt, rows.get(k, [0])[0] - n_odd + sampled]
    return out


def screening_by_grid(
    session: Session, as_of: dt.date, *, residents: dict[int | None, int] | None = None
) -> pd.DataFrame:
    """Coverage of the day's round per grid: grid_id, in_scope, exempt, due, sampled, missed, coverage.

    Sampled = residents with a result row that is not an exemption; due = residents of the round's
    scope minus the exempt; coverage = sampled / due (NaN for a grid with nobody due). `residents`
    (residents_by_grid) saves reading them again when the caller has them.
    """
    columns = ["grid_id", "in_scope", "exempt", "due", "sampled", "missed", "coverage"]
    rnd = day_round(session, as_of)
    if rnd is None:
        return pd.DataFrame(columns=columns)
    counts = _screening_counts(session, rnd, as_of, by_grid=True, residents=residents)
    df = _frame([(k, *v) for k, v in counts.items()], ["grid_id", "in_scope", "exempt", "sampled"])
    for col in ("in_scope", "exempt", "sampled"):
        df[col] = df[col].fillna(0).astype(int)
    df["due"] = df["in_scope"] - df["exempt"]
    df["missed"] = df["due"] - df["sampled"]
    df["coverage"] = [s / d if d else float("nan") for s, d in zip(df["sampled"], df["due"], strict=True)]
    return df[columns]


def missed_residents(session: Session, as_of: dt.date) -> pd.DataFrame:
    """Residents due in the day's round with no result yet (漏检), with what their grid leader learned.

    Columns: grid_id, grid, compound, building, room, name, phone, outcome.
    """
    columns = ["grid_id", "grid", "compound", "building", "room", "name", "phone", "outcome"]
    rnd = day_round(session, as_of)
    if rnd is None:
        return pd.DataFrame(columns=columns)
    end = end_of(as_of)
    rows = session.execute(
        select(
            Building.grid_id,
            Grid.number,
            Compound.name,
            Building.name,
            Household.room,
            Resident.name,
            Resident.phone,
            MissedFollowUp.outcome,
        )
        .select_from(Resident)
        .join(Household, Household.id == Resident.household_id)
        .join(Building, Building.id == Household.building_id)
        .join(Compound, Compound.id == Building.compound_id)
        .outerjoin(Grid, Grid.id == Building.grid_id)
        .outerjoin(
            ScreeningResult,
            and_(ScreeningResult.round_id == rnd.round_id, ScreeningResult.resident_id == Resident.id),
        )
        .outerjoin(
            MissedFollowUp,
            and_(
                MissedFollowUp.round_id == rnd.round_id,
                MissedFollowUp.resident_id == Resident.id,
                MissedFollowUp.at <= end,
            ),
        )
        .where(
            *_scope(session, rnd),
            or_(
                ScreeningResult.id.is_(None),
                and_(ScreeningResult.exempt_reason.is_(None), ScreeningResult.sampled_at > end),
            ),
        )
        .order_by(Grid.number, Compound.name, Building.name, Household.room, Resident.id)
    ).all()
    return _frame(rows, columns)


# --- transfers ------------------------------------------------------------------------------


def transfer_queue(session: Session, as_of: dt.date) -> pd.DataFrame:
    """Cases and contacts waiting for transfer as of a day, longest wait first.

    Columns: kind (case | contact), name, grid_id, grid, compound, building, requested_at, hours, overdue.
    Waiting is counted from the transfer request to the end of as_of (or now, today).
    """
    columns = ["kind", "name", "grid_id", "grid", "compound", "building", "requested_at", "hours", "overdue"]
    ref = reference_moment(session, as_of)
    waiting = and_(
        Transfer.requested_at <= ref,
        or_(Transfer.done_at.is_(None), Transfer.done_at > ref),
    )
    place = (
        Building.grid_id,
        Grid.number,
        Compound.name,
        Building.name,
        Transfer.requested_at,
    )
    cases = session.execute(
        select(literal("case"), Resident.name, *place)
        .select_from(Transfer)
        .join(Case, Case.id == Transfer.case_id)
        .join(Resident, Resident.id == Case.resident_id)
        .join(Household, Household.id == Resident.household_id)
        .join(Building, Building.id == Household.building_id)
        .join(Compound, Compound.id == Building.compound_id)
        .outerjoin(Grid, Grid.id == Building.grid_id)
        .where(waiting)
    ).all()
    contacts = session.execute(
        select(literal("contact"), func.coalesce(Resident.name, Contact.outside_name), *place)
        .select_from(Transfer)
        .join(Contact, Contact.id == Transfer.contact_id)
        .outerjoin(Resident, Resident.id == Contact.resident_id)
        .outerjoin(Household, Household.id == Resident.household_id)
        .outerjoin(Building, Building.id == Household.building_id)
        .outerjoin(Compound, Compound.id == Building.compound_id)
        .outerjoin(Grid, Grid.id == Building.grid_id)
        .where(waiting)
    ).all()
    df = _frame(list(cases) + list(contacts), columns[:7])
    if df.empty:
        return pd.DataFrame(columns=columns)
    limit = config.int_rule(session, "transfer_overdue_hours")
    df["hours"] = [round(max(0.0, (ref - r).total_seconds() / 3600), 1) for r in df["requested_at"]]
    df["overdue"] = df["hours"] > limit
    return df.sort_values(["hours", "kind"], ascending=[False, True]).reset_index(drop=True)


# --- zones ----------------------------------------------------------------------------------


def zoned_buildings(session: Session, as_of: dt.date) -> pd.DataFrame:
    """Sealed and controlled buildings as of a day, with the day each steps down (解封倒计时).

    Columns: grid_id, grid, compound, building, zone, last_case, steps_down_on, days_left.
    """
    columns = ["grid_id", "grid", "compound", "building", "zone", "last_case", "steps_down_on", "days_left"]
    b = zones.building_zones(session, as_of)
    b = b[b["zone"] != "precaution"] if not b.empty else b
    if b.empty:
        return pd.DataFrame(columns=columns)
    ids = [int(i) for i in b["building_id"]]
    names = _frame(
        session.execute(
            select(Building.id, Grid.number, Compound.name, Building.name)
            .join(Compound, Compound.id == Building.compound_id)
            .outerjoin(Grid, Grid.id == Building.grid_id)
            .where(Building.id.in_(ids))
        ).all(),
        ["building_id", "grid", "compound", "building"],
    )
    df = b.merge(names, on="building_id")
    df["days_left"] = [(d - as_of).days if isinstance(d, dt.date) else None for d in df["steps_down_on"]]
    df["rank"] = df["zone"].map(zones.ORDER)
    df = df.sort_values(["rank", "grid", "compound", "building"]).reset_index(drop=True)
    return df[columns]


# --- supplies -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchRef:
    """The current supply batch and its rule."""

    batch_id: int
    name: str
    date: dt.date
    rule: str
    large_threshold: int
    large_portions: int


def current_batch(session: Session, as_of: dt.date) -> BatchRef | None:
    """The latest batch released or dated on or before as_of."""
    row = session.execute(
        select(
            SupplyBatch.id,
            SupplyBatch.name,
            SupplyBatch.date,
            SupplyBatch.rule,
            SupplyBatch.large_threshold,
            SupplyBatch.large_portions,
        )
        .where(or_(SupplyBatch.date <= as_of, SupplyBatch.released_at <= end_of(as_of)))
        .order_by(SupplyBatch.date.desc(), SupplyBatch.id.desc())
        .limit(1)
    ).first()
    return BatchRef(*row) if row else None


def _delivered_join(batch: BatchRef, as_of: dt.date) -> Any:
    return and_(
        Delivery.batch_id == batch.batch_id,
        Delivery.household_id == Household.id,
        Delivery.status == "delivered",
        Delivery.at <= end_of(as_of),
    )


def _portions(batch: BatchRef) -> Any:
    if batch.rule == "large_household":
        return case((Household.size >= batch.large_threshold, batch.large_portions), else_=1)
    return literal(1)


def _supply_units(
    session: Session, batch: BatchRef, as_of: dt.date, key: Any | None, *where: Any
) -> pd.DataFrame:
    """Entitled units (doors or households), how many were reached, and portions, per key (or in total
    when key is None: one row, key None).

    Two grouped reads: the units from the households, the reached ones from the batch's deliveries
    (at most one per household) with their households.
    """
    keys = [key] if key is not None else []
    placed = bool(keys or where)

    def grouped(stmt: Any, building_id: Any) -> dict[Any, list[int]]:
        if placed:
            stmt = stmt.join(Building, Building.id == building_id).where(*where)
        return _grouped(session, stmt, key)

    if batch.rule == "per_door":
        doors = select(Household.building_id, Household.door).distinct().subquery()
        units = grouped(select(*keys, func.count()).select_from(doors), doors.c.building_id)
        served = (
            select(Household.building_id, Household.door)
            .select_from(Delivery)
            .join(Household, _delivered_join(batch, as_of))
            .distinct()
            .subquery()
        )
        reached = grouped(select(*keys, func.count()).select_from(served), served.c.building_id)
        units = {k: [n, n] for k, (n,) in units.items()}
        reached = {k: [n, n] for k, (n,) in reached.items()}
    else:
        portions = _portions(batch)
        units = grouped(
            select(*keys, func.count(Household.id), func.sum(portions)).select_from(Household),
            Household.building_id,
        )
        reached = grouped(
            select(*keys, func.count(Household.id), func.sum(portions))
            .select_from(Delivery)
            .join(Household, _delivered_join(batch, as_of)),
            Household.building_id,
        )
    rows = []
    for k, (entitled, due) in units.items():
        got, got_portions = reached.get(k, [0, 0])
        rows.append((k, entitled, got, due, got_portions))
    df = _frame(rows, ["key", "entitled", "reached", "portions_due", "portions_reached"])
    for col in ("entitled", "reached", "portions_due", "portions_reached"):
        df[col] = df[col].fillna(0).astype(int)
    return df


def supply_by_grid(session: Session, as_of: dt.date) -> pd.DataFrame:
    """Coverage of the current batch per grid: grid_id, entitled, reached, portions_due, coverage."""
    columns = ["grid_id", "entitled", "reached", "portions_due", "portions_reached", "coverage"]
    batch = current_batch(session, as_of)
    if batch is None:
        return pd.DataFrame(columns=columns)
    df = _supply_units(session, batch, as_of, Building.grid_id).rename(columns={"key": "grid_id"})
    df["coverage"] = [
        r / e if e else float("nan") for r, e in zip(df["reached"], df["entitled"], strict=True)
    ]
    return df[columns]


def batch_coverage_of_building(
    session: Session, as_of: dt.date, building_id: int
) -> tuple[str | None, int, int]:
    """(current batch name, entitled units, reached units) for one building."""
    batch = current_batch(session, as_of)
    if batch is None:
        return None, 0, 0
    df = _supply_units(session, batch, as_of, Building.id, Building.id == building_id)
    if df.empty:
        return batch.name, 0, 0
    return batch.name, int(df["entitled"].sum()), int(df["reached"].sum())


def households_without_batch(session: Session, as_of: dt.date) -> pd.DataFrame:
    """Households (doors, under the per-door rule) the current batch has not reached.

    Columns: grid_id, grid, compound, building, door, room, head_name, size, portions.
    """
    columns = ["grid_id", "grid", "compound", "building", "door", "room", "head_name", "size", "portions"]
    batch = current_batch(session, as_of)
    if batch is None:
        return pd.DataFrame(columns=columns)
    base = (
        select(Household.building_id, Household.door)
        .select_from(Household)
        .join(Delivery, _delivered_join(batch, as_of))
    )
    place = (Building.grid_id, Grid.number, Compound.name, Building.name, Household.door)
    joins = (
        select()
        .select_from(Household)
        .join(Building, Building.id == Household.building_id)
        .join(Compound, Compound.id == Building.compound_id)
        .outerjoin(Grid, Grid.id == Building.grid_id)
    )
    if batch.rule == "per_door":
        served = base.subquery()
        rows = session.execute(
            joins.add_columns(
                *place,
                literal(""),
                func.min(Household.head_name),
                func.sum(Household.size),
                literal(1),
            )
            .outerjoin(
                served,
                and_(served.c.building_id == Household.building_id, served.c.door == Household.door),
            )
            .where(served.c.building_id.is_(None))
            .group_by(*place)
            .order_by(Grid.number, Compound.name, Building.name, Household.door)
        ).all()
    else:
        rows = session.execute(
            joins.add_columns(*place, Household.room, Household.head_name, Household.size, _portions(batch))
            .outerjoin(Delivery, _delivered_join(batch, as_of))
            .where(Delivery.id.is_(None))
            .order_by(Grid.number, Compound.name, Building.name, Household.room)
        ).all()
    return _frame(rows, columns)


# --- follow-ups -----------------------------------------------------------------------------


def _still_open(as_of: dt.date) -> Any:
    end = end_of(as_of)
    return and_(
        FollowUp.created_on <= as_of,
        or_(
            FollowUp.closed_at > end,
            and_(FollowUp.closed_at.is_(None), FollowUp.status == "open"),
        ),
    )


def open_follow_ups(session: Session, as_of: dt.date) -> pd.DataFrame:
    """Follow-ups (查遗补漏) created by as_of and not closed by then, oldest due first.

    Columns: follow_up_id, created_on, item, grid_id, grid, owner, due_on, days_overdue.
    """
    rows = session.execute(
        select(
            FollowUp.id,
            FollowUp.created_on,
            FollowUp.item,
            FollowUp.grid_id,
            Grid.number,
            FollowUp.owner,
            FollowUp.due_on,
        )
        .outerjoin(Grid, Grid.id == FollowUp.grid_id)
        .where(_still_open(as_of))
        .order_by(FollowUp.due_on, FollowUp.id)
    ).all()
    df = _frame(rows, ["follow_up_id", "created_on", "item", "grid_id", "grid", "owner", "due_on"])
    df["days_overdue"] = [max(0, (as_of - d).days) for d in df["due_on"]]
    return df


# --- the tiles ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kpis:
    """The figures of the overview's tiles as of one day."""

    as_of: dt.date
    new_positives: int
    negative_streak: int
    round_number: int | None
    round_date: dt.date | None
    screening_due: int
    screening_sampled: int
    screening_coverage: float | None
    awaiting_cases: int
    awaiting_contacts: int
    longest_wait_hours: float | None
    overdue_transfers: int
    sealed_buildings: int
    controlled_buildings: int
    batch_name: str | None
    supply_entitled: int
    supply_reached: int
    supply_coverage: float | None
    open_follow_ups: int
    overdue_follow_ups: int


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


@dataclass(frozen=True)
class DayParts:
    """The per-grid reads both the tiles and the scoreboard are made of (read once per day)."""

    screening: pd.DataFrame
    queue: pd.DataFrame
    supply: pd.DataFrame
    building_zones: pd.DataFrame
    residents: dict[int | None, int] | None = None  # residents_by_grid(), when read


def day_parts(session: Session, as_of: dt.date) -> DayParts:
    """Screening by grid, the transfer queue, supply by grid and every building's zone on a day."""
    residents = residents_by_grid(session)
    return DayParts(
        screening=screening_by_grid(session, as_of, residents=residents),
        queue=transfer_queue(session, as_of),
        supply=supply_by_grid(session, as_of),
        building_zones=zones.building_zones(session, as_of),
        residents=residents,
    )


def kpis(session: Session, as_of: dt.date, parts: DayParts | None = None) -> Kpis:
    """Every tile's figure as of a day (call again for the day before to get the change).

    Without parts, the totals are read as totals (no per-grid breakdown): the day before's tiles.
    """
    rnd = day_round(session, as_of)
    batch = current_batch(session, as_of)
    if parts is not None:
        screening, supply, b = parts.screening, parts.supply, parts.building_zones
        due, sampled = int(screening["due"].sum()), int(screening["sampled"].sum())
        entitled, reached = int(supply["entitled"].sum()), int(supply["reached"].sum())
        zone_count = b["zone"].value_counts().to_dict() if not b.empty else {}
        queue = parts.queue
    else:
        due = sampled = entitled = reached = 0
        if rnd is not None:
            in_scope, exempt, sampled = _screening_counts(session, rnd, as_of, by_grid=False)[None]
            due = in_scope - exempt
        if batch is not None:
            total = _supply_units(session, batch, as_of, None)
            entitled, reached = int(total["entitled"].sum()), int(total["reached"].sum())
        zone_count = zones.zone_counts(session, as_of)
        queue = transfer_queue(session, as_of)
    follow = session.execute(
        select(func.count(), func.sum(case((FollowUp.due_on < as_of, 1), else_=0))).where(_still_open(as_of))
    ).one()
    return Kpis(
        as_of=as_of,
        new_positives=_count(session, select(func.count()).select_from(Case).where(Case.found_on == as_of)),
        negative_streak=negative_streak(session, as_of),
        round_number=rnd.number if rnd else None,
        round_date=rnd.date if rnd else None,
        screening_due=due,
        screening_sampled=sampled,
        screening_coverage=_ratio(sampled, due),
        awaiting_cases=int((queue["kind"] == "case").sum()),
        awaiting_contacts=int((queue["kind"] == "contact").sum()),
        longest_wait_hours=float(queue["hours"].max()) if not queue.empty else None,
        overdue_transfers=int(queue["overdue"].sum()) if not queue.empty else 0,
        sealed_buildings=int(zone_count.get("sealed", 0)),
        controlled_buildings=int(zone_count.get("controlled", 0)),
        batch_name=batch.name if batch else None,
        supply_entitled=entitled,
        supply_reached=reached,
        supply_coverage=_ratio(reached, entitled),
        open_follow_ups=int(follow[0] or 0),
        overdue_follow_ups=int(follow[1] or 0),
    )


# --- the grid scoreboard --------------------------------------------------------------------

# Status of a grid on the scoreboard: alert (red) when something needs action today, watch
# (orange) while the grid is under restriction or has gaps, ok (green) otherwise.
SCREENING_ALERT_BELOW = 0.90
SCREENING_WATCH_BELOW = 0.98
SUPPLY_WATCH_BELOW = 0.95


def _status(row: Any) -> str:
    cov = row.screening_coverage
    if row.new_cases or row.overdue_transfers or (pd.notna(cov) and cov < SCREENING_ALERT_BELOW):
        return "alert"
    supply = row.supply_coverage
    if (
        row.sealed_buildings
        or row.awaiting_transfer
        or row.open_follow_ups
        or (pd.notna(cov) and cov < SCREENING_WATCH_BELOW)
        or (pd.notna(supply) and supply < SUPPLY_WATCH_BELOW)
    ):
        return "watch"
    return "ok"


def grid_scoreboard(session: Session, as_of: dt.date, parts: DayParts | None = None) -> pd.DataFrame:
    """One row per grid as of a day (计分板).

    Columns: grid_id, grid, grid_name, leader, households, residents, screening_coverage, missed,
    new_cases, active_cases, sealed_buildings, controlled_buildings, awaiting_transfer,
    overdue_transfers, supply_coverage, open_follow_ups, status (alert | watch | ok).
    """
    parts = parts or day_parts(session, as_of)
    df = _grid_names(session)
    residents = parts.residents if parts.residents is not None else residents_by_grid(session)
    households = session.execute(
        select(Building.grid_id, func.count(Household.id))
        .select_from(Household)
        .join(Building, Building.id == Household.building_id)
        .group_by(Building.grid_id)
    ).all()
    people = _frame(
        [(g, n, residents.get(g, 0)) for g, n in households], ["grid_id", "households", "residents"]
    )
    cases_by_grid = _frame(
        session.execute(
            select(
                Building.grid_id,
                func.sum(case((Case.found_on == as_of, 1), else_=0)),
                func.count(Case.id),
            )
            .select_from(Case)
            .join(Resident, Resident.id == Case.resident_id)
            .join(Household, Household.id == Resident.household_id)
            .join(Building, Building.id == Household.building_id)
            .where(active_case(as_of))
            .group_by(Building.grid_id)
        ).all(),
        ["grid_id", "new_cases", "active_cases"],
    )
    b = parts.building_zones
    zoned = (
        b.assign(
            sealed_buildings=(b["zone"] == "sealed").astype(int),
            controlled_buildings=(b["zone"] == "controlled").astype(int),
        )
        .groupby("grid_id", as_index=False)[["sealed_buildings", "controlled_buildings"]]
        .sum()
        if not b.empty
        else pd.DataFrame(columns=["grid_id", "sealed_buildings", "controlled_buildings"])
    )
    screening = parts.screening[["grid_id", "coverage", "missed"]].rename(
        columns={"coverage": "screening_coverage"}
    )
    supply = parts.supply[["grid_id", "coverage"]].rename(columns={"coverage": "supply_coverage"})
    queue = parts.queue
    waiting = (
        queue.dropna(subset=["grid_id"])
        .assign(awaiting_transfer=1, overdue_transfers=queue["overdue"].astype(int))
        .groupby("grid_id", as_index=False)[["awaiting_transfer", "overdue_transfers"]]
        .sum()
        if not queue.empty
        else pd.DataFrame(columns=["grid_id", "awaiting_transfer", "overdue_transfers"])
    )
    follow = _frame(
        session.execute(
            select(FollowUp.grid_id, func.count()).where(_still_open(as_of)).group_by(FollowUp.grid_id)
        ).all(),
        ["grid_id", "open_follow_ups"],
    )
    for part in (people, cases_by_grid, zoned, screening, supply, waiting, follow):
        part = part.dropna(subset=["grid_id"]).astype({"grid_id": int})
        df = df.merge(part, on="grid_id", how="left")
    counts = [
        "households",
        "residents",
        "missed",
        "new_cases",
        "active_cases",
        "sealed_buildings",
        "controlled_buildings",
        "awaiting_transfer",
        "overdue_transfers",
        "open_follow_ups",
    ]
    for col in counts:
        df[col] = df[col].fillna(0).astype(int)
    for col in ("screening_coverage", "supply_coverage"):
        df[col] = df[col].astype(float)
    df["status"] = [_status(r) for r in df.itertuples(index=False)]
    return df[
        [
            "grid_id",
            "grid",
            "grid_name",
            "leader",
            "households",
            "residents",
            "screening_coverage",
            "missed",
            "new_cases",
            "active_cases",
            "sealed_buildings",
            "controlled_buildings",
            "awaiting_transfer",
            "overdue_transfers",
            "supply_coverage",
            "open_follow_ups",
            "status",
        ]
    ]


@dataclass(frozen=True)
class DayView:
    """The tiles and the scoreboard of one day, from one set of reads."""

    kpis: Kpis
    scoreboard: pd.DataFrame


def day_view(session: Session, as_of: dt.date) -> DayView:
    """kpis() and grid_scoreboard() of a day together (the overview caches this one call)."""
    parts = day_parts(session, as_of)
    return DayView(kpis=kpis(session, as_of, parts), scoreboard=grid_scoreboard(session, as_of, parts))


def page_reads(session: Session, as_of: dt.date) -> dict[str, Any]:
    """Everything the overview page reads for a day, uncached: what `make bench` times as the cold cost.

    (The page also draws charts.epidemic_curve_json(session, as_of, lang) and the compact map
    maps.built_map(session, as_of, hour, tiles, lang, assets, compact=True).)
    """
    return {
        "headline": headline(session, as_of),
        "day": day_view(session, as_of),
        "kpis_day_before": kpis(session, as_of - dt.timedelta(days=1)),
        "curve": positives_by_channel(session, as_of),
    }
