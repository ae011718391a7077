"""One copy of the area on the ground: compounds, buildings, households, residents and grids."""

from __future__ import annotations

import random

from seed import places, story
from seed.names import IdNumberPool, PhonePool, full_name, surname
from seed.story import GRIDS, HOUSEHOLDS, RESIDENTS
from seed.world import Area, World, at

# Households in one homestead house: 5-6 is normal.
_HOUSE_HOUSEHOLDS = {1: 4, 2: 6, 3: 8, 4: 14, 5: 30, 6: 28, 7: 7, 8: 3}
# Household sizes by kind of household (weights).
_SIZES = {
    "public": {1: 28, 2: 40, 3: 22, 4: 7, 5: 2, 6: 1},
    "commodity": {1: 15, 2: 32, 3: 33, 4: 13, 5: 5, 6: 2},
    "villa": {2: 10, 3: 25, 4: 25, 5: 20, 6: 12, 7: 8},
    "local": {1: 10, 2: 30, 3: 22, 4: 16, 5: 10, 6: 7, 7: 4, 8: 1},
    "migrant": {1: 35, 2: 30, 3: 20, 4: 10, 5: 3, 6: 2},
}
# The household head's birth year: (weight, first, last) per kind of household.
_HEAD_BORN = {
    "public": ((56, 1930, 1957), (20, 1958, 1967), (24, 1968, 1995)),
    "commodity": ((20, 1940, 1960), (38, 1961, 1982), (42, 1983, 1996)),
    "villa": ((35, 1945, 1962), (65, 1963, 1985)),
    "local": ((60, 1935, 1962), (40, 1963, 1990)),
    "migrant": ((6, 1955, 1965), (94, 1970, 2000)),
}
CHRONIC_CONDITIONS = {
    "高血压": 35,
    "糖尿病": 14,
    "高血压、糖尿病": 12,
    "冠心病": 8,
    "高血压、冠心病": 6,
    "慢阻肺": 5,
    "脑梗后遗症": 4,
    "慢性肾病": 3,
    "哮喘": 3,
    "肿瘤术后": 3,
    "帕金森病": 2,
    "尿毒症（透析）": 1,
}
_VILLAGE_SURNAME = {"许家宅": "许", "陈家宅": "陈", "王家浜": "王", "杨家角": "杨"}
_OTHER = {"M": "F", "F": "M"}


def _pick(rng: random.Random, weights: dict) -> object:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def build_places(world: World, rng: random.Random, area: Area) -> None:
    """Compounds with outlines, and their buildings in walking order."""
    dx, dy = places.area_offset(area.index)
    suffix = places.area_suffix(area.index)
    for spec in places.COMPOUNDS:
        outline = places.compound_outline(rng, spec.rect)
        compound = world.add(
            "compound",
            {
                "name": spec.name + suffix,
                "kind": spec.kind,
                "address": spec.address,
                "polygon": places.ring(outline, dx, dy),
            },
        )
        compound["_spec"] = spec
        world.compound[compound["id"]] = compound
        area.compound_ids.append(compound["id"])
        loose = spec.kind in ("homestead", "villa")
        for n, (x, y) in enumerate(places.building_spots(rng, spec.rect, spec.buildings, loose), start=1):
            lon, lat = places.to_lonlat(x + dx, y + dy)
            label = f"{n}号楼" if spec.kind in ("public_housing", "commodity") else f"{n}号"
            building = world.add(
                "building",
                {
                    "compound_id": compound["id"],
                    "grid_id": None,
                    "name": label,
                    "lat": lat,
                    "lon": lon,
                    "floors": spec.floors,
                },
            )
            building["_xy"] = (x + dx, y + dy)
            world.building[building["id"]] = building
            world.building_households[building["id"]] = []
            area.building_ids.append(building["id"])


def _household_slots(rng: random.Random, world: World, area: Area) -> list[tuple[int, str, str, str, bool]]:
    """(building, door, room, kind of household, rented) for exactly HOUSEHOLDS households."""
    homes: list[tuple[int, str, str, str, bool]] = []
    rooms: list[tuple[int, str, str]] = []  # apartment rooms, to be filled after the houses
    for bid in area.building_ids:
        building = world.building[bid]
        spec = world.compound[building["compound_id"]]["_spec"]
        if spec.kind == "homestead":
            k = _pick(rng, _HOUSE_HOUSEHOLDS)
            owners = 1 + (1 if k >= 5 and rng.random() < 0.35 else 0)
            if k <= 2 and rng.random() < 0.5:
                owners = k
            for i in range(1, k + 1):
                rented = i > owners and rng.random() < 0.72
                homes.append((bid, building["name"], f"{i}户", "migrant" if rented else "local", rented))
        elif spec.kind == "villa":
            if rng.random() < 0.9:
                homes.append((bid, building["name"], "1户", "villa", rng.random() < 0.1))
        else:
            kind = "public" if spec.kind == "public_housing" else "commodity"
            for floor in range(1, spec.floors + 1):
                for unit in range(1, spec.rooms_per_floor + 1):
                    rooms.append((bid, f"{floor}{unit:02d}室", kind))
    wanted = HOUSEHOLDS - len(homes)
    if not 0 < wanted <= len(rooms):
        raise RuntimeError(f"cannot fit {wanted} apartment households into {len(rooms)} rooms")
    for i in sorted(rng.sample(range(len(rooms)), wanted)):
        bid, room, kind = rooms[i]
        homes.append((bid, room, room, kind, rng.random() < 0.12))
    # Back into walking order (houses were listed before the apartments).
    position = {bid: n for n, bid in enumerate(area.building_ids)}
    homes.sort(key=lambda h: position[h[0]])
    return homes


def _members(rng: random.Random, size: int, head_born: int) -> list[tuple[str, int, str]]:
    """(sex, birth year, role) of a household's members; role 'head', 'spouse', 'kin'."""
    head_sex = "M" if rng.random() < 0.62 else "F"
    people = [(head_sex, head_born, "head")]
    if size >= 2 and (size >= 3 or rng.random() < 0.85):
        people.append((_OTHER[head_sex], min(2003, head_born + rng.randint(-4, 4)), "spouse"))
    rest = size - len(people)
    if head_born <= 1965:
        child_born = min(2003, head_born + rng.randint(24, 32))
        for k in range(rest):
            if k == 0:
                people.append((rng.choice("MF"), child_born, "kin"))
            elif k == 1 and child_born <= 1998:
                people.append((rng.choice("MF"), child_born + rng.randint(-3, 3), "kin"))
            elif child_born + 22 <= 2021:
                people.append(
                    (rng.choice("MF"), rng.randint(child_born + 22, min(2021, child_born + 34)), "kin")
                )
            else:
                people.append((rng.choice("MF"), min(2004, head_born + rng.randint(24, 38)), "kin"))
    else:
        children = min(rest, rng.choice((1, 1, 2, 2, 3)))
        for _ in range(children):
            if head_born + 22 <= 2021:
                born = rng.randint(head_born + 22, min(2021, head_born + 36))
            else:  # a young tenant sharing with siblings or friends
                born = head_born + rng.randint(-5, 5)
            people.append((rng.choice("MF"), min(2021, born), "kin"))
        for _ in range(rest - children):
            people.append((rng.choice("MF"), head_born - rng.randint(24, 32), "kin"))
    return people


def build_households(
    world: World, rng: random.Random, area: Area, phones: PhonePool, ids: IdNumberPool
) -> None:
    """Exactly HOUSEHOLDS households and RESIDENTS residents in the area's buildings."""
    slots = _household_slots(rng, world, area)
    sizes = [_pick(rng, _SIZES[kind]) for _, _, _, kind, _ in slots]
    # Nudge random households until the area holds exactly RESIDENTS people.
    while (diff := RESIDENTS - sum(sizes)) != 0:
        i = rng.randrange(len(sizes))
        if diff > 0 and sizes[i] < 8:
            sizes[i] += 1
        elif diff < 0 and sizes[i] > 1:
            sizes[i] -= 1
    for (bid, door, room, kind, rented), size in zip(slots, sizes, strict=True):
        building = world.building[bid]
        village = world.compound[building["compound_id"]]["_spec"].name
        family = surname(rng, local=kind in ("public", "local"))
        if kind == "local" and village in _VILLAGE_SURNAME and rng.random() < 0.5:
            family = _VILLAGE_SURNAME[village]
        weights, spans = zip(*((w, (a, b)) for w, a, b in _HEAD_BORN[kind]), strict=True)
        first, last = rng.choices(spans, weights=weights)[0]
        members = _members(rng, size, rng.randint(first, last))
        household = world.add(
            "household",
            {
                "building_id": bid,
                "door": door,
                "room": room,
                "size": size,
                "is_rental": rented,
                "head_name": "",
                "version": 1,
            },
        )
        household["_kind"] = kind
        hid = household["id"]
        world.household[hid] = household
        world.building_households[bid].append(hid)
        world.household_residents[hid] = []
        area.household_ids.append(hid)
        for sex, born, role in members:
            carries_family = (
                (role == "head" and sex == "M") or (role == "spouse" and sex == "M") or role == "kin"
            )
            name = full_name(rng, sex, born, family if carries_family else None)
            if role == "head":
                household["head_name"] = name
            age = 2022 - born
            chronic = ""
            if rng.random() < (0.55 if age >= 60 else 0.15 if age >= 45 else 0.02):
                chronic = str(_pick(rng, CHRONIC_CONDITIONS))
            resident = world.add(
                "resident",
                {
                    "household_id": hid,
                    "name": name,
                    "sex": sex,
                    "birth_year": born,
                    "phone": phones.take(),
                    "id_number": ids.take(born, sex),
                    "is_chronic": bool(chronic),
                    "chronic_condition": chronic,
                    "is_bedridden": rng.random() < (0.08 if age >= 75 else 0.01 if age >= 60 else 0.0),
                    "is_disabled": rng.random() < (0.03 if age >= 60 else 0.01),
                    "is_pregnant": sex == "F" and 22 <= age <= 38 and rng.random() < 0.03,
                    "lives_alone": size == 1 and age >= 60,
                    "is_away": 18 <= age <= 65 and kind != "migrant" and rng.random() < 0.008,
                    "version": 1,
                },
            )
            rid = resident["id"]
            world.resident[rid] = resident
            world.household_residents[hid].append(rid)
            world.resident_building[rid] = bid
            area.resident_ids.append(rid)


def build_grids(world: World, area: Area) -> None:
    """Cut the walking order of buildings into GRIDS grids of about equal population."""
    people = [
        sum(world.household[h]["size"] for h in world.building_households[b]) for b in area.building_ids
    ]
    total = sum(people)
    cumulative = [0]
    for n in people:
        cumulative.append(cumulative[-1] + n)
    cuts = []
    for k in range(1, GRIDS):
        # The building boundary whose running total lands closest to the k-th tenth.
        target = total * k / GRIDS
        after = next(i for i, c in enumerate(cumulative) if c >= target)
        cuts.append(after if cumulative[after] - target <= target - cumulative[after - 1] else after - 1)
    bounds = [0, *cuts, len(people)]
    suffix_base = area.index * GRIDS
    for g in range(GRIDS):
        number = suffix_base + g + 1
        members = area.building_ids[bounds[g] : bounds[g + 1]]
        corners = []
        for bid in members:
            x, y = world.building[bid]["_xy"]
            f = places.FOOTPRINT
            corners += [(x - f, y - f), (x + f, y - f), (x + f, y + f), (x - f, y + f)]
        grid = world.add(
            "grid",
            {
                "number": number,
                "name": f"第{number}网格",
                "leader_id": None,
                "polygon": places.ring(places.convex_hull(corners), 0.0, 0.0),
            },
        )
        area.grid_ids.append(grid["id"])
        for bid in members:
            world.building[bid]["grid_id"] = grid["id"]
            for hid in world.building_households[bid]:
                for rid in world.household_residents[hid]:
                    world.resident_grid[rid] = grid["id"]


def build_facilities(world: World, area: Area) -> None:
    """Entrances (two open since 1 April), sampling sites and disinfection routes."""
    dx, dy = places.area_offset(area.index)
    suffix = places.area_suffix(area.index)
    for name, road, x, y, is_open in places.ENTRANCES:
        lon, lat = places.to_lonlat(x + dx, y + dy)
        entrance = world.add(
            "entrance", {"name": name + suffix, "road": road, "lat": lat, "lon": lon, "is_open": is_open}
        )
        area.entrance_ids.append(entrance["id"])
        if is_open:
            area.open_entrance_ids.append(entrance["id"])
        world.add(
            "entrance_change",
            {
                "entrance_id": entrance["id"],
                "at": at(story.FIRST_DAY, 0),
                "is_open": is_open,
                "user_id": None,
            },
        )
    by_name = {world.compound[c]["_spec"].name: c for c in area.compound_ids}
    for name, compound_name, sx, sy in places.SITES:
        compound_id = by_name[compound_name]
        x0, y0, x1, y1 = world.compound[compound_id]["_spec"].rect
        x, y = (x0 + x1) / 2 + sx + dx, (y0 + y1) / 2 + sy + dy
        nearest = min(
            (b for b in area.building_ids if world.building[b]["compound_id"] == compound_id),
            key=lambda b: (world.building[b]["_xy"][0] - x) ** 2 + (world.building[b]["_xy"][1] - y) ** 2,
        )
        lon, lat = places.to_lonlat(x, y)
        site = world.add(
            "sampling_site",
            {
                "name": name + suffix,
                "compound_id": compound_id,
                "grid_id": world.building[nearest]["grid_id"],
                "lat": lat,
                "lon": lon,
            },
        )
        area.site_ids.append(site["id"])
    for name in places.DISINFECTION_ROUTES:
        area.route_ids.append(world.add("disinfection_route", {"name": name + suffix, "active": True})["id"])
