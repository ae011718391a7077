"""Account administration: the first admin, new accounts, password changes and resets, disabling,
the accounts list and the pickers of its forms, and each user's language.

Only an admin manages accounts (users.manage); everyone changes their own password and language. A
password change, a reset or disabling an account ends its sessions at once (auth_sessions.revoke_all).
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from dashboard import audit, validate
from dashboard.auth_passwords import checked_password, find_user, hash_password, verify_password
from dashboard.auth_sessions import real_now, revoke_all
from dashboard.errors import JuweiError, ValidationError
from dashboard.roles import ROLES, CurrentUser, require
from db.models import AuditLog, Grid, Team, User

USERNAME_RE = re.compile(r"[a-z0-9_.-]+")


def has_users(session: Session) -> bool:
    """True once any account exists (an empty install shows the first-admin screen)."""
    return (session.scalar(select(func.count()).select_from(User)) or 0) > 0


def _user_row(session: Session, username: str) -> User:
    row = find_user(session, username)
    if row is None:
        raise JuweiError("common.not_found", what=str(username)[:60])
    return row


def _lock_accounts(session: Session) -> None:
    """Serialise account creation, so two first-admin forms sent at once cannot both succeed.

    SQLite write transactions already hold the write lock from BEGIN IMMEDIATE (db.writer).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE app_user IN SHARE ROW EXCLUSIVE MODE"))


def _new_user(
    session: Session,
    username: str,
    password: str,
    role: str,
    *,
    grid_id: int | None,
    team_id: int | None,
    display_name: str,
    person_id: int | None,
    now: dt.datetime,
) -> User:
    username = validate.text(username, "login.username", max_len=60).lower()
    if not USERNAME_RE.fullmatch(username):
        raise ValidationError("login.bad_username")
    role = validate.choice(role, ROLES, "users.role")
    if role == "grid_leader":
        if grid_id is None:
            raise ValidationError("login.grid_needed")
        if session.get(Grid, grid_id) is None:
            raise ValidationError("users.grid_unknown", grid=grid_id)
    if role == "task":
        if team_id is None:
            raise ValidationError("login.team_needed")
        if session.get(Team, team_id) is None:
            raise ValidationError("users.team_unknown", team=team_id)
    if find_user(session, username) is not None:
        raise ValidationError("login.username_taken", username=username)
    user = User(
        username=username,
        display_name=validate.text(display_name, "login.display_name", max_len=60, required=False),
        password_hash=hash_password(checked_password(password)),
        role=role,
        # A grid confines only a grid leader, a team only a task user: store nothing misleading.
        grid_id=grid_id if role == "grid_leader" else None,
        team_id=team_id if role == "task" else None,
        person_id=person_id,
        created_at=now,
        password_changed_at=now,
    )
    session.add(user)
    session.flush()
    return user


def create_first_admin(
    session: Session,
    username: str,
    password: str,
    *,
    display_name: str = "",
    now: dt.datetime | None = None,
) -> User:
    """The very first account of an empty install, an admin; refused once any account exists."""
    now = now or real_now()
    _lock_accounts(session)
    if has_users(session):
        raise ValidationError("login.already_set_up")
    user = _new_user(
        session,
        username,
        password,
        "admin",
        grid_id=None,
        team_id=None,
        display_name=display_name,
        person_id=None,
        now=now,
    )
    who = CurrentUser(user.id, user.username, user.role)
    audit.record(
        session, who, "users.create_first_admin", "app_user", user.id, after=audit.snapshot(user), at=now
    )
    return user


def create_user(
    session: Session,
    actor: CurrentUser,
    username: str,
    password: str,
    role: str,
    *,
    grid_id: int | None = None,
    team_id: int | None = None,
    display_name: str = "",
    person_id: int | None = None,
    now: dt.datetime | None = None,
) -> User:
    """Add an account (admin only; the first account of an install must be an admin)."""
    require(actor, "users.manage")
    now = now or real_now()
    _lock_accounts(session)
    if not has_users(session) and role != "admin":
        raise ValidationError("login.first_must_be_admin")
    user = _new_user(
        session,
        username,
        password,
        role,
        grid_id=grid_id,
        team_id=team_id,
        display_name=display_name,
        person_id=person_id,
        now=now,
    )
    audit.record(
        session,
        actor,
        "users.create",
        "app_user",
        user.id,
        grid_id=user.grid_id,
        after=audit.snapshot(user),
        at=now,
    )
    return user


def change_password(
    session: Session, user: CurrentUser, old: str, new: str, *, now: dt.datetime | None = None
) -> int:
    """A user changes their own password; every session of theirs ends (they sign in again).

    Returns the number of sessions ended."""
    now = now or real_now()
    row = session.get(User, user.id) if user.id is not None else None
    if row is None or not row.active or not verify_password(row.password_hash, old or ""):
        raise ValidationError("login.bad_old_password")
    if old == new:
        raise ValidationError("login.same_password")
    row.password_hash = hash_password(checked_password(new))
    row.password_changed_at = now
    ended = revoke_all(session, row.id, now=now)
    audit.record(session, user, "users.change_password", "app_user", row.id, grid_id=row.grid_id, at=now)
    return ended


def reset_password(
    session: Session, actor: CurrentUser, username: str, new: str, *, now: dt.datetime | None = None
) -> int:
    """An admin sets a new password for someone; their sessions end and any lock is lifted.

    Returns the number of sessions ended."""
    require(actor, "users.manage")
    now = now or real_now()
    row = _user_row(session, username)
    before = audit.snapshot(row)
    row.password_hash = hash_password(checked_password(new))
    row.password_changed_at = now
    row.failed_attempts = 0
    row.locked_until = None
    ended = revoke_all(session, row.id, now=now)
    audit.record(
        session,
        actor,
        "users.reset_password",
        "app_user",
        row.id,
        grid_id=row.grid_id,
        before=before,
        after=audit.snapshot(row),
        at=now,
    )
    return ended


def set_active(
    session: Session, actor: CurrentUser, username: str, active: bool, *, now: dt.datetime | None = None
) -> bool:
    """An admin disables (or re-enables) an account; disabling ends its sessions at once."""
    require(actor, "users.manage")
    now = now or real_now()
    row = _user_row(session, username)
    if not active:
        if actor.id is not None and row.id == actor.id:
            raise ValidationError("users.cannot_disable_self")
        if row.role == "admin" and row.active:
            admins = session.scalar(
                select(func.count()).select_from(User).where(User.role == "admin", User.active.is_(True))
            )
            if (admins or 0) <= 1:
                raise ValidationError("users.last_admin")
    before = audit.snapshot(row)
    row.active = active
    if not active:
        revoke_all(session, row.id, now=now)
    audit.record(
        session,
        actor,
        "users.enable" if active else "users.disable",
        "app_user",
        row.id,
        grid_id=row.grid_id,
        before=before,
        after=audit.snapshot(row),
        at=now,
    )
    return active


# --- reads for the accounts page and the command line ----------------------------------------


def accounts(session: Session, *, now: dt.datetime | None = None) -> pd.DataFrame:
    """Every account: username, name, role, grid, team, active, locked, failed attempts, last sign-in."""
    now = now or real_now()
    last_login = (
        select(AuditLog.user_id, func.max(AuditLog.at).label("last_login"))
        .where(AuditLog.action == "auth.login")
        .group_by(AuditLog.user_id)
        .subquery()
    )
    rows = session.execute(
        select(
            User.username,
            User.display_name,
            User.role,
            Grid.number.label("grid"),
            Team.name.label("team"),
            User.active,
            User.locked_until,
            User.failed_attempts,
            last_login.c.last_login,
        )
        .outerjoin(Grid, Grid.id == User.grid_id)
        .outerjoin(Team, Team.id == User.team_id)
        .outerjoin(last_login, last_login.c.user_id == User.id)
        .order_by(User.role, Grid.number, User.username)
    ).all()
    df = pd.DataFrame(
        rows,
        columns=[
            "username",
            "display_name",
            "role",
            "grid",
            "team",
            "active",
            "locked_until",
            "failed_attempts",
            "last_login",
        ],
    )
    df["locked"] = [bool(u is not None and not pd.isna(u) and u > now) for u in df["locked_until"]]
    df["grid"] = df["grid"].astype("Int64")
    df["active"] = df["active"].astype(bool)
    return df.drop(columns=["locked_until"])


def grid_choices(session: Session) -> dict[int, int]:
    """Grid id → grid number, in number order (for the account forms)."""
    return dict(session.execute(select(Grid.id, Grid.number).order_by(Grid.number)).tuples().all())


def team_choices(session: Session) -> dict[int, str]:
    """Team id → team name, in name order (for the account forms)."""
    return dict(session.execute(select(Team.id, Team.name).order_by(Team.name)).tuples().all())


def grid_id_for_number(session: Session, number: int) -> int | None:
    """The id of grid number `number` (the command line names grids by number)."""
    return session.scalar(select(Grid.id).where(Grid.number == number))


def team_id_for_name(session: Session, name: str) -> int | None:
    """The id of the team called `name`."""
    return session.scalar(select(Team.id).where(Team.name == name.strip()))


def set_language(session: Session, user: CurrentUser, lang: str) -> None:
    """Remember the language a user chose, so their next visit opens in it."""
    from dashboard import validate

    lang = validate.choice(lang, ("zh", "en"), "app.language")
    row = session.get(User, user.id) if user.id is not None else None
    if row is None or row.language == lang:
        return
    before = {"language": row.language}
    row.language = lang
    audit.record(session, user, "users.language", "app_user", row.id, before=before, after={"language": lang})


def preferred_language(session: Session, user_id: int | None) -> str | None:
    """The language a user last chose, if any."""
    if user_id is None:
        return None
    return session.scalar(select(User.language).where(User.id == user_id))
