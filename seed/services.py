"""Daily services: supplies, medicine runs, courier counts, disinfection, guard rosters, follow-ups."""

from __future__ import annotations

import datetime as dt
import random

from seed import story
from seed.outbreak import Outbreak
from seed.world import Area, Row, World, at

DAY = dt.timedelta(days=1)

# name, date, source, items, rule, days to deliver
SUPPLY_BATCHES = (
    (
        "第一批 政府保供物资（按门发放）",
        dt.date(2022, 4, 3),
        "government",
        "大米5kg、食用油1.8L、蔬菜包、鸡蛋10枚",
        "per_door",
        2,
    ),
    (
        "第二批 政府保供物资（按户复核）",
        dt.date(2022, 4, 12),
        "government",
        "大米5kg、挂面2kg、蔬菜包、猪肉1kg",
        "per_household",
        3,
    ),
    (
        "第三批 街道蔬菜包",
        dt.date(2022, 4, 20),
        "street",
        "青菜、土豆、洋葱、胡萝卜、番茄",
        "large_household",
        2,
    ),
    (
        "第四批 爱心企业捐赠",
        dt.date(2022, 5, 5),
        "donation",
        "牛奶一箱、方便面一箱、切片面包",
        "large_household",
        2,
    ),
    (
        "第五批 街道肉禽蛋包",
        dt.date(2022, 5, 16),
        "street",
        "冷冻鸡腿2kg、猪肉1kg、鸡蛋30枚",
        "large_household",
        2,
    ),
    (
        "第六批 政府保供物资",
        dt.date(2022, 5, 26),
        "government",
        "大米5kg、食用油1.8L、蔬菜包、抗原试剂10份",
        "large_household",
        4,
    ),
)
HOSPITALS = ("中山医院", "瑞金医院", "第六人民医院", "仁济医院", "华山医院", "闵行区中心医院")
MEDICINES = {
    "高血压": ("苯磺酸氨氯地平片", "缬沙坦胶囊", "硝苯地平控释片"),
    "糖尿病": ("盐酸二甲双胍缓释片", "格列美脲片", "门冬胰岛素注射液"),
    "冠心病": ("阿司匹林肠溶片", "单硝酸异山梨酯片", "阿托伐他汀钙片"),
    "慢阻肺": ("噻托溴铵吸入粉雾剂", "沙美特罗替卡松吸入剂"),
    "脑梗后遗症": ("氯吡格雷片", "阿托伐他汀钙片"),
    "慢性肾病": ("复方α-酮酸片", "碳酸氢钠片"),
    "哮喘": ("布地奈德福莫特罗吸入剂", "孟鲁司特钠片"),
    "肿瘤术后": ("来曲唑片", "他莫昔芬片"),
    "帕金森病": ("多巴丝肼片", "普拉克索片"),
    "尿毒症（透析）": ("促红细胞生成素注射液", "碳酸镧咀嚼片"),
}
COMMON_MEDICINES = ("布洛芬缓释胶囊", "蒙脱石散", "复方甘草片", "维生素D滴剂", "胰岛素针头")
SHIFT_HOURS = {"morning": (7, 11), "noon": (11, 15), "evening": (17, 21)}
_SHIFT_WEIGHT = {"morning": 1.0, "noon": 0.7, "evening": 1.3}
# A courier shift leaves at most this share of the parcels it had on hand for the next shift.
COURIER_LEFT_SHARE = 0.05
FOLLOW_UP_ITEMS = (
    "{place}独居老人配药需求未登记",
    "第{grid}网格今日核酸漏检人员未全部追踪",
    "{place}群租户反映未领到物资",
    "{place}楼道消杀记录缺失",
    "{place}居民反映快递积压未送达",
    "{place}孕妇产检出行需开具证明",
    "{place}透析病人就医需协调车辆",
    "{place}生活垃圾清运不及时",
    "{place}居民情绪激动，需上门安抚",
    "{place}抗原试剂未发到位",
)
RESOLUTIONS = (
    "已上门核实并处理",
    "已联系家属，药品已送达",
    "已补发物资并登记",
    "已协调街道解决",
    "已安排志愿者对接",
    "已电话回访，居民满意",
)


def _minute(rng: random.Random, day: dt.date, first_hour: float, span_minutes: int) -> dt.datetime:
    return at(day, 0) + dt.timedelta(minutes=round(first_hour * 60) + rng.randrange(span_minutes))


def build_supplies(world: World, rng: random.Random) -> None:
    """Six batches; the first per door (too few), the second per household, then by household size."""
    households = [h for area in world.areas for h in area.household_ids]
    first_of_door: dict[tuple[int, str], int] = {}
    for hid in households:
        h = world.household[hid]
        first_of_door.setdefault((h["building_id"], h["door"]), hid)
    area_of = {hid: area for area in world.areas for hid in area.household_ids}

    def portions(hid: int, rule: str) -> int:
        if rule == "large_household" and world.household[hid]["size"] >= story.LARGE_HOUSEHOLD:
            return story.LARGE_PORTIONS
        return 1

    for n, (name, day, source, items, rule, span) in enumerate(SUPPLY_BATCHES):
        targets = list(first_of_door.values()) if rule == "per_door" else households
        latest = n == len(SUPPLY_BATCHES) - 1
        batch = world.add(
            "supply_batch",
            {
                "name": name,
                "date": day,
                "source": source,
                "items": items,
                "rule": rule,
                "large_threshold": story.LARGE_HOUSEHOLD,
                "large_portions": story.LARGE_PORTIONS,
                "stock": sum(portions(h, rule) for h in targets),
                "released_at": at(day, 8),
                "version": 1,
            },
        )
        for i, hid in enumerate(targets):
            # Delivered building by building over `span` days; the latest batch is still under way.
            when = _minute(rng, day + DAY * (i * span // len(targets)), 8, 10 * 60)
            status, note, given = "delivered", "", portions(hid, rule)
            if latest:
                r = rng.random()
                if r < 0.04 or when > at(story.DEMO_TODAY, 16):
                    continue  # not yet delivered on DEMO_TODAY
                if r < 0.06:
                    status, note, given = "not_found", "敲门无人，电话未接通", 0
                elif r < 0.065:
                    status, note, given = "refused", "居民表示暂不需要", 0
            area = area_of[hid]
            squad = (
                "transport_a"
                if world.building[world.household[hid]["building_id"]]["grid_id"] % 2
                else "transport_b"
            )
            world.add(
                "delivery",
                {
                    "batch_id": batch["id"],
                    "household_id": hid,
                    "status": status,
                    "portions": given,
                    "at": when,
                    "team_id": area.teams[squad],
                    "user_id": None,
                    "note": note,
                },
            )


def build_medicine(world: World, rng: random.Random) -> None:
    """Tuesday and Friday hospital runs by a city cadre, and the requests each carried."""
    driver = world.areas[0].city_cadre_ids[0]
    runs = []
    for day in story.hospital_run_days():
        hospitals = rng.sample(HOSPITALS, rng.randint(2, 3))
        runs.append(
            world.add(
                "hospital_run",
                {
                    "date": day,
                    "hospitals": "、".join(hospitals),
                    "driver_id": driver,
                    "done_at": _minute(rng, day, 18, 120),
                },
            )
        )
    # The next run, planned but not yet driven on DEMO_TODAY (dashboard/medicine.next_run shows it).
    planned = world.add(
        "hospital_run",
        {"date": story.NEXT_HOSPITAL_RUN, "hospitals": "", "driver_id": driver, "done_at": None},
    )
    for area in world.areas:
        residents = [world.resident[r] for r in area.resident_ids if not world.resident[r]["is_away"]]
        chronic = [r for r in residents if r["is_chronic"]]
        elderly = [r for r in residents if r["birth_year"] <= 1962 and not r["is_chronic"]]
        previous = story.FIRST_DAY
        for run in runs:
            opens, closes = at(previous, 10), at(run["date"], 8)
            span = int((closes - opens).total_seconds() // 60)
            for _ in range(rng.randint(15, 25)):
                requested = opens + dt.timedelta(minutes=rng.randrange(span))
                status = "cancelled" if rng.random() < 0.04 else "delivered"
                bought = _minute(rng, run["date"], 11, 300) if status == "delivered" else None
                delivered = _minute(rng, run["date"], 19, 180) if status == "delivered" else None
                _request(world, rng, chronic, elderly, requested, run, status, bought, delivered)
            previous = run["date"]
        # After the last run: requests collected into the next one, and two urgent ones over a day
        # old still waiting (the "urgent medicine overdue" problem).
        last = runs[-1]["date"]
        for hours in (4, 9, 22, 27, 40, 45):
            when = at(last, 10) + dt.timedelta(hours=hours)
            _request(world, rng, chronic, elderly, when, planned, "in_run", None, None, urgent=False)
        for when in (at(last, 16, 20), at(last + DAY, 8, 5)):
            _request(world, rng, chronic, elderly, when, None, "requested", None, None, urgent=True)
    # The planned run goes to the hospitals its requests name.
    named = {r["hospital"] for r in world.rows["medicine_request"] if r["run_id"] == planned["id"]}
    planned["hospitals"] = "、".join(h for h in HOSPITALS if h in named)


def _request(
    world: World,
    rng: random.Random,
    chronic: list[Row],
    elderly: list[Row],
    requested: dt.datetime,
    run: Row | None,
    status: str,
    bought: dt.datetime | None,
    delivered: dt.datetime | None,
    urgent: bool | None = None,
) -> None:
    resident = rng.choice(chronic if rng.random() < 0.85 else elderly)
    condition = resident["chronic_condition"]
    names: list[str] = []
    for part in condition.split("、") if condition else []:
        names += rng.sample(MEDICINES[part], 1)
    if not names or rng.random() < 0.2:
        names.append(rng.choice(COMMON_MEDICINES))
    medicines = "、".join(f"{m}×{rng.randint(1, 4)}盒" for m in names)
    hospitals = run["hospitals"].split("、") if run and run["hospitals"] else list(HOSPITALS)
    world.add(
        "medicine_request",
        {
            "resident_id": resident["id"],
            "medicines": medicines,
            "hospital": rng.choice(hospitals),
            "urgency": "urgent" if (urgent if urgent is not None else rng.random() < 0.08) else "normal",
            "chronic_condition": condition,
            "status": status,
            "requested_at": requested,
            "run_id": run["id"] if run else None,
            "bought_at": bought,
            "delivered_at": delivered,
            "user_id": None,
            "version": 1,
        },
    )


def build_courier(world: World, rng: random.Random) -> None:
    """Parcels per grid and shift: rising through April as couriers came back, then steady.

    A shift carries what the grid's previous shift left over plus what it received, and delivers
    all of it but a few parcels (at most COURIER_LEFT_SHARE of what it had on hand), so the
    backlog stays small and is cleared by the next shift (dashboard/courier reads it back).
    """
    days = story.story_days()
    for area in world.areas:
        people = {g: 0 for g in area.grid_ids}
        for rid in area.resident_ids:
            people[world.resident_grid[rid]] += 1
        carried = dict.fromkeys(area.grid_ids, 0)
        for k, day in enumerate(days):
            growth = 0.2 + 0.8 * k / 29 if day.month == 4 else rng.uniform(0.92, 1.08)
            for s, shift in enumerate(SHIFT_HOURS):
                squad = "transport_a" if (k * 3 + s) % 2 == 0 else "transport_b"
                for grid in area.grid_ids:
                    mean = 40 * people[grid] / 750 * _SHIFT_WEIGHT[shift] * growth
                    received = max(0, round(mean * rng.uniform(0.85, 1.15)))
                    on_hand = carried[grid] + received
                    cap = int(on_hand * COURIER_LEFT_SHARE)
                    left = 0 if rng.random() < 0.8 else min(cap, rng.randint(1, 4))
                    carried[grid] = left
                    world.add(
                        "courier_count",
                        {
                            "date": day,
                            "shift": shift,
                            "grid_id": grid,
                            "team_id": area.teams[squad],
                            "received": received,
                            "delivered": on_hand - left,
                            "user_id": None,
                            "version": 1,
                        },
                    )


def build_disinfection(world: World, rng: random.Random, outbreak: Outbreak) -> None:
    """Routes every morning, the sites after sampling, each sealed building once or twice, and once
    each building where a close contact is under control (dashboard/disinfection.required_targets)."""
    for area in world.areas:
        _disinfect_area(world, rng, outbreak, area)


def _close_contacts_by_building(world: World, buildings: set[int]) -> dict[int, list[Row]]:
    """The close contacts living in each of the area's buildings (dashboard/disinfection's rule)."""
    out: dict[int, list[Row]] = {}
    for contact in world.rows["contact"]:
        bid = world.resident_building.get(contact["resident_id"])
        if contact["kind"] == "close" and bid in buildings:
            out.setdefault(bid, []).append(contact)
    return out


def _under_control(contact: Row, day: dt.date) -> bool:
    """A close contact is under control from the day identified until the day released (excluded)."""
    released = contact["released_on"]
    return contact["identified_on"] <= day and (released is None or released > day)


def _disinfect_area(world: World, rng: random.Random, outbreak: Outbreak, area: Area) -> None:
    """One area's disinfection records, day by day."""
    team = area.teams["disinfection"]
    crew = area.team_members["disinfection"]
    buildings = set(area.building_ids)
    sites = set(area.site_ids)
    contacts = _close_contacts_by_building(world, buildings)
    # The close-contact buildings draw from their own generator, so adding them left every other
    # record (and everything generated after the disinfection) exactly as it was.
    side = random.Random(f"disinfection-close-contacts-{world.random_seed}-{area.index}")
    turn = 0

    def record(day: dt.date, when: dt.datetime, kind: str, target: int, agent: str) -> None:
        nonlocal turn
        turn += 1
        world.add(
            "disinfection_record",
            {
                "date": day,
                "at": when,
                "target_kind": kind,
                "building_id": target if kind == "building" else None,
                "site_id": target if kind == "site" else None,
                "route_id": target if kind == "route" else None,
                "agent": agent,
                "team_id": team,
                "person_id": crew[turn % len(crew)],
                "user_id": None,
            },
        )

    for day in story.story_days():
        for route in area.route_ids:
            record(day, _minute(rng, day, 6.5, 60), "route", route, "含氯消毒液（500mg/L）喷洒")
        used = sorted(
            {s for r in world.rounds if r["date"] == day for s in world.round_sites[r["id"]] if s in sites}
        )
        for site in used:
            record(day, _minute(rng, day, 11.5, 60), "site", site, "含氯消毒液（500mg/L）擦拭喷洒")
        today = {c["_building"]: c for c in outbreak.cases_on.get(day, []) if c["_building"] in buildings}
        earlier = [
            b
            for b in sorted(buildings)
            if any(day - dt.timedelta(days=7) <= d < day for d in outbreak.building_case_days.get(b, []))
        ]
        covered = set(earlier) | set(today)
        if day in story.DISINFECTION_SKIP_DAYS:
            # One sealed building left undone: a recent case, none today.
            recent = [
                b
                for b in earlier
                if b not in today
                and any(day - dt.timedelta(days=5) <= d < day for d in outbreak.building_case_days[b])
            ]
            if recent:
                earlier.remove(rng.choice(recent))
        for bid in earlier:
            record(day, _minute(rng, day, 9, 60), "building", bid, "含氯消毒液（500mg/L）楼道喷洒")
            if rng.random() < 0.5 and bid not in today:  # at most twice a day, counting the terminal one
                record(day, _minute(rng, day, 15, 90), "building", bid, "含氯消毒液（500mg/L）楼道喷洒")
        for bid, case in sorted(today.items()):
            when = min(case["found_at"] + dt.timedelta(minutes=rng.randint(60, 120)), at(day, 23, 55))
            record(day, when, "building", bid, "含氯消毒液（1000mg/L）终末消毒")
        # Buildings where a close contact is under control: once a day (sealed ones are done above,
        # and the one left undone on a skip day stays undone).
        for bid in sorted(contacts):
            held = [c for c in contacts[bid] if _under_control(c, day)]
            if not held or bid in covered:
                continue
            new = [c["notified_at"] for c in held if c["identified_on"] == day]
            if new:  # the contact was found today: the corridor after the contact has been taken away
                when = min(min(new) + dt.timedelta(minutes=side.randint(60, 150)), at(day, 23, 55))
            else:
                when = _minute(side, day, 10, 120)
            record(day, when, "building", bid, "含氯消毒液（500mg/L）楼道喷洒")


def build_rosters(world: World, rng: random.Random) -> None:
    """Guards at each open entrance around the clock (with one gap in May), and team shifts."""
    gap_start, gap_end = story.GUARD_GAP
    for area in world.areas:
        guards = area.team_members["guard"]
        per_entrance = len(guards) // len(area.open_entrance_ids)
        names = {e["id"]: e["name"] for e in world.rows["entrance"]}
        for k, day in enumerate(story.story_days()):
            for n, entrance in enumerate(area.open_entrance_ids):
                crew = guards[n * per_entrance : (n + 1) * per_entrance]
                for j, guard in enumerate(crew):
                    shift = (j // 2 + k) % 3
                    start, end = at(day, shift * 8), at(day, shift * 8 + 8)
                    if area.index == 0 and n == 0 and start <= gap_start < end:
                        # The night guard fell ill at 02:00; relief only came at 06:00.
                        start, end = (start, gap_start) if j % 2 == 0 else (gap_end, end)
                    world.add(
                        "duty_shift",
                        {
                            "person_id": guard,
                            "team_id": area.teams["guard"],
                            "entrance_id": entrance,
                            "starts_at": start,
                            "ends_at": end,
                            "task": f"值守{names[entrance]}",
                        },
                    )
            crew = area.team_members["disinfection"]
            for j, person in enumerate(crew):
                first, last = (6, 12) if (j + k) % 2 == 0 else (13, 18)
                _shift(world, area, "disinfection", person, day, first, last, "消杀作业")
            for s, (first, last) in enumerate(SHIFT_HOURS.values()):
                squad = "transport_a" if (k * 3 + s) % 2 == 0 else "transport_b"
                members = area.team_members[squad]
                for j in range(5):
                    person = members[(k + s + j * 2) % len(members)]
                    _shift(world, area, squad, person, day, first, last, "快递分拣配送")
            patrol = area.team_members["patrol"]
            for s, (first, last) in enumerate(((8, 12), (19, 23))):
                for j in range(2):
                    person = patrol[(k * 4 + s * 2 + j) % len(patrol)]
                    _shift(world, area, "patrol", person, day, first, last, "小区巡逻")


def _shift(
    world: World, area: Area, team: str, person: int, day: dt.date, first: int, last: int, task: str
) -> None:
    world.add(
        "duty_shift",
        {
            "person_id": person,
            "team_id": area.teams[team],
            "entrance_id": None,
            "starts_at": at(day, first),
            "ends_at": at(day, last),
            "task": task,
        },
    )


def build_follow_ups(world: World, rng: random.Random) -> None:
    """Gaps found at the recap: a few a day in April, fewer in May, closed the next day; some open."""
    for area in world.areas:
        _follow_ups_area(world, rng, area)


def _follow_ups_area(world: World, rng: random.Random, area: Area) -> None:
    """One area's recap follow-ups."""
    grid_numbers = {g["id"]: g["number"] for g in world.rows["grid"] if g["id"] in set(area.grid_ids)}
    households = {g: [] for g in area.grid_ids}
    for hid in area.household_ids:
        households[world.building[world.household[hid]["building_id"]]["grid_id"]].append(hid)

    def item(grid: int) -> str:
        h = world.household[rng.choice(households[grid])]
        building = world.building[h["building_id"]]
        place = world.compound[building["compound_id"]]["name"] + building["name"] + h["room"]
        return rng.choice(FOLLOW_UP_ITEMS).format(place=place, grid=grid_numbers[grid])

    def add(day: dt.date, is_open: bool) -> None:
        grid = rng.choice(area.grid_ids)
        world.add(
            "follow_up",
            {
                "created_on": day,
                "item": item(grid),
                "grid_id": grid,
                "owner": world.person[area.grid_leaders[grid]]["name"],
                "due_on": day + DAY,
                "status": "open" if is_open else "closed",
                "problem_key": None,
                "closed_at": None if is_open else _minute(rng, day + DAY, 9, 9 * 60),
                "resolution": "" if is_open else rng.choice(RESOLUTIONS),
                "user_id": None,
                "version": 1,
            },
        )

    for day in story.story_days()[:-1]:
        for _ in range(rng.randint(2, 4) if day.month == 4 else rng.randint(0, 2)):
            add(day, False)
    for back in range(story.OPEN_FOLLOW_UPS, 0, -1):
        add(story.DEMO_TODAY - DAY * back, True)


def build_services(world: World, rng: random.Random, outbreak: Outbreak) -> None:
    """Everything the committee did besides screening and cases."""
    build_supplies(world, rng)
    build_medicine(world, rng)
    build_courier(world, rng)
    build_disinfection(world, rng, outbreak)
    build_rosters(world, rng)
    build_follow_ups(world, rng)
