"""The accounts page (admin), the my-account page (everyone) and the `user` commands of the CLI."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboard import auth
from dashboard.i18n import t
from db import make_engine
from db.models import AuditLog, AuthSession, User
from tests.helpers import ROOT, open_app, texts
from tests.small_committee import PASSWORD, small_app_db, small_templates  # noqa: F401


def _count(url: str, model: type, *where: object) -> int:
    engine = make_engine(url)
    with Session(engine) as s:
        n = s.scalar(select(func.count()).select_from(model).where(*where)) or 0
    engine.dispose()
    return n


def _user(url: str, username: str) -> User | None:
    engine = make_engine(url)
    with Session(engine) as s:
        row = s.scalar(select(User).where(User.username == username))
    engine.dispose()
    return row


# --- the accounts page ----------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_accounts_page_lists_every_account(small_app_db: str, lang: str) -> None:  # noqa: F811
    at = open_app("admin", lang=lang, page="pages/users.py")
    assert not at.exception
    assert at.title[0].value == t("users.title", lang=lang)
    table = at.dataframe[0].value
    assert sorted(table["username"]) == sorted(
        ["admin", "shuji", "grid01", "grid02", "task", "meeting", "viewer"]
    )
    row = table.set_index("username").loc["grid02"]
    assert (row["role"], int(row["grid"]), bool(row["active"]), bool(row["locked"])) == (
        t("code.role.grid_leader", lang=lang),
        2,
        True,
        False,
    )
    assert table.set_index("username").loc["task", "team"] == "运输一队"
    assert t("users.count", lang=lang, n=7, active=7) in texts(at)


def test_an_admin_creates_a_grid_leader_account(small_app_db: str) -> None:  # noqa: F811
    at = open_app("admin", lang="en", page="pages/users.py")
    at.text_input(key="new_username").input("Grid02B")
    at.text_input(key="new_display_name").input("Li Ming")
    at.selectbox(key="new_role").select("grid_leader")
    engine = make_engine(small_app_db)
    with Session(engine) as s:
        grid2 = auth.grid_id_for_number(s, 2)
    engine.dispose()
    at.selectbox(key="new_grid").select(grid2)
    at.text_input(key="new_password").input("long-enough-1")
    at.text_input(key="new_again").input("long-enough-1")
    at.button(key="create_submit").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == [t("users.created", lang="en", username="grid02b")]
    made = _user(small_app_db, "grid02b")
    assert (made.role, made.display_name, made.grid_id, made.team_id) == (
        "grid_leader",
        "Li Ming",
        grid2,
        None,
    )
    assert "grid02b" in list(at.dataframe[0].value["username"])
    assert (
        _count(small_app_db, AuditLog, AuditLog.action == "users.create", AuditLog.username == "admin") == 1
    )


@pytest.mark.parametrize(
    ("username", "role", "password", "again", "message"),
    [
        ("newbie", "viewer", "long-enough-1", "different-2", ("login.password_mismatch", {})),
        ("newbie", "viewer", "short", "short", ("login.password_short", {"n": 8})),
        (
            "shuji",
            "viewer",
            "long-enough-1",
            "long-enough-1",
            ("login.username_taken", {"username": "shuji"}),
        ),
        ("newbie", "grid_leader", "long-enough-1", "long-enough-1", ("login.grid_needed", {})),
        ("newbie", "task", "long-enough-1", "long-enough-1", ("login.team_needed", {})),
        ("", "viewer", "long-enough-1", "long-enough-1", ("common.required", {"field": "Username"})),
    ],
)
def test_bad_account_input_shows_a_message_and_writes_nothing(
    small_app_db: str,  # noqa: F811
    username: str,
    role: str,
    password: str,
    again: str,
    message: tuple[str, dict],
) -> None:
    at = open_app("admin", lang="en", page="pages/users.py")
    at.text_input(key="new_username").input(username)
    at.selectbox(key="new_role").select(role)
    at.text_input(key="new_password").input(password)
    at.text_input(key="new_again").input(again)
    at.button(key="create_submit").click().run()
    assert not at.exception
    key, params = message
    assert [e.value for e in at.error] == [t(key, lang="en", **params)]
    assert _count(small_app_db, User) == 7
    assert _count(small_app_db, AuditLog, AuditLog.table_name == "app_user") == 0


def test_an_admin_resets_a_password_and_ends_the_sessions(small_app_db: str) -> None:  # noqa: F811
    victim = open_app("grid01", lang="en")  # a live session of grid01
    at = open_app("admin", lang="zh", page="pages/users.py")
    at.selectbox(key="reset_user").select("grid01")
    at.text_input(key="reset_password").input("a-new-password")
    at.text_input(key="reset_again").input("a-new-password")
    at.button(key="reset_submit").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == [t("users.reset_done", lang="zh", username="grid01", n=1)]
    engine = make_engine(small_app_db)
    with Session(engine) as s:
        row = s.scalar(select(User).where(User.username == "grid01"))
        assert auth.verify_password(row.password_hash, "a-new-password")
        assert s.get(AuthSession, victim.session_state["auth_session_id"]).revoked_at is not None
    engine.dispose()
    victim.run()
    assert "user" not in victim.session_state


def test_an_admin_disables_and_enables_an_account(small_app_db: str) -> None:  # noqa: F811
    at = open_app("admin", lang="en", page="pages/users.py")
    at.selectbox(key="active_user").select("viewer")
    at.button(key="disable_submit").click().run()
    assert [s.value for s in at.success] == [t("users.disabled", lang="en", username="viewer")]
    assert _user(small_app_db, "viewer").active is False
    assert not bool(at.dataframe[0].value.set_index("username").loc["viewer", "active"])
    at.selectbox(key="active_user").select("viewer")
    at.button(key="enable_submit").click().run()
    assert [s.value for s in at.success] == [t("users.enabled", lang="en", username="viewer")]
    assert _user(small_app_db, "viewer").active is True
    at.selectbox(key="active_user").select("admin")
    at.button(key="disable_submit").click().run()
    assert [e.value for e in at.error] == [t("users.cannot_disable_self", lang="en")]
    assert _user(small_app_db, "admin").active is True


# --- my account -----------------------------------------------------------------------------------


def _change(at, old: str, new: str, again: str):  # noqa: ANN001, ANN202 - an AppTest
    at.text_input(key="my_old_password").input(old)
    at.text_input(key="my_new_password").input(new)
    at.text_input(key="my_again").input(again)
    at.button(key="change_submit").click().run()
    return at


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_my_account_shows_who_i_am(small_app_db: str, lang: str) -> None:  # noqa: F811
    at = open_app("grid02", lang=lang, page="pages/account.py")
    assert not at.exception
    assert at.title[0].value == t("account.title", lang=lang)
    page = texts(at)
    assert "`grid02`" in page and t("account.grid", lang=lang, n=2) in page


@pytest.mark.parametrize(
    ("old", "new", "again", "key"),
    [
        ("wrong-password", "brand-new-pw", "brand-new-pw", "login.bad_old_password"),
        (PASSWORD, "brand-new-pw", "brand-new-pX", "login.password_mismatch"),
        (PASSWORD, "short", "short", "login.password_short"),
        (PASSWORD, PASSWORD, PASSWORD, "login.same_password"),
    ],
)
def test_a_refused_password_change_says_why(
    small_app_db: str,  # noqa: F811
    old: str,
    new: str,
    again: str,
    key: str,
) -> None:
    at = _change(open_app("task", lang="en", page="pages/account.py"), old, new, again)
    assert not at.exception
    assert [e.value for e in at.error] == [t(key, lang="en", n=auth.MIN_PASSWORD)]
    assert at.session_state["user"].username == "task"
    assert auth.verify_password(_user(small_app_db, "task").password_hash, PASSWORD)


def test_changing_my_password_signs_me_out_everywhere(small_app_db: str) -> None:  # noqa: F811
    elsewhere = open_app("shuji", lang="en")
    at = _change(
        open_app("shuji", lang="en", page="pages/account.py"), PASSWORD, "brand-new-pw", "brand-new-pw"
    )
    assert not at.exception
    assert "user" not in at.session_state
    assert at.subheader[0].value == t("login.title", lang="en")
    assert [s.value for s in at.success] == [t("account.password_changed", lang="en")]
    assert _count(small_app_db, AuthSession, AuthSession.revoked_at.is_(None)) == 0
    elsewhere.run()
    assert "user" not in elsewhere.session_state
    assert auth.verify_password(_user(small_app_db, "shuji").password_hash, "brand-new-pw")


def test_the_account_page_signs_out(small_app_db: str) -> None:  # noqa: F811
    at = open_app("meeting", lang="zh", page="pages/account.py")
    session_id = at.session_state["auth_session_id"]
    at.button(key="account_logout").click().run()
    assert "user" not in at.session_state
    engine = make_engine(small_app_db)
    with Session(engine) as s:
        assert s.get(AuthSession, session_id).revoked_at is not None
    engine.dispose()


# --- the command line -----------------------------------------------------------------------------


def _cli(url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url, "JUWEI_LANG": "en"}
    return subprocess.run(
        [sys.executable, "-m", "dashboard", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )


def test_cli_user_add_reset_disable_list(small_app_db: str) -> None:  # noqa: F811
    added = _cli(
        small_app_db,
        "user",
        "add",
        "Grid03",
        "--role",
        "grid_leader",
        "--grid",
        "2",
        "--display-name",
        "王芳",
        "--password-stdin",
        stdin="cli-secret-1\n",
    )
    assert added.returncode == 0, added.stderr
    assert t("users.created", lang="en", username="grid03") in added.stderr
    made = _user(small_app_db, "grid03")
    assert (made.role, made.display_name) == ("grid_leader", "王芳")
    assert auth.verify_password(made.password_hash, "cli-secret-1")

    reset = _cli(small_app_db, "user", "reset-password", "grid03", "--password-stdin", stdin="cli-secret-2\n")
    assert reset.returncode == 0, reset.stderr
    assert auth.verify_password(_user(small_app_db, "grid03").password_hash, "cli-secret-2")

    disabled = _cli(small_app_db, "user", "disable", "grid03")
    assert disabled.returncode == 0 and _user(small_app_db, "grid03").active is False

    listed = _cli(small_app_db, "user", "list")
    assert listed.returncode == 0
    line = next(ln for ln in listed.stdout.splitlines() if ln.split()[0] == "grid03")
    assert "False" in line  # inactive

    engine = make_engine(small_app_db)
    with Session(engine) as s:
        trail = s.execute(
            select(AuditLog.action, AuditLog.username, AuditLog.user_id).where(
                AuditLog.table_name == "app_user"
            )
        ).all()
    engine.dispose()
    assert [a for a, _u, _i in trail] == ["users.create", "users.reset_password", "users.disable"]
    assert {(u, i) for _a, u, i in trail} == {("system", None)}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("user", "add", "g9", "--role", "grid_leader", "--grid", "9", "--password-stdin"),
            ("users.grid_unknown", {"grid": 9}),
        ),
        (
            ("user", "add", "t9", "--role", "task", "--team", "nope", "--password-stdin"),
            ("users.team_unknown", {"team": "nope"}),
        ),
        (
            ("user", "add", "shuji", "--role", "viewer", "--password-stdin"),
            ("login.username_taken", {"username": "shuji"}),
        ),
        (("user", "disable", "ghost"), ("common.not_found", {"what": "ghost"})),
    ],
)
def test_cli_refusals_are_clear_and_write_nothing(
    small_app_db: str,  # noqa: F811
    args: tuple[str, ...],
    message: tuple[str, dict],
) -> None:
    done = _cli(small_app_db, *args, stdin="cli-secret-1\n")
    assert done.returncode == 1
    key, params = message
    assert t(key, lang="en", **params) in done.stderr
    assert _count(small_app_db, User) == 7
    assert _count(small_app_db, AuditLog) == 0


def test_cli_never_takes_a_password_as_an_argument(small_app_db: str) -> None:  # noqa: F811
    done = _cli(small_app_db, "user", "add", "x1", "--role", "viewer", "--password", "in-the-history")
    assert done.returncode == 2 and "unrecognized arguments" in done.stderr
    assert _user(small_app_db, "x1") is None
