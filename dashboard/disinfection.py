"""Disinfection (消杀): each day's required targets, computed from the data, against the team's records.

Required on a day: every sealed building (dashboard/zones), every building where a close contact
under control that day lives (identified on or before the day, not released by then), every sampling
site used by a screening round that day, and every active residents' route (which ones:
dashboard/disinfection_targets.py, re-exported here). A target is done when it has at least
`disinfection_rounds_min` records that day (sealed buildings) or one (the others); more than
`disinfection_rounds_max` rounds is flagged too (the 1–2 rounds a day rule). Recording a round:
dashboard/disinfection_records.py (re-exported here).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import func, null, select
from sqlalchemy.orm import Session

from dashboard import config
from dashboard.disinfection_records import do_record_disinfection
from dashboard.disinfection_targets import (
    TARGET_COLUMNS,
    close_contact_buildings,
    nullable_grids,
    required_targets,
    sealed_buildings,
    target_rows,
)
from dashboard.i18n import code, t
from db.models import (
    Building,
    Compound,
    DisinfectionRecord,
    DisinfectionRoute,
    Person,
    SamplingSite,
    Team,
)

__all__ = [
    "RECORDS_SHOWN",
    "REASON_ORDER",
    "TARGET_COLUMNS",
    "TARGETS_SHOWN",
    "DisinfectionStatus",
    "DisinfectionView",
    "close_contact_buildings",
    "disinfection_status",
    "disinfection_teams",
    "disinfection_view",
    "do_record_disinfection",
    "records_of_day",
    "required_targets",
    "sealed_buildings",
    "target_choices",
    "target_labels",
    "target_options",
    "team_labels",
]

# The order a reader scans the list in: the most dangerous places first.
REASON_ORDER = {"sealed": 0, "close_contact": 1, "site": 2, "route": 3}


RECORD_COLUMNS = [
    "record_id",
    "at",
    "target_kind",
    "target_id",
    "target",
    "grid_id",
    "agent",
    "team",
    "person_name",
]


def _record_rows(session: Session, day: dt.date, grid_id: int | None) -> list[tuple]:
    """RECORD_COLUMNS rows: the day's records, in time order."""
    site = SamplingSite.__table__.alias("s")
    route = DisinfectionRoute.__table__.alias("r")
    conditions = [DisinfectionRecord.date == day]
    if grid_id is not None:
        conditions.append(func.coalesce(Building.grid_id, site.c.grid_id) == grid_id)
    rows = session.execute(
        select(
            DisinfectionRecord.id,
            DisinfectionRecord.at,
            DisinfectionRecord.target_kind,
            func.coalesce(
                DisinfectionRecord.building_id, DisinfectionRecord.site_id, DisinfectionRecord.route_id
            ),
            Compound.name,
            Building.name,
            site.c.name,
            route.c.name,
            func.coalesce(Building.grid_id, site.c.grid_id),
            DisinfectionRecord.agent,
            Team.name,
            Person.name,
        )
        .outerjoin(Building, Building.id == DisinfectionRecord.building_id)
        .outerjoin(Compound, Compound.id == Building.compound_id)
        .outerjoin(site, site.c.id == DisinfectionRecord.site_id)
        .outerjoin(route, route.c.id == DisinfectionRecord.route_id)
        .outerjoin(Team, Team.id == DisinfectionRecord.team_id)
        .outerjoin(Person, Person.id == DisinfectionRecord.person_id)
        .where(*conditions)
        .order_by(DisinfectionRecord.at, DisinfectionRecord.id)
    ).all()
    out = []
    for rid, at, kind, target_id, compound, building, site_name, route_name, g, agent, team, person in rows:
        name = (
            f"{compound} {building}" if kind == "building" else (site_name if kind == "site" else route_name)
        )
        out.append((rid, at, kind, target_id, name or "", g, agent, team or "", person or ""))
    return out


def records_of_day(session: Session, day: dt.date, grid_id: int | None = None) -> pd.DataFrame:
    """The day's disinfection records with their target's name, team and who did it."""
    return pd.DataFrame(_record_rows(session, day, grid_id), columns=RECORD_COLUMNS)


@dataclass(frozen=True)
class DisinfectionStatus:
    """Done / required on a day, what is still missing, and targets above the daily maximum."""

    day: dt.date
    required: int
    done: int
    targets: pd.DataFrame = field(repr=False)
    missing: pd.DataFrame = field(repr=False)
    over_max: pd.DataFrame = field(repr=False)
    rounds_min: int = 1
    rounds_max: int = 2
    records: int = 0

    @property
    def all_done(self) -> bool:
        return self.required == self.done


def _record_counts(session: Session, day: dt.date) -> dict[tuple[str, int], int]:
    """(target_kind, target_id) → the day's records of it."""
    return {
        (kind, int(tid)): int(n)
        for kind, tid, n in session.execute(
            select(
                DisinfectionRecord.target_kind,
                func.coalesce(
                    DisinfectionRecord.building_id, DisinfectionRecord.site_id, DisinfectionRecord.route_id
                ),
                func.count(),
            )
            .where(DisinfectionRecord.date == day)
            .group_by(
                DisinfectionRecord.target_kind,
                DisinfectionRecord.building_id,
                DisinfectionRecord.site_id,
                DisinfectionRecord.route_id,
            )
        ).all()
        if tid is not None
    }


def _reading_order(row: tuple) -> tuple:
    """Undone first, then by reason (REASON_ORDER), grid (none last) and name: how the list is read."""
    _kind, _id, target, _grid_id, grid, reason, _needed, _rounds, done = row
    return (done, REASON_ORDER[reason], grid is None, grid or 0, target is None, target or "")


@dataclass(frozen=True)
class _Status:
    """What a day's status is made of: the rules, the required targets as rows (TARGET_COLUMNS,
    rounds, done) in reading order, and the day's records per target."""

    rounds_min: int
    rounds_max: int
    rows: list[tuple]
    counts: dict[tuple[str, int], int]


def _status_rows(session: Session, day: dt.date, buildings: pd.DataFrame | None) -> _Status:
    rounds_min = config.int_rule(session, "disinfection_rounds_min")
    rounds_max = config.int_rule(session, "disinfection_rounds_max")
    counts = _record_counts(session, day)
    rows = []
    for row in target_rows(session, day, buildings, rounds_min):
        n = counts.get((row[0], int(row[1])), 0)
        rows.append((*row, n, n >= row[6]))
    rows.sort(key=_reading_order)
    return _Status(rounds_min, rounds_max, rows, counts)


def _status_frames(day: dt.date, st: _Status) -> DisinfectionStatus:
    if st.rows:
        targets = nullable_grids(pd.DataFrame(st.rows, columns=[*TARGET_COLUMNS, "rounds", "done"]))
    else:  # the columns an empty list of targets has always had
        targets = nullable_grids(pd.DataFrame(st.rows, columns=TARGET_COLUMNS))
        targets["rounds"] = []
        targets["done"] = targets["rounds"] >= targets["rounds_needed"]
    missing = targets[~targets["done"]].reset_index(drop=True)
    over = targets[targets["rounds"] > st.rounds_max].reset_index(drop=True)
    return DisinfectionStatus(
        day=day,
        required=len(targets),
        done=int(targets["done"].sum()),
        targets=targets,
        missing=missing,
        over_max=over,
        rounds_min=st.rounds_min,
        rounds_max=st.rounds_max,
        records=int(sum(st.counts.values())),
    )


def disinfection_status(
    session: Session, day: dt.date, buildings: pd.DataFrame | None = None
) -> DisinfectionStatus:
    """The day's required targets against the records: done, missing, and rounds above the maximum
    (`buildings`: zones.building_zones(session, day) when the caller already has it)."""
    return _status_frames(day, _status_rows(session, day, buildings))


def _choice_rows(session: Session, kind: str, grid_id: int | None, by_id: bool = False) -> list[tuple]:
    """(target_id, target, grid_id) of everything of a kind that can be disinfected, in the picker's
    order (by_id: by id)."""
    if kind == "building":
        stmt = select(Building.id, Compound.name + " " + Building.name, Building.grid_id).join(
            Compound, Compound.id == Building.compound_id
        )
        stmt = stmt.order_by(Building.id) if by_id else stmt.order_by(Compound.name, Building.id)
        if grid_id is not None:
            stmt = stmt.where(Building.grid_id == grid_id)
    elif kind == "site":
        stmt = select(SamplingSite.id, SamplingSite.name, SamplingSite.grid_id).order_by(SamplingSite.id)
        if grid_id is not None:
            stmt = stmt.where(SamplingSite.grid_id == grid_id)
    else:
        if grid_id is not None:
            return []
        stmt = select(DisinfectionRoute.id, DisinfectionRoute.name, null()).where(DisinfectionRoute.active)
        if by_id:
            stmt = stmt.order_by(DisinfectionRoute.id)
    if session.autoflush:  # as session.execute would, without the ORM's work per row
        session.flush()
    return [tuple(r) for r in session.connection().execute(stmt).all()]


def target_choices(session: Session, kind: str, grid_id: int | None = None) -> pd.DataFrame:
    """Everything of a kind that can be disinfected (target_id, target, grid_id), for the form's picker."""
    if kind not in ("building", "site") and grid_id is not None:
        return pd.DataFrame(columns=["target_id", "target", "grid_id"])
    return pd.DataFrame(_choice_rows(session, kind, grid_id), columns=["target_id", "target", "grid_id"])


def _team_rows(session: Session) -> list[tuple]:
    return [
        tuple(r)
        for r in session.execute(
            select(Team.id, Team.name).where(Team.kind == "disinfection").order_by(Team.id)
        ).all()
    ]


def disinfection_teams(session: Session) -> pd.DataFrame:
    """Teams that disinfect (team_id, name)."""
    return pd.DataFrame(_team_rows(session), columns=["team_id", "name"])


# --- reads as the services page shows them ---------------------------------------------------

TARGETS_SHOWN = ["grid", "target_kind", "target", "reason", "rounds_needed", "rounds"]
RECORDS_SHOWN = ["target_kind", "target", "at", "agent", "team", "person_name"]


@dataclass(frozen=True)
class DisinfectionView:
    """disinfection_status() and the day's records as the services page lists them: the targets
    still undone, those above the maximum and all of them (TARGETS_SHOWN), the records
    (RECORDS_SHOWN: mask person_name per user); target kinds and reasons in words. `undone`: the
    ids of the targets still undone, by kind (for the form's picker, target_options); `teams`:
    team_labels() (for the form)."""

    required: int
    done: int
    rounds_min: int
    rounds_max: int
    missing: pd.DataFrame = field(repr=False)
    over_max: pd.DataFrame = field(repr=False)
    targets: pd.DataFrame = field(repr=False)
    records: pd.DataFrame = field(repr=False)
    undone: dict[str, list[int]] = field(repr=False, default_factory=dict)
    teams: dict[int, str] = field(repr=False, default_factory=dict)

    @property
    def all_done(self) -> bool:
        return self.required == self.done


def _in_words(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    out = df.assign(target_kind=[code("disinfection_target", v, lang) for v in df["target_kind"]])
    if "reason" in out.columns:
        out["reason"] = [t(f"services.dis.reason.{v}", lang=lang) for v in out["reason"]]
    return out


def disinfection_view(session: Session, day: dt.date, lang: str) -> DisinfectionView:
    """The day's disinfection as the services page shows it (whoever asks): the lists made straight
    from the status's rows (an empty one as disinfection_status()'s frame in words gives it)."""
    st = _status_rows(session, day, None)
    missing = [r for r in st.rows if not r[8]]
    over = [r for r in st.rows if r[7] > st.rounds_max]

    def shown(rows: list[tuple]) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "grid": pd.array([r[4] for r in rows], dtype="Int64"),
                "target_kind": [code("disinfection_target", r[0], lang) for r in rows],
                "target": [r[2] for r in rows],
                "reason": [t(f"services.dis.reason.{r[5]}", lang=lang) for r in rows],
                "rounds_needed": [r[6] for r in rows],
                "rounds": [r[7] for r in rows],
            }
        )

    if st.rows:
        every = shown(st.rows)
        empty = every.iloc[0:0].assign(target_kind=[], reason=[])  # a typed empty frame in words
        lists = (every, shown(missing) if missing else empty, shown(over) if over else empty.copy())
    else:
        status = _status_frames(day, st)
        lists = tuple(
            _in_words(frame, lang)[TARGETS_SHOWN]
            for frame in (status.targets, status.missing, status.over_max)
        )
    records = _record_rows(session, day, None)
    if records:
        shown_records = pd.DataFrame(
            [
                (code("disinfection_target", kind, lang), target, at, agent, team, person)
                for _id, at, kind, _target_id, target, _grid_id, agent, team, person in records
            ],
            columns=RECORDS_SHOWN,
        )
    else:
        shown_records = _in_words(pd.DataFrame(records, columns=RECORD_COLUMNS), lang)[RECORDS_SHOWN]
    undone: dict[str, list[int]] = {}
    for row in missing:
        undone.setdefault(row[0], []).append(int(row[1]))
    return DisinfectionView(
        required=len(st.rows),
        done=len(st.rows) - len(missing),
        rounds_min=st.rounds_min,
        rounds_max=st.rounds_max,
        targets=lists[0],
        missing=lists[1],
        over_max=lists[2],
        records=shown_records,
        undone={kind: sorted(ids) for kind, ids in undone.items()},
        teams=team_labels(session),
    )


def target_options(
    session: Session, kind: str, grid_id: int | None, undone: list[int], lang: str
) -> tuple[list[int], dict[int, str]]:
    """The form's choice of targets of a kind: those still undone today first (`undone`: their ids,
    DisinfectionView.undone of today; marked so), then the rest by id; and their labels."""
    wanted = set(undone)
    rows = _choice_rows(session, kind, grid_id, by_id=True)
    first = " " + t("services.dis.required_first", lang=lang)
    labels = dict(
        [(int(i), name + first) for i, name, _grid in rows if i in wanted]
        + [(int(i), name) for i, name, _grid in rows if i not in wanted]
    )
    return list(labels), labels


def target_labels(session: Session, kind: str, grid_id: int | None = None) -> dict[int, str]:
    """target_choices() for a picker: target_id → name, in its order."""
    return {int(i): name for i, name, _grid in _choice_rows(session, kind, grid_id)}


def team_labels(session: Session) -> dict[int, str]:
    """The disinfection teams for a picker: team_id → name."""
    return {int(team_id): name for team_id, name in _team_rows(session)}
