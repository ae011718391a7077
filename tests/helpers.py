"""Helpers for AppTest page tests: open the app as a given demo user, in a given language."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from dashboard import auth
from dashboard.i18n import set_language
from dashboard.store import run_write
from db import make_engine
from db.models import User

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "streamlit_app.py")


def forget_app_state() -> None:
    """Empty Streamlit's caches and close the app's shared engines (db.shared_engine): the next page
    run reads the database named by DATABASE_URL afresh, and no connection keeps a test's file open."""
    import streamlit as st

    from db import dispose_shared

    st.cache_data.clear()
    st.cache_resource.clear()
    dispose_shared()


def open_app(
    username: str | None = "shuji", lang: str = "zh", page: str | None = None, timeout: float = 60
) -> AppTest:
    """An AppTest of the whole app, signed in as username (None: signed out), on page, already run."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.session_state["lang"] = lang
    # AppTest calls a widget's format_func (often t(...)) in the test's own thread when it reads
    # the widget state back: that thread must speak the page's language too.
    set_language(lang)
    if username:
        engine = make_engine()
        with Session(engine) as s:
            row = s.scalar(select(User).where(User.username == username))
            assert row is not None, f"no user {username}"
            user = auth.to_current(s, row)
        # A real server-side session, as a sign-in makes: the frame checks it on every run.
        session_id, _nonce = run_write(engine, auth.start_session, user)
        at.session_state["user"] = user
        at.session_state["auth_session_id"] = session_id
        engine.dispose()
    at.run()
    if page:
        at.switch_page(page).run()
    return at


def texts(at: AppTest) -> str:
    """Everything a user can read on the page, as one string (markdown, metrics, captions, tables)."""
    parts: list[str] = []
    for kind in (
        "title",
        "header",
        "subheader",
        "markdown",
        "caption",
        "info",
        "success",
        "warning",
        "error",
        "text",
    ):
        parts.extend(str(e.value) for e in getattr(at, kind))
    for m in at.metric:
        parts.append(f"{m.label} {m.value}")
    for df in at.dataframe:
        parts.append(df.value.to_string())
    for tbl in at.table:
        parts.append(tbl.value.to_string())
    return "\n".join(parts)
