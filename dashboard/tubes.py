"""Pooled tubes (10混1), single-tube retests, and antigen self-test line lists.

A tube reported abnormal puts all its members under control at once (their results become
'abnormal') and opens one single-tube retest each. A positive retest becomes a case; a negative
one releases the person (their result becomes 'negative'). A positive antigen self-test opens a
single-tube PCR recheck on its round in the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from dashboard import audit, config, roles, validate
from dashboard.errors import ValidationError
from dashboard.i18n import t
from dashboard.roles import CurrentUser
from dashboard.screening import OUT_OF_DUE, end_of, get_round, in_scope
from dashboard.store import check_version
from db.models import (
    CASE_SEVERITIES,
    Building,
    Compound,
    Grid,
    Household,
    Resident,
    Retest,
    ScreeningResult,
    ScreeningRound,
)

R = ScreeningResult


@dataclass(frozen=True)
class RetestOutcome:
    """What recording a retest did: the result and, for a positive, the case it opened."""

    retest_id: int
    result: str
    case_id: int | None


ANTIGEN_VALUES = ("negative", "positive", "not_done")
PLACE_COLUMNS = ["resident_id", "grid_id", "grid", "compound", "building", "room", "name", "phone"]


def _place_select() -> tuple:
    return (
        Resident.id,
        Building.grid_id,
        Grid.number,
        Compound.name,
        Building.name,
        Household.room,
        Resident.name,
        Resident.phone,
    )


def _with_place(stmt):  # noqa: ANN001, ANN202 - a Select gaining the joins to its resident's place
    return (
        stmt.join(Household, Household.id == Resident.household_id)
        .join(Building, Building.id == Household.building_id)
        .join(Compound, Compound.id == Building.compound_id)
        .outerjoin(Grid, Grid.id == Building.grid_id)
    )


# --- reads ----------------------------------------------------------------------------------


def tube_members(session: Session, round_id: int, tube_no: str) -> pd.DataFrame:
    """The residents pooled in one tube of a round, with their result and retest."""
    stmt = _with_place(
        select(*_place_select(), R.result, Retest.id, Retest.result)
        .select_from(R)
        .join(Resident, Resident.id == R.resident_id)
    )
    stmt = (
        stmt.outerjoin(Retest, and_(Retest.round_id == R.round_id, Retest.resident_id == R.resident_id))
        .where(R.round_id == round_id, R.tube_no == tube_no.strip())
        .order_by(Resident.id)
    )
    return pd.DataFrame(
        session.execute(stmt).all(), columns=[*PLACE_COLUMNS, "result", "retest_id", "retest_result"]
    )


def abnormal_tubes(session: Session, round_id: int) -> pd.DataFrame:
    """Tubes of a round with an abnormal member: tube_no, members, retests_open."""
    stmt = (
        select(
            R.tube_no,
            func.count(R.id),
            func.coalesce(func.sum(case((Retest.result == "pending", 1), else_=0)), 0),
        )
        .outerjoin(Retest, and_(Retest.round_id == R.round_id, Retest.resident_id == R.resident_id))
        .where(R.round_id == round_id, R.tube_no.is_not(None), R.result.in_(("abnormal", "positive")))
        .group_by(R.tube_no)
        .order_by(R.tube_no)
    )
    df = pd.DataFrame(
        [tuple(r) for r in session.execute(stmt)], columns=["tube_no", "members", "retests_open"]
    )
    return df.astype({"members": int, "retests_open": int})


UNDER_CONTROL_COLUMNS = [
    "retest_id",
    "version",
    "round_id",
    "kind",
    "number",
    "date",
    "tube_no",
    *PLACE_COLUMNS,
    "opened_at",
]


def under_control(session: Session, as_of: dt.date, grid_id: int | None = None) -> pd.DataFrame:
    """Residents with a single-tube retest open at the end of as_of (管控中), oldest first."""
    end = end_of(as_of)
    stmt = _with_place(
        select(
            Retest.id,
            Retest.version,
            Retest.round_id,
            ScreeningRound.kind,
            ScreeningRound.number,
            ScreeningRound.date,
            Retest.tube_no,
            *_place_select(),
            Retest.opened_at,
        )
        .select_from(Retest)
        .join(ScreeningRound, ScreeningRound.id == Retest.round_id)
        .join(Resident, Resident.id == Retest.resident_id)
    ).where(
        Retest.opened_at <= end,
        or_(Retest.result == "pending", Retest.result_at > end),
    )
    if grid_id is not None:
        stmt = stmt.where(Building.grid_id == grid_id)
    stmt = stmt.order_by(Retest.opened_at, Retest.id)
    return pd.DataFrame([tuple(r) for r in session.execute(stmt)], columns=UNDER_CONTROL_COLUMNS)


def households(session: Session, grid_id: int | None = None) -> pd.DataFrame:
    """Households for the antigen line-list form: household_id, grid_id, grid, compound, building, room, size."""
    stmt = (
        select(
            Household.id,
            Building.grid_id,
            Grid.number,
            Compound.name,
            Building.name,
            Household.room,
            Household.size,
        )
        .join(Building, Building.id == Household.building_id)
        .join(Compound, Compound.id == Building.compound_id)
        .outerjoin(Grid, Grid.id == Building.grid_id)
        .order_by(Grid.number, Compound.name, Building.name, Household.room)
    )
    if grid_id is not None:
        stmt = stmt.where(Building.grid_id == grid_id)
    return pd.DataFrame(
        session.execute(stmt).all(),
        columns=["household_id", "grid_id", "grid", "compound", "building", "room", "size"],
    )


def household_members(session: Session, household_id: int, round_id: int) -> pd.DataFrame:
    """The members of a household with what the round holds for each: resident_id, name, result, method."""
    rows = session.execute(
        select(Resident.id, Resident.name, Household.building_id, R.result, R.method, R.exempt_reason)
        .join(Household, Household.id == Resident.household_id)
        .outerjoin(R, and_(R.resident_id == Resident.id, R.round_id == round_id))
        .where(Resident.household_id == household_id)
        .order_by(Resident.birth_year, Resident.id)
    ).all()
    df = pd.DataFrame(
        rows, columns=["resident_id", "name", "building_id", "result", "method", "exempt_reason"]
    )
    return df.drop(columns=["building_id"])


# --- writes ---------------------------------------------------------------------------------


def _grid_of(session: Session, resident_id: int) -> int | None:
    return session.scalar(
        select(Building.grid_id)
        .join(Household, Household.building_id == Building.id)
        .join(Resident, Resident.household_id == Household.id)
        .where(Resident.id == resident_id)
    )


def mark_tube_abnormal(
    session: Session, user: CurrentUser, round_id: int, tube_no: str, *, now: dt.datetime | None = None
) -> list[int]:
    """Put every member of an abnormal tube under control and open a single-tube retest each; the retest ids."""
    now = now or config.now(session)
    tube_no = validate.text(tube_no, "screening.tube_no", max_len=30)
    rnd = get_round(session, round_id)
    if rnd.kind != "pcr":
        raise ValidationError("screening.tube_needs_pcr")
    members = session.execute(
        select(R, Building.grid_id)
        .join(Resident, Resident.id == R.resident_id)
        .join(Household, Household.id == Resident.household_id)
        .join(Building, Building.id == Household.building_id)
        .where(R.round_id == round_id, R.tube_no == tube_no)
        .order_by(R.resident_id)
    ).all()
    if not members:
        raise ValidationError("screening.no_tube", tube=tube_no)
    for grid_id in {g for _, g in members}:
        roles.require(user, "screening.tube", grid_id=grid_id)
    if now.date() < rnd.date:
        raise ValidationError("common.future_date", date=rnd.date.isoformat())
    have = set(
        session.scalars(
            select(Retest.resident_id).where(
                Retest.round_id == round_id, Retest.resident_id.in_([m.resident_id for m, _ in members])
            )
        )
    )
    opened: list[int] = []
    for result, grid_id in members:
        if result.resident_id in have:
            continue
        before = audit.snapshot(result)
        if result.result != "positive":
            result.result = "abnormal"
        retest = Retest(round_id=round_id, resident_id=result.resident_id, tube_no=tube_no, opened_at=now)
        session.add(retest)
        session.flush()
        opened.append(retest.id)
        audit.record(
            session,
            user,
            "screening.tube",
            "screening_result",
            result.id,
            grid_id=grid_id,
            before=before,
            after=audit.snapshot(result) | {"retest_id": retest.id},
            at=now,
        )
    if not opened:
        raise ValidationError("screening.tube_already_abnormal", tube=tube_no)
    return opened


def record_retest(
    session: Session,
    user: CurrentUser,
    retest_id: int,
    result: str,
    *,
    version: int,
    severity: str = "asymptomatic",
    now: dt.datetime | None = None,
) -> RetestOutcome:
    """Record a single-tube retest: positive → a case, negative → released."""
    now = now or config.now(session)
    result = validate.choice(result, ("negative", "positive"), "screening.retest_result")
    severity = validate.choice(severity, CASE_SEVERITIES, "screening.severity")
    retest = session.get(Retest, retest_id)
    if retest is None:
        raise ValidationError("common.not_found", what=t("screening.retest"))
    grid_id = _grid_of(session, retest.resident_id)
    roles.require(user, "screening.tube", grid_id=grid_id)
    check_version(retest, version)
    if retest.result != "pending":
        raise ValidationError("screening.retest_done")
    validate.moment(now, now=now, not_before=retest.opened_at)
    rnd = get_round(session, retest.round_id)
    before = audit.snapshot(retest)
    retest.result = result
    retest.result_at = now
    row = session.scalar(select(R).where(R.round_id == retest.round_id, R.resident_id == retest.resident_id))
    if row is not None:
        row.result = result
    case_id = None
    if result == "positive":
        channel = "pooled_retest" if rnd.kind == "pcr" else "antigen"
        case_id = _open_case(session, user, retest.resident_id, now, channel, severity, rnd.id)
        retest.case_id = case_id
    session.flush()
    audit.record(
        session,
        user,
        "screening.retest",
        "retest",
        retest.id,
        grid_id=grid_id,
        before=before,
        after=audit.snapshot(retest),
        at=now,
    )
    return RetestOutcome(retest.id, result, case_id)


def _open_case(
    session: Session,
    user: CurrentUser,
    resident_id: int,
    found_at: dt.datetime,
    channel: str,
    severity: str,
    round_id: int,
) -> int:
    """A case for a positive retest, through the case register (case, 'reported' step, transfer request)."""
    from dashboard import cases

    return cases.report_case(
        session, user, resident_id, found_at, channel, severity, source_round_id=round_id, now=found_at
    ).id


def record_household_antigen(
    session: Session,
    user: CurrentUser,
    round_id: int,
    household_id: int,
    results: Mapping[int, str],
    *,
    now: dt.datetime | None = None,
) -> dict[str, int]:
    """Enter a household's antigen self-tests at once (negative / positive / not done).

    A positive opens a single-tube PCR recheck on the round. Returns how many of each were recorded.
    """
    now = now or config.now(session)
    rnd = get_round(session, round_id)
    if rnd.kind != "antigen":
        raise ValidationError("screening.needs_antigen")
    household = session.get(Household, household_id)
    if household is None:
        raise ValidationError("common.not_found", what=t("common.household"))
    grid_id = session.scalar(select(Building.grid_id).where(Building.id == household.building_id))
    roles.require(user, "screening.result", grid_id=grid_id)
    if now.date() < rnd.date:
        raise ValidationError("common.future_date", date=rnd.date.isoformat())
    members = set(session.scalars(select(Resident.id).where(Resident.household_id == household_id)))
    values = {
        int(k): validate.choice(v, ANTIGEN_VALUES, "screening.antigen_result") for k, v in results.items()
    }
    if not values or not set(values) <= members:
        raise ValidationError("screening.not_household_members")
    if not in_scope(session, rnd, next(iter(values))):
        raise ValidationError("screening.not_in_scope")
    existing = {
        r.resident_id: r
        for r in session.scalars(select(R).where(R.round_id == round_id, R.resident_id.in_(list(values))))
    }
    counts = {v: 0 for v in ANTIGEN_VALUES}
    for resident_id, value in sorted(values.items()):
        row = existing.get(resident_id)
        before = audit.snapshot(row)
        counts[value] += 1
        if value == "not_done":
            if row is not None and row.method == "self" and row.import_id is None:
                session.delete(row)
                audit.record(
                    session,
                    user,
                    "screening.result",
                    "screening_result",
                    row.id,
                    grid_id=grid_id,
                    before=before,
                    at=now,
                )
            continue
        if row is None:
            row = ScreeningResult(round_id=round_id, resident_id=resident_id)
            session.add(row)
        if row.exempt_reason in OUT_OF_DUE:
            row.exempt_reason = None
        row.method, row.sampled_at, row.result = "self", now, value
        session.flush()
        audit.record(
            session,
            user,
            "screening.result",
            "screening_result",
            row.id,
            grid_id=grid_id,
            before=before,
            after=audit.snapshot(row),
            at=now,
        )
        if value == "positive":
            has_retest = session.scalar(
                select(Retest.id).where(Retest.round_id == round_id, Retest.resident_id == resident_id)
            )
            if has_retest is None:
                retest = Retest(round_id=round_id, resident_id=resident_id, opened_at=now)
                session.add(retest)
                session.flush()
                audit.record(
                    session,
                    user,
                    "screening.retest",
                    "retest",
                    retest.id,
                    grid_id=grid_id,
                    after=audit.snapshot(retest),
                    at=now,
                )
    return counts
