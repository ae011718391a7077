"""Server-side sessions bound to a cookie: start, bind, check and end them.

The browser holds only a random session token in an HttpOnly cookie; the database holds its SHA-256.
A session is bound to the cookie through a one-time nonce (see dashboard/server.py), so neither the
token nor the password ever appears in a URL or in the page's script. Every run of every page checks
its session (session_user), so a revoked or expired session or a disabled account ends an open tab.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.orm import Session

from dashboard.roles import CurrentUser
from db.models import AuthSession, Grid, User

COOKIE_NAME = "juwei_session"
BIND_SECONDS = 120


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def real_now() -> dt.datetime:
    """The real time to the second: sign-ins, sessions and accounts are timed by it, not by the
    demo's day (config.now)."""
    return dt.datetime.now().replace(microsecond=0)


def start_session(
    session: Session, user: CurrentUser, *, hours: float = 12, now: dt.datetime | None = None
) -> tuple[int, str]:
    """Create a server-side session for a signed-in user; returns the one-time nonce that binds it.

    The session's real token is made only when the browser redeems the nonce at /auth/bind (see
    bind_session), so the token exists nowhere but in the HttpOnly cookie and as a hash here.
    """
    now = now or real_now()
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
    now = now or real_now()
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
    found = _live_user(session, _LIVE_BY_ID, session_id=session_id, now=now or real_now())
    return found[0] if found else None


def revoke_session(session: Session, session_id: int | None, *, now: dt.datetime | None = None) -> None:
    """Log out one server-side session: its cookie stops working at once."""
    if session_id is None:
        return
    session.execute(
        update(AuthSession)
        .where(AuthSession.id == session_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now or real_now())
    )


def session_for_token(
    session: Session, token: str | None, *, now: dt.datetime | None = None
) -> tuple[CurrentUser, int] | None:
    """(user, session id) for a live session token, or None (expired, revoked, disabled, unknown)."""
    if not token:
        return None
    return _live_user(session, _LIVE_BY_TOKEN, token_hash=_digest(token), now=now or real_now())


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
        .values(revoked_at=now or real_now())
    )


def revoke_all(session: Session, user_id: int, *, now: dt.datetime | None = None) -> int:
    """End every session of a user (password change, reset, disable); returns how many were live."""
    result = session.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now or real_now())
    )
    return result.rowcount or 0
