"""The Huamei seed's activity (scale 1, random seed 2022): screening rounds and results, the outbreak,
supplies, medicine, courier, disinfection and follow-ups, read back through each area's functions."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict

import pytest
from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import seed
from dashboard import courier, disinfection, medicine, screening, tubes
from db.models import (
    Base,
    HospitalRun,
    MissedFollowUp,
    Person,
    ScreeningResult,
    ScreeningRound,
)
from seed import services, story
from tests.seed_reads import as_datetime as _dt
from tests.seed_reads import one, rows

DAY = dt.timedelta(days=1)

# --- screening -------------------------------------------------------------------------------


def test_rounds(seeded_engine: Engine) -> None:
    by_kind = defaultdict(list)
    for kind, number, day, scope in rows(
        seeded_engine, "SELECT kind, number, date, scope FROM screening_round"
    ):
        by_kind[kind].append((number, str(day), scope))
    assert sorted(n for n, _, _ in by_kind["pcr"]) == list(range(1, story.PCR_ROUNDS + 1))
    assert sorted(n for n, _, _ in by_kind["antigen"]) == list(range(1, story.ANTIGEN_ROUNDS + 1))
    assert (story.PCR_ROUNDS, story.ANTIGEN_ROUNDS) == (51, 70)
    days = [d for rounds in by_kind.values() for _, d, _ in rounds]
    assert min(days) >= "2022-04-01" and max(days) <= "2022-05-29"
    scopes = Counter(s for _, _, s in by_kind["pcr"])
    assert scopes["all"] > 40 and scopes["sealed"] >= 1
    assert Counter(d for _, d, _ in by_kind["antigen"]).most_common(1)[0][1] == 2
    assert (
        one(
            seeded_engine,
            "SELECT COUNT(*) FROM screening_round r WHERE NOT EXISTS (SELECT 1 FROM round_site s WHERE s.round_id = r.id)",
        )
        == 0
    )
    assert 4 <= one(seeded_engine, "SELECT COUNT(*) FROM sampling_site") <= 6


def test_results_pools_exemptions_and_missed(seeded_engine: Engine) -> None:
    total = one(seeded_engine, "SELECT COUNT(*) FROM screening_result")
    assert 850_000 <= total <= 907_500
    missed = [
        7500 - n
        for (n,) in rows(
            seeded_engine,
            "SELECT COUNT(s.id) FROM screening_round r JOIN screening_result s ON s.round_id = r.id "
            "WHERE r.kind = 'pcr' AND r.scope = 'all' GROUP BY r.id",
        )
    ]
    assert min(missed) >= 1 and max(missed) <= 40
    assert one(seeded_engine, "SELECT COUNT(*) FROM missed_followup") > 100
    # Pools of at most 10, one building each for on-site sampling.
    tubes = rows(
        seeded_engine,
        "SELECT s.round_id, s.tube_no, COUNT(*), COUNT(DISTINCT h.building_id) FROM screening_result s "
        "JOIN resident r ON r.id = s.resident_id JOIN household h ON h.id = r.household_id "
        "WHERE s.method = 'site' GROUP BY s.round_id, s.tube_no",
    )
    assert max(n for _, _, n, _ in tubes) == 10 and max(b for *_, b in tubes) == 1
    assert all(re.fullmatch(r"P\d{2}-\d{4}", t) for _, t, _, _ in tubes[:100])
    reasons = Counter(
        r
        for (r,) in rows(
            seeded_engine, "SELECT exempt_reason FROM screening_result WHERE exempt_reason IS NOT NULL"
        )
    )
    assert {"away", "transferred", "quarantine"} <= set(reasons)
    assert (
        one(
            seeded_engine,
            "SELECT COUNT(*) FROM screening_result WHERE exempt_reason IS NOT NULL AND (result <> 'pending' OR sampled_at IS NOT NULL)",
        )
        == 0
    )
    assert (
        one(
            seeded_engine,
            "SELECT COUNT(*) FROM screening_result WHERE method = 'self' AND tube_no IS NOT NULL",
        )
        == 0
    )
    bedridden_site = one(
        seeded_engine,
        "SELECT COUNT(*) FROM screening_result s JOIN resident r ON r.id = s.resident_id "
        "JOIN screening_round sr ON sr.id = s.round_id WHERE sr.kind = 'pcr' AND r.is_bedridden AND s.method = 'site'",
    )
    assert bedridden_site == 0
    # Every member of an abnormal pool has a retest; the positives are the cases; the retest
    # settled each member's pooled result (tests below read it back through dashboard/tubes).
    retests = rows(
        seeded_engine,
        "SELECT t.result, t.case_id, t.opened_at, t.result_at, s.result FROM retest t "
        "JOIN screening_round r ON r.id = t.round_id "
        "JOIN screening_result s ON s.round_id = t.round_id AND s.resident_id = t.resident_id "
        "WHERE r.kind = 'pcr'",
    )
    assert len(retests) > 0
    assert all(pooled == res for res, _, _, _, pooled in retests)
    assert one(seeded_engine, "SELECT COUNT(*) FROM screening_result WHERE result = 'abnormal'") == 0
    assert all((res == "positive") == (case is not None) for res, case, *_ in retests)
    assert all(_dt(opened) < _dt(result) for _, _, opened, result, _ in retests)


def test_one_result_per_resident_per_round(seeded_engine: Engine) -> None:
    table = Base.metadata.tables["screening_result"]
    with seeded_engine.connect() as conn:
        trans = conn.begin()
        try:
            round_id, resident_id = conn.execute(select(table.c.round_id, table.c.resident_id).limit(1)).one()
            with pytest.raises(IntegrityError):
                conn.execute(
                    insert(table).values(round_id=round_id, resident_id=resident_id, result="negative")
                )
        finally:
            trans.rollback()


# --- the outbreak ----------------------------------------------------------------------------


def test_daily_positives_peak_and_the_streak(seeded_engine: Engine) -> None:
    daily = {
        dt.date.fromisoformat(str(d)): n
        for d, n in rows(seeded_engine, "SELECT found_on, COUNT(*) FROM case_record GROUP BY found_on")
    }
    assert daily == {d: n for d, n in story.DAILY_NEW_CASES.items() if n}
    peak = max(daily.values())
    assert peak == story.PEAK_COUNT == 21
    assert [d for d, n in daily.items() if n == peak] == [story.PEAK_DATE]
    assert story.PEAK_DATE in (dt.date(2022, 4, 5), dt.date(2022, 4, 6))
    before = [
        daily.get(story.FIRST_DAY + DAY * i, 0) for i in range((story.PEAK_DATE - story.FIRST_DAY).days + 1)
    ]
    assert before == sorted(before)
    assert max(daily) == story.LAST_POSITIVE == dt.date(2022, 5, 7)
    streak = 0
    day = story.DEMO_TODAY
    while daily.get(day, 0) == 0 and day >= story.FIRST_DAY:
        streak += 1
        day -= DAY
    assert streak == 22
    assert 150 <= sum(daily.values()) <= 250


def test_cases_start_in_homestead_rentals_and_cluster(seeded_engine: Engine) -> None:
    sources = rows(
        seeded_engine,
        "SELECT c.kind, h.is_rental, COUNT(*) FROM case_record k JOIN resident r ON r.id = k.resident_id "
        "JOIN household h ON h.id = r.household_id JOIN building b ON b.id = h.building_id "
        "JOIN compound c ON c.id = b.compound_id WHERE k.found_on < '2022-05-01' GROUP BY c.kind, h.is_rental ORDER BY 3 DESC",
    )
    kind, rented, _ = sources[0]
    assert kind == "homestead" and rented
    households = rows(
        seeded_engine,
        "SELECT r.household_id FROM case_record k JOIN resident r ON r.id = k.resident_id GROUP BY r.household_id HAVING COUNT(*) > 1",
    )
    assert len(households) >= 5
    channels = Counter(c for (c,) in rows(seeded_engine, "SELECT channel FROM case_record"))
    assert channels.most_common(1)[0][0] == "pooled_retest"
    assert set(channels) == {"pooled_retest", "antigen", "single_tube", "symptoms", "district"}
    assert {s for (s,) in rows(seeded_engine, "SELECT severity FROM case_record")} == {
        "confirmed",
        "asymptomatic",
    }


def test_case_pipeline_and_transfers(seeded_engine: Engine) -> None:
    events = defaultdict(list)
    for case, status, _at in rows(
        seeded_engine, "SELECT case_id, status, at FROM case_event ORDER BY case_id, at, id"
    ):
        events[case].append(status)
    pipeline = ["reported", "verified", "awaiting_transfer", "transferred", "recovered"]
    assert all(steps == pipeline[: len(steps)] and len(steps) >= 4 for steps in events.values())
    transfers = rows(
        seeded_engine,
        "SELECT k.found_at, t.requested_at, t.done_at, t.entrance_id, e.is_open, tm.kind FROM transfer t "
        "JOIN case_record k ON k.id = t.case_id JOIN entrance e ON e.id = t.entrance_id JOIN team tm ON tm.id = t.team_id",
    )
    assert len(transfers) == one(seeded_engine, "SELECT COUNT(*) FROM case_record")
    assert all(_dt(f) == _dt(r) and is_open and kind == "transfer" for f, r, _, _, is_open, kind in transfers)
    same_day = sum(_dt(r).date() == _dt(d).date() for _, r, d, *_ in transfers)
    assert same_day / len(transfers) > 0.8
    waits = [(_dt(d) - _dt(r)).total_seconds() / 3600 for _, r, d, *_ in transfers]
    assert 3 <= sum(24 <= w <= 40 for w in waits) and max(waits) <= 40
    end_of_0406 = dt.datetime(2022, 4, 7)
    pending = [r for _, r, d, *_ in transfers if _dt(r) < end_of_0406 <= _dt(d)]
    assert len(pending) >= 3
    assert all(_dt(d) < dt.datetime(2022, 5, 16) for _, _, d, *_ in transfers)
    recovered = rows(seeded_engine, "SELECT transferred_at, recovered_on, status FROM case_record")
    for moved, back, status in recovered:
        if back is not None:
            assert (
                10 <= (dt.date.fromisoformat(str(back)) - _dt(moved).date()).days <= 20
                and status == "recovered"
            )


def test_contacts(seeded_engine: Engine) -> None:
    contacts = rows(seeded_engine, "SELECT id, kind, status, parent_contact_id, resident_id FROM contact")
    kinds = {c[0]: c[1] for c in contacts}
    assert {"close", "secondary"} == set(kinds.values())
    assert all(kinds[p] == "close" for _, k, _, p, _ in contacts if k == "secondary" and p is not None)
    assert all(p is not None for _, k, _, p, _ in contacts if k == "secondary")
    cases = {r for (r,) in rows(seeded_engine, "SELECT resident_id FROM case_record")}
    assert not cases & {r for *_, r in contacts}
    hotel = one(
        seeded_engine,
        "SELECT COUNT(*) FROM transfer WHERE contact_id IS NOT NULL AND destination = 'quarantine_hotel'",
    )
    close = sum(k == "close" for k in kinds.values())
    assert hotel > close / 2
    # household members come first
    household_contacts = one(
        seeded_engine,
        "SELECT COUNT(*) FROM contact c JOIN case_record k ON k.id = c.case_id JOIN resident a ON a.id = c.resident_id "
        "JOIN resident b ON b.id = k.resident_id WHERE a.household_id = b.household_id",
    )
    assert household_contacts > 100


# --- services --------------------------------------------------------------------------------


def test_supplies(seeded_engine: Engine) -> None:
    batches = rows(
        seeded_engine,
        "SELECT id, rule, stock, date, source, large_threshold, large_portions FROM supply_batch ORDER BY date",
    )
    doors = one(seeded_engine, "SELECT COUNT(*) FROM (SELECT DISTINCT building_id, door FROM household) d")
    first, second, *later = batches
    assert first[1] == "per_door" and first[2] == doors
    assert one(seeded_engine, "SELECT COUNT(*) FROM delivery WHERE batch_id = :b", b=first[0]) == doors < 2969
    assert second[1] == "per_household" and second[2] == 2969
    assert (
        one(
            seeded_engine,
            "SELECT COUNT(*) FROM delivery WHERE batch_id = :b AND status = 'delivered'",
            b=second[0],
        )
        == 2969
    )
    assert 3 <= len(later) <= 4 and all(b[1] == "large_household" and (b[5], b[6]) == (6, 2) for b in later)
    assert {b[4] for b in batches} == {"government", "street", "donation"}
    portions = one(seeded_engine, "SELECT SUM(CASE WHEN size >= 6 THEN 2 ELSE 1 END) FROM household")
    assert all(b[2] == portions for b in later)
    latest = later[-1]
    assert str(latest[3]) >= "2022-05-24"
    covered = one(
        seeded_engine,
        "SELECT COUNT(*) FROM delivery WHERE batch_id = :b AND status = 'delivered'",
        b=latest[0],
    )
    assert 0.85 <= covered / 2969 <= 0.95
    statuses = {
        s for (s,) in rows(seeded_engine, "SELECT status FROM delivery WHERE batch_id = :b", b=latest[0])
    }
    assert statuses == {"delivered", "not_found", "refused"}
    assert (
        one(
            seeded_engine,
            "SELECT COUNT(*) FROM delivery d JOIN team t ON t.id = d.team_id WHERE t.kind <> 'transport'",
        )
        == 0
    )
    assert _dt(one(seeded_engine, "SELECT MAX(at) FROM delivery")) < dt.datetime(2022, 5, 30)


def test_medicine(seeded_engine: Engine) -> None:
    runs = rows(seeded_engine, "SELECT date, driver_id, done_at, hospitals FROM hospital_run ORDER BY date")
    *driven, planned = runs
    days = [dt.date.fromisoformat(str(d)) for d, *_ in driven]
    assert days[0] == dt.date(2022, 4, 5) and days[-1] == dt.date(2022, 5, 27)
    assert {d.weekday() for d in days} == {1, 4}
    assert len(days) == len(
        [d for d in story.story_days() if d.weekday() in (1, 4) and days[0] <= d <= days[-1]]
    )
    assert all(done is not None and hospitals for _, _, done, hospitals in driven)
    # The next run is planned for Tuesday 31 May and not driven yet.
    assert str(planned[0]) == "2022-05-31" == str(story.NEXT_HOSPITAL_RUN) and planned[2] is None
    assert planned[3] and planned[1] == driven[-1][1]
    drivers = {
        (k, lv)
        for (k, lv) in rows(
            seeded_engine,
            "SELECT p.kind, p.cadre_level FROM hospital_run h JOIN person p ON p.id = h.driver_id",
        )
    }
    assert drivers == {("cadre", "city")}
    statuses = Counter(s for (s,) in rows(seeded_engine, "SELECT status FROM medicine_request"))
    assert 200 <= sum(statuses.values()) <= 600 and statuses["delivered"] > 200
    assert 1 <= statuses["requested"] + statuses["in_run"] <= 15
    stale_urgent = one(
        seeded_engine,
        "SELECT COUNT(*) FROM medicine_request WHERE urgency = 'urgent' AND status IN ('requested', 'in_run') AND requested_at < '2022-05-28 12:00'",
    )
    assert 1 <= stale_urgent <= 2


def test_courier_disinfection_and_follow_ups(seeded_engine: Engine) -> None:
    assert one(seeded_engine, "SELECT COUNT(*) FROM courier_count") == 59 * 3 * 10
    assert one(seeded_engine, "SELECT COUNT(*) FROM courier_count WHERE delivered < 0 OR received < 0") == 0
    april_first = one(seeded_engine, "SELECT SUM(received) FROM courier_count WHERE date = '2022-04-01'")
    april_end = one(seeded_engine, "SELECT SUM(received) FROM courier_count WHERE date = '2022-04-30'")
    assert april_end > 3 * april_first
    assert len(rows(seeded_engine, "SELECT DISTINCT team_id FROM courier_count")) == 2
    assert 3 <= one(seeded_engine, "SELECT COUNT(*) FROM disinfection_route") <= 5
    kinds = {k for (k,) in rows(seeded_engine, "SELECT DISTINCT target_kind FROM disinfection_record")}
    assert kinds == {"building", "site", "route"}
    assert len(rows(seeded_engine, "SELECT DISTINCT date FROM disinfection_record")) == 59
    per_day = rows(
        seeded_engine,
        "SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM disinfection_record WHERE building_id IS NOT NULL "
        "GROUP BY date, building_id) t",
    )
    assert per_day[0][0] == 2
    # 2022-04-08: one sealed building (a case in the last 7 days) was left undone.
    sealed = {
        b
        for (b,) in rows(
            seeded_engine,
            "SELECT DISTINCT h.building_id FROM case_record k JOIN resident r ON r.id = k.resident_id "
            "JOIN household h ON h.id = r.household_id WHERE k.found_on BETWEEN '2022-04-02' AND '2022-04-08'",
        )
    }
    done = {
        b
        for (b,) in rows(
            seeded_engine,
            "SELECT building_id FROM disinfection_record WHERE date = '2022-04-08' AND building_id IS NOT NULL",
        )
    }
    assert len(sealed - done) == 1
    follow = rows(
        seeded_engine, "SELECT created_on, status, closed_at, resolution, problem_key FROM follow_up"
    )
    still_open = [f for f in follow if f[1] == "open"]
    assert 2 <= len(still_open) <= 3 and all(str(f[0]) < "2022-05-29" for f in still_open)
    assert all(f[2] is not None and f[3] for f in follow if f[1] == "closed")
    assert all(f[4] is None for f in follow)
    april = sum(str(f[0]) < "2022-05-01" for f in follow)
    assert april > len(follow) - april


# --- the demo read back through each area's own functions -----------------------------------


def test_courier_backlog_stays_small(seeded: Session) -> None:
    """Each shift delivers what it carried in and received but a few parcels; the next shift takes them."""
    ends = []
    for day in story.story_days():
        totals = courier.courier_day_totals(seeded, day)
        assert totals.rows == 30 and totals.received > 0
        assert 0 <= totals.backlog_end < 0.02 * totals.received, totals
        ends.append(totals.backlog_end)
        shifts = courier.shifts_of_day(seeded, day)
        assert (shifts["carried_in"] >= 0).all() and (shifts["left_over"] >= 0).all()
        on_hand = shifts["carried_in"] + shifts["received"]
        assert (shifts["left_over"] <= (on_hand * services.COURIER_LEFT_SHARE).astype(int)).all()
    # Never growing day over day for a week.
    rising = longest = 0
    for before, after in zip(ends, ends[1:], strict=False):
        rising = rising + 1 if after > before else 0
        longest = max(longest, rising)
    assert longest < 7
    assert sum(ends) > 0  # some parcels do wait for the next shift
    grids = courier.backlog_by_grid(seeded, story.DEMO_TODAY)
    assert len(grids) == 10 and (grids["backlog"] >= 0).all()
    assert grids["backlog"].sum() == ends[-1] < 0.02 * grids["received"].sum()


def test_disinfection_done_every_day_but_the_skip_days(seeded: Session) -> None:
    """Sealed and close-contact buildings, sites and routes: all done, 1-2 rounds, but one each skip day."""
    undone = {}
    contact_targets = 0
    for day in story.story_days():
        status = disinfection.disinfection_status(seeded, day)
        assert status.over_max.empty, (day, status.over_max)
        contact_targets += int((status.targets["reason"] == "close_contact").sum())
        if not status.all_done:
            undone[day] = status.missing
    assert sorted(undone) == sorted(story.DISINFECTION_SKIP_DAYS)
    for day, missing in undone.items():
        assert missing["reason"].tolist() == ["sealed"], day
    assert contact_targets > 100  # close contacts' buildings are required (and done) on many days


def test_door_sampled_residents_leave_the_missed_list(seeded: Session) -> None:
    """A follow-up 'door_sampled' comes with the door sample, as dashboard/screening.mark_missed writes it."""
    follow_ups = seeded.execute(
        select(MissedFollowUp.round_id, MissedFollowUp.resident_id, MissedFollowUp.at).where(
            MissedFollowUp.outcome == "door_sampled"
        )
    ).all()
    assert len(follow_ups) > 200
    samples = {
        (r.round_id, r.resident_id): r
        for r in seeded.scalars(
            select(ScreeningResult)
            .join(
                MissedFollowUp,
                (MissedFollowUp.round_id == ScreeningResult.round_id)
                & (MissedFollowUp.resident_id == ScreeningResult.resident_id),
            )
            .where(MissedFollowUp.outcome == "door_sampled")
        )
    }
    for round_id, resident_id, when in follow_ups:
        row = samples[(round_id, resident_id)]
        assert (row.method, row.sampled_at, row.result, row.exempt_reason) == ("door", when, "negative", None)
    for round_id in sorted({r for r, _, _ in follow_ups}):
        day = screening.get_round(seeded, round_id).date
        missed = screening.missed_residents(seeded, round_id, day)
        assert "door_sampled" not in set(missed["outcome"]), round_id
    # Those the grid leader could not sample stay on the list with what was learned.
    latest = screening.latest_round(seeded, story.DEMO_TODAY, "pcr")
    left = screening.missed_residents(seeded, latest, story.DEMO_TODAY)
    assert 1 <= len(left) <= 40 and set(left["outcome"].dropna()) <= {"will_come", "not_home", "refused"}


def test_released_pool_members_read_negative(seeded: Session) -> None:
    """Every abnormal pool's members carry their single-tube retest's result, none still 'abnormal'."""
    round_ids = seeded.scalars(
        select(ScreeningRound.id).where(ScreeningRound.kind == "pcr").order_by(ScreeningRound.id)
    ).all()
    results: Counter[tuple[str, str]] = Counter()
    for round_id in round_ids:
        pools = tubes.abnormal_tubes(seeded, round_id)
        assert (pools["retests_open"] == 0).all()
        for tube_no in pools["tube_no"]:
            members = tubes.tube_members(seeded, round_id, tube_no)
            pooled = members[members["retest_id"].notna()]
            results.update(zip(pooled["result"], pooled["retest_result"], strict=True))
    assert set(results) == {("negative", "negative"), ("positive", "positive")}
    assert results[("negative", "negative")] > 500 and results[("positive", "positive")] > 50
    assert tubes.under_control(seeded, story.DEMO_TODAY).empty


def test_next_hospital_run_carries_the_open_requests(seeded: Session) -> None:
    """On 29 May the next run (Tue 31 May) is planned with its driver; two urgent requests wait overdue."""
    run = medicine.next_run(seeded, story.DEMO_TODAY)
    assert run.date == story.NEXT_HOSPITAL_RUN == dt.date(2022, 5, 31)
    assert run.run_id is not None and run.hospitals and run.driver
    driver = seeded.execute(
        select(Person.kind, Person.cadre_level, Person.name)
        .join(HospitalRun, HospitalRun.driver_id == Person.id)
        .where(HospitalRun.id == run.run_id)
    ).one()
    assert tuple(driver) == ("cadre", "city", run.driver)
    assert run.later.empty
    statuses = Counter(run.requests["status_on"])
    assert statuses["in_run"] >= 4 and statuses["in_run"] > statuses["requested"] >= 1
    assert (run.requests.loc[run.requests["status_on"] == "in_run", "run_id"] == run.run_id).all()
    waiting = run.requests[run.requests["status_on"] == "requested"]
    assert (waiting["urgency"] == "urgent").all() and waiting["overdue"].all()
    assert 1 <= run.overdue <= 2
    carried = run.requests[run.requests["status_on"] == "in_run"]
    assert set(carried["hospital"]) == set(run.hospitals.split("、"))


def test_settings_and_empty_logs(seeded_engine: Engine) -> None:
    settings = dict(rows(seeded_engine, "SELECT key, value FROM setting"))
    assert {k: settings[k] for k in (
        "zone_sealed_days", "zone_controlled_days", "transfer_overdue_hours",
        "large_household_threshold", "large_household_portions", "hospital_run_weekdays",
    )} == {
        "zone_sealed_days": "7", "zone_controlled_days": "14", "transfer_overdue_hours": "24",
        "large_household_threshold": "6", "large_household_portions": "2", "hospital_run_weekdays": "1,4",
    }  # fmt: skip
    for table in ("audit_log", "import_log", "auth_session", "day_snapshot"):
        assert one(seeded_engine, "SELECT COUNT(*) FROM " + table) == 0  # noqa: S608 - fixed table names


def test_refuses_a_database_that_has_data(seeded_engine: Engine) -> None:
    with pytest.raises(seed.SeedError, match="already holds"):
        seed.generate(seeded_engine)
