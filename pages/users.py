"""Accounts (admin): who can sign in, with which role, grid and team; create, reset, disable."""

import datetime as dt

import streamlit as st

from dashboard import auth, roles, ui
from dashboard.i18n import code, t

user = ui.require_user()
st.title(t("users.title"))
if not roles.allowed(user, "users.manage"):
    st.error(t("auth.denied"))
    st.stop()
notice = st.session_state.pop("users_notice", None)
if notice:
    st.success(notice)

# Locks end with time, not with a write: the list is cached for the current minute at most.
accounts = ui.cached(auth.accounts, now=dt.datetime.now().replace(second=0, microsecond=0))
grids = ui.cached(auth.grid_choices)
teams = ui.cached(auth.team_choices)

shown = accounts.assign(role=[code("role", r) for r in accounts["role"]], team=accounts["team"].fillna(""))
st.dataframe(
    shown,
    hide_index=True,
    width="stretch",
    column_config={
        "username": t("login.username"),
        "display_name": t("login.display_name"),
        "role": t("users.role"),
        "grid": st.column_config.NumberColumn(t("common.grid"), format="%d"),
        "team": t("common.team"),
        "active": st.column_config.CheckboxColumn(t("users.active")),
        "locked": st.column_config.CheckboxColumn(t("users.locked")),
        "failed_attempts": t("users.failed_attempts"),
        "last_login": st.column_config.DatetimeColumn(t("users.last_login"), format="YYYY-MM-DD HH:mm"),
    },
)
st.caption(t("users.count", n=len(accounts), active=int(accounts["active"].sum())))

usernames = accounts["username"].tolist()
none = t("common.none")

with st.expander(t("users.create"), icon=":material/person_add:"):
    with st.form("users_create", clear_on_submit=False):
        username = st.text_input(
            t("login.username"), max_chars=60, help=t("users.username_help"), key="new_username"
        )
        display_name = st.text_input(t("login.display_name"), max_chars=60, key="new_display_name")
        role = st.selectbox(
            t("users.role"), roles.ROLES, format_func=lambda r: code("role", r), key="new_role"
        )
        grid_id = st.selectbox(
            t("common.grid"),
            [None, *grids],
            format_func=lambda g: none if g is None else t("users.grid_n", n=grids[g]),
            help=t("users.grid_help"),
            key="new_grid",
        )
        team_id = st.selectbox(
            t("common.team"),
            [None, *teams],
            format_func=lambda k: none if k is None else teams[k],
            help=t("users.team_help"),
            key="new_team",
        )
        password = st.text_input(t("login.password"), type="password", max_chars=200, key="new_password")
        again = st.text_input(t("login.password_again"), type="password", max_chars=200, key="new_again")
        create = st.form_submit_button(t("users.create_submit"), type="primary", key="create_submit")
    if create:
        if password != again:
            st.error(t("login.password_mismatch"))
        else:
            made = ui.write(
                auth.create_user,
                user,
                username,
                password,
                role,
                grid_id=grid_id,
                team_id=team_id,
                display_name=display_name,
            )
            if made is not None:
                st.session_state["users_notice"] = t("users.created", username=made.username)
                st.rerun()

with st.expander(t("users.reset"), icon=":material/lock_reset:"):
    with st.form("users_reset"):
        target = st.selectbox(t("login.username"), usernames, key="reset_user")
        password = st.text_input(
            t("users.new_password"), type="password", max_chars=200, key="reset_password"
        )
        again = st.text_input(t("login.password_again"), type="password", max_chars=200, key="reset_again")
        reset = st.form_submit_button(t("users.reset_submit"), type="primary", key="reset_submit")
    if reset:
        if password != again:
            st.error(t("login.password_mismatch"))
        else:
            ended = ui.write(auth.reset_password, user, target, password)
            if ended is not None:
                st.success(t("users.reset_done", username=target, n=ended))

with st.expander(t("users.activation"), icon=":material/person_off:"):
    with st.form("users_active"):
        target = st.selectbox(t("login.username"), usernames, key="active_user")
        disable = st.form_submit_button(t("users.disable"), key="disable_submit")
        enable = st.form_submit_button(t("users.enable"), key="enable_submit")
    if disable or enable:
        done = ui.write(auth.set_active, user, target, bool(enable))
        if done is not None:
            st.session_state["users_notice"] = t(
                "users.enabled" if done else "users.disabled", username=target
            )
            st.rerun()
