"""A small hand-made committee for exact answers: two grids, one team, a few residents, one account
per role (password PASSWORD), in demo mode or not. Used by the accounts, audit and privacy tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from dashboard import auth
from db import make_engine, upgrade
from db.models import Building, Committee, Compound, Grid, Household, Resident, Team, User

PASSWORD = "huamei2022"
TODAY = dt.date(2022, 5, 29)
CREATED = dt.datetime(2022, 4, 1, 8, 0)
# (name, phone, id number, grid number): valid check digits, the demo's fake phone range
RESIDENTS = (
    ("张小明", "19900001234", "310112195001011235", 1),
    ("李四", "19900005678", "310112196002021237", 1),
    ("欧阳娜娜", "19900009012", "310112197003031239", 2),
)


@dataclass(frozen=True)
class Small:
    """Ids of what build() made."""

    grids: dict[int, int]  # number → id
    team_id: int
    users: dict[str, int]  # username → id


@cache
def _hash() -> str:
    return auth.hash_password(PASSWORD)


def build(engine: Engine, *, demo: bool = True) -> Small:
    """Fill an empty migrated database with the small committee."""
    with Session(engine) as s, s.begin():
        s.add(
            Committee(
                name="测试居委",
                street="新虹街道",
                district="闵行区",
                city="上海市",
                is_demo=demo,
                demo_today=TODAY if demo else None,
            )
        )
        compound = Compound(name="测试小区", kind="homestead")
        s.add(compound)
        grids = {n: Grid(number=n, name=f"第{n}网格") for n in (1, 2)}
        s.add_all(grids.values())
        s.flush()
        buildings = {
            n: Building(compound_id=compound.id, grid_id=g.id, name=f"{n}号楼") for n, g in grids.items()
        }
        s.add_all(buildings.values())
        s.flush()
        for i, (name, phone, id_number, grid) in enumerate(RESIDENTS):
            household = Household(
                building_id=buildings[grid].id, door=str(i + 1), room=f"{i + 1}01", size=1, head_name=name
            )
            s.add(household)
            s.flush()
            s.add(
                Resident(
                    household_id=household.id,
                    name=name,
                    sex="M",
                    birth_year=1960,
                    phone=phone,
                    id_number=id_number,
                )
            )
        team = Team(name="运输一队", kind="transport")
        s.add(team)
        s.flush()
        accounts = {
            "admin": ("admin", None, None),
            "shuji": ("secretary", None, None),
            "grid01": ("grid_leader", grids[1].id, None),
            "grid02": ("grid_leader", grids[2].id, None),
            "task": ("task", None, team.id),
            "meeting": ("meeting", None, None),
            "viewer": ("viewer", None, None),
        }
        users: dict[str, int] = {}
        for username, (role, grid_id, team_id) in accounts.items():
            row = User(
                username=username,
                display_name=username,
                password_hash=_hash(),
                role=role,
                grid_id=grid_id,
                team_id=team_id,
                is_demo=demo,
                created_at=CREATED,
            )
            s.add(row)
            s.flush()
            users[username] = row.id
        return Small(grids={n: g.id for n, g in grids.items()}, team_id=team.id, users=users)


@cache
def template(folder: Path, demo: bool = True) -> Path:
    """A migrated SQLite file holding the small committee, built once per folder (copy before use)."""
    path = folder / f"small-{'demo' if demo else 'prod'}.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    build(engine, demo=demo)
    with engine.connect() as c:
        c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path
