"""Orchestration: build the Huamei world in memory, then write it with bulk Core inserts.

Every primary key is assigned in Python, so rows go out in large executemany chunks of
`insert(table)` without the ORM's unit of work, one transaction per stage. The ~900k screening
results are streamed round by round and committed every RESULT_COMMIT_ROWS, so scale 10 never
holds nine million rows in memory or in one transaction; on PostgreSQL they go through COPY,
which is several times faster there than executemany. PostgreSQL id sequences are moved past
the seeded ids at the end.
"""

from __future__ import annotations

import gc
import random
import time
from collections.abc import Callable, Iterable
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import Connection, Engine, Table, bindparam, func, insert, select, update

from db import tallies, versions
from db.engine import writer
from db.models import Base
from seed import area as area_mod
from seed import screening, services, staff, story
from seed.names import IdNumberPool, PhonePool
from seed.outbreak import Outbreak, build_outbreak
from seed.screening import ResultStream
from seed.world import TABLE_ORDER, Area, Row, World

Progress = Callable[[str, float], None]
CHUNK = 20_000
RESULT_COMMIT_ROWS = 400_000
# Columns that point forward (to person); written after the people exist.
LATE_LINKS = {"grid": "leader_id", "team": "lead_id"}

# (stage, tables) in insert order; screening_result is streamed inside the "screening" stage.
STAGES = (
    ("places", ("committee", "setting", "compound", "grid", "building")),
    ("households", ("household", "resident")),
    ("people", ("team", "person", "app_user")),
    ("facilities", ("entrance", "entrance_change", "sampling_site", "disinfection_route")),
    ("rounds", ("screening_round", "round_site")),
    ("cases", ("case_record", "case_event", "contact", "transfer")),
    ("screening", ("screening_result", "retest", "missed_followup")),
    (
        "services",
        (
            "supply_batch",
            "delivery",
            "hospital_run",
            "medicine_request",
            "courier_count",
            "disinfection_record",
            "duty_shift",
            "follow_up",
        ),
    ),
)
assert [t for _, tables in STAGES for t in tables] == list(TABLE_ORDER)


class SeedError(RuntimeError):
    """The seed refuses to run (e.g. the database already holds a committee)."""


def build(scale: int = 1, random_seed: int = 2022) -> tuple[World, ResultStream]:
    """The whole story in memory, except the screening results, which the stream yields lazily."""
    if scale < 1:
        raise SeedError(f"scale must be 1 or more, not {scale}")
    rng = random.Random(random_seed)
    world = World(scale=scale, random_seed=random_seed)
    phones = PhonePool(rng)
    ids = IdNumberPool(rng, story.REGION_CODE)
    world.add(
        "committee",
        {
            "name": story.COMMITTEE_NAME,
            "street": story.STREET,
            "district": story.DISTRICT,
            "city": story.CITY,
            "address": story.COMMITTEE_ADDRESS,
            "is_demo": True,
            "demo_today": story.DEMO_TODAY,
            "center_lat": story.CENTER_LAT,
            "center_lon": story.CENTER_LON,
        },
    )
    for key, value in story.SETTINGS.items():
        world.add("setting", {"key": key, "value": value})
    for index in range(scale):
        area = Area(index)
        world.areas.append(area)
        area_mod.build_places(world, rng, area)
        area_mod.build_households(world, rng, area, phones, ids)
        area_mod.build_grids(world, area)
        area_mod.build_facilities(world, area)
        staff.build_teams(world, area)
    screening.build_rounds(world)
    outbreak = Outbreak()
    for area in world.areas:
        build_outbreak(world, rng, area, outbreak)
    for area in world.areas:
        staff.build_people(world, rng, area, phones)
    # argon2 is slow on purpose: hash once (with a salt from the seed, so reruns are identical).
    staff.build_users(world, PasswordHasher().hash(story.DEMO_PASSWORD, salt=rng.randbytes(16)))
    services.build_services(world, rng, outbreak)
    return world, ResultStream(world, outbreak)


def _columns(table: Table) -> list[str]:
    return [c.name for c in table.columns]


def _clean(rows: Iterable[Row], columns: list[str], table: str) -> list[Row]:
    """Rows with exactly the table's columns (drops the generator's '_' helpers)."""
    late = LATE_LINKS.get(table)
    out = []
    for row in rows:
        clean = {c: row[c] for c in columns}
        if late:
            clean[late] = None
        out.append(clean)
    return out


def _insert(conn: Connection, table: Table, rows: list[Row]) -> None:
    columns = _columns(table)
    for i in range(0, len(rows), CHUNK):
        conn.execute(insert(table), _clean(rows[i : i + CHUNK], columns, table.name))


def _insert_results(conn: Connection, table: Table, rows: list[Row]) -> None:
    """Screening results: COPY on PostgreSQL (several times faster than executemany there)."""
    if conn.dialect.name != "postgresql":
        conn.execute(insert(table), rows)
        return
    columns = _columns(table)
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])


def _write_screening(
    engine: Engine, world: World, stream: ResultStream, advance: Callable[[int], None]
) -> None:
    """Stream the results in chunks (committing every RESULT_COMMIT_ROWS), then retests and follow-ups."""
    table = Base.metadata.tables["screening_result"]
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            # The resident index is revisited by every round: keep it in memory (up to ~1 GB).
            conn.exec_driver_sql("PRAGMA cache_size=-1000000")
            conn.commit()
        try:
            pending: list[Row] = []
            uncommitted = 0
            trans = conn.begin()
            for rows in stream:
                pending.extend(rows)
                if len(pending) >= CHUNK:
                    _insert_results(conn, table, pending)
                    uncommitted += len(pending)
                    advance(len(pending))
                    pending = []
                if uncommitted >= RESULT_COMMIT_ROWS:
                    trans.commit()
                    trans = conn.begin()
                    uncommitted = 0
            if pending:
                _insert_results(conn, table, pending)
                advance(len(pending))
            for name in ("retest", "missed_followup"):
                _insert(conn, Base.metadata.tables[name], world.rows[name])
                advance(len(world.rows[name]))
            trans.commit()
        finally:
            if conn.in_transaction():
                conn.rollback()
            if sqlite:
                conn.exec_driver_sql("PRAGMA cache_size=-2000")
                conn.commit()


def _link_late(conn: Connection, world: World) -> None:
    """Set grid.leader_id and team.lead_id now that the people exist."""
    for name, column in LATE_LINKS.items():
        table = Base.metadata.tables[name]
        params = [{"row_id": r["id"], "value": r[column]} for r in world.rows[name] if r[column] is not None]
        if params:
            stmt = update(table).where(table.c.id == bindparam("row_id")).values({column: bindparam("value")})
            conn.execute(stmt, params)


def _reset_sequences(conn: Connection) -> None:
    """PostgreSQL: move each id sequence past the ids the seed wrote."""
    for name in TABLE_ORDER:
        table = Base.metadata.tables[name]
        if "id" not in table.c:
            continue
        conn.execute(
            select(
                func.setval(
                    func.pg_get_serial_sequence(name, "id"),
                    select(func.coalesce(func.max(table.c.id), 0) + 1).scalar_subquery(),
                    False,
                )
            )
        )


def generate(
    engine: Engine,
    scale: int = 1,
    random_seed: int = 2022,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Fill an empty, migrated database with the Huamei demo story; returns a summary."""
    started = time.perf_counter()
    report = progress or (lambda _stage, _fraction: None)
    committee = Base.metadata.tables["committee"]
    with engine.connect() as conn:
        existing = conn.execute(select(committee.c.name).limit(1)).scalar_one_or_none()
    if existing is not None:
        raise SeedError(
            f"the database already holds a committee ({existing}); the seed only fills an empty database"
        )
    report("build", 0.0)
    world, stream = build(scale, random_seed)
    built = time.perf_counter() - started
    fixed = sum(len(rows) for rows in world.rows.values())
    total = fixed + stream.estimate()
    done = 0

    def advance(stage: str, n: int) -> None:
        nonlocal done
        done += n
        report(stage, min(1.0, done / total))

    counts: dict[str, int] = {}
    target = writer(engine)
    with target.begin() as conn:  # bulk loads skip the tally triggers; the tallies are recounted after
        tallies.drop(conn)
    gc_enabled = gc.isenabled()
    gc.disable()  # millions of short-lived dicts and no cycles: the collector only costs time
    try:
        for stage, tables in STAGES:
            report(stage, done / total)
            if stage == "screening":
                _write_screening(target, world, stream, lambda n: advance("screening", n))
                counts["screening_result"] = stream.rows_written
                counts.update({name: len(world.rows[name]) for name in tables[1:]})
                continue
            with target.begin() as conn:
                for name in tables:
                    _insert(conn, Base.metadata.tables[name], world.rows[name])
                    counts[name] = len(world.rows[name])
                    advance(stage, len(world.rows[name]))
                if stage == "people":
                    _link_late(conn, world)
    finally:
        if gc_enabled:
            gc.enable()
        with target.begin() as conn:
            tallies.rebuild(conn)
            tallies.install(conn)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            _reset_sequences(conn)
        versions.stamp_all(conn)  # whatever was cached from this database before is stale
    report("done", 1.0)
    daily = {day: len(cases) for day, cases in sorted(stream.outbreak.cases_on.items())}
    peak = max(daily.values())
    return {
        "committee": story.COMMITTEE_NAME,
        "scale": scale,
        "random_seed": random_seed,
        "households": counts["household"],
        "residents": counts["resident"],
        "cases": counts["case_record"],
        "peak_date": next(d for d, n in daily.items() if n == peak),
        "peak_count": peak,
        "last_positive": max(daily),
        "rows": counts,
        "build_seconds": round(built, 2),
        "seconds": round(time.perf_counter() - started, 2),
    }
