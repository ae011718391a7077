"""Reads of a seeded database shared by the seed's tests (tests/test_seed.py, tests/test_seed_activity.py)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, select, text

from db.models import Base


def rows(engine: Engine, sql: str, **params: object) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), params)]


def one(engine: Engine, sql: str, **params: object) -> object:
    return rows(engine, sql, **params)[0][0]


def inside(lon: float, lat: float, ring: list[list[float]]) -> bool:
    """Ray casting point-in-polygon on a closed [[lon, lat], ...] ring."""
    hit = False
    for (ax, ay), (bx, by) in zip(ring, ring[1:], strict=False):
        if (ay > lat) != (by > lat) and lon < ax + (lat - ay) * (bx - ax) / (by - ay):
            hit = not hit
    return hit


def polygons(engine: Engine, table: str) -> dict[int, list[list[float]]]:
    t = Base.metadata.tables[table]
    with engine.connect() as conn:
        return {i: p for i, p in conn.execute(select(t.c.id, t.c.polygon))}


def as_datetime(value: object) -> dt.datetime:
    """A timestamp as the driver returns it (datetime on PostgreSQL, ISO text on SQLite)."""
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
