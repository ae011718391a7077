"""Juwei's entry: page config, login gate, sidebar, then the pages this user's role may open.

Run with `streamlit run streamlit_app.py`: Streamlit finds `app` below and serves the frame through
st.App, which adds the /auth routes that bind a login to an HttpOnly cookie (dashboard/server.py).
"""

import streamlit as st

if __name__ == "__main__":  # a Streamlit script run (browser session or AppTest)
    from dashboard import nav, ui
    from dashboard.i18n import t

    st.set_page_config(page_title=t("app.short"), page_icon="🏘️", layout="wide")
    ui.begin_run()
    ui.setup_language()
    user = ui.restore_login()
    ui.clear_cookie_if_signed_out()
    if user is None:
        first = "pages/login.py" if ui.has_accounts() else "pages/first_admin.py"
        st.navigation([st.Page(first, title=t("login.title"), icon=":material/login:")]).run()
    else:
        ui.bind_cookie_if_pending()
        ui.sidebar(user)
        groups: dict[str, list[st.Page]] = {}
        for spec in nav.pages_for(user):
            page = st.Page(spec.path, title=t(spec.title_key), icon=spec.icon, default=spec.default)
            groups.setdefault(t(spec.group), []).append(page)
        st.navigation(groups).run()
else:  # imported by the ASGI server
    from streamlit.starlette import App

    from dashboard import server

    app = App(__file__, routes=server.routes())
