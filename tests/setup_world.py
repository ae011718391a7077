"""The small area the set-up tests build (a committee, 3 compounds of 2 placed buildings, 2 grids)
and the users they write as; shared by tests/test_setup.py, test_setup_geo.py and test_setup_page.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from dashboard import geo, setup, store
from dashboard.i18n import code
from dashboard.roles import CurrentUser
from db.models import Building, Compound, Grid

ADMIN = CurrentUser(id=None, username="admin", role="admin")
SECRETARY = CurrentUser(id=None, username="shuji", role="secretary")
LEADER = CurrentUser(id=None, username="grid01", role="grid_leader", grid_id=1, grid_number=1)
OTHERS = (
    LEADER,
    CurrentUser(id=None, username="task", role="task", team_id=1),
    CurrentUser(id=None, username="viewer", role="viewer"),
    CurrentUser(id=None, username="meeting", role="meeting"),
)
ROOT = Path(__file__).resolve().parent.parent

# A small area near Huamei: a 3 x 1 row of compounds, 0.002° (~200 m) wide each.
LON0, LAT0 = 121.33, 31.19


def square(i: int, j: int = 0, size: float = 0.002) -> list[list[float]]:
    lon, lat = LON0 + i * size, LAT0 + j * size
    return [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]


def box(west: float, east: float) -> list[list[float]]:
    """A rectangle from LON0 + west to LON0 + east over the row of compounds."""
    w, e = LON0 + west, LON0 + east
    return [[w, LAT0], [e, LAT0], [e, LAT0 + 0.002], [w, LAT0 + 0.002], [w, LAT0]]


def write(engine: Engine, fn: Any, *args: Any, **kwargs: Any) -> Any:
    return store.run_write(engine, fn, *args, **kwargs)


def small_world(engine: Engine) -> dict[str, int]:
    """Committee, 3 compounds with 2 placed buildings each, 2 households per building, 2 grids (no outlines)."""
    write(engine, setup.save_committee, ADMIN, "Test committee", street="Xinhong")
    kind = code("compound_kind", "public_housing")
    compounds = [{"name": f"C{i}", "kind": kind} for i in range(3)]
    write(engine, setup.apply_edits, ADMIN, "compound", setup.TableEdits(added=compounds))
    buildings = [{"compound_id": f"C{i}", "name": f"B{k}"} for i in range(3) for k in range(2)]
    write(engine, setup.apply_edits, ADMIN, "building", setup.TableEdits(added=buildings))
    grids = [{"number": n, "name": f"G{n}"} for n in (1, 2)]
    write(engine, setup.apply_edits, ADMIN, "grid", setup.TableEdits(added=grids))
    ids: dict[str, int] = {}
    with Session(engine) as s:
        for b in s.scalars(select(Building).join(Compound).order_by(Building.id)):
            ids[f"{b.compound.name}/{b.name}"] = b.id
    for key, bid in ids.items():
        i, k = int(key[1]), int(key[-1])
        # Buildings sit inside their compound's square, one at a quarter and one at three quarters.
        write(engine, geo.place_building, ADMIN, bid, [LON0 + i * 0.002 + 0.0005 + k * 0.001, LAT0 + 0.001])
        for room in ("101", "102"):
            hid = write(engine, setup.save_household, ADMIN, bid, room, size=2)
            for p in range(2):
                write(engine, setup.add_resident, ADMIN, hid, f"P{bid}{room}{p}", "F", 1960 + p)
    write(
        engine,
        setup.apply_edits,
        ADMIN,
        "entrance",
        setup.TableEdits(added=[{"name": "Main gate", "is_open": True}]),
    )
    return ids


def grid_id(engine: Engine, number: int) -> int:
    with Session(engine) as s:
        return int(s.scalar(select(Grid.id).where(Grid.number == number)))
