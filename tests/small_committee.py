"""A small hand-made committee for exact answers: two grids, one team, a few residents, one account
per role (password PASSWORD), in demo mode or not. Used by the accounts, audit and privacy tests."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
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


# --- fixtures (import them into a test module by name) ----------------------------------------


def _clear_streamlit_caches() -> None:
    from tests.helpers import forget_app_state

    forget_app_state()


@pytest.fixture(scope="session")
def small_templates(tmp_path_factory: pytest.TempPathFactory) -> dict[bool, Path]:
    """The small committee as SQLite template files: demo mode (True) and production (False)."""
    folder = tmp_path_factory.mktemp("small")
    return {demo: template(folder, demo) for demo in (True, False)}


def _app_db(templates: dict[bool, Path], demo: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    dest = tmp_path / "small-app.db"
    shutil.copyfile(templates[demo], dest)
    url = f"sqlite:///{dest}"
    monkeypatch.setenv("DATABASE_URL", url)
    _clear_streamlit_caches()
    return url


@pytest.fixture
def small_app_db(
    small_templates: dict[bool, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A private copy of the small demo committee that the app (AppTest, the /auth routes) uses."""
    yield _app_db(small_templates, True, tmp_path, monkeypatch)
    _clear_streamlit_caches()


@pytest.fixture
def small_prod_db(
    small_templates: dict[bool, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The same committee with demo mode off (a production install)."""
    yield _app_db(small_templates, False, tmp_path, monkeypatch)
    _clear_streamlit_caches()
