"""The people who ran the lockdown: committee staff, cadres, inner-field, property, volunteers,
guards; their teams; and the demo accounts."""

from __future__ import annotations

import random

from seed import places, story
from seed.names import PhonePool, full_name
from seed.world import Area, World

# role key -> (team name, team kind)
TEAMS = {
    "disinfection": ("消杀队", "disinfection"),
    "transport_a": ("运输A队", "transport"),
    "transport_b": ("运输B队", "transport"),
    "medicine": ("配药小组", "medicine"),
    "patrol": ("巡逻队", "patrol"),
    "transfer": ("转运组", "transfer"),
    "guard": ("值守队", "guard"),
    "sampling": ("采样引导组", "sampling"),
}
CADRE_ORGS = {
    "city": ("上海市财政局", "上海市科学技术委员会", "上海市交通委员会", "上海市司法局", "上海市商务委员会"),
    "district": (
        "闵行区教育局",
        "闵行区民政局",
        "闵行区城管执法局",
        "闵行区税务局",
        "闵行区文化旅游局",
        "闵行区人社局",
        "闵行区财政局",
        "闵行区发改委",
        "闵行区档案局",
        "闵行区统计局",
    ),
    "street": (
        "新虹街道办事处",
        "新虹街道社区服务中心",
        "新虹街道城运中心",
        "新虹街道党建服务中心",
        "新虹街道社区事务受理中心",
    ),
}
CADRE_LEVEL_COUNTS = (("city", 5), ("district", 10), ("street", 18))
COMMITTEE_ORG = "华美居民区居委会"
PROPERTY_ORG = "华美物业服务有限公司"
INNER_FIELD_ORG = "新虹街道社区卫生服务中心"
GUARD_ORG = "闵行保安服务有限公司"


def build_teams(world: World, area: Area) -> None:
    """The area's teams (leads are set once their people exist)."""
    suffix = places.area_suffix(area.index)
    for key, (name, kind) in TEAMS.items():
        area.teams[key] = world.add("team", {"name": name + suffix, "kind": kind, "lead_id": None})["id"]
        area.team_members[key] = []


def _person(
    world: World,
    area: Area,
    kind: str,
    name: str,
    phone: str,
    *,
    org: str = "",
    team: str | None = None,
    **extra: object,
) -> int:
    row = world.add(
        "person",
        {
            "name": name,
            "phone": phone,
            "kind": kind,
            "cadre_level": extra.get("cadre_level"),
            "volunteer_kind": extra.get("volunteer_kind"),
            "organisation": org,
            "team_id": area.teams[team] if team else None,
            "grid_id": extra.get("grid_id"),
            "resident_id": extra.get("resident_id"),
            "active": True,
        },
    )
    world.person[row["id"]] = row
    if team:
        area.team_members[team].append(row["id"])
    return row["id"]


def _adult(rng: random.Random, first: int = 1962, last: int = 1994) -> tuple[str, str]:
    sex = rng.choice("MF")
    return full_name(rng, sex, rng.randint(first, last)), sex


def build_people(world: World, rng: random.Random, area: Area, phones: PhonePool) -> None:
    """Staff, cadres, inner-field, property, guards, and volunteers drawn from the residents."""
    # Committee staff: the secretary, the director, and one leader per grid.
    area.staff["secretary"] = _person(
        world, area, "committee_staff", _adult(rng, 1968, 1980)[0], phones.take(), org=COMMITTEE_ORG
    )
    area.staff["director"] = _person(
        world, area, "committee_staff", _adult(rng, 1972, 1985)[0], phones.take(), org=COMMITTEE_ORG
    )
    for grid in area.grid_ids:
        pid = _person(
            world,
            area,
            "committee_staff",
            _adult(rng, 1975, 1996)[0],
            phones.take(),
            org=COMMITTEE_ORG,
            grid_id=grid,
        )
        area.grid_leaders[grid] = pid
    # Sent-down cadres: three for each grid, the rest float; a city cadre drives the medicine run.
    n = 0
    for level, count in CADRE_LEVEL_COUNTS:
        for i in range(count):
            team = None
            if level == "city" and i == 0:
                team = "medicine"
            elif n % 6 == 1:
                team = "sampling"
            elif n % 6 == 4:
                team = "patrol"
            grid = area.grid_ids[n % len(area.grid_ids)] if n < 3 * len(area.grid_ids) else None
            org = CADRE_ORGS[level][i % len(CADRE_ORGS[level])]
            pid = _person(
                world,
                area,
                "cadre",
                _adult(rng, 1970, 1995)[0],
                phones.take(),
                org=org,
                team=team,
                cadre_level=level,
                grid_id=grid,
            )
            area.cadre_ids.append(pid)
            if level == "city":
                area.city_cadre_ids.append(pid)
            n += 1
    for _ in range(story.INNER_FIELD):
        _person(
            world,
            area,
            "inner_field",
            _adult(rng, 1978, 1998)[0],
            phones.take(),
            org=INNER_FIELD_ORG,
            team="transfer",
        )
    for _ in range(story.PROPERTY_STAFF):
        _person(
            world,
            area,
            "property",
            _adult(rng, 1965, 1990)[0],
            phones.take(),
            org=PROPERTY_ORG,
            team="disinfection",
        )
    for _ in range(story.GUARDS):
        _person(world, area, "guard", _adult(rng, 1965, 1992)[0], phones.take(), org=GUARD_ORG, team="guard")
    _volunteers(world, rng, area)
    # Leads: the first member of each team, except where a role is obvious.
    for key, members in area.team_members.items():
        lead = members[0] if members else None
        for row in world.rows["team"]:
            if row["id"] == area.teams[key]:
                row["lead_id"] = lead
    for grid_row in world.rows["grid"]:
        if grid_row["id"] in area.grid_leaders:
            grid_row["leader_id"] = area.grid_leaders[grid_row["id"]]


def _volunteers(world: World, rng: random.Random, area: Area) -> None:
    """Party members, building heads and young volunteers, each a resident of the area."""
    taken: set[int] = set()

    def fits(rid: int, first: int, last: int) -> bool:
        resident = world.resident[rid]
        return (
            first <= resident["birth_year"] <= last
            and rid not in taken
            and rid not in world.case_of
            and rid not in world.contact_of
            and not resident["is_away"]
            and not resident["is_bedridden"]
        )

    def candidates(first: int, last: int, grid: int | None = None) -> list[int]:
        return [
            rid
            for rid in area.resident_ids
            if (grid is None or world.resident_grid[rid] == grid) and fits(rid, first, last)
        ]

    def enlist(rid: int, kind: str, team: str | None) -> None:
        taken.add(rid)
        r = world.resident[rid]
        _person(
            world,
            area,
            "volunteer",
            r["name"],
            r["phone"],
            team=team,
            volunteer_kind=kind,
            grid_id=world.resident_grid[rid],
            resident_id=rid,
        )

    # Young volunteers first: the two transport squads carry the whole lockdown.
    young_teams = ["transport_a"] * 10 + ["transport_b"] * 10 + ["disinfection"] * 6 + ["patrol"] * 6
    for i, team in enumerate(young_teams):
        grid = area.grid_ids[i % len(area.grid_ids)]
        pool = candidates(1987, 2004, grid) or candidates(1987, 2004)
        enlist(rng.choice(pool), "young", team)
    party_teams = ["medicine"] * 4 + ["patrol"] * 6 + [None] * 14
    for i, team in enumerate(party_teams):
        grid = area.grid_ids[i % len(area.grid_ids)]
        pool = candidates(1950, 1977, grid) or candidates(1950, 1977)
        enlist(rng.choice(pool), "party_member", team)
    for n, bid in enumerate(area.building_ids):
        kind = world.compound[world.building[bid]["compound_id"]]["kind"]
        if (kind in ("public_housing", "commodity") and n % 3 == 0) or (kind == "homestead" and n % 6 == 0):
            pool = [
                rid
                for h in world.building_households[bid]
                for rid in world.household_residents[h]
                if fits(rid, 1950, 1990)
            ]
            if pool:
                enlist(rng.choice(pool), "building_head", None)


def build_users(world: World, password_hash: str) -> None:
    """One demo account per role for area 1, and one grid leader account per grid."""
    first = world.areas[0]
    secretary = world.person[first.staff["secretary"]]
    common = {
        "password_hash": password_hash,
        "active": True,
        "is_demo": True,
        "language": None,
        "failed_attempts": 0,
        "locked_until": None,
        "password_changed_at": None,
        "created_at": story.DEMO_USERS_CREATED,
    }
    accounts = [
        ("admin", "管理员", "admin", None, None, None),
        ("shuji", secretary["name"], "secretary", None, None, secretary["id"]),
    ]
    for area in world.areas:
        for grid in area.grid_ids:
            number = next(g["number"] for g in world.rows["grid"] if g["id"] == grid)
            leader = world.person[area.grid_leaders[grid]]
            accounts.append((f"grid{number:02d}", leader["name"], "grid_leader", grid, None, leader["id"]))
    accounts += [
        ("task", "运输A队", "task", None, first.teams["transport_a"], None),
        ("meeting", "每日复盘", "meeting", None, None, None),
        ("viewer", "街道查看", "viewer", None, None, None),
    ]
    for username, display, role, grid, team, person in accounts:
        world.add(
            "app_user",
            {
                "username": username,
                "display_name": display,
                "role": role,
                "grid_id": grid,
                "team_id": team,
                "person_id": person,
                **common,
            },
        )
