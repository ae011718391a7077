"""The import of the sampling system's export into a round: a dry run of the file (what it would
add, update and retest, and what it cannot read), then the commit."""

from __future__ import annotations

import streamlit as st

from dashboard import imports, roles, screening_import, ui
from dashboard.errors import JuweiError
from dashboard.i18n import t
from pages.sections.common import Ctx
from pages.sections.screening_common import after_write, pick_round, pickers


def render(ctx: Ctx) -> None:
    user = ctx.user
    round_id = pick_round(pickers(ctx))
    if round_id is None:
        return
    if not roles.allowed(user, "screening.import"):
        st.info(t("screening.read_only"))
        return
    st.caption(t("screening.imp_help"))
    upload = st.file_uploader(t("screening.imp_file"), type=["csv", "xlsx"], key="scr_upload")
    if upload is None:
        return
    data = upload.getvalue()
    digest = imports.file_digest(data)
    key = (digest, round_id)
    dry = None
    cached_dry = st.session_state.get("scr_dry")
    if cached_dry and cached_dry[0] == key:
        dry = cached_dry[1]
    else:
        try:
            with ui.read_session() as s:
                dry = screening_import.dry_run(s, user, round_id, data, upload.name)
        except JuweiError as exc:
            st.error(exc.message())
            return
        st.session_state["scr_dry"] = (key, dry)
    plan = dry.payload
    summary = screening_import.summary(dry)
    st.subheader(t("screening.imp_dry_run"))
    if plan.previous_import:
        st.info(
            t("screening.imp_seen_before", at=plan.previous_import.isoformat(sep=" ", timespec="minutes"))
        )
    st.caption(
        t(
            "screening.imp_columns",
            columns=", ".join(f"{t('screening.field_' + f)} ← {c}" for f, c in plan.columns.items()),
        )
    )
    ui.kpi_row(
        [
            {"label": t(f"screening.imp_n_{k}"), "value": summary[k]}
            for k in ("add", "update", "unchanged", "retests")
        ]
    )
    ui.kpi_row(
        [
            {"label": t(f"screening.imp_n_{k}"), "value": summary[k]}
            for k in ("unmatched", "duplicate", "malformed", "rejected")
        ]
    )
    if dry.issues:
        issues = dry.issues_frame()
        st.dataframe(
            issues.rename(columns={"row": t("imports.row"), "reason": t("imports.reason")}),
            hide_index=True,
            width="stretch",
        )
    if summary["malformed"]:
        st.error(t("screening.imp_has_errors", n=summary["malformed"]))
        return
    todo = summary["add"] + summary["update"] + summary["retests"]
    if todo == 0:
        st.success(t("screening.imp_nothing"))
        return
    if st.button(t("screening.imp_commit", n=todo), type="primary", key="scr_commit"):
        bar = st.progress(0.0, text=t("screening.imp_started"))
        done = ui.write(
            screening_import.import_results,
            user,
            round_id,
            data,
            upload.name,
            progress=lambda f, text: bar.progress(f, text=text),
        )
        st.session_state.pop("scr_dry", None)
        if done is not None:
            s = screening_import.summary(done)
            after_write(done, t("screening.imp_done", add=s["add"], update=s["update"]))
