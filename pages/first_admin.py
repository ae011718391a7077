"""An empty install: create the first admin (there is no default password)."""

import streamlit as st

from dashboard import auth, ui
from dashboard.errors import JuweiError
from dashboard.i18n import t

st.title(t("app.title"))
st.subheader(t("login.first_admin_title"))
st.info(t("login.first_admin_intro"))
with st.form("first_admin"):
    username = st.text_input(t("login.username"), max_chars=60)
    display_name = st.text_input(t("login.display_name"), max_chars=60)
    password = st.text_input(t("login.password"), type="password", max_chars=200)
    again = st.text_input(t("login.password_again"), type="password", max_chars=200)
    submitted = st.form_submit_button(t("login.create"), type="primary")

if submitted:
    if password != again:
        st.error(t("login.password_mismatch"))
    else:
        try:
            user = ui.write_raw(auth.create_first_admin, username, password, display_name=display_name)
        except JuweiError as exc:
            st.error(exc.message())
        else:
            with ui.read_session() as s:
                current = auth.to_current(s, s.get(auth.User, user.id))
            ui.sign_in(current)
            st.rerun()
