"""The audit trail (admin, secretary): who changed what, when, before and after; filtered, exportable."""

import streamlit as st

from dashboard import audit, roles, ui
from dashboard.i18n import t

user = ui.require_user()
st.title(t("audit.title"))
if not roles.allowed(user, "audit.read"):
    st.error(t("auth.denied"))
    st.stop()
meeting = ui.meeting_mode(user)

choices = ui.cached(audit.trail_choices)
everyone = t("common.all")
who = st.selectbox(t("audit.user"), [None, *choices.users], format_func=lambda u: u or everyone)
grid_id = st.selectbox(
    t("common.grid"),
    [None, *choices.grids],
    format_func=lambda g: everyone if g is None else t("audit.grid_n", n=choices.grids[g]),
)
table = st.selectbox(
    t("audit.table"), [None, *choices.tables], format_func=lambda x: audit.table_label(x) if x else everyone
)
# No upper bound at the demo's "today": sign-ins and other events carry the real clock.
day = st.date_input(t("audit.day"), value=None, help=t("audit.day_help"))

trail = ui.cached(audit.audit_trail, user=who, grid_id=grid_id, table=table, day=day)

if trail.empty:
    ui.empty("audit.none")
    st.stop()

if len(trail) >= audit.TRAIL_LIMIT:
    st.caption(t("audit.limited", n=audit.TRAIL_LIMIT))
shown = trail.drop(columns=["id"]).assign(
    action=[audit.action_label(a) for a in trail["action"]],
    table=[audit.table_label(x) for x in trail["table"]],
)
if meeting:
    # Before/after may hold names, phones and ID numbers: never on the shared screen.
    shown = shown.drop(columns=["before", "after"])
    st.caption(t("audit.meeting_hidden"))
st.dataframe(
    shown,
    hide_index=True,
    width="stretch",
    column_config={
        "at": st.column_config.DatetimeColumn(t("audit.at"), format="YYYY-MM-DD HH:mm:ss"),
        "username": t("audit.user"),
        "action": t("audit.action"),
        "table": t("audit.table"),
        "record_id": t("audit.record"),
        "grid": st.column_config.NumberColumn(t("common.grid"), format="%d"),
        "before": t("audit.before"),
        "after": t("audit.after"),
    },
)

if roles.allowed(user, "export.personal") and not meeting:
    filters = {"username": who, "grid_id": grid_id, "table": table, "day": day}
    prepared = st.session_state.get("audit_export")
    if prepared is None or prepared[0] != filters:
        if st.button(t("audit.export_prepare"), icon=":material/download:"):
            data = ui.write(audit.export_trail, user, **filters)
            if data is not None:
                st.session_state["audit_export"] = (filters, data)
                st.rerun()
    else:
        st.caption(t("audit.export_recorded"))
        st.download_button(
            t("audit.export_download"),
            data=prepared[1],
            file_name="juwei-audit.csv",
            mime="text/csv",
            icon=":material/download:",
        )
