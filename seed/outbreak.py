"""The outbreak: who tested positive when, how each case was found and moved out, and their contacts.

Cases follow story.DAILY_NEW_CASES exactly. Most start in the rented rooms of the homestead
houses; a new case often sits in a household or building that already had one (clusters), and
later cases in a sealed building are found by its single-tube screening. A resident is either a
case or a contact, never both, so the records never contradict each other.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from seed import story
from seed.world import Area, Row, World, at

DAY = dt.timedelta(days=1)
# Where fresh cases start (weights): the source analysis shows homestead rentals leading.
_SOURCES = {"homestead_rented": 62, "homestead_owned": 10, "public": 13, "commodity": 12, "villa": 3}
_OPEN_CHANNELS = {"pooled_retest": 72, "antigen": 10, "symptoms": 8, "district": 10}
_SEALED_CHANNELS = {"single_tube": 65, "antigen": 20, "symptoms": 5, "district": 10}
_NO_PCR_CHANNELS = {"antigen": 55, "symptoms": 20, "district": 25}
_REPORTED_NOTE = {
    "pooled_retest": "混管异常，单管复核阳性",
    "single_tube": "封控楼单管单检阳性",
    "antigen": "抗原自测阳性，单管复核阳性",
    "symptoms": "居民自报发热症状，采样阳性",
    "district": "区疾控通报阳性",
}
_DESTINATION_WORD = {"shelter": "方舱医院", "hospital": "定点医院", "quarantine_hotel": "隔离酒店"}


@dataclass
class Outbreak:
    """Lookups the screening stream and the services need, for every area together."""

    # resident -> list of (first day, last day, reason) during which the resident is not screened
    exempt: dict[int, list[tuple[dt.date, dt.date, str]]] = field(default_factory=dict)
    # resident -> (first day, last day) of home quarantine: sampled at the door
    home_quarantine: dict[int, tuple[dt.date, dt.date]] = field(default_factory=dict)
    # day -> cases found that day
    cases_on: dict[dt.date, list[Row]] = field(default_factory=dict)
    # building -> sorted days a case was found in it
    building_case_days: dict[int, list[dt.date]] = field(default_factory=dict)

    def sealed_buildings(self, day: dt.date, include_today: bool = False) -> list[int]:
        """Buildings with a case in the last 7 days (as seen in the morning, or at the end of day)."""
        first = day - dt.timedelta(days=story.ZONE_SEALED_DAYS - 1)
        last = day if include_today else day - DAY
        return sorted(
            b for b, days in self.building_case_days.items() if any(first <= d <= last for d in days)
        )


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _minutes(rng: random.Random, day: dt.date, start_hour: float, span_minutes: int) -> dt.datetime:
    return at(day, 0) + dt.timedelta(minutes=round(start_hour * 60) + rng.randrange(span_minutes + 1))


class _Story:
    """The outbreak in one area, case by case."""

    def __init__(self, world: World, rng: random.Random, area: Area, outbreak: Outbreak) -> None:
        self.world, self.rng, self.area, self.outbreak = world, rng, area, outbreak
        self.pcr = {r["date"]: r for r in world.rounds if r["kind"] == "pcr"}
        self.antigen = {}
        for r in world.rounds:
            if r["kind"] == "antigen":
                self.antigen.setdefault(r["date"], r)  # the morning round
        self.sources: dict[str, list[int]] = {k: [] for k in _SOURCES}
        for rid in area.resident_ids:
            if world.resident[rid]["is_away"]:
                continue
            household = world.household[world.resident[rid]["household_id"]]
            kind = world.compound[world.building[household["building_id"]]["compound_id"]]["kind"]
            if kind == "homestead":
                self.sources["homestead_rented" if household["is_rental"] else "homestead_owned"].append(rid)
            else:
                self.sources["public" if kind == "public_housing" else kind].append(rid)
        self.cases: list[Row] = []
        self.household_last: dict[int, dt.date] = {}
        self.building_last: dict[int, dt.date] = {}
        self.entrance_name = {e["id"]: e["name"] for e in world.rows["entrance"]}
        self.sealed_this_morning: set[int] = set()

    def eligible(self, rid: int) -> bool:
        return rid not in self.world.case_of and not self.world.resident[rid]["is_away"]

    def choose(self, day: dt.date) -> tuple[int, Row | None]:
        """A resident who turns positive on day, and the same-day case of the household if any."""
        world, rng = self.world, self.rng
        r = rng.random()
        if r < 0.2:
            # Half the time a second infection in a household found today (same pooled tube).
            today = rng.random() < 0.5
            households = sorted(
                h
                for h, last in self.household_last.items()
                if (last == day if today else (day - last).days <= 3)
            )
            rng.shuffle(households)
            for hid in households:
                members = [m for m in world.household_residents[hid] if self.eligible(m)]
                if members:
                    rid = rng.choice(members)
                    same_day = [c for c in self.cases if c["found_on"] == day and c["_household"] == hid]
                    return rid, (same_day[0] if same_day else None)
        if r < 0.36:
            buildings = sorted(b for b, last in self.building_last.items() if (day - last).days <= 6)
            rng.shuffle(buildings)
            for bid in buildings:
                members = [
                    m
                    for h in world.building_households[bid]
                    if h not in self.household_last
                    for m in world.household_residents[h]
                    if self.eligible(m)
                ]
                if members:
                    return rng.choice(members), None
        while True:
            pool = self.sources[_pick(rng, _SOURCES)]
            rid = rng.choice(pool)
            if self.eligible(rid):
                return rid, None

    def add_case(self, day: dt.date, rid: int, primary: Row | None) -> Row:
        world, rng = self.world, self.rng
        resident = world.resident[rid]
        hid = resident["household_id"]
        bid = world.resident_building[rid]
        pcr = self.pcr.get(day)
        sealed = bid in self.sealed_this_morning
        extra: Row = {}
        if primary is not None and primary["channel"] == "pooled_retest":
            channel = "pooled_retest"
            extra = {"_pool_at": primary["_pool_at"]}
            found_at = primary["found_at"]
        else:
            if pcr is not None and sealed:
                channel = _pick(rng, _SEALED_CHANNELS)
            elif pcr is not None and pcr["scope"] == "all" and not sealed:
                channel = _pick(rng, _OPEN_CHANNELS)
            else:
                channel = _pick(rng, _NO_PCR_CHANNELS)
            if channel == "pooled_retest":
                pool_at = _minutes(rng, day, 14, 180)
                extra = {"_pool_at": pool_at}
                found_at = pool_at + dt.timedelta(minutes=rng.randint(150, 270))
            elif channel == "single_tube":
                found_at = _minutes(rng, day, 14, 360)
            elif channel == "antigen":
                sampled = _minutes(rng, day, 6.5, 120)
                opened = sampled + dt.timedelta(minutes=rng.randint(20, 60))
                extra = {"_antigen_at": sampled, "_opened_at": opened}
                found_at = opened + dt.timedelta(minutes=rng.randint(240, 360))
            elif channel == "symptoms":
                found_at = _minutes(rng, day, 9, 600)
            else:
                found_at = _minutes(rng, day, 10, 660)
        if channel in ("pooled_retest", "single_tube"):
            source_round = pcr["id"]
        elif channel == "antigen":
            source_round = self.antigen[day]["id"]
        else:
            source_round = None
        age = 2022 - resident["birth_year"]
        confirmed = rng.random() < (0.4 if age >= 60 else 0.18)
        case = world.add(
            "case_record",
            {
                "resident_id": rid,
                "found_on": day,
                "found_at": found_at,
                "channel": channel,
                "severity": "confirmed" if confirmed else "asymptomatic",
                "status": "reported",
                "destination": "hospital"
                if confirmed and (age >= 70 or resident["is_chronic"])
                else "shelter",
                "verified_at": found_at + dt.timedelta(minutes=rng.randint(20, 90)),
                "transferred_at": None,
                "recovered_on": None,
                "home_isolation_reason": "",
                "source_round_id": source_round,
                "note": "",
                "version": 1,
            },
        )
        case.update(extra)
        case["_household"] = hid
        case["_building"] = bid
        world.case_of[rid] = case
        self.cases.append(case)
        self.area.case_ids.append(case["id"])
        self.household_last[hid] = day
        self.building_last[bid] = day
        self.outbreak.cases_on.setdefault(day, []).append(case)
        self.outbreak.building_case_days.setdefault(bid, []).append(day)
        return case

    def run(self) -> None:
        for day, n in story.DAILY_NEW_CASES.items():
            self.sealed_this_morning = set(self.outbreak.sealed_buildings(day))
            for _ in range(n):
                rid, primary = self.choose(day)
                self.add_case(day, rid, primary)
        self.transfers()
        self.contacts()

    # --- moving the cases out ---------------------------------------------------------------
    def transfers(self) -> None:
        world, rng, area = self.world, self.rng, self.area
        done_at: dict[int, dt.datetime] = {}
        for day, n in story.TRANSFER_BACKLOG.items():
            waiting = sorted(
                (c for c in self.cases if c["found_on"] == day), key=lambda c: (c["found_at"], c["id"])
            )
            for case in waiting[-n:]:
                catch_up = story.TRANSFER_CATCH_UP
                if (catch_up - day).days >= 2:  # waited through a whole day: 32-40 h
                    when = case["found_at"] + dt.timedelta(minutes=rng.randint(32 * 60, 38 * 60))
                    when = min(max(when, at(catch_up, 6)), at(catch_up, 11, 30))
                else:
                    when = at(catch_up, 7) + dt.timedelta(minutes=rng.randint(0, 300))
                done_at[case["id"]] = when
        later = [
            c
            for c in self.cases
            if dt.date(2022, 4, 8) <= c["found_on"] <= dt.date(2022, 4, 25) and c["id"] not in done_at
        ]
        for case in rng.sample(later, min(story.LATE_TRANSFERS, len(later))):
            done_at[case["id"]] = case["found_at"] + dt.timedelta(minutes=rng.randint(24 * 60 + 30, 30 * 60))
        transfer_team = area.teams["transfer"]
        for case in self.cases:
            verified = case["verified_at"]
            awaiting = verified + dt.timedelta(minutes=rng.randint(5, 20))
            done = done_at.get(case["id"])
            if done is None:
                cap = at(case["found_on"], 23, 55)
                done = awaiting + dt.timedelta(minutes=rng.randint(60, 200))
                if done > cap:
                    done = awaiting + (cap - awaiting) * rng.uniform(0.4, 1.0)
                done = done.replace(second=0, microsecond=0)
            recovered = done.date() + dt.timedelta(days=rng.randint(10, 20))
            recovered_on = recovered if recovered <= story.DEMO_TODAY else None
            case["transferred_at"] = done
            case["recovered_on"] = recovered_on
            case["status"] = "recovered" if recovered_on else "transferred"
            entrance = rng.choice(area.open_entrance_ids)
            compound = world.compound[world.building[case["_building"]]["compound_id"]]
            world.add(
                "transfer",
                {
                    "case_id": case["id"],
                    "contact_id": None,
                    "requested_at": case["found_at"],
                    "done_at": done,
                    "destination": case["destination"],
                    "entrance_id": entrance,
                    "route": f"{compound['name']}→{self.entrance_name[entrance]}→{_DESTINATION_WORD[case['destination']]}",
                    "team_id": transfer_team,
                    "vehicle": "120负压救护车" if case["destination"] == "hospital" else "方舱转运大巴",
                    "version": 1,
                },
            )
            steps = [
                ("reported", case["found_at"], _REPORTED_NOTE[case["channel"]]),
                ("verified", verified, "区疾控核实"),
                ("awaiting_transfer", awaiting, "已上报转运需求，等待车辆"),
                ("transferred", done, f"已转运至{_DESTINATION_WORD[case['destination']]}"),
            ]
            if recovered_on:
                steps.append(("recovered", at(recovered_on, 10), "治愈出院，返回居住地健康监测"))
            for status, when, note in steps:
                world.add(
                    "case_event",
                    {"case_id": case["id"], "status": status, "at": when, "user_id": None, "note": note},
                )
            last_day = recovered_on or story.DEMO_TODAY
            self.outbreak.exempt.setdefault(case["resident_id"], []).append(
                (case["found_on"] + DAY, last_day, "transferred")
            )

    # --- contacts -----------------------------------------------------------------------------
    def contacts(self) -> None:
        world, rng, area = self.world, self.rng, self.area
        ever_case = {c["resident_id"] for c in self.cases}

        def free(rid: int) -> bool:
            return rid not in ever_case and rid not in world.contact_of and not world.resident[rid]["is_away"]

        for case in self.cases:
            hid, bid = case["_household"], case["_building"]
            close = [m for m in world.household_residents[hid] if free(m)]
            neighbours = [
                m
                for h in world.building_households[bid]
                if h != hid
                and (world.household[h]["door"] == world.household[hid]["door"] or rng.random() < 0.3)
                for m in world.household_residents[h]
                if free(m)
            ]
            close += rng.sample(neighbours, min(len(neighbours), rng.randint(0, 4)))
            for rid in close:
                contact = self.add_contact(case, rid, "close", None)
                if rng.random() < 0.35:
                    compound_id = world.building[bid]["compound_id"]
                    others = [
                        b
                        for b in area.building_ids
                        if world.building[b]["compound_id"] == compound_id and b != bid
                    ] or [bid]
                    for _ in range(rng.randint(1, 2)):
                        ob = rng.choice(others)
                        candidates = [
                            m
                            for h in world.building_households[ob]
                            for m in world.household_residents[h]
                            if free(m)
                        ]
                        if candidates:
                            self.add_contact(case, rng.choice(candidates), "secondary", contact["id"])

    def add_contact(self, case: Row, rid: int, kind: str, parent: int | None) -> Row:
        world, rng, area = self.world, self.rng, self.area
        found_at = case["found_at"]
        identified = case["found_on"]
        notified = found_at + dt.timedelta(minutes=rng.randint(40, 180) + (60 if kind == "secondary" else 0))
        central = kind == "close" and rng.random() < 0.85
        if central:
            quarantined = notified + dt.timedelta(minutes=rng.randint(120, 840))
            released = quarantined.date() + dt.timedelta(days=rng.randint(7, 14))
        else:
            quarantined = notified + dt.timedelta(minutes=rng.randint(30, 120))
            released = identified + dt.timedelta(days=rng.randint(7, 10))
        released_on = released if released <= story.DEMO_TODAY else None
        if released_on:
            status = "released"
        else:
            status = "central_quarantine" if central else "home_quarantine"
        contact = world.add(
            "contact",
            {
                "case_id": case["id"],
                "parent_contact_id": parent,
                "resident_id": rid,
                "outside_name": "",
                "kind": kind,
                "status": status,
                "identified_on": identified,
                "notified_at": notified,
                "quarantined_at": quarantined,
                "released_on": released_on,
                "version": 1,
            },
        )
        world.contact_of[rid] = contact
        last = (released_on - DAY) if released_on else story.DEMO_TODAY
        if central:
            self.outbreak.exempt.setdefault(rid, []).append((quarantined.date() + DAY, last, "quarantine"))
            entrance = rng.choice(area.open_entrance_ids)
            world.add(
                "transfer",
                {
                    "case_id": None,
                    "contact_id": contact["id"],
                    "requested_at": notified,
                    "done_at": quarantined,
                    "destination": "quarantine_hotel",
                    "entrance_id": entrance,
                    "route": f"{self.entrance_name[entrance]}→隔离酒店",
                    "team_id": area.teams["transfer"],
                    "vehicle": "隔离转运大巴",
                    "version": 1,
                },
            )
        else:
            self.outbreak.home_quarantine[rid] = (quarantined.date() + DAY, last)
        return contact


def build_outbreak(world: World, rng: random.Random, area: Area, outbreak: Outbreak) -> None:
    """Cases, their events and transfers, and their close and secondary contacts, for one area."""
    _Story(world, rng, area, outbreak).run()
