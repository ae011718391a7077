"""A small hand-made area for the screening tests, with answers that can be counted by hand.

Grid 1: building B1 (room 101: r1 r2 r3; room 102: r4 bedridden, r5 away),
        building B2 (room 201: r6 r7 r8 — r8 is a case found on 05-25, transferred),
        building B4 (rooms 401 and 402, five residents each: t1..t10, pooled in tube T-0001).
Grid 2: building B3 (room 301: r9 r10 r11 — r11 is r8's close contact, in central quarantine).
PCR round 1 on TODAY (scope everyone) is created through screening.create_round, so r5, r8 and r11
are exempt; r1, r2, r6, r9 and t1..t10 are sampled. Hence 21 residents, 3 exempt, 18 due,
14 sampled, 4 missed (r3, r4, r7 in grid 1; r10 in grid 2).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from dashboard import auth, screening
from dashboard.roles import CurrentUser
from dashboard.validate import id_check_digit
from db.models import (
    Building,
    Case,
    Committee,
    Compound,
    Contact,
    Grid,
    Household,
    Resident,
    SamplingSite,
    ScreeningResult,
    User,
)

TODAY = dt.date(2022, 5, 29)
SAMPLED_AT = dt.datetime(2022, 5, 29, 8, 30)
TUBE = "T-0001"
PASSWORD = "huamei2022"


def id_number(n: int) -> str:
    """A valid 18-character ID number, different for each n."""
    first17 = f"3101121980{n:03d}0{n % 10}{n:03d}"[:17]
    return first17 + id_check_digit(first17)


@dataclass(frozen=True)
class World:
    """Ids of what build() made."""

    grids: dict[int, int]  # number → id
    buildings: dict[str, int]
    households: dict[str, int]  # room → id
    residents: dict[str, int]  # label (r1.., t1..) → id
    users: dict[str, CurrentUser]
    round_id: int
    site_id: int

    def resident(self, label: str) -> int:
        return self.residents[label]


PEOPLE = {
    # label: (room, name, phone)
    "r1": ("101", "张一", "13900000001"),
    "r2": ("101", "张二", "13900000002"),
    "r3": ("101", "张三丰", "13900000003"),
    "r4": ("102", "李四", "13900000004"),
    "r5": ("102", "李五", "13900000005"),
    "r6": ("201", "王六", "13900000006"),
    "r7": ("201", "王七七", "13900000007"),
    "r8": ("201", "王八", "13900000008"),
    "r9": ("301", "赵九", "13900000009"),
    "r10": ("301", "赵十", "13900000010"),
    "r11": ("301", "赵十一", "13900000011"),
    **{f"t{i}": ("401" if i <= 5 else "402", f"孙{i}号", f"1390000{i + 100:04d}") for i in range(1, 11)},
}
ROOMS = {"101": "B1", "102": "B1", "201": "B2", "401": "B4", "402": "B4", "301": "B3"}
BUILDING_GRID = {"B1": 1, "B2": 1, "B4": 1, "B3": 2}
SAMPLED = ("r1", "r2", "r6", "r9", *(f"t{i}" for i in range(1, 11)))


def build(engine: Engine, *, with_round: bool = True) -> World:
    """Fill an empty migrated database with the small area (and its first PCR round)."""
    pw = auth.hash_password(PASSWORD)
    with Session(engine, expire_on_commit=False) as s, s.begin():
        s.add(Committee(name="测试居委", is_demo=True, demo_today=TODAY))
        compound = Compound(name="测试小区", kind="homestead")
        grids = {n: Grid(number=n, name=f"第{n}网格") for n in (1, 2)}
        s.add_all([compound, *grids.values()])
        s.flush()
        buildings = {
            name: Building(compound_id=compound.id, grid_id=grids[g].id, name=name)
            for name, g in BUILDING_GRID.items()
        }
        s.add_all(buildings.values())
        s.flush()
        households = {
            room: Household(building_id=buildings[b].id, door=room, room=room, size=0)
            for room, b in ROOMS.items()
        }
        s.add_all(households.values())
        s.flush()
        residents: dict[str, Resident] = {}
        for n, (label, (room, name, phone)) in enumerate(PEOPLE.items(), start=1):
            residents[label] = Resident(
                household_id=households[room].id,
                name=name,
                sex="M" if n % 2 else "F",
                birth_year=1950 + n,
                phone=phone,
                id_number=id_number(n),
                is_bedridden=label == "r4",
                is_away=label == "r5",
            )
            households[room].size += 1
        s.add_all(residents.values())
        s.flush()
        case = Case(
            resident_id=residents["r8"].id,
            found_on=dt.date(2022, 5, 25),
            found_at=dt.datetime(2022, 5, 25, 9, 0),
            channel="pooled_retest",
            severity="asymptomatic",
            status="transferred",
            transferred_at=dt.datetime(2022, 5, 25, 15, 0),
        )
        s.add(case)
        s.flush()
        s.add(
            Contact(
                case_id=case.id,
                resident_id=residents["r11"].id,
                kind="close",
                status="central_quarantine",
                identified_on=dt.date(2022, 5, 25),
            )
        )
        site = SamplingSite(name="1号采样点", grid_id=grids[1].id)
        s.add(site)
        rows = {
            "shuji": User(username="shuji", password_hash=pw, role="secretary"),
            "grid01": User(username="grid01", password_hash=pw, role="grid_leader", grid_id=grids[1].id),
            "grid02": User(username="grid02", password_hash=pw, role="grid_leader", grid_id=grids[2].id),
            "viewer": User(username="viewer", password_hash=pw, role="viewer"),
            "meeting": User(username="meeting", password_hash=pw, role="meeting"),
        }
        s.add_all(rows.values())
        s.flush()
        users = {name: auth.to_current(s, row) for name, row in rows.items()}
        ids = {k: v.id for k, v in residents.items()}
        world_grids = {n: g.id for n, g in grids.items()}
        world_buildings = {k: v.id for k, v in buildings.items()}
        world_households = {k: v.id for k, v in households.items()}
        site_id = site.id
    round_id = 0
    if with_round:
        round_id = add_pcr_round(engine, users["shuji"], ids, site_id)
    return World(world_grids, world_buildings, world_households, ids, users, round_id, site_id)


def add_pcr_round(engine: Engine, user: CurrentUser, ids: dict[str, int], site_id: int) -> int:
    """PCR round on TODAY for everyone, with the SAMPLED residents at the site (t1..t10 in one tube)."""
    now = dt.datetime.combine(TODAY, dt.time(18, 0))
    with Session(engine) as s, s.begin():
        round_id = screening.create_round(
            s, user, "pcr", TODAY, "all", site_ids=[site_id], time_slots="07:00-11:00", now=now
        )
        for n, label in enumerate(SAMPLED):
            s.add(
                ScreeningResult(
                    round_id=round_id,
                    resident_id=ids[label],
                    sampled_at=SAMPLED_AT,
                    method="site",
                    tube_no=TUBE if label.startswith("t") else f"T-{1000 + n}",
                    result="pending",
                )
            )
    return round_id


def user(engine: Engine, username: str) -> CurrentUser:
    """The CurrentUser of an account of the world."""
    with Session(engine) as s:
        return auth.to_current(s, s.scalar(select(User).where(User.username == username)))
