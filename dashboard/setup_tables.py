"""The set-up's editable tables (compounds, buildings, grids, entrances, staff, teams): what each
column is and how it is checked (SPECS), the choices of its select columns, its rows as the editor
shows them, and the editor's edits mapped to primary keys.

Editable tables come back from st.data_editor keyed by row *position*; `edits_from_editor` maps
them to primary keys before setup_edits.apply_edits validates and writes them, so a sorted or
filtered table can never write into the wrong row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.i18n import code
from db.models import (
    CADRE_LEVELS,
    COMPOUND_KINDS,
    PERSON_KINDS,
    TEAM_KINDS,
    VOLUNTEER_KINDS,
    Building,
    Compound,
    Entrance,
    Grid,
    Person,
    Team,
)

# --- editable tables ------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One editable column: how it is shown (label key) and how an edited value is checked."""

    name: str
    label_key: str
    kind: str = "text"  # text | int | bool | code | ref
    required: bool = False
    max_len: int = 100
    codes: tuple[str, ...] = ()
    code_kind: str = ""
    ref: str = ""  # the table an id column points to (compound, grid, person, team)
    low: int = 0
    high: int = 1_000_000
    default: Any = None  # the value of a new row that leaves the column empty


SPECS: dict[str, tuple[type, tuple[Column, ...]]] = {
    "compound": (
        Compound,
        (
            Column("name", "setup.col.name", required=True),
            Column(
                "kind",
                "setup.col.compound_kind",
                "code",
                True,
                codes=COMPOUND_KINDS,
                code_kind="compound_kind",
            ),
            Column("address", "setup.col.address", max_len=200),
        ),
    ),
    "building": (
        Building,
        (
            Column("compound_id", "common.compound", "ref", True, ref="compound"),
            Column("name", "setup.col.name", required=True, max_len=60),
            Column("floors", "setup.col.floors", "int", high=200),
            Column("grid_id", "common.grid", "ref", ref="grid"),
        ),
    ),
    "grid": (
        Grid,
        (
            Column("number", "setup.col.number", "int", True, low=1, high=999),
            Column("name", "setup.col.name", required=True, max_len=60),
            Column("leader_id", "setup.col.leader", "ref", ref="person"),
        ),
    ),
    "entrance": (
        Entrance,
        (
            Column("name", "setup.col.name", required=True),
            Column("road", "setup.col.road", max_len=60),
            Column("is_open", "setup.col.is_open", "bool"),
        ),
    ),
    "person": (
        Person,
        (
            Column("name", "common.name", required=True, max_len=60),
            Column("phone", "common.phone", max_len=20),
            Column(
                "kind", "setup.col.person_kind", "code", True, codes=PERSON_KINDS, code_kind="person_kind"
            ),
            Column(
                "cadre_level", "setup.col.cadre_level", "code", codes=CADRE_LEVELS, code_kind="cadre_level"
            ),
            Column(
                "volunteer_kind",
                "setup.col.volunteer_kind",
                "code",
                codes=VOLUNTEER_KINDS,
                code_kind="volunteer_kind",
            ),
            Column("organisation", "setup.col.organisation"),
            Column("team_id", "common.team", "ref", ref="team"),
            Column("grid_id", "common.grid", "ref", ref="grid"),
            Column("active", "setup.col.active", "bool", default=True),
        ),
    ),
    "team": (
        Team,
        (
            Column("name", "setup.col.name", required=True, max_len=60),
            Column("kind", "setup.col.team_kind", "code", True, codes=TEAM_KINDS, code_kind="team_kind"),
            Column("lead_id", "setup.col.lead", "ref", ref="person"),
        ),
    ),
}
KINDS = tuple(SPECS)
# Columns whose value must be unique in their table (the schema says so too; this gives a clear message).
UNIQUE = {"compound": ("name",), "grid": ("number",), "entrance": ("name",), "team": ("name",)}


def _ref_labels(session: Session, ref: str) -> dict[int, str]:
    if ref == "compound":
        return dict(session.execute(select(Compound.id, Compound.name).order_by(Compound.name)).all())
    if ref == "grid":
        return {
            gid: f"{number} {name}"
            for gid, number, name in session.execute(
                select(Grid.id, Grid.number, Grid.name).order_by(Grid.number)
            )
        }
    if ref == "person":
        return {
            pid: f"{name} #{pid}"
            for pid, name in session.execute(
                select(Person.id, Person.name).where(Person.active).order_by(Person.id)
            )
        }
    if ref == "team":
        return dict(session.execute(select(Team.id, Team.name).order_by(Team.name)).all())
    raise ValueError(ref)


def options(session: Session, kind: str, lang: str | None = None) -> dict[str, dict[str, Any]]:
    """For each coded or id column: shown label → stored value (the choices of a select column)."""
    _, columns = SPECS[kind]
    out: dict[str, dict[str, Any]] = {}
    for col in columns:
        if col.kind == "code":
            out[col.name] = {code(col.code_kind, c, lang=lang): c for c in col.codes}
        elif col.kind == "ref":
            out[col.name] = {label: rid for rid, label in _ref_labels(session, col.ref).items()}
    return out


def table(session: Session, kind: str, lang: str | None = None) -> pd.DataFrame:
    """The rows of one set-up table as the editor shows them: id first, codes and ids as labels."""
    model, columns = SPECS[kind]
    order = model.number if kind == "grid" else model.id
    rows = session.scalars(select(model).order_by(order)).all()
    labels = {name: {v: k for k, v in opts.items()} for name, opts in options(session, kind, lang).items()}
    data = []
    for row in rows:
        item: dict[str, Any] = {"id": row.id}
        for col in columns:
            value = getattr(row, col.name)
            item[col.name] = labels[col.name].get(value) if col.name in labels else value
        data.append(item)
    return pd.DataFrame(data, columns=["id", *[c.name for c in columns]])


@dataclass
class TableEdits:
    """Edits of one table by primary key: rows added, changes per id, ids deleted."""

    added: list[dict[str, Any]] = field(default_factory=list)
    changed: dict[int, dict[str, Any]] = field(default_factory=dict)
    deleted: list[int] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.deleted)


def edits_from_editor(shown: pd.DataFrame, state: dict[str, Any] | None) -> TableEdits:
    """st.data_editor's edit state (keyed by row position in `shown`) as edits keyed by the row's id."""
    state = state or {}
    ids = [int(i) for i in shown["id"].tolist()] if "id" in shown.columns else []
    edits = TableEdits()
    for pos, change in (state.get("edited_rows") or {}).items():
        p = int(pos)
        if 0 <= p < len(ids):
            edits.changed[ids[p]] = {k: v for k, v in change.items() if k != "id"}
    for row in state.get("added_rows") or []:
        cleaned = {k: v for k, v in row.items() if k != "id" and not str(k).startswith("_")}
        if any(v not in (None, "") for v in cleaned.values()):
            edits.added.append(cleaned)
    edits.deleted = [ids[int(p)] for p in state.get("deleted_rows") or [] if 0 <= int(p) < len(ids)]
    for rid in edits.deleted:
        edits.changed.pop(rid, None)
    return edits
