"""The missed list of a screening round (漏检名单) and the exempt list, counted per grid too, and what
a grid leader records about a missed resident (the outcome, a sample at the door, an exemption).

Part of screening (dashboard/screening.py gathers its names).
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

import pandas as pd
from sqlalchemy import and_, bindparam, func, select, union_all
from sqlalchemy.orm import Session

from dashboard import audit, config, roles, validate
from dashboard.config import end_of
from dashboard.errors import ValidationError
from dashboard.i18n import code, t
from dashboard.roles import CurrentUser
from dashboard.screening_rounds import (
    OUT_OF_DUE,
    R,
    RoundInfo,
    _odd,
    bound_scope,
    get_round,
    scope_clause,
    scope_params,
    status_exprs,
)
from db.models import (
    EXEMPT_REASONS,
    MISSED_OUTCOMES,
    NOT_PLAIN,
    Building,
    Compound,
    Grid,
    Household,
    MissedFollowUp,
    Resident,
    ScreeningResult,
)
from db.reads import plain_reads


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
    df = pd.DataFrame([tuple(r) for r in session.execute(stmt)], columns=MISSED_COLUMNS)
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
    df = pd.DataFrame(
        [tuple(r) for r in session.execute(stmt)], columns=["grid_id", "grid", "missed", "followed"]
    )
    return df.astype({"missed": int, "followed": int})


EXEMPT_COLUMNS = ["resident_id", "grid_id", "grid", "compound", "building", "room", "name", "reason"]


@cache
def _exempt_read(scope: str, one_grid: bool) -> Any:
    """exempt_residents' read for a round of a scope, of every grid or of one (bound round_id, the
    scope's parameters and grid_id), built once. Only a row with a reason is exempt: the rows read are
    those of the round with a reason, which are not plain (NOT_PLAIN, implied by the reason, lets the
    planner read their partial index)."""
    condition = bound_scope(scope)
    stmt = (
        select(
            Resident.id,
            Building.grid_id,
            Grid.number,
            Compound.name,
            Building.name,
            Household.room,
            Resident.name,
            R.exempt_reason,
        )
        .select_from(R)
        .join(Resident, Resident.id == R.resident_id)
        .join(Household, Household.id == Resident.household_id)
        .join(Building, Building.id == Household.building_id)
        .join(Compound, Compound.id == Building.compound_id)
        .outerjoin(Grid, Grid.id == Building.grid_id)
        .where(
            R.round_id == bindparam("round_id"),
            R.exempt_reason.in_(OUT_OF_DUE),
            NOT_PLAIN,
            status_exprs(dt.date.min)["exempt"],  # (which does not depend on the day)
            *([] if condition is None else [condition]),
            *([Building.grid_id == bindparam("grid_id")] if one_grid else []),
        )
        .order_by(Grid.number, Compound.name, Building.name, Household.room, Resident.id)
    )
    return stmt


def exempt_residents(
    session: Session, round_id: int, as_of: dt.date, grid_id: int | None = None
) -> pd.DataFrame:
    """Residents left out of the round's 'due', with the reason (EXEMPT_COLUMNS, in the missed list's
    order). as_of is that of the other lists: an exemption holds whatever the day."""
    rnd = get_round(session, round_id)
    params = {"round_id": rnd.id, "grid_id": grid_id} | scope_params(session, rnd)
    rows = plain_reads(session).execute(_exempt_read(rnd.scope, grid_id is not None), params).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=EXEMPT_COLUMNS)


def why_missed(outcome: str | None, bedridden: bool, lang: str | None = None) -> str:
    """The reason a missed resident shows, in lang (default: the current language)."""
    if outcome:
        return code("missed_outcome", outcome, lang)
    if bedridden:
        return t("screening.why_bedridden", lang=lang)
    return t("screening.why_none", lang=lang)


# --- marks ----------------------------------------------------------------------------------


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
