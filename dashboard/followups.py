"""Follow-ups (查遗补漏): gaps found at the recap, each with an owner and a due day, until closed.

Open follow-ups from earlier days are carried over (and highlighted) until someone closes them and
says what was done. A follow-up made from a generated problem keeps the problem's key, so the same
problem cannot be turned into two follow-ups.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from dashboard import audit, config, validate
from dashboard.errors import JuweiError, ValidationError
from dashboard.roles import CurrentUser, require
from dashboard.store import check_version
from db.models import FollowUp, Grid


def create_followup(
    session: Session,
    user: CurrentUser,
    item: str,
    *,
    grid_id: int | None,
    owner: str = "",
    due_on: dt.date | None = None,
    problem_key: str | None = None,
    created_on: dt.date | None = None,
) -> FollowUp:
    """Open a follow-up (default due: today); a grid leader only for their own grid."""
    today = config.today(session)
    item = validate.text(item, "recap.item", max_len=300)
    owner = validate.text(owner, "recap.owner", max_len=60, required=False)
    created_on = validate.day(created_on or today, today=today)
    due_on = due_on or created_on
    if not isinstance(due_on, dt.date):
        raise ValidationError("common.bad_date", value=due_on)
    if due_on < created_on:
        raise ValidationError("recap.due_before_created")
    if grid_id is not None and session.get(Grid, grid_id) is None:
        raise JuweiError("common.not_found", what=f"grid {grid_id}")
    require(user, "recap.followup", grid_id=grid_id)
    if problem_key:
        problem_key = validate.text(problem_key, "recap.item", max_len=120)
        if session.scalar(select(FollowUp.id).where(FollowUp.problem_key == problem_key)) is not None:
            raise ValidationError("recap.already_followed")
    row = FollowUp(
        created_on=created_on,
        item=item,
        grid_id=grid_id,
        owner=owner,
        due_on=due_on,
        status="open",
        problem_key=problem_key or None,
        user_id=user.id,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        user,
        "recap.followup_create",
        "follow_up",
        row.id,
        grid_id=grid_id,
        after=audit.snapshot(row),
    )
    return row


def close_followup(
    session: Session,
    user: CurrentUser,
    followup_id: int,
    resolution: str,
    *,
    expected_version: int | None = None,
    at: dt.datetime | None = None,
) -> FollowUp:
    """Close a follow-up, saying what was done."""
    row = session.get(FollowUp, followup_id)
    if row is None:
        raise JuweiError("common.not_found", what=f"follow-up {followup_id}")
    require(user, "recap.followup", grid_id=row.grid_id)
    check_version(row, expected_version)
    if row.status == "closed":
        raise ValidationError("recap.already_closed")
    resolution = validate.text(resolution, "recap.resolution", max_len=300)
    now = config.now(session)
    at = validate.moment(at or now, now=now, not_before=dt.datetime.combine(row.created_on, dt.time()))
    before = audit.snapshot(row)
    row.status = "closed"
    row.resolution = resolution
    row.closed_at = at
    session.flush()
    audit.record(
        session,
        user,
        "recap.followup_close",
        "follow_up",
        row.id,
        grid_id=row.grid_id,
        before=before,
        after=audit.snapshot(row),
    )
    return row


def followups(session: Session, as_of: dt.date, *, include_closed_today: bool = True) -> pd.DataFrame:
    """Follow-ups open at the end of as_of (and those closed that day): carried-over and overdue flagged."""
    end = config.end_of(as_of)
    start = dt.datetime.combine(as_of, dt.time())
    still_open = or_(FollowUp.closed_at.is_(None), FollowUp.closed_at > end)
    closed_today = and_(FollowUp.closed_at >= start, FollowUp.closed_at <= end)
    cond = or_(still_open, closed_today) if include_closed_today else still_open
    rows = session.execute(
        select(
            FollowUp.id,
            FollowUp.created_on,
            FollowUp.item,
            FollowUp.grid_id,
            Grid.number.label("grid"),
            FollowUp.owner,
            FollowUp.due_on,
            FollowUp.closed_at,
            FollowUp.resolution,
            FollowUp.problem_key,
            FollowUp.version,
        )
        .outerjoin(Grid, Grid.id == FollowUp.grid_id)
        .where(FollowUp.created_on <= as_of, cond)
        .order_by(FollowUp.due_on, FollowUp.id)
    ).all()
    df = pd.DataFrame(
        rows,
        columns=[
            "id",
            "created_on",
            "item",
            "grid_id",
            "grid",
            "owner",
            "due_on",
            "closed_at",
            "resolution",
            "problem_key",
            "version",
        ],
    )
    df["open"] = df["closed_at"].isna() | (df["closed_at"] > end)
    df["carried_over"] = df["open"] & (df["created_on"] < as_of)
    df["overdue"] = df["open"] & (df["due_on"] < as_of)
    # What the as-of day knew: a closing after that day is not shown as closed.
    df.loc[df["open"], ["closed_at", "resolution"]] = [None, ""]
    return df


def open_count(session: Session, as_of: dt.date) -> int:
    """How many follow-ups were open at the end of as_of."""
    df = followups(session, as_of, include_closed_today=False)
    return int(len(df))


def followed_problem_keys(session: Session, keys: list[str]) -> set[str]:
    """Which of these problem keys already have a follow-up."""
    if not keys:
        return set()
    return set(session.scalars(select(FollowUp.problem_key).where(FollowUp.problem_key.in_(keys))))
