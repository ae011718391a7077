"""A file of shapes onto the records: each shape matched to a compound, grid or entrance by name or
to a building by compound + building, then the matched ones stored (grids take the buildings inside
them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard import validate
from dashboard.geo_shapes import Shape
from dashboard.geo_writes import place_building, place_entrance, set_compound_outline, set_grid_outline
from dashboard.roles import CurrentUser, require
from db.models import Building, Compound, Entrance, Grid

# --- importing a file of shapes -------------------------------------------------------------

TARGETS = ("compound", "grid", "building", "entrance")


def _key(text: str) -> str:
    return re.sub(r"[\s\-_/·]", "", str(text or "")).lower()


def _grid_by_shape(grids: list[Grid], shape: Shape) -> Grid | None:
    names = {_key(g.name): g for g in grids}
    numbers = {g.number: g for g in grids}
    for candidate in (shape.name, shape.properties.get("grid"), shape.properties.get("name")):
        if candidate in (None, ""):
            continue
        if _key(str(candidate)) in names:
            return names[_key(str(candidate))]
    for candidate in (shape.properties.get("number"), shape.properties.get("grid"), shape.name):
        digits = re.findall(r"\d+", str(candidate or ""))
        if len(digits) == 1 and int(digits[0]) in numbers:
            return numbers[int(digits[0])]
    return None


def _building_by_shape(session: Session, shape: Shape) -> Building | None:
    rows = session.execute(select(Building, Compound.name).join(Compound)).all()
    compound = shape.properties.get("compound")
    building = shape.properties.get("building")
    if compound and building:
        wanted = {(_key(compound), _key(building))}
        found = [b for b, c in rows if (_key(c), _key(b.name)) in wanted]
        return found[0] if len(found) == 1 else None
    name = _key(shape.name)
    full = [b for b, c in rows if _key(c) + _key(b.name) == name]
    if len(full) == 1:
        return full[0]
    alone = [b for b, _ in rows if _key(b.name) == name]
    return alone[0] if len(alone) == 1 else None


@dataclass
class ShapeMatch:
    """One shape of a file and the record it would be stored on (None: no record matches)."""

    shape: Shape
    record_id: int | None
    record_label: str


def match_shapes(session: Session, target: str, shapes: list[Shape]) -> list[ShapeMatch]:
    """Which record each shape belongs to, by name (compounds, grids, entrances) or compound+building."""
    validate.choice(target, TARGETS, "geo.target")
    wanted = "polygon" if target in ("compound", "grid") else "point"
    out: list[ShapeMatch] = []
    grids = list(session.scalars(select(Grid))) if target == "grid" else []
    for shape in shapes:
        if shape.kind != wanted:
            continue
        record: Any = None
        if target == "compound":
            record = next(
                (c for c in session.scalars(select(Compound)) if _key(c.name) == _key(shape.name)), None
            )
        elif target == "grid":
            record = _grid_by_shape(grids, shape)
        elif target == "entrance":
            record = next(
                (e for e in session.scalars(select(Entrance)) if _key(e.name) == _key(shape.name)), None
            )
        else:
            record = _building_by_shape(session, shape)
        label = ""
        if record is not None:
            label = record.name if target != "building" else f"{record.compound.name} {record.name}"
        out.append(ShapeMatch(shape, record.id if record is not None else None, label))
    return out


def apply_shapes(
    session: Session, user: CurrentUser, target: str, matches: list[ShapeMatch], *, now: Any = None
) -> int:
    """Store every matched shape on its record (grids also take the buildings inside them)."""
    require(user, "setup.edit")
    done = 0
    for m in matches:
        if m.record_id is None:
            continue
        if target == "compound":
            set_compound_outline(session, user, m.record_id, m.shape.coords)
        elif target == "grid":
            set_grid_outline(session, user, m.record_id, m.shape.coords)
        elif target == "building":
            place_building(session, user, m.record_id, m.shape.coords)
        elif target == "entrance":
            place_entrance(session, user, m.record_id, m.shape.coords)
        done += 1
    return done
