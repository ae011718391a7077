"""Sign in. In demo mode the demo accounts are listed (never in production)."""

import streamlit as st

from dashboard import auth, config, ui
from dashboard.i18n import t
from dashboard.store import run_write

st.title(t("app.title"))
st.subheader(t("login.title"))
notice = st.session_state.pop("login_notice", None)
if notice == "account.password_changed":
    st.success(t("account.password_changed"))
with st.form("login", enter_to_submit=True):
    username = st.text_input(t("login.username"), max_chars=60, autocomplete="username")
    password = st.text_input(
        t("login.password"), type="password", max_chars=200, autocomplete="current-password"
    )
    submitted = st.form_submit_button(t("login.submit"), type="primary", width="stretch")

if submitted:
    # Not ui.write_raw: a sign-in attempt changes no figures, so the shared read cache stays.
    outcome = run_write(ui.engine(), auth.login_attempt, username, password)
    if outcome.error is not None:
        st.error(outcome.error.message())
    else:
        ui.sign_in(outcome.user)
        st.rerun()

with ui.read_session() as s:
    demo = config.is_demo(s)
if demo:
    with st.expander(t("login.demo_accounts"), expanded=True):
        st.markdown(t("login.demo_accounts_text"))
