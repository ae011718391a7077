"""In a real browser on a phone-size screen: a grid leader signs in, refreshes and is still signed in
(the HttpOnly cookie bound through /auth/bind), signs out, and the old cookie no longer works."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard import auth
from dashboard.i18n import t
from db import make_engine
from db.models import User
from tests.browser import Served, shot, sign_in, wait_idle

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def _label(served: Served, username: str) -> str:  # noqa: F811
    engine = make_engine(served.database_url)
    with Session(engine) as s:
        label = auth.to_current(s, s.scalar(select(User).where(User.username == username))).label
    engine.dispose()
    return label


def _session_cookie(context: object) -> dict:
    cookies = [c for c in context.cookies() if c["name"] == auth.COOKIE_NAME]
    assert len(cookies) == 1, context.cookies()
    return cookies[0]


def test_a_grid_leader_on_a_phone_stays_signed_in_across_a_refresh_until_sign_out(
    served: Served,  # noqa: F811
    browser: object,  # noqa: F811
) -> None:
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(served.url)
        wait_idle(page)
        assert page.get_by_text(t("login.title", lang="zh")).first.is_visible()
        shot(page, "auth-1-login-phone")

        sign_in(page, "grid03", "huamei2022")
        # The page's script redeemed the one-time nonce at /auth/bind: the cookie is set.
        page.wait_for_selector("body[data-juwei-bound='1']", state="attached", timeout=30_000)
        cookie = _session_cookie(context)
        assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
        old = f"{auth.COOKIE_NAME}={cookie['value']}"
        assert json.loads(served.get("/auth/whoami", cookie=old)[1]) == {
            "user": "grid03",
            "role": "grid_leader",
        }
        # JavaScript cannot read it.
        assert auth.COOKIE_NAME not in page.evaluate("document.cookie")
        shot(page, "auth-2-signed-in-phone")

        page.reload()
        wait_idle(page)
        page.wait_for_selector("[data-testid=stSidebar]", state="attached", timeout=30_000)
        shot(page, "auth-3-after-refresh-phone")
        role = t("code.role.grid_leader", lang="zh")
        signed_in = t("app.signed_in_as", lang="zh", name=_label(served, "grid03"), role=role)
        assert page.get_by_text(signed_in).count() == 1  # in the (collapsed) sidebar
        assert page.locator("[data-testid=stTextInput] input[type=password]").count() == 0

        # A link opened by URL is a new Streamlit session: the cookie signs it in too.
        page.goto(served.url + "/account")
        wait_idle(page)
        page.get_by_role("button", name=t("login.logout", lang="zh")).last.click()
        page.wait_for_selector("[data-testid=stTextInput] input[type=password]", timeout=30_000)
        wait_idle(page)
        shot(page, "auth-4-signed-out-phone")

        assert json.loads(served.get("/auth/whoami", cookie=old)[1])["user"] is None
        page.reload()
        wait_idle(page)
        # (the login form of the new session, once its first run has drawn it)
        page.wait_for_selector("[data-testid=stTextInput] input[type=password]", timeout=30_000)
        assert page.locator("[data-testid=stTextInput] input[type=password]").count() == 1
    finally:
        context.close()


def test_the_auth_routes_are_served_beside_the_app(served: Served) -> None:  # noqa: F811
    status, body = served.get("/auth/whoami")
    assert status == 200 and json.loads(body) == {"user": None, "role": None}
    status, body = served.get("/_stcore/health")
    assert (status, body.strip()) == (200, "ok")
