"""Who is on duty at a moment, and the people, teams and roster lists as the pages show them.

The people and services pages rerun on every click: these read once through the shared cache
(ui.cached), the stored codes already in words of `lang`. None depends on who asks: the pages mask
names and phones per user (mask_staff) after the call.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard import config, privacy, roles
from dashboard.i18n import code, coded
from dashboard.people_roster import on_duty, roster
from dashboard.people_staff import people_list, teams_overview
from db.models import Person


def duty_moment(session: Session, as_of: dt.date, at: dt.time | None = None) -> dt.datetime:
    """The moment 'who is on duty' looks at: now on today, else the chosen time (noon) of as_of."""
    today = config.today(session)
    if at is None and as_of == today:
        return config.now(session)
    return dt.datetime.combine(as_of, at or dt.time(12, 0))


def mask_staff(df: pd.DataFrame, user: roles.CurrentUser, *, meeting: bool = False) -> pd.DataFrame:
    """Staff lists: names and phones in full for managers and grid leaders, phones masked for task
    users, names masked and phones hidden for viewers, both hidden in meeting mode."""
    out = df.copy()
    names = [c for c in privacy.NAME_COLUMNS if c in out.columns]
    phones = [c for c in privacy.PHONE_COLUMNS if c in out.columns]
    if meeting or user.role == "meeting":
        return out.drop(columns=names + phones)
    if user.role == "viewer":
        for c in names:
            out[c] = out[c].map(privacy.mask_name)
        return out.drop(columns=phones)
    if user.role == "task":
        for c in phones:
            out[c] = out[c].map(privacy.mask_phone)
    return out


# --- the lists as the pages show them ---------------------------------------------------------

PEOPLE_SHOWN = [
    "name", "phone", "kind", "cadre_level", "volunteer_kind", "organisation", "team", "grid", "active",
]  # fmt: skip
ROSTER_SHOWN = ["person_name", "phone", "team", "entrance", "starts_at", "ends_at", "task"]
ON_DUTY_SHOWN = ["person_name", "phone", "kind", "team", "entrance", "starts_at", "ends_at", "task"]
PERSON_CODES = {"kind": "person_kind", "cadre_level": "cadre_level", "volunteer_kind": "volunteer_kind"}


def _times(df: pd.DataFrame) -> pd.DataFrame:
    """Shift times as the lists show them (MM-DD HH:MM), no entrance as ''."""
    return df.assign(
        starts_at=[v.strftime("%m-%d %H:%M") for v in df["starts_at"]],
        ends_at=[v.strftime("%m-%d %H:%M") for v in df["ends_at"]],
        entrance=df["entrance"].fillna(""),
    )


def people_table(session: Session, kind: str | None, team_id: int | None, lang: str) -> pd.DataFrame:
    """people_list() as the people page lists it: its columns, kinds and levels in words."""
    return coded(people_list(session, kind, team_id)[PEOPLE_SHOWN], PERSON_CODES, lang)


def teams_table(session: Session, lang: str) -> pd.DataFrame:
    """teams_overview() with each team's kind in words."""
    return coded(teams_overview(session), {"kind": "team_kind"}, lang)


def person_labels(session: Session, lang: str) -> dict[int, str]:
    """Everyone for a manager's picker: person_id → "name · kind", in people_list()'s order."""
    rows = session.execute(select(Person.id, Person.name, Person.kind).order_by(Person.kind, Person.id)).all()
    return {int(i): f"{n} · {code('person_kind', k, lang)}" for i, n, k in rows}


def roster_table(session: Session, day: dt.date, team_id: int | None = None) -> pd.DataFrame:
    """roster() as the lists show it (times as MM-DD HH:MM)."""
    return _times(roster(session, day, team_id))[ROSTER_SHOWN]


def on_duty_table(session: Session, as_of: dt.date, at: str, lang: str) -> tuple[dt.datetime, pd.DataFrame]:
    """Who is on duty at a time of a day (at: HH:MM[:SS]) as the people page lists them: the moment
    and the list (times as MM-DD HH:MM, kinds in words)."""
    moment = duty_moment(session, as_of, dt.time.fromisoformat(at))
    duty = coded(_times(on_duty(session, moment)), {"kind": "person_kind"}, lang)
    return moment, duty[ON_DUTY_SHOWN]
