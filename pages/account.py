"""My account (everyone): who I am signed in as, change my password, sign out."""

import streamlit as st

from dashboard import auth, ui
from dashboard.i18n import code, t

user = ui.require_user()
st.title(t("account.title"))
st.markdown(
    t(
        "account.who",
        username=user.username,
        name=user.label,
        role=code("role", user.role),
    )
)
if user.grid_number is not None:
    st.caption(t("account.grid", n=user.grid_number))
if user.team_id is not None:
    st.caption(t("account.team_scope"))

st.subheader(t("account.change_password"))
with st.form("account_password", clear_on_submit=True):
    old = st.text_input(
        t("account.current_password"),
        type="password",
        max_chars=200,
        autocomplete="current-password",
        key="my_old_password",
    )
    new = st.text_input(
        t("users.new_password"),
        type="password",
        max_chars=200,
        autocomplete="new-password",
        key="my_new_password",
    )
    again = st.text_input(
        t("login.password_again"),
        type="password",
        max_chars=200,
        autocomplete="new-password",
        key="my_again",
    )
    st.caption(t("account.password_rule", n=auth.MIN_PASSWORD))
    change = st.form_submit_button(
        t("account.change_submit"), type="primary", width="stretch", key="change_submit"
    )
if change:
    if new != again:
        st.error(t("login.password_mismatch"))
    elif ui.write(auth.change_password, user, old, new) is not None:
        # Every session of this user has ended, this one too: back to the sign-in page.
        ui.sign_out()
        st.session_state["login_notice"] = "account.password_changed"
        st.rerun()

st.divider()
if st.button(t("login.logout"), icon=":material/logout:", key="account_logout", width="stretch"):
    ui.sign_out()
    st.rerun()
