"""Accounts and logins in the app (AppTest): the login form, lockout and sign-out messages, the first
admin screen, demo accounts, each role's menu, how long a login lasts and the language kept per user."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard import auth, nav, store
from dashboard.errors import ValidationError
from dashboard.i18n import t
from dashboard.roles import SYSTEM, CurrentUser
from db import make_engine
from db.models import AuditLog, AuthSession, User
from tests.helpers import open_app, texts
from tests.small_committee import PASSWORD, small_app_db, small_prod_db, small_templates  # noqa: F401

# --- the app (AppTest) ----------------------------------------------------------------------------


def _sign_in(at, username: str, password: str):  # noqa: ANN001, ANN202 - an AppTest
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    at.button[0].click().run()
    return at


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_login_form_signs_in(small_app_db: str, lang: str) -> None:  # noqa: F811
    at = open_app(None, lang=lang)
    assert not at.exception
    assert at.subheader[0].value == t("login.title", lang=lang)
    _sign_in(at, "grid01", PASSWORD)
    user = at.session_state["user"]
    assert (user.username, user.grid_number) == ("grid01", 1)
    # The page asked the browser to bind the cookie with a one-time nonce (no token in the page).
    bind_scripts = [h for h in at.get("html") if "/auth/bind" in str(h.proto)]
    assert len(bind_scripts) == 1
    engine = make_engine(small_app_db)
    with Session(engine) as s:
        live = s.get(AuthSession, at.session_state["auth_session_id"])
        assert live.user_id == user.id and live.bind_hash is not None and live.revoked_at is None
        assert live.bind_hash not in str(bind_scripts[0].proto)
    engine.dispose()
    at.switch_page("pages/account.py").run()
    assert not at.exception
    assert at.title[0].value == t("account.title", lang=lang)
    role = t("code.role.grid_leader", lang=lang)
    assert t("app.signed_in_as", lang=lang, name="grid01", role=role) in [c.value for c in at.sidebar.caption]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_wrong_password_shows_a_message(small_app_db: str, lang: str) -> None:  # noqa: F811
    at = _sign_in(open_app(None, lang=lang), "grid01", "not-the-password")
    assert not at.exception
    assert [e.value for e in at.error] == [t("login.bad_credentials", lang=lang)]
    assert "user" not in at.session_state


def test_five_wrong_passwords_lock_the_form_with_a_message(small_app_db: str) -> None:  # noqa: F811
    at = open_app(None, lang="en")
    for _ in range(5):
        _sign_in(at, "grid02", "not-the-password")
    assert [e.value for e in at.error] == [t("login.locked", lang="en", minutes=15)]
    _sign_in(at, "grid02", PASSWORD)
    assert "user" not in at.session_state
    assert "locked" in at.error[0].value


def test_signing_out_revokes_the_session_and_forgets_the_tab(small_app_db: str) -> None:  # noqa: F811
    at = open_app("grid01", lang="en")
    session_id = at.session_state["auth_session_id"]
    at.sidebar.button(key="sidebar_logout").click().run()
    assert not at.exception
    assert "user" not in at.session_state and at.subheader[0].value == t("login.title", lang="en")
    engine = make_engine(small_app_db)
    with Session(engine) as s:
        assert s.get(AuthSession, session_id).revoked_at is not None
    engine.dispose()


def test_a_session_revoked_elsewhere_ends_the_open_tab(small_app_db: str) -> None:  # noqa: F811
    at = open_app("grid01", lang="en")
    assert at.session_state["user"].username == "grid01"
    engine = make_engine(small_app_db)
    store.run_write(engine, auth.set_active, SYSTEM, "grid01", False)
    engine.dispose()
    at.run()
    assert "user" not in at.session_state
    assert at.subheader[0].value == t("login.title", lang="en")


def test_the_first_admin_screen_on_an_empty_database(empty_app_db: str) -> None:
    at = open_app(None, lang="en")
    assert not at.exception
    assert at.subheader[0].value == t("login.first_admin_title", lang="en")
    assert "huamei2022" not in texts(at)
    fields = at.text_input
    fields[0].input("chief")
    fields[1].input("Chief Wang")
    fields[2].input("a-long-secret")
    fields[3].input("a-different-one")
    at.button[0].click().run()
    assert [e.value for e in at.error] == [t("login.password_mismatch", lang="en")]
    at.text_input[3].input("a-long-secret")
    at.button[0].click().run()
    assert not at.exception
    assert at.session_state["user"].username == "chief" and at.session_state["user"].role == "admin"
    engine = make_engine(empty_app_db)
    with Session(engine) as s:
        users = s.scalars(select(User)).all()
        assert [(u.username, u.role, u.display_name) for u in users] == [("chief", "admin", "Chief Wang")]
        assert auth.verify_password(users[0].password_hash, "a-long-secret")
    engine.dispose()


def test_demo_accounts_are_listed_in_demo_mode(small_app_db: str) -> None:  # noqa: F811
    at = open_app(None, lang="en")
    assert t("login.demo_accounts", lang="en") in [e.label for e in at.expander]
    assert "huamei2022" in texts(at)


def test_demo_accounts_are_not_listed_in_production(small_prod_db: str) -> None:  # noqa: F811
    at = open_app(None, lang="en")
    assert not at.exception
    assert at.expander == [] or t("login.demo_accounts", lang="en") not in [e.label for e in at.expander]
    assert "huamei2022" not in texts(at)


# --- navigation -----------------------------------------------------------------------------------

EXPECTED_PAGES = {
    "admin": {
        "overview",
        "map",
        "recap",
        "screening",
        "cases",
        "supplies",
        "services",
        "people",
        "setup",
        "users",
        "audit",
        "account",
    },
    "secretary": {
        "overview",
        "map",
        "recap",
        "screening",
        "cases",
        "supplies",
        "services",
        "people",
        "setup",
        "audit",
        "account",
    },
    "grid_leader": {
        "overview",
        "map",
        "recap",
        "screening",
        "cases",
        "supplies",
        "services",
        "people",
        "account",
    },
    "task": {"overview", "map", "recap", "supplies", "services", "people", "account"},
    "meeting": {"overview", "map", "recap", "account"},
    "viewer": {"overview", "map", "recap", "screening", "cases", "supplies", "services", "people", "account"},
}


@pytest.mark.parametrize("role", sorted(EXPECTED_PAGES))
def test_the_navigation_shows_each_role_only_its_pages(role: str) -> None:
    user = CurrentUser(1, "x", role, grid_id=1 if role == "grid_leader" else None)
    shown = {p.path.removeprefix("pages/").removesuffix(".py") for p in nav.pages_for(user)}
    existing = {
        p.path.removeprefix("pages/").removesuffix(".py") for p in nav.PAGES if (nav.ROOT / p.path).exists()
    }
    assert shown == EXPECTED_PAGES[role] & existing
    assert {"users", "audit"}.isdisjoint(shown) or role in ("admin", "secretary")


def test_the_login_lasts_as_long_as_configured(small_app_db: str, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setenv("JUWEI_SESSION_HOURS", "2")
    at = _sign_in(open_app(None, lang="en"), "viewer", PASSWORD)
    engine = make_engine(small_app_db)
    with Session(engine) as s:
        row = s.get(AuthSession, at.session_state["auth_session_id"])
        assert row.expires_at - row.created_at == dt.timedelta(hours=2)
    engine.dispose()


def test_the_language_a_user_chooses_is_kept_for_their_next_session(app_db: str) -> None:
    at = open_app("shuji", lang="zh")
    at.radio(key="lang").set_value("en").run()
    assert not at.exception
    engine = make_engine(app_db)
    with Session(engine) as s:
        row = s.scalar(select(User).where(User.username == "shuji"))
        assert auth.preferred_language(s, row.id) == "en"
        assert (
            s.scalar(select(AuditLog.action).where(AuditLog.action == "users.language")) == "users.language"
        )
        with pytest.raises(ValidationError):
            auth.set_language(s, auth.to_current(s, row), "fr")
    engine.dispose()
