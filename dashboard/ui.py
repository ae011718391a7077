"""The few shared Streamlit helpers: cached engine, session state, sidebar, KPI row, masked table,
the write wrapper that turns refusals into messages. The only module of dashboard/ importing streamlit.
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import importlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import pandas as pd
import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dashboard import auth, config, maps_render, privacy
from dashboard.errors import JuweiError
from dashboard.i18n import current_language, set_language, t
from dashboard.roles import CurrentUser
from dashboard.store import run_write
from db import shared_engine, upgrade, versions

T = TypeVar("T")


def engine() -> Engine:
    """The app's one engine for the configured database, kept for the process (migrated on first use)."""
    return shared_engine(prepare=upgrade)


@contextmanager
def read_session() -> Iterator[Session]:
    """A session for reads (no writes happen through it)."""
    with Session(engine()) as s:
        yield s


# --- the shared read cache --------------------------------------------------------------------
# A cached read keeps the tokens (db/versions.py) of the tables its SQL named; it is served while
# those tokens are unchanged, checked against one snapshot of the tokens per script run. A write
# therefore drops exactly the reads of the tables it wrote, in every server process, and nothing else.

_run = threading.local()
SNAPSHOT_MAX_AGE_S = 2.0  # a fragment rerun (no frame) re-reads the tokens after this long


def begin_run() -> None:
    """Called by the frame at the top of every script run (and after a write): take a new snapshot
    of the tokens, and forget what this run memoised."""
    _run.snapshot = None
    _run.memo = {}
    _freeze_startup()


@functools.cache
def _freeze_startup() -> None:
    """Once per process: move what start-up loaded (Streamlit, pandas, SQLAlchemy, plotly, folium
    and their modules) out of the cyclic garbage collector's sight, so its full collections during
    a page run only walk objects made since (a long-lived server's usual remedy for GC pauses)."""
    gc.collect()
    gc.freeze()


def _take_snapshot(connection: Any) -> dict[str, str]:
    _run.snapshot = (time.monotonic(), versions.snapshot(connection))
    _run.memo = {}
    return _run.snapshot[1]


def _snapshot() -> dict[str, str]:
    taken = getattr(_run, "snapshot", None)
    if taken is None or time.monotonic() - taken[0] > SNAPSHOT_MAX_AGE_S:
        with engine().connect() as connection:
            return _take_snapshot(connection)
    return taken[1]


def per_run(name: str, compute: Callable[[], T]) -> T:
    """compute() once per script run (the frame and the page both ask for today, say)."""
    _snapshot()  # a fragment rerun past the snapshot's age starts afresh
    memo = _run.memo
    if name not in memo:
        memo[name] = compute()
    return memo[name]


def _compute(module: str, name: str, args_json: str) -> tuple[versions.Deps, Any]:
    """module.name(session, *args, **kwargs) with the tokens of the tables it read."""
    fn = getattr(importlib.import_module(module), name)
    args, kwargs = json.loads(args_json, object_hook=_revive)
    with Session(engine()) as s:
        # The run's snapshot of the tokens, taken before this read: no read of them per cached call.
        return versions.tracked(s, lambda: fn(s, *args, **kwargs), before=_snapshot())


_cached_call = st.cache_data(ttl=600, show_spinner=False, max_entries=500)(_compute)


def _encode(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return {"__datetime__": value.isoformat()}
    if isinstance(value, dt.date):
        return {"__date__": value.isoformat()}
    raise TypeError(type(value))


def _revive(obj: dict[str, Any]) -> Any:
    if "__datetime__" in obj:
        return dt.datetime.fromisoformat(obj["__datetime__"])
    if "__date__" in obj:
        return dt.date.fromisoformat(obj["__date__"])
    return obj


def _fresh(cached_fn: Any, *key: str) -> Any:
    """The cached value of cached_fn(*key), computed again when a table it read has changed since."""
    deps, value = cached_fn(*key)
    if not versions.is_current(deps, _snapshot()):
        cached_fn.clear(*key)
        deps, value = cached_fn(*key)
    return value


def cached(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """fn(session, *args, **kwargs) through a cache shared by all users, kept until a table it
    read is written.

    Use for reads whose result does not depend on who asks (mask per user after the call).
    """
    key = json.dumps([list(args), kwargs], default=_encode, sort_keys=True)
    return _fresh(_cached_call, fn.__module__, fn.__name__, key)


_cached_value_call = st.cache_resource(ttl=600, show_spinner=False, max_entries=200)(_compute)


def cached_value(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """cached() for small immutable results (a date, a number, a name): kept without a copy per call."""
    key = json.dumps([list(args), kwargs], default=_encode, sort_keys=True)
    return _fresh(_cached_value_call, fn.__module__, fn.__name__, key)


def clear_caches() -> None:
    """Forget every cached read (tests start from nothing; writes need not call this)."""
    st.cache_data.clear()
    _cached_value_call.clear()
    begin_run()


def write(fn: Callable[..., T], *args: Any, success: str | None = None, **kwargs: Any) -> T | None:
    """Run a write function in one transaction; show its refusal as a message. Returns None on refusal."""
    try:
        result = run_write(engine(), fn, *args, **kwargs)
    except JuweiError as exc:
        st.error(exc.message())
        return None
    except IntegrityError:
        st.error(t("common.conflict"))
        return None
    begin_run()  # what this run reads from here on sees the write
    if success:
        st.toast(success, icon="✅")
    return result


# --- who and when ---------------------------------------------------------------------------


def current_user() -> CurrentUser | None:
    """The signed-in user of this browser session."""
    return st.session_state.get("user")


def require_user() -> CurrentUser:
    """The signed-in user; stops the page when there is none (pages are only listed for users)."""
    # AppTest.switch_page runs a page without the frame: apply the session's language here too.
    setup_language()
    user = current_user()
    if user is None:
        st.warning(t("auth.login_required"))
        st.stop()
    return user


def restore_login() -> CurrentUser | None:
    """The signed-in user of this run, or None.

    A login held in this browser session is checked against its server-side session on every run,
    so a sign-out elsewhere, a password change, an expired session or a disabled account ends an
    open tab too (and a changed role or grid applies at once). After a refresh, the login is taken
    back from the HttpOnly cookie if that is still valid.
    """
    if "user" in st.session_state or "auth_session_id" in st.session_state:
        with engine().connect() as connection:  # one checkout for the login check and the tokens
            _take_snapshot(connection)
            user = auth.session_user(connection, st.session_state.get("auth_session_id"))
        if user is not None:
            st.session_state["user"] = user
            return user
        _forget_login()
    token = st.context.cookies.get(auth.COOKIE_NAME) if hasattr(st, "context") else None
    if isinstance(token, str) and token:
        with read_session() as s:
            found = auth.session_for_token(s, token)
        if found:
            st.session_state["user"], st.session_state["auth_session_id"] = found
            _apply_preferred_language(found[0])
            return found[0]
    return None


def _apply_preferred_language(user: CurrentUser) -> None:
    """A new browser session (a refresh, a new tab) opens in the language the user last chose."""
    with read_session() as s:
        lang = auth.preferred_language(s, user.id)
    if lang:
        st.session_state["lang"] = lang
        set_language(lang)


def _save_language() -> None:
    user = current_user()
    if user is None or user.id is None:
        return
    try:
        run_write(engine(), auth.set_language, user, st.session_state.get("lang", "zh"))
    except JuweiError:
        pass  # a preference that could not be saved still applies to this session


def sign_in(user: CurrentUser) -> None:
    """Remember the user in this browser session and ask the browser to bind the cookie."""
    session_id, nonce = run_write(engine(), auth.start_session, user, hours=config.env().session_hours)
    st.session_state["user"] = user
    st.session_state["auth_session_id"] = session_id
    st.session_state["bind_nonce"] = nonce
    _apply_preferred_language(user)


def bind_cookie_if_pending() -> None:
    """Send the one-time nonce to /auth/bind so the server sets the HttpOnly session cookie."""
    nonce = st.session_state.pop("bind_nonce", None)
    if not nonce:
        return
    payload = json.dumps({"nonce": nonce})
    st.html(
        "<script>fetch('/auth/bind',{method:'POST',credentials:'same-origin',"
        f"headers:{{'Content-Type':'application/json'}},body:JSON.stringify({payload})}})"
        ".then(r=>{document.body.dataset.juweiBound=r.ok?'1':'0'});</script>",
        unsafe_allow_javascript=True,
    )


def _forget_login() -> None:
    """Drop everything this browser session held for its user (widgets, page state, the login),
    so nothing of theirs is left for whoever signs in next in the same tab; keep the language."""
    for key in list(st.session_state.keys()):
        if key != "lang":
            del st.session_state[key]
    st.session_state["signed_out"] = True


def sign_out() -> None:
    """Revoke this browser's session on the server and forget it here (the cookie is deleted next run)."""
    run_write(engine(), auth.revoke_session, st.session_state.get("auth_session_id"))
    _forget_login()


def clear_cookie_if_signed_out() -> None:
    """After sign-out, delete the cookie in the browser too (the server already revoked it)."""
    if st.session_state.pop("signed_out", False):
        st.html(
            "<script>fetch('/auth/logout',{method:'POST',credentials:'same-origin'});</script>",
            unsafe_allow_javascript=True,
        )


def _calendar() -> tuple[dt.date, bool]:
    return per_run("calendar", lambda: cached_value(config.calendar))


def today() -> dt.date:
    """The app's today (the demo's last day when the demo data is loaded)."""
    return _calendar()[0]


def as_of() -> dt.date:
    """The day every page replays (sidebar)."""
    return st.session_state.get("as_of") or today()


def lang() -> str:
    return current_language()


def meeting_mode(user: CurrentUser | None = None) -> bool:
    """True when personal data must be hidden: forced for the meeting role, a toggle for others."""
    user = user or current_user()
    return bool(user and user.role == "meeting") or bool(st.session_state.get("meeting_mode"))


def setup_language() -> None:
    """Apply the chosen language to this run (default from JUWEI_LANG)."""
    if "lang" not in st.session_state:
        st.session_state["lang"] = config.env().language
    set_language(st.session_state["lang"])


def sidebar(user: CurrentUser) -> None:
    """As-of date, language, demo badge, meeting mode, who is signed in, sign out."""
    day = today()
    with st.sidebar:
        if _calendar()[1]:  # the demo data is loaded
            st.badge(
                t("app.demo_badge"), icon=":material/science:", color="orange", help=t("app.demo_badge_help")
            )
        st.date_input(
            t("app.as_of"),
            value=st.session_state.get("as_of", day),
            max_value=day,
            min_value=day - dt.timedelta(days=730),
            key="as_of",
            help=t("app.as_of_help"),
        )
        st.radio(
            t("app.language"),
            options=["zh", "en"],
            format_func=lambda code: "中文" if code == "zh" else "English",
            horizontal=True,
            key="lang",
            on_change=_save_language,
        )
        if user.role == "meeting":
            st.caption(t("app.meeting_mode") + " ✓")
        else:
            st.toggle(t("app.meeting_mode"), key="meeting_mode", help=t("app.meeting_mode_help"))
        st.caption(t("app.signed_in_as", name=user.label, role=t(f"code.role.{user.role}")))
        if st.button(t("login.logout"), icon=":material/logout:", key="sidebar_logout"):
            sign_out()
            st.rerun()
    if meeting_mode(user):
        st.html(
            "<style>html{font-size:20px}[data-testid=stMetricValue]{font-size:3rem}"
            "[data-testid=stMarkdownContainer] p{font-size:1.2rem}</style>"
        )


# --- rendering helpers ----------------------------------------------------------------------


def show_error(exc: JuweiError) -> None:
    st.error(exc.message())


def kpi_row(items: list[dict[str, Any]], columns: int | None = None) -> None:
    """A row of st.metric tiles: each item has label, value, and optionally delta, help, delta_color."""
    cols = st.columns(columns or max(1, len(items)))
    for i, item in enumerate(items):
        with cols[i % len(cols)]:
            st.metric(
                item["label"],
                item["value"],
                delta=item.get("delta"),
                delta_color=item.get("delta_color", "normal"),
                help=item.get("help"),
                border=True,
            )


def masked_table(
    df: pd.DataFrame, user: CurrentUser, *, rename: dict[str, str] | None = None, **kwargs: Any
) -> None:
    """st.dataframe of df with personal data masked for this user (dropped in meeting mode)."""
    shown = privacy.mask(df, user, meeting=meeting_mode(user))
    if rename:
        shown = shown.rename(columns=rename)
    kwargs.setdefault("hide_index", True)
    kwargs.setdefault("width", "stretch")
    st.dataframe(shown, **kwargs)


def empty(key: str, **params: Any) -> None:
    """An explicit empty state: information, not an error."""
    st.info(t(key, **params), icon=":material/check_circle:")


def has_accounts() -> bool:
    """False on an empty install (the first-admin screen shows instead of the login)."""
    with read_session() as s:
        return auth.has_users(s)


def write_raw(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a write function in one transaction and let its refusal propagate (for custom handling).

    A refusal still commits what the function recorded before raising only when the function
    itself chose to (see auth.authenticate, which must count a failed attempt).
    """
    result = run_write(engine(), fn, *args, **kwargs)
    begin_run()
    return result


# --- folium maps ------------------------------------------------------------------------------
# streamlit-folium turns a folium.Map into its component's arguments (render every element, then
# rewrite the Leaflet script) on every rerun: the costly part of a map page. folium_map() caches
# those arguments like cached() caches reads (maps_render.folium_parts makes them, rendering the
# tree once; tests/test_map.py checks that they equal what st_folium itself would send).

_FOLIUM_DEFAULTS: dict[str, Any] = {
    "last_clicked": None,
    "last_object_clicked": None,
    "last_object_clicked_count": None,
    "last_object_clicked_tooltip": None,
    "last_object_clicked_popup": None,
    "all_drawings": None,
    "last_active_drawing": None,
    "last_circle_radius": None,
    "last_circle_polygon": None,
    "selected_layers": None,
    "selected_tags": None,
    "last_geocoder_result": None,
}


@st.cache_data(ttl=600, show_spinner=False, max_entries=100)
def _cached_folium_parts(
    module: str, name: str, args_json: str, key: str
) -> tuple[versions.Deps, dict[str, Any]]:
    fn = getattr(importlib.import_module(module), name)
    args, kwargs = json.loads(args_json, object_hook=_revive)
    with Session(engine()) as s:
        deps, m = versions.tracked(s, lambda: fn(s, *args, **kwargs), before=_snapshot())
    import streamlit_folium

    return deps, maps_render.folium_parts(m, key, streamlit_folium)


def folium_map(
    fn: Callable[..., Any],
    *args: Any,
    key: str,
    height: int = 600,
    returned_objects: list[str] | None = None,
) -> Any:
    """Draw the folium map fn(session, *args) builds, through streamlit-folium's component, cached.

    Returns the component's value holding only `returned_objects` (so panning does not rerun the
    page). The map must not depend on who asks; it is drawn again when a table it read changes.
    """
    import streamlit_folium as sf

    returned = list(returned_objects or [])
    args_json = json.dumps([list(args), {}], default=_encode, sort_keys=True)
    parts = _fresh(_cached_folium_parts, fn.__module__, fn.__name__, args_json, key)
    everything = {**_FOLIUM_DEFAULTS, "bounds": parts["bounds"], "zoom": parts["zoom"]}

    def _on_change() -> None:
        st.session_state[key] = st.session_state.get(parts["hash"], {})

    return sf._component_func(
        script=parts["script"],
        header=parts["header"],
        html=parts["html"],
        id=parts["id"],
        key=parts["hash"],
        height=height,
        width=None,
        returned_objects=returned,
        default={k: v for k, v in everything.items() if k in returned},
        zoom=None,
        center=None,
        feature_group=None,
        return_on_hover=False,
        layer_control=None,
        pixelated=False,
        css_links=parts["css_links"],
        js_links=parts["js_links"],
        on_change=_on_change,
        wrap_longitude=False,
    )


_MARKDOWN_SPECIAL = set("\\`*_{}[]()#+-.!|<>~$:")


def plain(text: object) -> str:
    """Text typed by a user, made safe to show inside st.markdown/st.caption (no links, images,
    formulas or emphasis from it)."""
    return "".join("\\" + ch if ch in _MARKDOWN_SPECIAL else ch for ch in str(text))
