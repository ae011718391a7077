"""Accounts: password hashing (argon2), sign-in with lockout, server-side sessions bound to a cookie.

The browser holds only a random session token in an HttpOnly cookie; the database holds its SHA-256.
A session is bound to the cookie through a one-time nonce (see dashboard/server.py), so neither the
token nor the password ever appears in a URL or in the page's script.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from dashboard import audit
from dashboard.errors import JuweiError, ValidationError
from dashboard.roles import ROLES, CurrentUser, require
from db.models import AuthSession, Grid, User

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
    username = (username or "").strip()[:60]
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        # Same message as a wrong password: don't reveal which accounts exist.
        return LoginOutcome(None, ValidationError("login.bad_credentials"))
    if user.locked_until is not None and user.locked_until > now:
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        return LoginOutcome(None, ValidationError("login.locked", minutes=minutes))
    if not verify_password(user.password_hash, (password or "")[:200]):
        user.failed_attempts = (user.failed_attempts or 0) + 1
        who = CurrentUser(user.id, user.username, user.role)
        if user.failed_attempts >= MAX_FAILED:
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


def start_session(
    session: Session, user: CurrentUser, *, hours: float = 12, now: dt.datetime | None = None
) -> str:
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
    row = session.scalar(select(AuthSession).where(AuthSession.bind_hash == _digest(nonce)))
    if row is None or row.revoked_at is not None or row.bind_expires_at is None or row.bind_expires_at < now:
        return None
    token = secrets.token_urlsafe(32)
    row.token_hash = _digest(token)
    row.bind_hash = None
    row.bind_expires_at = None
    return token, row.expires_at


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
    now = now or _now()
    row = session.scalar(select(AuthSession).where(AuthSession.token_hash == _digest(token)))
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    return to_current(session, user), row.id


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


def revoke_all(session: Session, user_id: int, *, now: dt.datetime | None = None) -> None:
    """End every session of a user (password change, reset, disable)."""
    session.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now or _now())
    )


def _check_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD:
        raise ValidationError("login.password_short", n=MIN_PASSWORD)
    if len(password) > 200:
        raise ValidationError("common.too_long", field="password", max=200)
    return password


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
) -> User:
    """Add an account (admin only; or the very first admin on an empty install)."""
    first = not has_users(session)
    if first:
        if role != "admin":
            raise ValidationError("login.first_must_be_admin")
    else:
        require(actor, "users.manage")
    from dashboard import validate

    username = validate.text(username, "login.username", max_len=60)
    if not username.replace("_", "").replace("-", "").replace(".", "").isalnum():
        raise ValidationError("login.bad_username")
    if role not in ROLES:
        raise ValidationError("common.bad_choice", field="role", value=role)
    if role == "grid_leader" and grid_id is None:
        raise ValidationError("login.grid_needed")
    if role == "task" and team_id is None:
        raise ValidationError("login.team_needed")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ValidationError("login.username_taken", username=username)
    now = _now()
    user = User(
        username=username,
        display_name=validate.text(display_name, "login.display_name", max_len=60, required=False),
        password_hash=hash_password(_check_password(password)),
        role=role,
        grid_id=grid_id,
        team_id=team_id,
        person_id=person_id,
        created_at=now,
        password_changed_at=now,
    )
    session.add(user)
    session.flush()
    who = actor if not first else CurrentUser(user.id, user.username, user.role)
    audit.record(session, who, "users.create", "app_user", user.id, after=audit.snapshot(user), at=now)
    return user


def change_password(session: Session, user: CurrentUser, old: str, new: str) -> None:
    """A user changes their own password; every session of theirs ends."""
    row = session.get(User, user.id)
    if row is None or not verify_password(row.password_hash, old or ""):
        raise ValidationError("login.bad_old_password")
    row.password_hash = hash_password(_check_password(new))
    row.password_changed_at = _now()
    revoke_all(session, row.id)
    audit.record(session, user, "users.change_password", "app_user", row.id)


def reset_password(session: Session, actor: CurrentUser, username: str, new: str) -> None:
    """An admin sets a new password for someone; their sessions end and any lock is lifted."""
    require(actor, "users.manage")
    row = session.scalar(select(User).where(User.username == username))
    if row is None:
        raise JuweiError("common.not_found", what=username)
    row.password_hash = hash_password(_check_password(new))
    row.password_changed_at = _now()
    row.failed_attempts = 0
    row.locked_until = None
    revoke_all(session, row.id)
    audit.record(session, actor, "users.reset_password", "app_user", row.id)


def set_active(session: Session, actor: CurrentUser, username: str, active: bool) -> None:
    """An admin disables (or re-enables) an account; disabling ends its sessions."""
    require(actor, "users.manage")
    row = session.scalar(select(User).where(User.username == username))
    if row is None:
        raise JuweiError("common.not_found", what=username)
    before = audit.snapshot(row)
    row.active = active
    if not active:
        revoke_all(session, row.id)
    audit.record(
        session,
        actor,
        "users.enable" if active else "users.disable",
        "app_user",
        row.id,
        before=before,
        after=audit.snapshot(row),
    )
