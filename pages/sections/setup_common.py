"""What the set-up steps share: the flash message, the checklist above the steps, and the editable
table of one set-up table (edits mapped to primary keys before they are saved)."""

from __future__ import annotations

import streamlit as st

from dashboard import setup, ui
from dashboard.i18n import t
from pages.sections import common
from pages.sections.common import Ctx

FLASH = "setup_notice"


def done(message: str) -> None:
    """Keep the success message across the rerun that shows the new state."""
    common.done(FLASH, message)


def checklist(steps: list[setup.Step]) -> None:
    """What is done and what is still missing, open while a required step is missing."""
    required = [s for s in steps if s.required]
    n_done = sum(s.done for s in required)
    with st.expander(t("setup.checklist"), expanded=n_done < len(required), icon=":material/checklist:"):
        st.progress(n_done / len(required), text=t("setup.checklist_done", done=n_done, total=len(required)))
        lines = []
        for s in steps:
            mark = "✅" if s.done else ("⬜" if not s.required else "❌")
            extra = "" if s.done else " — " + t(s.missing_key, n=s.count)
            optional = "" if s.required else " " + t("setup.optional")
            lines.append(f"- {mark} {t(s.label_key)}{optional}{extra}")
        st.markdown("\n".join(lines))
        if n_done == len(required):
            st.success(t("setup.all_ready"))


def editor(ctx: Ctx, kind: str) -> None:
    """An editable table of one set-up table; edits are mapped to primary keys before saving."""
    lang = ctx.lang
    version = st.session_state.get(f"setup_v_{kind}", 0)
    key = f"setup_editor_{kind}_{lang}_{version}"
    # The exact frame the editor shows: edited_rows are positions in it, so keep it for the save.
    shown = st.session_state.setdefault(f"{key}_shown", ui.cached(setup.table, kind, lang))
    opts = ui.cached(setup.options, kind, lang)
    config_ = {"id": st.column_config.NumberColumn(t("setup.col.id"), disabled=True, format="%d")}
    for col in setup.SPECS[kind][1]:
        label = t(col.label_key)
        if col.kind in ("code", "ref"):
            config_[col.name] = st.column_config.SelectboxColumn(
                label, options=list(opts[col.name]), required=col.required
            )
        elif col.kind == "int":
            config_[col.name] = st.column_config.NumberColumn(
                label, min_value=col.low, max_value=col.high, step=1, format="%d", required=col.required
            )
        elif col.kind == "bool":
            config_[col.name] = st.column_config.CheckboxColumn(label, default=bool(col.default))
        else:
            config_[col.name] = st.column_config.TextColumn(
                label, max_chars=col.max_len, required=col.required
            )
    st.data_editor(
        shown,
        key=key,
        num_rows="dynamic",
        hide_index=True,
        column_config=config_,
        disabled=["id"],
        width="stretch",
    )
    st.caption(t("setup.table_help"))
    if st.button(t("common.save"), key=f"setup_save_{kind}", type="primary"):
        edits = setup.edits_from_editor(shown, st.session_state.get(key))
        if not edits:
            st.info(t("setup.nothing_changed"))
            return
        result = ui.write(setup.apply_edits, ctx.user, kind, edits, lang=lang)
        if result is not None:
            st.session_state[f"setup_v_{kind}"] = version + 1
            done(t("setup.table_saved", added=result.added, changed=result.changed, deleted=result.deleted))
