"""Accounts and logins: passwords, lockout, the first admin, sessions that survive a refresh and end
on logout / password change / disable — checked in the logic and through the real /auth HTTP routes.
In the app (AppTest): tests/test_auth_app.py."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from dashboard import auth, server, store
from dashboard.errors import JuweiError, PermissionDenied, ValidationError
from dashboard.roles import SYSTEM, CurrentUser
from db import make_engine
from db.models import AuditLog, AuthSession, User
from tests import small_committee
from tests.helpers import forget_app_state
from tests.small_committee import PASSWORD, small_app_db, small_prod_db, small_templates  # noqa: F401

NOW = dt.datetime(2022, 5, 29, 9, 0)


@pytest.fixture
def small(engine: Engine) -> small_committee.Small:
    return small_committee.build(engine)


def _current(engine: Engine, username: str) -> CurrentUser:
    with Session(engine) as s:
        return auth.to_current(s, s.scalar(select(User).where(User.username == username)))


def _login(engine: Engine, username: str, password: str, now: dt.datetime = NOW) -> auth.LoginOutcome:
    return store.run_write(engine, auth.login_attempt, username, password, now=now)


def _audit(engine: Engine, action: str) -> list[AuditLog]:
    with Session(engine) as s:
        return list(s.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))


# --- signing in ---------------------------------------------------------------------------------


def test_the_right_password_signs_in_and_is_audited(engine: Engine, small: small_committee.Small) -> None:
    outcome = _login(engine, "grid01", PASSWORD)
    assert outcome.error is None
    assert (outcome.user.username, outcome.user.role, outcome.user.grid_number) == (
        "grid01",
        "grid_leader",
        1,
    )
    assert [a.user_id for a in _audit(engine, "auth.login")] == [small.users["grid01"]]
    # Usernames are not case-sensitive.
    assert _login(engine, " GRID01 ", PASSWORD).user.username == "grid01"


def test_wrong_password_unknown_and_disabled_accounts_get_one_message(
    engine: Engine, small: small_committee.Small
) -> None:
    store.run_write(engine, auth.set_active, SYSTEM, "viewer", False)
    for username, password in (("grid01", "wrong-password"), ("nobody", PASSWORD), ("viewer", PASSWORD)):
        outcome = _login(engine, username, password)
        assert outcome.user is None
        assert outcome.error.key == "login.bad_credentials"
    assert "用户名或密码错误" in outcome.error.message("zh")
    assert outcome.error.message("en") == "Wrong username or password."


def test_five_failures_lock_the_account_for_15_minutes(engine: Engine, small: small_committee.Small) -> None:
    for i in range(4):
        assert (
            _login(engine, "grid02", "nope", NOW + dt.timedelta(seconds=i)).error.key
            == "login.bad_credentials"
        )
    fifth = _login(engine, "grid02", "nope", NOW + dt.timedelta(seconds=5))
    assert fifth.error.key == "login.locked" and fifth.error.params["minutes"] == 15
    assert "15 分钟" in fifth.error.message("zh")
    # Locked: even the right password is refused, with the time left.
    during = _login(engine, "grid02", PASSWORD, NOW + dt.timedelta(minutes=10))
    assert (
        during.user is None and during.error.key == "login.locked" and during.error.params["minutes"] == 6
    )  # 5 min 5 s left
    after = _login(engine, "grid02", PASSWORD, NOW + dt.timedelta(seconds=5, minutes=15))
    assert after.error is None and after.user.username == "grid02"
    assert len(_audit(engine, "auth.locked")) == 1
    with Session(engine) as s:
        row = s.scalar(select(User).where(User.username == "grid02"))
        assert (row.failed_attempts, row.locked_until) == (0, None)


def test_demo_accounts_open_only_while_the_demo_is_loaded(engine: Engine) -> None:
    small_committee.build(engine, demo=False)
    with Session(engine) as s, s.begin():
        s.execute(update(User).where(User.username == "shuji").values(is_demo=True))
    assert _login(engine, "shuji", PASSWORD).error.key == "login.bad_credentials"
    assert _login(engine, "admin", PASSWORD).error is None  # a real account of the same install


def test_the_first_admin_is_made_only_on_an_empty_database(engine: Engine) -> None:
    with Session(engine) as s:
        assert not auth.has_users(s)  # no default account, so no default password
    with pytest.raises(ValidationError) as short:
        store.run_write(engine, auth.create_first_admin, "boss", "short")
    assert short.value.key == "login.password_short"
    made = store.run_write(engine, auth.create_first_admin, "Boss", "a-long-secret", display_name="王书记")
    assert (made.username, made.role) == ("boss", "admin")
    with pytest.raises(ValidationError) as again:
        store.run_write(engine, auth.create_first_admin, "mallory", "a-long-secret")
    assert again.value.key == "login.already_set_up"
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(User)) == 1
    assert _login(engine, "boss", "a-long-secret").user.role == "admin"
    assert len(_audit(engine, "users.create_first_admin")) == 1


# --- managing accounts ----------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["shuji", "grid01", "task", "meeting", "viewer"])
def test_only_an_admin_manages_accounts(engine: Engine, small: small_committee.Small, username: str) -> None:
    actor = _current(engine, username)
    for fn, args in (
        (auth.create_user, (actor, "newbie", "long-enough", "viewer")),
        (auth.reset_password, (actor, "viewer", "long-enough")),
        (auth.set_active, (actor, "viewer", False)),
    ):
        with pytest.raises(PermissionDenied):
            store.run_write(engine, fn, *args)
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(User)) == len(small.users)
        assert s.scalar(select(User.active).where(User.username == "viewer")) is True
        assert s.scalar(select(func.count()).select_from(AuditLog)) == 0


@pytest.mark.parametrize(
    ("username", "role", "grid", "team", "key"),
    [
        ("Grid01", "viewer", None, None, "login.username_taken"),
        ("bad name", "viewer", None, None, "login.bad_username"),
        ("张三", "viewer", None, None, "login.bad_username"),
        ("g3", "grid_leader", None, None, "login.grid_needed"),
        ("g3", "grid_leader", 9999, None, "users.grid_unknown"),
        ("t2", "task", None, None, "login.team_needed"),
        ("x", "superuser", None, None, "common.bad_choice"),
    ],
)
def test_bad_account_input_is_refused_and_nothing_is_written(
    engine: Engine, small: small_committee.Small, username: str, role: str, grid: int, team: int, key: str
) -> None:
    admin = _current(engine, "admin")
    with pytest.raises(ValidationError) as refused:
        store.run_write(
            engine, auth.create_user, admin, username, "long-enough", role, grid_id=grid, team_id=team
        )
    assert refused.value.key == key
    assert refused.value.message("en") != key  # the catalogue has words for it
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(User)) == len(small.users)


def test_every_account_write_leaves_an_audit_row(engine: Engine, small: small_committee.Small) -> None:
    admin = _current(engine, "admin")
    made = store.run_write(
        engine, auth.create_user, admin, "grid02b", "long-enough", "grid_leader", grid_id=small.grids[2]
    )
    store.run_write(engine, auth.reset_password, admin, "grid02b", "another-one")
    store.run_write(engine, auth.set_active, admin, "grid02b", False)
    store.run_write(engine, auth.set_active, admin, "grid02b", True)
    me = _current(engine, "grid02b")
    store.run_write(engine, auth.change_password, me, "another-one", "my-own-secret")
    with Session(engine) as s:
        rows = s.scalars(
            select(AuditLog).where(AuditLog.record_id == str(made.id)).order_by(AuditLog.id)
        ).all()
    assert [r.action for r in rows] == [
        "users.create",
        "users.reset_password",
        "users.disable",
        "users.enable",
        "users.change_password",
    ]
    assert [r.username for r in rows] == ["admin"] * 4 + ["grid02b"]
    assert {r.grid_id for r in rows} == {small.grids[2]}  # the trail can be filtered by grid
    create, _reset, disable, _enable, _change = rows
    assert create.before is None and create.after["role"] == "grid_leader"
    assert (disable.before["active"], disable.after["active"]) == (True, False)
    for row in rows:  # secrets never enter the trail
        assert "password_hash" not in (row.before or {}) and "password_hash" not in (row.after or {})


def test_an_admin_cannot_disable_themself_or_the_last_admin(
    engine: Engine, small: small_committee.Small
) -> None:
    admin = _current(engine, "admin")
    with pytest.raises(ValidationError) as self_:
        store.run_write(engine, auth.set_active, admin, "admin", False)
    assert self_.value.key == "users.cannot_disable_self"
    with pytest.raises(ValidationError) as last:
        store.run_write(engine, auth.set_active, SYSTEM, "admin", False)
    assert last.value.key == "users.last_admin"
    with pytest.raises(JuweiError) as missing:
        store.run_write(engine, auth.set_active, admin, "ghost", False)
    assert missing.value.key == "common.not_found"


def test_a_reset_lifts_the_lock(engine: Engine, small: small_committee.Small) -> None:
    for i in range(5):
        _login(engine, "task", "nope", NOW + dt.timedelta(seconds=i))
    assert _login(engine, "task", PASSWORD, NOW + dt.timedelta(minutes=1)).error.key == "login.locked"
    store.run_write(engine, auth.reset_password, _current(engine, "admin"), "task", "fresh-password")
    assert _login(engine, "task", "fresh-password", NOW + dt.timedelta(minutes=2)).error is None


# --- server-side sessions -------------------------------------------------------------------------


def _session(
    engine: Engine, username: str, now: dt.datetime | None = None, hours: float = 12
) -> tuple[int, str]:
    return store.run_write(engine, auth.start_session, _current(engine, username), hours=hours, now=now)


def test_a_session_lives_for_the_configured_hours(engine: Engine, small: small_committee.Small) -> None:
    session_id, nonce = _session(engine, "grid01", now=NOW, hours=12)
    token, expires = store.run_write(engine, auth.bind_session, nonce, now=NOW + dt.timedelta(seconds=30))
    assert expires == NOW + dt.timedelta(hours=12)
    with Session(engine) as s:
        assert auth.user_for_token(s, token, now=NOW + dt.timedelta(hours=11)).username == "grid01"
        assert auth.session_user(s, session_id, now=NOW + dt.timedelta(hours=11)).username == "grid01"
        assert auth.user_for_token(s, token, now=NOW + dt.timedelta(hours=12)) is None
        assert auth.session_user(s, session_id, now=NOW + dt.timedelta(hours=12)) is None
        # Only the hashes are stored.
        row = s.get(AuthSession, session_id)
        assert token not in (row.token_hash, row.bind_hash) and nonce not in (
            row.token_hash,
            str(row.bind_hash),
        )


def test_a_bind_nonce_works_once_and_only_for_two_minutes(
    engine: Engine, small: small_committee.Small
) -> None:
    _id, nonce = _session(engine, "grid01", now=NOW)
    assert store.run_write(engine, auth.bind_session, nonce, now=NOW + dt.timedelta(seconds=10)) is not None
    assert store.run_write(engine, auth.bind_session, nonce, now=NOW + dt.timedelta(seconds=20)) is None
    _id, late = _session(engine, "grid01", now=NOW)
    assert store.run_write(engine, auth.bind_session, late, now=NOW + dt.timedelta(minutes=3)) is None


def test_a_password_change_ends_every_session_of_the_user(
    engine: Engine, small: small_committee.Small
) -> None:
    first, _ = _session(engine, "shuji")
    second, _ = _session(engine, "shuji")
    other, _ = _session(engine, "grid01")
    me = _current(engine, "shuji")
    with pytest.raises(ValidationError) as wrong:
        store.run_write(engine, auth.change_password, me, "not-my-password", "whatever-new")
    assert wrong.value.key == "login.bad_old_password"
    assert store.run_write(engine, auth.change_password, me, PASSWORD, "whatever-new") == 2
    with Session(engine) as s:
        assert auth.session_user(s, first) is None and auth.session_user(s, second) is None
        assert auth.session_user(s, other).username == "grid01"
    assert _login(engine, "shuji", PASSWORD).user is None
    assert _login(engine, "shuji", "whatever-new").user.username == "shuji"


# --- the real HTTP routes -------------------------------------------------------------------------

ORIGIN = {"origin": "http://testserver", "sec-fetch-site": "same-origin"}


@pytest.fixture
def client(small_app_db: str) -> TestClient:  # noqa: F811 - the fixture imported above
    forget_app_state()
    with TestClient(Starlette(routes=server.routes())) as c:
        yield c
    forget_app_state()


@pytest.fixture
def app_engine(small_app_db: str) -> Engine:  # noqa: F811
    eng = make_engine(small_app_db)
    yield eng
    eng.dispose()


def _bind(client: TestClient, engine: Engine, username: str) -> str:
    _id, nonce = _session(engine, username)
    response = client.post("/auth/bind", json={"nonce": nonce}, headers=ORIGIN)
    assert response.status_code == 200, response.text
    return nonce


def _whoami(client: TestClient, token: str | None) -> str | None:
    client.cookies.clear()
    if token:
        client.cookies.set(auth.COOKIE_NAME, token)
    return client.get("/auth/whoami").json()["user"]


def test_bind_sets_an_httponly_samesite_strict_cookie(client: TestClient, app_engine: Engine) -> None:
    _id, nonce = _session(app_engine, "grid01")
    response = client.post("/auth/bind", json={"nonce": nonce}, headers=ORIGIN)
    assert response.status_code == 200
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{auth.COOKIE_NAME}=")
    flags = {part.strip().split("=")[0].lower(): part for part in cookie.split(";")}
    assert "httponly" in flags and flags["samesite"].strip().lower() == "samesite=strict"
    assert flags["path"].strip() == "Path=/"
    assert 11 * 3600 < int(flags["max-age"].split("=")[1]) <= 12 * 3600
    assert "secure" not in flags  # plain HTTP here; JUWEI_COOKIE_SECURE=1 or HTTPS adds it
    assert response.headers["cache-control"] == "no-store"
    token = client.cookies.get(auth.COOKIE_NAME)
    assert nonce not in cookie and token
    assert client.get("/auth/whoami").json() == {"user": "grid01", "role": "grid_leader"}
    # Refresh survival: a new request with only the cookie finds the same user.
    assert _whoami(client, token) == "grid01"


def test_the_same_nonce_cannot_be_bound_twice(client: TestClient, app_engine: Engine) -> None:
    nonce = _bind(client, app_engine, "grid01")
    client.cookies.clear()
    again = client.post("/auth/bind", json={"nonce": nonce}, headers=ORIGIN)
    assert again.status_code == 400 and "set-cookie" not in again.headers
    assert client.post("/auth/bind", json={"nonce": "made-up"}, headers=ORIGIN).status_code == 400


def test_logout_revokes_the_old_cookie(client: TestClient, app_engine: Engine) -> None:
    _bind(client, app_engine, "grid01")
    old = client.cookies.get(auth.COOKIE_NAME)
    response = client.post("/auth/logout", headers=ORIGIN)
    assert response.status_code == 200
    assert (
        'juwei_session=""' in response.headers["set-cookie"] or "Max-Age=0" in response.headers["set-cookie"]
    )
    assert _whoami(client, old) is None


@pytest.mark.parametrize("how", ["password", "disable", "reset"])
def test_password_change_reset_or_disable_revokes_the_old_cookie(
    client: TestClient, app_engine: Engine, how: str
) -> None:
    _bind(client, app_engine, "grid02")
    old = client.cookies.get(auth.COOKIE_NAME)
    assert _whoami(client, old) == "grid02"
    admin = _current(app_engine, "admin")
    if how == "password":
        store.run_write(
            app_engine, auth.change_password, _current(app_engine, "grid02"), PASSWORD, "brand-new-pw"
        )
    elif how == "disable":
        store.run_write(app_engine, auth.set_active, admin, "grid02", False)
    else:
        store.run_write(app_engine, auth.reset_password, admin, "grid02", "brand-new-pw")
    assert _whoami(client, old) is None


def test_an_expired_session_cookie_fails(client: TestClient, app_engine: Engine) -> None:
    _bind(client, app_engine, "viewer")
    old = client.cookies.get(auth.COOKIE_NAME)
    with Session(app_engine) as s, s.begin():
        s.execute(update(AuthSession).values(expires_at=dt.datetime.now() - dt.timedelta(seconds=1)))
    assert _whoami(client, old) is None


def test_a_disabled_account_cannot_bind_a_pending_nonce(client: TestClient, app_engine: Engine) -> None:
    _id, nonce = _session(app_engine, "viewer")
    store.run_write(app_engine, auth.set_active, SYSTEM, "viewer", False)
    assert client.post("/auth/bind", json={"nonce": nonce}, headers=ORIGIN).status_code == 400


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "http://evil.example", "content-type": "application/json"},
        {"origin": "null", "content-type": "application/json"},
        {"origin": "http://testserver.evil.example", "content-type": "application/json"},
        {"sec-fetch-site": "cross-site", "content-type": "application/json"},
        {"origin": "http://testserver", "sec-fetch-site": "same-site", "content-type": "application/json"},
    ],
)
def test_cross_origin_posts_are_refused(
    client: TestClient, app_engine: Engine, headers: dict[str, str]
) -> None:
    _id, nonce = _session(app_engine, "grid01")
    refused = client.post("/auth/bind", content=f'{{"nonce": "{nonce}"}}', headers=headers)
    assert refused.status_code == 403 and "set-cookie" not in refused.headers
    # The nonce was not spent by the refused request: the real page can still bind it.
    assert client.post("/auth/bind", json={"nonce": nonce}, headers=ORIGIN).status_code == 200
    token = client.cookies.get(auth.COOKIE_NAME)
    assert client.post("/auth/logout", headers=headers).status_code == 403
    assert _whoami(client, token) == "grid01"


def test_a_form_post_cannot_bind(client: TestClient, app_engine: Engine) -> None:
    _id, nonce = _session(app_engine, "grid01")
    response = client.post(
        "/auth/bind", content=f'{{"nonce": "{nonce}"}}', headers={**ORIGIN, "content-type": "text/plain"}
    )
    assert response.status_code == 415
