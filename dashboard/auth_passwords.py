"""Passwords and sign-in: argon2 hashing, the password rule, and sign-in attempts with lockout.

Five failed attempts lock an account for 15 minutes; an unknown, disabled or (without the demo data)
demo account is refused with the same message and the same argon2 work as a wrong password, so a
refusal does not reveal which accounts exist. A successful sign-in starts a session (auth_sessions).
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from dashboard import audit
from dashboard.auth_sessions import real_now
from dashboard.errors import ValidationError
from dashboard.i18n import t
from dashboard.roles import CurrentUser
from db.models import Grid, User

MAX_FAILED = 5
LOCK_MINUTES = 15
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


def checked_password(password: str) -> str:
    """A new password as the rule allows it (MIN_PASSWORD to 200 characters), else ValidationError."""
    if len(password or "") < MIN_PASSWORD:
        raise ValidationError("login.password_short", n=MIN_PASSWORD)
    if len(password) > 200:
        raise ValidationError("common.too_long", field=t("login.password"), max=200)
    return password


def find_user(session: Session, username: str) -> User | None:
    """The account with this username, compared case-insensitively (usernames are stored lower-case)."""
    name = (username or "").strip().lower()[:60]
    return session.scalar(select(User).where(func.lower(User.username) == name))


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
    now = now or real_now()
    password = (password or "")[:200]
    user = find_user(session, username)
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
