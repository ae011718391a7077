"""Accounts: password hashing (argon2), sign-in with lockout, server-side sessions bound to a cookie.

The browser holds only a random session token in an HttpOnly cookie; the database holds its SHA-256.
A session is bound to the cookie through a one-time nonce (see dashboard/server.py), so neither the
token nor the password ever appears in a URL or in the page's script.

The entry the pages, the frame (ui.py), the server, the command line and the tests use; the work
lives in three modules:

- auth_passwords: hashing, the password rule, and a sign-in attempt with its lockout
  (`login_attempt`, `to_current`);
- auth_sessions: server-side sessions and their cookie: start, bind, the check on every run
  (`session_user`, `session_for_token`), and logging out (`revoke_*`);
- auth_accounts: account administration (create, change or reset a password, disable, the list and
  its pickers) and each user's language.

`User` (the account row) and `CurrentUser` (the logic's view of it) are kept here for callers.
"""

from __future__ import annotations

from dashboard.auth_accounts import (
    USERNAME_RE,
    accounts,
    change_password,
    create_first_admin,
    create_user,
    grid_choices,
    grid_id_for_number,
    has_users,
    preferred_language,
    reset_password,
    set_active,
    set_language,
    team_choices,
    team_id_for_name,
)
from dashboard.auth_passwords import (
    LOCK_MINUTES,
    MAX_FAILED,
    MIN_PASSWORD,
    LoginOutcome,
    hash_password,
    login_attempt,
    to_current,
    verify_password,
)
from dashboard.auth_sessions import (
    BIND_SECONDS,
    COOKIE_NAME,
    bind_session,
    revoke_all,
    revoke_session,
    revoke_token,
    session_for_token,
    session_user,
    start_session,
    user_for_token,
)
from dashboard.roles import CurrentUser
from db.models import User

__all__ = [
    "BIND_SECONDS",
    "COOKIE_NAME",
    "LOCK_MINUTES",
    "MAX_FAILED",
    "MIN_PASSWORD",
    "USERNAME_RE",
    "CurrentUser",
    "LoginOutcome",
    "User",
    "accounts",
    "bind_session",
    "change_password",
    "create_first_admin",
    "create_user",
    "grid_choices",
    "grid_id_for_number",
    "has_users",
    "hash_password",
    "login_attempt",
    "preferred_language",
    "reset_password",
    "revoke_all",
    "revoke_session",
    "revoke_token",
    "session_for_token",
    "session_user",
    "set_active",
    "set_language",
    "start_session",
    "team_choices",
    "team_id_for_name",
    "to_current",
    "user_for_token",
    "verify_password",
]
