"""The small hand-made world of the daily-services tests (tests/test_services.py and
tests/test_services_page.py): two grids, three buildings, three entrances, built around Friday
2022-05-20 — a hospital-run day — with medicine requests and guard shifts; and the fixtures that
build it in the test database or in a SQLite file the app uses.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from dashboard import disinfection
from dashboard.roles import CurrentUser
from dashboard.store import run_write
from db import make_engine, upgrade
from db.models import (
    Building,
    Case,
    Committee,
    Compound,
    Contact,
    DisinfectionRoute,
    DutyShift,
    Entrance,
    EntranceChange,
    Grid,
    HospitalRun,
    Household,
    MedicineRequest,
    Person,
    Resident,
    RoundSite,
    SamplingSite,
    ScreeningRound,
    Setting,
    Team,
    User,
)
from tests.helpers import forget_app_state

D = dt.date(2022, 5, 20)  # a Friday: a hospital-run day (rule "1,4" = Tuesday, Friday)
TODAY = dt.date(2022, 5, 21)
NOW = dt.datetime(2022, 5, 21, 20, 0)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time()) + dt.timedelta(hours=hour, minutes=minute)


@dataclass
class World:
    """Ids of the hand-made world, and the users acting in it."""

    ids: dict[str, int]
    users: dict[str, CurrentUser]


def build_world(session: Session) -> World:
    """Two grids, three buildings, eight residents, five teams, three entrances (two open), a case."""
    ids: dict[str, int] = {}

    def add(key: str, obj: object) -> object:
        session.add(obj)
        session.flush()
        ids[key] = obj.id  # type: ignore[attr-defined]
        return obj

    session.add(Committee(name="Test committee", is_demo=True, demo_today=TODAY))
    session.add(Setting(key="hospital_run_weekdays", value="1,4"))
    add("ca", Compound(name="Compound A", kind="public_housing"))
    add("cb", Compound(name="Compound B", kind="homestead"))
    add("g1", Grid(number=1, name="Grid 1"))
    add("g2", Grid(number=2, name="Grid 2"))
    add("b1", Building(compound_id=ids["ca"], grid_id=ids["g1"], name="B1"))
    add("b2", Building(compound_id=ids["ca"], grid_id=ids["g1"], name="B2"))
    add("b3", Building(compound_id=ids["cb"], grid_id=ids["g2"], name="B3"))
    add("h1", Household(building_id=ids["b1"], door="1", room="101", size=3))
    add("h2", Household(building_id=ids["b2"], door="1", room="201", size=1))
    add("h3", Household(building_id=ids["b3"], door="1", room="301", size=4))
    residents = {
        "r1": ("h1", "Zhang One", 1940, True, "hypertension"),
        "r2": ("h2", "Li Two", 1990, False, ""),
        "r3": ("h3", "Wang Three", 1950, False, ""),
        "r4": ("h3", "Wang Four", 2000, True, "asthma"),
        "r5": ("h1", "Zhang Five", 1955, False, ""),
        "r6": ("h2", "Li Six", 1970, True, "diabetes"),
        "r7": ("h3", "Wang Seven", 1962, False, ""),
        "r8": ("h3", "Wang Eight", 1963, False, ""),
    }
    for key, (hh, name, born, chronic, condition) in residents.items():
        add(
            key,
            Resident(
                household_id=ids[hh], name=name, sex="F", birth_year=born, phone="13800000000",
                is_chronic=chronic, chronic_condition=condition,
            ),
        )  # fmt: skip
    for key, name, kind in (
        ("t_a", "Squad A", "transport"),
        ("t_b", "Squad B", "transport"),
        ("t_dis", "Disinfection team", "disinfection"),
        ("t_med", "Medicine group", "medicine"),
        ("t_guard", "Guards", "guard"),
    ):
        add(key, Team(name=name, kind=kind))
    for key, name, kind, team, extra in (
        ("p_driver", "Driver Chen", "cadre", "t_med", {"cadre_level": "city"}),
        ("p_dis", "Disinfector Wu", "property", "t_dis", {}),
        ("p_a", "Courier Sun", "volunteer", "t_a", {"volunteer_kind": "young"}),
        ("p_b", "Courier Zhou", "volunteer", "t_b", {"volunteer_kind": "young"}),
        ("g_1", "Guard Qian", "guard", "t_guard", {}),
        ("g_2", "Guard Zhao", "guard", "t_guard", {}),
        ("p_staff", "Staff Lin", "committee_staff", None, {"grid_id": None}),
    ):
        add(key, Person(name=name, kind=kind, phone="13911112222", team_id=ids.get(team), **extra))
    session.get(Person, ids["p_staff"]).grid_id = ids["g1"]
    for key, username, role, extra in (
        ("u_shuji", "shuji", "secretary", {}),
        ("u_grid1", "grid01", "grid_leader", {"grid_id": ids["g1"]}),
        ("u_grid2", "grid02", "grid_leader", {"grid_id": ids["g2"]}),
        ("u_task", "task", "task", {"team_id": ids["t_a"]}),
        ("u_dis", "dis", "task", {"team_id": ids["t_dis"]}),
        ("u_med", "med", "task", {"team_id": ids["t_med"]}),
        ("u_guard", "guardlead", "task", {"team_id": ids["t_guard"]}),
        ("u_viewer", "viewer", "viewer", {}),
        ("u_meeting", "meeting", "meeting", {}),
    ):
        add(key, User(username=username, password_hash="x", role=role, **extra))
    # Entrances: E1 and E2 open since 1 April, E3 closed since 1 April.
    for key, name, is_open in (
        ("e1", "East gate", True),
        ("e2", "North gate", True),
        ("e3", "West gate", False),
    ):
        add(key, Entrance(name=name, road="Road", is_open=is_open))
        session.add(EntranceChange(entrance_id=ids[key], at=at(dt.date(2022, 4, 1), 0), is_open=is_open))
    # Screening round on D at site S1; a case in B1 on 05-18 seals B1 until 05-25.
    add("s1", SamplingSite(name="Site 1", grid_id=ids["g1"]))
    add("s2", SamplingSite(name="Site 2", grid_id=ids["g2"]))
    add("round", ScreeningRound(kind="pcr", number=40, date=D))
    session.add(RoundSite(round_id=ids["round"], site_id=ids["s1"]))
    add("route1", DisinfectionRoute(name="Gate to site", active=True))
    add("route2", DisinfectionRoute(name="Old route", active=False))
    add(
        "case",
        Case(
            resident_id=ids["r1"], found_on=dt.date(2022, 5, 18), found_at=at(dt.date(2022, 5, 18), 9),
            channel="antigen", severity="asymptomatic",
        ),
    )  # fmt: skip
    # Close contacts: r3 (B3) under control 05-18..05-25; r6 (B2) released 05-19; r7 secondary.
    for resident, kind, identified, released in (
        ("r3", "close", dt.date(2022, 5, 18), dt.date(2022, 5, 25)),
        ("r6", "close", dt.date(2022, 5, 10), dt.date(2022, 5, 19)),
        ("r8", "secondary", dt.date(2022, 5, 18), None),
    ):
        session.add(
            Contact(
                case_id=ids["case"], resident_id=ids[resident], kind=kind, identified_on=identified,
                released_on=released,
            )
        )  # fmt: skip
    session.flush()
    users = {
        key[2:]: CurrentUser(
            id=ids[key],
            username=row.username,
            role=row.role,
            grid_id=row.grid_id,
            grid_number={ids["g1"]: 1, ids["g2"]: 2}.get(row.grid_id),
            team_id=row.team_id,
        )
        for key in ids
        if key.startswith("u_")
        for row in [session.get(User, ids[key])]
    }
    return World(ids, users)


def add_medicine(session: Session, w: World) -> None:
    """Two runs (05-20 done at 15:00, 05-24 planned) and five requests around them."""
    i = w.ids
    run20 = HospitalRun(date=D, hospitals="Zhongshan", driver_id=i["p_driver"], done_at=at(D, 15))
    run24 = HospitalRun(date=dt.date(2022, 5, 24), hospitals="Ruijin")
    session.add_all([run20, run24])
    session.flush()
    i["run20"], i["run24"] = run20.id, run24.id
    rows = {
        "q1": MedicineRequest(
            resident_id=i["r1"], medicines="amlodipine x2", hospital="Zhongshan", urgency="urgent",
            status="bought", requested_at=at(dt.date(2022, 5, 18), 9), run_id=run20.id, bought_at=at(D, 15),
        ),
        "q2": MedicineRequest(
            resident_id=i["r3"], medicines="aspirin", hospital="Ruijin", urgency="normal",
            status="requested", requested_at=at(dt.date(2022, 5, 19), 10),
        ),
        "q3": MedicineRequest(
            resident_id=i["r2"], medicines="insulin", hospital="Zhongshan", urgency="normal",
            status="delivered", requested_at=at(dt.date(2022, 5, 19), 8), run_id=run20.id,
            bought_at=at(D, 15), delivered_at=at(D, 18),
        ),
        "q4": MedicineRequest(
            resident_id=i["r4"], medicines="salbutamol", hospital="Ruijin", urgency="urgent",
            status="in_run", requested_at=at(dt.date(2022, 5, 19), 20), run_id=run24.id,
        ),
        "q5": MedicineRequest(
            resident_id=i["r1"], medicines="cancelled one", status="cancelled",
            requested_at=at(dt.date(2022, 5, 19), 7),
        ),
        "q6": MedicineRequest(
            resident_id=i["r6"], medicines="metformin", status="delivered",
            requested_at=at(dt.date(2022, 4, 30), 7), bought_at=at(dt.date(2022, 5, 3), 7),
            delivered_at=at(dt.date(2022, 5, 3), 9),
        ),
    }  # fmt: skip
    for key, row in rows.items():
        session.add(row)
        session.flush()
        i[key] = row.id


def add_guard_shifts(session: Session, w: World) -> None:
    """E1 covered all day on D; E2 uncovered 02:00–06:00 on D (as in the seed); E3 closed, no guard."""
    i = w.ids
    plan = [
        ("e1", "g_1", at(D, 0), at(D, 8)),
        ("e1", "g_2", at(D, 8), at(D, 16)),
        ("e1", "g_1", at(D, 16), at(D, 24)),
        ("e2", "g_2", at(D, -4), at(D, 2)),
        ("e2", "g_1", at(D, 6), at(D, 14)),
        ("e2", "g_2", at(D, 13), at(D, 24)),
    ]
    for entrance, guard, start, end in plan:
        session.add(
            DutyShift(
                person_id=i[guard],
                team_id=i["t_guard"],
                entrance_id=i[entrance],
                starts_at=start,
                ends_at=end,
            )
        )
    session.flush()


def built(engine: Engine) -> tuple[Engine, World]:
    """The world built in the test database (the `world` fixture of the tests)."""
    with Session(engine) as s, s.begin():
        w = build_world(s)
        add_medicine(s, w)
        add_guard_shifts(s, w)
    return engine, w


def _count(engine: Engine, model: type) -> int:
    with Session(engine) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def built_for_the_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """The world in a SQLite file the app (AppTest) uses (the `world_app` fixture of the page tests)."""

    url = f"sqlite:///{tmp_path / 'world.db'}"
    eng = make_engine(url)
    upgrade(eng)
    with Session(eng) as s, s.begin():
        w = build_world(s)
        add_medicine(s, w)
        add_guard_shifts(s, w)
    eng.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    forget_app_state()
    yield w
    forget_app_state()


def disinfect(engine: Engine, user: CurrentUser, kind: str, target: int, moment: dt.datetime, **kw):  # noqa: ANN003, ANN201
    """A disinfection recorded through its write function, as of NOW."""
    return run_write(
        engine, disinfection.do_record_disinfection, user, kind, target, moment, "chlorine", now=NOW, **kw
    )


def _seed_ready() -> bool:
    import importlib.util

    return importlib.util.find_spec("seed") is not None and hasattr(
        importlib.import_module("seed"), "generate"
    )


needs_seed = pytest.mark.skipif(not _seed_ready(), reason="the Huamei seed (seed.generate) is not there yet")
