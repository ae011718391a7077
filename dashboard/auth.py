"""Accounts: password hashing (argon2), sign-in with lockout, server-side sessions bound to a cookie.

The browser holds only a random session token in an HttpOnly cookie; the database holds its SHA-256.
A session is bound to the cookie through a one-time nonce (see dashboard/server.py), so neither the
token nor the password ever appears in a URL or in the page's script.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
import secrets
from dataclasses import dataclass
from functools import cache
from typing import Any

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, bindparam, func, select, text, update
from sqlalchemy.orm import Session

from dashboard import audit, validate
from dashboard.errors import JuweiError, ValidationError
from dashboard.i18n import t
from dashboard.roles import ROLES, CurrentUser, require
from db.models import AuditLog, AuthSession, Grid, Team, User

COOKIE_NAME = "juwei_session"
MAX_FAILED = 5
LOCK_MINUTES = 15
BIND_SECONDS = 120
MIN_PASSWORD = 8
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when password matches the stored hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    """A hash to verify against when the account is unknown, so both cases take the same time."""
    return _hasher.hash(secrets.token_urlsafe(16))


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def to_current(session: Session, user: User) -> CurrentUser:
    """The logic's view of a user row."""
    number = session.scalar(select(Grid.number).where(Grid.id == user.grid_id)) if user.grid_id else None
    return CurrentUser(
        id=user.id,
        username=user.username,
        role=user.role,
        grid_id=user.grid_id,
        grid_number=number,
        team_id=user.team_id,
        display_name=user.display_name,
    )


def has_users(session: Session) -> bool:
    """True once any account exists (an empty install shows the first-admin screen)."""
    return (session.scalar(select(func.count()).select_from(User)) or 0) > 0


@dataclass(frozen=True)
class LoginOutcome:
    """The result of one sign-in attempt: a user, or the refusal to show."""

    user: CurrentUser | None
    error: ValidationError | None


def login_attempt(
    session: Session, username: str, password: str, *, now: dt.datetime | None = None
) -> LoginOutcome:
    """Check a sign-in; count failures and lock the account for 15 minutes after five.

    Never raises for a refused attempt, so the caller's transaction commits the failure count.
    """
    now = now or _now()
    password = (password or "")[:200]
    user = _find_user(session, username)
    if user is None or not user.active or (user.is_demo and not _demo_loaded(session)):
        # Same message and the same argon2 work as a wrong password: don't reveal which accounts
        # exist. Demo accounts (known password) only open while the demo data is loaded.
        verify_password(_dummy_hash(), password)
        return LoginOutcome(None, ValidationError("login.bad_credentials"))
    if user.locked_until is not None and user.locked_until > now:
        minutes = max(1, math.ceil((user.locked_until - now).total_seconds() / 60))
        return LoginOutcome(None, ValidationError("login.locked", minutes=minutes))
    if not verify_password(user.password_hash, password):
        # Counted in the database, so parallel guesses cannot overwrite each other's count.
        attempts = session.execute(
            update(User)
            .where(User.id == user.id)
            .values(failed_attempts=func.coalesce(User.failed_attempts, 0) + 1)
            .returning(User.failed_attempts)
        ).scalar_one()
        who = CurrentUser(user.id, user.username, user.role)
        if attempts >= MAX_FAILED:
            user.locked_until = now + dt.timedelta(minutes=LOCK_MINUTES)
            user.failed_attempts = 0
            audit.record(session, who, "auth.locked", "app_user", user.id, at=now)
            return LoginOutcome(None, ValidationError("login.locked", minutes=LOCK_MINUTES))
        audit.record(session, who, "auth.failed", "app_user", user.id, at=now)
        return LoginOutcome(None, ValidationError("login.bad_credentials"))
    user.failed_attempts = 0
    user.locked_until = None
    current = to_current(session, user)
    audit.record(session, current, "auth.login", "app_user", user.id, at=now)
    return LoginOutcome(current, None)


def _demo_loaded(session: Session) -> bool:
    from dashboard import config

    return config.is_demo(session)


def start_session(
    session: Session, user: CurrentUser, *, hours: float = 12, now: dt.datetime | None = None
) -> tuple[int, str]:
    """Create a server-side session for a signed-in user; returns the one-time nonce that binds it.

    The session's real token is made only when the browser redeems the nonce at /auth/bind (see
    bind_session), so the token exists nowhere but in the HttpOnly cookie and as a hash here.
    """
    now = now or _now()
    nonce = secrets.token_urlsafe(24)
    row = AuthSession(
        user_id=user.id,
        token_hash=_digest(secrets.token_urlsafe(32)),  # unusable until bound
        bind_hash=_digest(nonce),
        bind_expires_at=now + dt.timedelta(seconds=BIND_SECONDS),
        created_at=now,
        expires_at=now + dt.timedelta(hours=hours),
    )
    session.add(row)
    session.flush()
    return row.id, nonce


def bind_session(
    session: Session, nonce: str, *, now: dt.datetime | None = None
) -> tuple[str, dt.datetime] | None:
    """Redeem a bind nonce once: returns (new session token, expiry) for the cookie, or None."""
    if not nonce:
        return None
    now = now or _now()
    token = secrets.token_urlsafe(32)
    # One conditional UPDATE: of two concurrent redemptions of the same nonce only one matches.
    done = session.execute(
        update(AuthSession)
        .where(
            AuthSession.bind_hash == _digest(nonce),
            AuthSession.revoked_at.is_(None),
            AuthSession.bind_expires_at >= now,
            AuthSession.expires_at > now,
        )
        .values(token_hash=_digest(token), bind_hash=None, bind_expires_at=None)
        .returning(AuthSession.user_id, AuthSession.expires_at)
    ).first()
    if done is None:
        return None
    user = session.get(User, done.user_id)
    if user is None or not user.active:
        return None
    return token, done.expires_at


_LIVE = (
    select(
        User.id,
        User.username,
        User.role,
        User.grid_id,
        Grid.number,
        User.team_id,
        User.display_name,
        AuthSession.id,
    )
    .select_from(AuthSession)
    .join(User, User.id == AuthSession.user_id)
    .outerjoin(Grid, Grid.id == User.grid_id)
    .where(AuthSession.revoked_at.is_(None), User.active.is_(True))
)
# Built once: the frame checks the session on every run of every page.
_LIVE_BY_ID = _LIVE.where(
    AuthSession.id == bindparam("session_id"), AuthSession.expires_at > bindparam("now")
)
_LIVE_BY_TOKEN = _LIVE.where(
    AuthSession.token_hash == bindparam("token_hash"), AuthSession.expires_at > bindparam("now")
)


def _live_user(
    session: Session | Connection, statement: Any, **params: Any
) -> tuple[CurrentUser, int] | None:
    """(user, session id) of the live session the statement finds — one query: the session is not
    revoked or expired and its account is active."""
    row = session.execute(statement, params).first()
    if row is None:
        return None
    uid, username, role, grid_id, number, team_id, display_name, session_id = row
    user = CurrentUser(
        id=uid,
        username=username,
        role=role,
        grid_id=grid_id,
        grid_number=number,
        team_id=team_id,
        display_name=display_name,
    )
    return user, session_id


def session_user(
    session: Session | Connection, session_id: int | None, *, now: dt.datetime | None = None
) -> CurrentUser | None:
    """The user of a live server-side session (checked on every run, so a revoked session, an
    expired one or a disabled account ends an open browser tab too), read fresh from the database."""
    if session_id is None:
        return None
    found = _live_user(session, _LIVE_BY_ID, session_id=session_id, now=now or _now())
    return found[0] if found else None


def revoke_session(session: Session, session_id: int | None, *, now: dt.datetime | None = None) -> None:
    """Log out one server-side session: its cookie stops working at once."""
    if session_id is None:
        return
    session.execute(
        update(AuthSession)
        .where(AuthSession.id == session_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now or _now())
    )


def session_for_token(
    session: Session, token: str | None, *, now: dt.datetime | None = None
) -> tuple[CurrentUser, int] | None:
    """(user, session id) for a live session token, or None (expired, revoked, disabled, unknown)."""
    if not token:
        return None
    return _live_user(session, _LIVE_BY_TOKEN, token_hash=_digest(token), now=now or _now())


def user_for_token(
    session: Session, token: str | None, *, now: dt.datetime | None = None
) -> CurrentUser | None:
    """The user of a live session token, or None."""
    found = session_for_token(session, token, now=now)
    return found[0] if found else None


def revoke_token(session: Session, token: str | None, *, now: dt.datetime | None = None) -> None:
    """Log out: the session behind this token stops working at once."""
    if not token:
        return
    session.execute(
        update(AuthSession)
        .where(AuthSession.token_hash == _digest(token), AuthSession.revoked_at.is_(None))
        .values(revoked_at=now or _now())
    )


def revoke_all(session: Session, user_id: int, *, now: dt.datetime | None = None) -> int:
    """End every session of a user (password change, reset, disable); returns how many were live."""
    result = session.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now or _now())
    )
    return result.rowcount or 0


USERNAME_RE = re.compile(r"[a-z0-9_.-]+")


def _check_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD:
        raise ValidationError("login.password_short", n=MIN_PASSWORD)
    if len(password) > 200:
        raise ValidationError("common.too_long", field=t("login.password"), max=200)
    return password


def _find_user(session: Session, username: str) -> User | None:
    """The account with this username, compared case-insensitively (usernames are stored lower-case)."""
    name = (username or "").strip().lower()[:60]
    return session.scalar(select(User).where(func.lower(User.username) == name))


def _user_row(session: Session, username: str) -> User:
    row = _find_user(session, username)
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
    if _find_user(session, username) is not None:
        raise ValidationError("login.username_taken", username=username)
    user = User(
        username=username,
        display_name=validate.text(display_name, "login.display_name", max_len=60, required=False),
        password_hash=hash_password(_check_password(password)),
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
    now = now or _now()
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
    now = now or _now()
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
    now = now or _now()
    row = session.get(User, user.id) if user.id is not None else None
    if row is None or not row.active or not verify_password(row.password_hash, old or ""):
        raise ValidationError("login.bad_old_password")
    if old == new:
        raise ValidationError("login.same_password")
    row.password_hash = hash_password(_check_password(new))
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
    now = now or _now()
    row = _user_row(session, username)
    before = audit.snapshot(row)
    row.password_hash = hash_password(_check_password(new))
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
    now = now or _now()
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
    now = now or _now()
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
