"""Who is on duty at a moment, and the people, teams and roster lists as the pages show them.

The people and services pages rerun on every click: these read once through the shared cache
(ui.cached), the stored codes already in words of `lang`. None depends on who asks: the pages mask
names and phones per user (mask_staff) after the call.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard import config, privacy, roles
from dashboard.i18n import code, coded
from dashboard.people_roster import (
    SHIFT_COLUMNS,
    day_conditions,
    entrance_names,
    moment_conditions,
    moments,
    shift_frame,
    shift_rows,
)
from dashboard.people_staff import (
    grid_assignment,
    grid_names,
    people_counts,
    people_list,
    team_names,
    teams_overview,
)
from db.models import Grid, Person, Team


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


def _listed(rows: list[Any], shown: list[str], lang: str | None = None) -> pd.DataFrame:
    """Shift rows as the lists show them: the columns shown, times as MM-DD HH:MM, no entrance as
    '', kinds in words — what _times() and coded() make of shift_frame(rows), built from the rows."""
    if not rows:
        return coded(
            _times(shift_frame(rows, stamps=False)), {"kind": "person_kind"} if "kind" in shown else {}, lang
        )[shown]
    values = dict(zip(SHIFT_COLUMNS, zip(*rows, strict=True), strict=True))
    for col in ("starts_at", "ends_at"):
        values[col] = moments(values[col])
    values["entrance"] = pd.Series(values["entrance"]).fillna("")
    if "kind" in shown:
        words = {k: code("person_kind", k, lang) for k in set(values["kind"]) if isinstance(k, str)}
        values["kind"] = [words.get(k, "") for k in values["kind"]]
    return pd.DataFrame({c: values[c] for c in shown})


_PEOPLE_TABLE = (
    select(
        Person.name,
        Person.phone,
        Person.kind,
        Person.cadre_level,
        Person.volunteer_kind,
        Person.organisation,
        Team.name,
        Grid.number,
        Person.active,
    )
    .outerjoin(Team, Team.id == Person.team_id)
    .outerjoin(Grid, Grid.id == Person.grid_id)
    .order_by(Person.kind, Person.id)
)


def people_table(session: Session, kind: str | None, team_id: int | None, lang: str) -> pd.DataFrame:
    """people_list() as the people page lists it: its columns, kinds and levels in words (read in
    one statement, without the stamps the list does not show)."""
    stmt = _PEOPLE_TABLE
    if kind:
        stmt = stmt.where(Person.kind == kind)
    if team_id is not None:
        stmt = stmt.where(Person.team_id == team_id)
    rows = session.connection().execute(stmt).all()
    if not rows:
        return coded(people_list(session, kind, team_id)[PEOPLE_SHOWN], PERSON_CODES, lang)
    columns = dict(zip(PEOPLE_SHOWN, zip(*rows, strict=True), strict=True))
    for col, codes in PERSON_CODES.items():
        words = {v: code(codes, v, lang) for v in set(columns[col]) if isinstance(v, str)}
        columns[col] = [words.get(v, "") for v in columns[col]]
    columns["team"] = [name if name is not None else "" for name in columns["team"]]
    columns["grid"] = pd.array(columns["grid"], dtype="Int64")
    columns["active"] = [bool(v) for v in columns["active"]]
    return pd.DataFrame(columns)


def teams_table(session: Session, lang: str) -> pd.DataFrame:
    """teams_overview() with each team's kind in words."""
    return coded(teams_overview(session), {"kind": "team_kind"}, lang)


def person_labels(session: Session, lang: str) -> dict[int, str]:
    """Everyone for a manager's picker: person_id → "name · kind", in people_list()'s order."""
    rows = (
        session.connection()
        .execute(select(Person.id, Person.name, Person.kind).order_by(Person.kind, Person.id))
        .all()
    )
    words = {k: code("person_kind", k, lang) for k in {k for _i, _n, k in rows}}
    return {int(i): f"{n} · {words[k]}" for i, n, k in rows}


def roster_table(session: Session, day: dt.date, team_id: int | None = None) -> pd.DataFrame:
    """roster() as the lists show it (times as MM-DD HH:MM)."""
    return _listed(shift_rows(session, *day_conditions(day, team_id)), ROSTER_SHOWN)


def on_duty_table(session: Session, as_of: dt.date, at: str, lang: str) -> tuple[dt.datetime, pd.DataFrame]:
    """Who is on duty at a time of a day (at: HH:MM[:SS]) as the people page lists them: the moment
    and the list (times as MM-DD HH:MM, kinds in words)."""
    moment = duty_moment(session, as_of, dt.time.fromisoformat(at))
    return moment, _listed(shift_rows(session, *moment_conditions(moment)), ON_DUTY_SHOWN, lang)


@dataclass(frozen=True)
class PeopleLists:
    """What the people page's tabs show that none of its widgets changes, read at once: the counts
    by kind (people_counts), the teams (team_names, teams_table), the grids' staffing
    (grid_assignment), the entrances (entrance_names) and, for an editor, the person and grid
    pickers (person_labels, grid_names; empty otherwise)."""

    counts: dict[str, int]
    teams: dict[int, str]
    entrances: dict[int, str]
    persons: dict[int, str]
    grids: dict[int, str]
    teams_table: pd.DataFrame = field(repr=False)
    grid_assignment: pd.DataFrame = field(repr=False)


def people_lists(session: Session, lang: str, editor: bool) -> PeopleLists:
    """The people page's lists that do not depend on its widgets (one cached read for all tabs)."""
    return PeopleLists(
        counts=people_counts(session),
        teams=team_names(session),
        entrances=entrance_names(session),
        persons=person_labels(session, lang) if editor else {},
        grids=grid_names(session) if editor else {},
        teams_table=teams_table(session, lang),
        grid_assignment=grid_assignment(session),
    )
