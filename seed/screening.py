"""Screening: the 51 PCR and 70 antigen rounds, and one result per resident per round.

Results are streamed round by round (about 7,500 rows each at scale 1) so scale 10 never holds
nine million rows in memory. Each round draws from its own random generator, seeded from the
run's seed and the round's id, so the stream is reproducible whatever the chunk size.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator

from seed import story
from seed.outbreak import Outbreak
from seed.world import Row, World, at

# (hour, minute) a round starts, and how long it runs, per slot of the day
_SLOTS = {0: ((6, 30), 120), 1: ((7, 0), 240), 2: ((18, 0), 120)}
_MISSED_OUTCOMES = {
    "door_sampled": (45, "已安排上门补采"),
    "will_come": (25, "答应稍后到核酸点补采"),
    "not_home": (20, "敲门无人应答，电话未接通"),
    "refused": (10, "拒绝采样，已报街道"),
}
# Grids (by position within an area) where residents were missed more often.
_MISSED_GRID_WEIGHTS = {2: 5, 6: 3, 8: 2}


def build_rounds(world: World) -> None:
    """The screening rounds, shared by every area, and the sites each used."""
    entries = []
    for day in story.story_days():
        entries.append((day, 0, "antigen"))
        if day not in story.PCR_SKIP_DAYS:
            entries.append((day, 1, "pcr"))
        if day in story.DOUBLE_ANTIGEN_DAYS:
            entries.append((day, 2, "antigen"))
    numbers = {"pcr": 0, "antigen": 0}
    for day, slot, kind in entries:
        numbers[kind] += 1
        (hour, minute), span = _SLOTS[slot]
        start = at(day, hour, minute)
        end = start + dt.timedelta(minutes=span)
        sealed = kind == "pcr" and day in story.SEALED_PCR_DAYS
        if kind == "pcr":
            note = "封控楼栋单管单检，上门采样" if sealed else "全员核酸筛查（10混1）"
            slots = f"{start:%H:%M}-{end:%H:%M} 上门" if sealed else f"{start:%H:%M}-{end:%H:%M}"
        else:
            note = "全员抗原自测，拍照上传"
            slots = f"{start:%H:%M}-{end:%H:%M} 自测上报"
        row = world.add(
            "screening_round",
            {
                "kind": kind,
                "number": numbers[kind],
                "date": day,
                "scope": "sealed" if sealed else "all",
                "scope_grid_id": None,
                "time_slots": slots,
                "note": note,
                "created_at": at(day - dt.timedelta(days=1), 20),
            },
        )
        row["_slot"] = slot
        world.rounds.append(row)
        sites = []
        for area in world.areas:
            if kind == "antigen":
                sites.append(area.site_ids[0])  # antigen kits are handed out at the first site
            elif sealed:
                sites.extend(area.site_ids[:2])
            else:
                sites.extend(area.site_ids)
        world.round_sites[row["id"]] = sites
        for site in sites:
            world.add("round_site", {"round_id": row["id"], "site_id": site})


class ResultStream:
    """Generates screening_result rows round by round, with the retests and missed follow-ups."""

    def __init__(self, world: World, outbreak: Outbreak) -> None:
        self.world = world
        self.outbreak = outbreak
        self.rows_written = 0
        self.away = {rid for rid, r in world.resident.items() if r["is_away"]}
        self.bedridden = {rid for rid, r in world.resident.items() if r["is_bedridden"]}
        self.by_grid: list[dict[int, list[int]]] = []
        for area in world.areas:
            grids: dict[int, list[int]] = {g: [] for g in area.grid_ids}
            for rid in area.resident_ids:
                grids[world.resident_grid[rid]].append(rid)
            self.by_grid.append(grids)

    def estimate(self) -> int:
        """Roughly how many rows the stream yields (for progress reporting)."""
        return len(self.world.rounds) * len(self.world.resident)

    def __iter__(self) -> Iterator[list[Row]]:
        for rnd in self.world.rounds:
            yield self.round_rows(rnd)

    def _exempt(self, day: dt.date) -> dict[int, str]:
        exempt = dict.fromkeys(sorted(self.away), "away")
        for rid, spans in self.outbreak.exempt.items():
            for first, last, reason in spans:
                if first <= day <= last:
                    exempt[rid] = reason
        return exempt

    def _missed(self, rng: random.Random, area_no: int, count: int, eligible: set[int]) -> list[int]:
        grids = self.by_grid[area_no]
        grid_ids = list(grids)
        weights = [_MISSED_GRID_WEIGHTS.get(i, 1) for i in range(len(grid_ids))]
        missed: list[int] = []
        for _ in range(count * 20):
            if len(missed) == count:
                break
            rid = rng.choice(grids[rng.choices(grid_ids, weights=weights)[0]])
            if rid in eligible and rid not in missed:
                missed.append(rid)
        return missed

    def round_rows(self, rnd: Row) -> list[Row]:
        """The rows of one round; appends its retests and missed follow-ups to the world."""
        world, outbreak = self.world, self.outbreak
        day, kind, number, round_id = rnd["date"], rnd["kind"], rnd["number"], rnd["id"]
        rng = random.Random(world.random_seed * 1_000_003 + round_id)
        exempt = self._exempt(day)
        home_q = {rid for rid, (a, b) in outbreak.home_quarantine.items() if a <= day <= b}
        sealed = set(outbreak.sealed_buildings(day))
        cases_today = outbreak.cases_on.get(day, [])
        case_today = {c["resident_id"]: c for c in cases_today}
        source = {c["resident_id"]: c for c in cases_today if c["source_round_id"] == round_id}
        antigen_cases = {c["resident_id"]: c for c in cases_today if c["channel"] == "antigen"}
        (hour, minute), span = _SLOTS[rnd["_slot"]]
        midnight = at(day, 0)
        minute_at = [midnight + dt.timedelta(minutes=m) for m in range(24 * 60)]
        start = hour * 60 + minute
        scoped = rnd["scope"] == "sealed"
        rows: list[Row] = []
        pooled: list[list[Row]] = []  # tubes holding a positive of this round
        tube_no = 0
        single_no = 0
        door_no = 0  # single tubes taken at the door after the round (missed, then door_sampled)

        def new_row(rid: int) -> Row:
            return {
                "id": 0,
                "round_id": round_id,
                "resident_id": rid,
                "sampled_at": None,
                "method": None,
                "tube_no": None,
                "result": "pending",
                "exempt_reason": None,
                "import_id": None,
            }

        def flush(members: list[Row]) -> None:
            nonlocal tube_no
            for i in range(0, len(members), story.POOL_SIZE):
                tube_no += 1
                tube = members[i : i + story.POOL_SIZE]
                label = f"P{number:02d}-{tube_no:04d}"
                positive = False
                for row in tube:
                    row["tube_no"] = label
                    positive = positive or row["resident_id"] in source
                if positive:
                    pooled.append(tube)

        for area_no, area in enumerate(world.areas):
            in_scope = (
                [r for r in area.resident_ids if world.resident_building[r] in sealed]
                if scoped
                else area.resident_ids
            )
            eligible = {r for r in in_scope if r not in exempt and r not in case_today}
            if scoped:
                count = rng.randint(0, 2)
            elif kind == "pcr":
                count = rng.randint(3, 30)
            else:
                count = rng.randint(0, 12)
            missed = self._missed(rng, area_no, count, eligible) if eligible else []
            missed_set = set(missed)
            building_pool: list[Row] = []
            door_pool: list[Row] = []
            last_building = last_grid = None
            building_start = start
            for rid in in_scope:
                bid = world.resident_building[rid]
                if bid != last_building:
                    flush(building_pool)
                    building_pool = []
                    last_building = bid
                    building_start = start + rng.randrange(max(1, span - 30))
                    grid = world.resident_grid[rid]
                    if grid != last_grid:
                        flush(door_pool)
                        door_pool = []
                        last_grid = grid
                if rid in missed_set:
                    continue
                row = new_row(rid)
                rows.append(row)
                reason = exempt.get(rid)
                if reason:
                    row["exempt_reason"] = reason
                    continue
                row["result"] = "negative"
                if kind == "antigen":
                    row["method"] = "self"
                    row["sampled_at"] = minute_at[start + rng.randrange(span)]
                    case = source.get(rid)
                    if case is not None:
                        row["result"] = "positive"
                        row["sampled_at"] = case["_antigen_at"]
                        world.add(
                            "retest",
                            {
                                "round_id": round_id,
                                "resident_id": rid,
                                "tube_no": f"A{number:02d}-{world.count('retest') + 1:04d}",
                                "opened_at": case["_opened_at"],
                                "result": "positive",
                                "result_at": case["found_at"],
                                "case_id": case["id"],
                                "version": 1,
                            },
                        )
                    continue
                if bid in sealed or rid in antigen_cases:
                    # sealed buildings: single tubes at the door; a positive antigen gets one too
                    single_no += 1
                    row["method"] = "door"
                    row["tube_no"] = f"P{number:02d}-S{single_no:04d}"
                    if rid in antigen_cases:
                        row["sampled_at"] = antigen_cases[rid]["_opened_at"]
                        row["result"] = "positive"
                    else:
                        row["sampled_at"] = minute_at[start + 60 + rng.randrange(span - 60)]
                        if rid in source:
                            row["result"] = "positive"
                elif rid in self.bedridden or rid in home_q:
                    row["method"] = "door"
                    row["sampled_at"] = minute_at[start + 90 + rng.randrange(span - 60)]
                    door_pool.append(row)
                else:
                    row["method"] = "site"
                    row["sampled_at"] = minute_at[min(building_start + rng.randrange(30), 24 * 60 - 1)]
                    building_pool.append(row)
            flush(building_pool)
            flush(door_pool)
            for rid, when in self._follow_up_missed(rng, rnd, missed, minute_at):
                # door_sampled: the grid leader took the sample at the door (dashboard/screening.mark_missed)
                row = new_row(rid)
                door_no += 1
                row["method"] = "door"
                row["sampled_at"] = when
                row["result"] = "negative"
                if kind == "pcr":
                    row["tube_no"] = f"P{number:02d}-D{door_no:04d}"
                rows.append(row)
        for tube in pooled:
            self._retest(rnd, tube, source)
        for row in rows:
            row["id"] = world.new_id("screening_result")
        self.rows_written += len(rows)
        return rows

    def _retest(self, rnd: Row, tube: list[Row], source: dict[int, Row]) -> None:
        """Single-tube retests for everyone in an abnormal pool; the positives become cases."""
        world = self.world
        cases = [source[r["resident_id"]] for r in tube if r["resident_id"] in source]
        opened = min(c["_pool_at"] for c in cases)
        last = max(c["found_at"] for c in cases)
        for row in tube:
            # The pool was abnormal; the single-tube retest settles each member's result
            # (dashboard/tubes.record_retest: positive → a case, negative → released).
            case = source.get(row["resident_id"])
            row["result"] = "positive" if case else "negative"
            world.add(
                "retest",
                {
                    "round_id": rnd["id"],
                    "resident_id": row["resident_id"],
                    "tube_no": f"R{rnd['number']:02d}-{world.count('retest') + 1:04d}",
                    "opened_at": opened,
                    "result": "positive" if case else "negative",
                    "result_at": case["found_at"] if case else last,
                    "case_id": case["id"] if case else None,
                    "version": 1,
                },
            )

    def _follow_up_missed(
        self, rng: random.Random, rnd: Row, missed: list[int], minute_at: list[dt.datetime]
    ) -> list[tuple[int, dt.datetime]]:
        """Follow-ups of some missed residents; returns (resident, when) of those sampled at the door."""
        sampled: list[tuple[int, dt.datetime]] = []
        share = 0.6 if rnd["kind"] == "pcr" else 0.3
        first = (12 if rnd["_slot"] == 1 else 9 if rnd["_slot"] == 0 else 20) * 60
        for rid in missed:
            if rng.random() >= share:
                continue
            outcome = rng.choices(list(_MISSED_OUTCOMES), weights=[w for w, _ in _MISSED_OUTCOMES.values()])[
                0
            ]
            follow = self.world.add(
                "missed_followup",
                {
                    "round_id": rnd["id"],
                    "resident_id": rid,
                    "outcome": outcome,
                    "note": _MISSED_OUTCOMES[outcome][1],
                    "at": minute_at[first + rng.randrange(180)],
                    "user_id": None,
                },
            )
            if outcome == "door_sampled":
                sampled.append((rid, follow["at"]))
        return sampled
