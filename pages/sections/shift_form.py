"""The form that puts someone on the roster: who, from when to when, and at which entrance (a guard
shift) — shared by the people page (any duty, entrance optional) and the services page (guards at
an entrance)."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from dashboard import people, ui
from dashboard.i18n import t
from pages.sections import common
from pages.sections.common import Ctx


def shift_form(
    ctx: Ctx,
    *,
    form: str,
    prefix: str,
    persons: dict[int, str],
    entrances: dict,
    entrance_label: str,
    entrance_first: bool,
    with_task: bool,
    primary: bool,
    flash: str,
) -> None:
    """Add a shift on ctx.day (08:00–16:00 by default). Widget keys are prefix + _person, _start_day,
    _start, _end_day, _end, _task, _entrance, _submit; entrances maps id → name (None allowed: no
    entrance); a saved shift leaves its message under the page's flash key."""

    def entrance_input() -> object:
        return st.selectbox(
            entrance_label, list(entrances), format_func=entrances.get, key=f"{prefix}_entrance"
        )

    task = ""
    with st.form(form):
        entrance_id = entrance_input() if entrance_first else None
        person_id = st.selectbox(
            t("people.person"), list(persons), format_func=persons.get, key=f"{prefix}_person"
        )
        start_day = st.date_input(t("people.start_day"), value=ctx.day, key=f"{prefix}_start_day")
        start_time = st.time_input(
            t("people.start_time"), value=dt.time(8, 0), step=1800, key=f"{prefix}_start"
        )
        end_day = st.date_input(t("people.end_day"), value=ctx.day, key=f"{prefix}_end_day")
        end_time = st.time_input(t("people.end_time"), value=dt.time(16, 0), step=1800, key=f"{prefix}_end")
        if with_task:
            task = st.text_input(t("people.task"), max_chars=100, key=f"{prefix}_task")
        if not entrance_first:
            entrance_id = entrance_input()
        submitted = st.form_submit_button(
            t("common.save"),
            type="primary" if primary else "secondary",
            width="stretch",
            key=f"{prefix}_submit",
        )
    if submitted:
        saved = ui.write(
            people.do_add_shift,
            ctx.user,
            int(person_id),
            dt.datetime.combine(start_day, start_time),
            dt.datetime.combine(end_day, end_time),
            entrance_id=None if entrance_id is None else int(entrance_id),
            task=task,
        )
        if saved is not None:
            common.done(flash, t("common.saved"))
