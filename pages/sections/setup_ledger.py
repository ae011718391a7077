"""Set-up step 4, the ledger (底账): the template, the export of the stored ledger, and an uploaded
sheet mapped, dry-run and committed; households and residents by hand below it."""

from __future__ import annotations

import streamlit as st

from dashboard import config, imports, ledger, roles, ui
from dashboard.errors import JuweiError
from dashboard.i18n import t
from pages.sections.common import Ctx
from pages.sections.setup_common import done
from pages.sections.setup_households import households_by_hand

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def render(ctx: Ctx) -> None:
    st.subheader(t("ledger.title"))
    st.caption(t("ledger.intro"))
    st.download_button(
        t("ledger.template"),
        data=ledger.template_xlsx(ctx.lang),
        file_name=t("ledger.template_file"),
        mime=XLSX,
        icon=":material/download:",
    )
    if roles.allowed(ctx.user, "export.personal") and not ctx.meeting:
        if st.button(t("ledger.export"), icon=":material/table_view:"):
            data = ui.write(ledger.export_xlsx, ctx.user)
            if data is not None:
                st.session_state["setup_export"] = data
        if "setup_export" in st.session_state:
            st.download_button(
                t("ledger.export_ready"),
                data=st.session_state["setup_export"],
                file_name=t("ledger.export_file"),
                mime=XLSX,
                on_click=lambda: st.session_state.pop("setup_export", None),
            )
    upload = st.file_uploader(t("ledger.upload"), type=["xlsx", "csv", "txt"], key="setup_ledger_file")
    if upload is not None:
        ledger_import(ctx, upload.getvalue(), upload.name)
    households_by_hand(ctx)


def ledger_import(ctx: Ctx, data: bytes, filename: str) -> None:
    user, lang = ctx.user, ctx.lang
    digest = imports.file_digest(data)
    # The file is read and checked once per upload and mapping, not on every rerun of the page.
    memo = st.session_state.get("setup_ledger_memo")
    if memo is None or memo["digest"] != digest:
        try:
            frame = imports.read_table(data, filename, max_bytes=int(config.env().import_max_mb * 1_048_576))
        except JuweiError as exc:
            st.error(exc.message())
            return
        memo = st.session_state["setup_ledger_memo"] = {"digest": digest, "frame": frame, "runs": {}}
    frame = memo["frame"]
    columns = list(frame.columns)
    suggested = ledger.suggest_mapping(columns)
    none = t("ledger.not_mapped")
    mapping: dict[str, str | None] = {}
    with st.expander(t("ledger.mapping"), expanded=len(suggested) < len(ledger.REQUIRED) + 3):
        st.caption(t("ledger.mapping_help"))
        for fld in ledger.FIELDS:
            label = ledger.header(fld, lang) + (" *" if fld in ledger.REQUIRED else "")
            options = [None, *columns]
            chosen = st.selectbox(
                label,
                options,
                index=options.index(suggested[fld]) if fld in suggested else 0,
                format_func=lambda c: none if c is None else c,
                key=f"setup_map_{digest[:12]}_{fld}",
            )
            mapping[fld] = chosen
    mapping_key = repr(sorted((k, v or "") for k, v in mapping.items()))
    try:
        with ui.read_session() as s:
            if mapping_key not in memo["runs"]:
                memo["runs"][mapping_key] = ledger.dry_run(s, user, frame, mapping)
            run = memo["runs"][mapping_key]
            before = ledger.already_imported(s, digest)
    except JuweiError as exc:
        st.error(exc.message())
        return
    st.subheader(t("ledger.dry_run"))
    summary = run.summary()
    ui.kpi_row([{"label": t(f"ledger.{k}"), "value": v} for k, v in summary.items()])
    if before is not None:
        st.info(t("ledger.already", at=before.strftime("%Y-%m-%d %H:%M")))
    if run.issues:
        st.markdown(f"**{t('ledger.rejects_title')}**")
        st.dataframe(
            run.issues_frame(lang).rename(columns={"row": t("imports.row"), "reason": t("imports.reason")}),
            hide_index=True,
            width="stretch",
        )
    else:
        st.success(t("ledger.no_rejects"))
    writes = summary["add"] + summary["update"]
    if writes == 0:
        ui.empty("ledger.nothing_to_commit")
        return
    if st.button(t("ledger.commit", n=writes), type="primary", key="setup_ledger_commit"):
        bar = st.progress(0.0, text=t("ledger.progress"))
        result = ui.write(
            ledger.commit, user, frame, mapping, filename=filename, digest=digest,
            progress=lambda f: bar.progress(min(1.0, f), text=t("ledger.progress")),
        )  # fmt: skip
        if result is not None:
            memo["runs"].clear()  # the database changed: the next dry run shows the sheet as unchanged
            done(t("ledger.done", **result.__dict__))
