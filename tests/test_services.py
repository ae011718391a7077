"""Daily services: the next hospital run and its requests, courier backlog arithmetic, the day's
disinfection targets, guard coverage gaps, scoped writes, the views the page reads.

Exact answers come from a small hand-made world (tests/services_world.py) built around Friday
2022-05-20; figures from the Huamei seed where it is loaded. The page itself: test_services_page.py.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from dashboard import courier, disinfection, entrances, medicine, people, services
from dashboard.errors import PermissionDenied, StaleEdit, ValidationError
from dashboard.i18n import code, t
from dashboard.roles import CurrentUser
from dashboard.store import run_write
from db.models import (
    AuditLog,
    Building,
    CourierCount,
    DisinfectionRecord,
    MedicineRequest,
    Setting,
    ZoneChange,
)
from tests import services_world
from tests.services_world import (
    NOW,
    TODAY,
    D,
    World,
    _count,
    at,
    disinfect,
    needs_seed,
)


@pytest.fixture
def world(engine: Engine) -> tuple[Engine, World]:
    return services_world.built(engine)


# --- medicine ---------------------------------------------------------------------------------


def test_next_run_date_follows_the_run_weekdays_and_skips_a_run_already_back(world) -> None:
    engine, _ = world
    with Session(engine) as s:
        assert medicine.run_weekdays(s) == (1, 4)
        assert medicine.next_run_date(s, dt.date(2022, 5, 18)) == D  # Wednesday → Friday
        assert medicine.next_run_date(s, dt.date(2022, 5, 19)) == D
        # On the run day the run is back by the evening: the next one is Tuesday 05-24.
        assert medicine.next_run_date(s, D) == dt.date(2022, 5, 24)
        assert medicine.next_run_date(s, dt.date(2022, 5, 21)) == dt.date(2022, 5, 24)
        assert medicine.next_run_date(s, dt.date(2022, 5, 25)) == dt.date(2022, 5, 27)


def test_next_run_groups_the_outstanding_requests(world) -> None:
    engine, w = world
    i = w.ids
    with Session(engine) as s:
        before = medicine.next_run(s, dt.date(2022, 5, 19))
        assert before.date == D and before.driver == "Driver Chen" and before.hospitals == "Zhongshan"
        # q1 and q3 were bought on the 20th, so on the 19th they were still coming; q4 is on the 24th's
        # run; q5 is cancelled.
        assert sorted(before.requests["request_id"]) == sorted([i["q1"], i["q2"], i["q3"]])
        assert list(before.later["request_id"]) == [i["q4"]]
        assert dict(zip(before.by_hospital["hospital"], before.by_hospital["requests"], strict=True)) == {
            "Zhongshan": 2,
            "Ruijin": 1,
        }
        assert before.urgent == 1 and before.overdue == 1  # q1: urgent since 05-18 09:00
        status = dict(zip(before.requests["request_id"], before.requests["status_on"], strict=True))
        assert status[i["q1"]] == "in_run" and status[i["q2"]] == "requested"

        after = medicine.next_run(s, D)
        assert after.date == dt.date(2022, 5, 24) and after.run_id == i["run24"]
        assert sorted(after.requests["request_id"]) == sorted([i["q2"], i["q4"]])
        assert after.later.empty
        assert after.overdue == 1  # q4: urgent since 05-19 20:00, more than 24 h at the end of the 20th


def test_residents_to_check_are_elderly_or_chronic_without_a_recent_request(world) -> None:
    engine, w = world
    i = w.ids
    with Session(engine) as s:
        df = medicine.residents_needing_check(s, D)
        # r5 (67, no request), r6 (chronic, last request 04-30), r7 (turns 60 in 2022); r8 is 59.
        assert sorted(df["resident_id"]) == sorted([i["r5"], i["r6"], i["r7"]])
        assert df.loc[df["resident_id"] == i["r7"], "age"].item() == 60
        assert list(df["resident_id"])[0] == i["r6"]  # the chronically ill come first
        grid2 = medicine.residents_needing_check(s, D, grid_id=i["g2"])
        assert list(grid2["resident_id"]) == [i["r7"]]


def test_medicine_request_and_its_steps(world) -> None:
    engine, w = world
    i, u = w.ids, w.users
    row = run_write(
        engine, medicine.do_request_medicine, u["grid1"], i["r5"], "nifedipine", urgency="urgent", now=NOW
    )
    assert row.status == "requested" and row.requested_at == NOW
    with Session(engine) as s:
        assert medicine.next_run(s, TODAY).requests["request_id"].tolist().count(row.id) == 1
    n = run_write(engine, medicine.do_collect_into_run, u["shuji"], dt.date(2022, 5, 24), now=NOW)
    assert n == 2  # q2 and the new one
    with Session(engine) as s:
        got = s.get(MedicineRequest, row.id)
        assert got.status == "in_run" and got.run_id == i["run24"]
        version = got.version
    bought = run_write(
        engine, medicine.do_advance_medicine, u["grid1"], row.id, "bought", version=version, at=NOW, now=NOW
    )
    with pytest.raises(StaleEdit):
        run_write(
            engine, medicine.do_advance_medicine, u["grid1"], row.id, "delivered", version=version, now=NOW
        )
    with pytest.raises(ValidationError) as bad:
        run_write(
            engine,
            medicine.do_advance_medicine,
            u["grid1"],
            row.id,
            "in_run",
            version=bought.version,
            now=NOW,
        )
    assert bad.value.key == "services.med.bad_step"
    done = run_write(
        engine, medicine.do_advance_medicine, u["grid1"], row.id, "delivered", version=bought.version, now=NOW
    )
    assert done.status == "delivered" and done.delivered_at == NOW
    with Session(engine) as s:
        actions = s.scalars(select(AuditLog.action).where(AuditLog.table_name == "medicine_request")).all()
        assert actions == [
            "services.medicine.request",
            "services.medicine.bought",
            "services.medicine.delivered",
        ]


def test_completing_a_run_buys_its_requests(world) -> None:
    engine, w = world
    i, u = w.ids, w.users
    run_write(engine, medicine.do_collect_into_run, u["shuji"], dt.date(2022, 5, 24), now=NOW)
    with pytest.raises(ValidationError):  # 05-24 is after NOW: the run cannot be back yet
        run_write(engine, medicine.do_complete_run, u["shuji"], i["run24"], now=NOW)
    later = dt.datetime(2022, 5, 24, 16, 0)
    n = run_write(engine, medicine.do_complete_run, u["shuji"], i["run24"], at=later, now=later)
    assert n == 2
    with Session(engine) as s:
        assert medicine.next_run_date(s, dt.date(2022, 5, 24)) == dt.date(2022, 5, 27)
        assert s.get(MedicineRequest, i["q4"]).bought_at == later


def test_medicine_request_refusals_leave_the_database_unchanged(world) -> None:
    engine, w = world
    i, u = w.ids, w.users
    before = _count(engine, MedicineRequest)
    with pytest.raises(PermissionDenied) as other_grid:
        run_write(engine, medicine.do_request_medicine, u["grid1"], i["r3"], "aspirin", now=NOW)
    assert other_grid.value.key == "auth.denied_grid"
    with pytest.raises(PermissionDenied):  # a transport squad member is not the medicine group
        run_write(engine, medicine.do_request_medicine, u["task"], i["r3"], "aspirin", now=NOW)
    run_write(engine, medicine.do_request_medicine, u["med"], i["r3"], "aspirin", now=NOW)
    with pytest.raises(ValidationError) as empty:
        run_write(engine, medicine.do_request_medicine, u["grid1"], i["r1"], "  ", now=NOW)
    assert empty.value.key == "common.required"
    with pytest.raises(ValidationError) as long:
        run_write(engine, medicine.do_request_medicine, u["grid1"], i["r1"], "x" * 301, now=NOW)
    assert long.value.key == "common.too_long"
    with pytest.raises(ValidationError) as future:
        run_write(
            engine, medicine.do_request_medicine, u["grid1"], i["r1"], "aspirin",
            requested_at=NOW + dt.timedelta(hours=1), now=NOW,
        )  # fmt: skip
    assert future.value.key == "common.future_date"
    with pytest.raises(PermissionDenied):
        run_write(engine, medicine.do_collect_into_run, u["grid1"], dt.date(2022, 5, 24), now=NOW)
    with pytest.raises(PermissionDenied) as advance:
        run_write(engine, medicine.do_advance_medicine, u["grid1"], i["q4"], "cancelled", version=1, now=NOW)
    assert advance.value.key == "auth.denied_grid"
    assert _count(engine, MedicineRequest) == before + 1


# --- courier ----------------------------------------------------------------------------------


def _courier(engine: Engine, user: CurrentUser, day, shift, grid, received, delivered, **kw):
    return run_write(
        engine, courier.do_record_courier, user, day, shift, grid, received, delivered, now=NOW, **kw
    )


def test_courier_backlog_is_carried_from_shift_to_shift(world) -> None:
    engine, w = world
    i, u = w.ids, w.users
    g1, g2 = i["g1"], i["g2"]
    _courier(engine, u["task"], D, "morning", g1, 10, 6)
    _courier(engine, u["task"], D, "noon", g1, 5, 8)  # 4 carried in + 5 received: 9 available
    _courier(engine, u["grid1"], D, "evening", g1, 0, 1, team_id=i["t_b"])
    _courier(engine, u["grid2"], D, "morning", g2, 7, 7, team_id=i["t_b"])
    _courier(engine, u["task"], TODAY, "morning", g1, 3, 0)
    with Session(engine) as s:
        day = courier.shifts_of_day(s, D, grid_id=g1)
        assert list(day["shift"]) == ["morning", "noon", "evening"]
        assert list(day["carried_in"]) == [0, 4, 1]
        assert list(day["left_over"]) == [4, 1, 0]
        assert courier.carried_in(s, g1, TODAY, "noon") == 3
        totals = services.courier_day_totals(s, D)
        assert (totals.received, totals.delivered, totals.left_over) == (22, 22, 0)
        assert (totals.backlog_start, totals.backlog_end, totals.rows) == (0, 0, 4)
        nxt = services.courier_day_totals(s, TODAY)
        assert (nxt.backlog_start, nxt.backlog_end) == (0, 3)
        squads = courier.by_squad_and_shift(s, D)
        a = squads[squads["team_id"] == i["t_a"]]
        assert list(a["shift"]) == ["morning", "noon"] and list(a["left_over"]) == [4, -3]
        by_shift = courier.backlog_by_shift(s, D)
        assert list(by_shift["backlog"]) == [4, 1, 0]
        grids = courier.backlog_by_grid(s, TODAY).set_index("grid")
        assert grids.loc[1, "backlog"] == 3 and grids.loc[2, "backlog"] == 0
        chart = courier.daily(s, dt.date(2022, 5, 19), TODAY)
        assert list(chart["backlog"]) == [0, 0, 3]
        fig = courier.daily_chart(chart)
        assert len(fig.data) == 3


def test_courier_refuses_deliveries_beyond_what_is_there(world) -> None:
    engine, w = world
    i, u = w.ids, w.users
    g1 = i["g1"]
    _courier(engine, u["task"], D, "morning", g1, 10, 6)
    _courier(engine, u["task"], D, "noon", g1, 5, 8)
    with pytest.raises(ValidationError) as over:
        _courier(engine, u["task"], D, "evening", g1, 0, 2)  # only 1 left
    assert over.value.key == "services.courier.over" and over.value.params["available"] == 1
    # Correcting the morning to deliver all 10 would leave noon delivering 8 of 5: refused.
    with Session(engine) as s:
        seen = courier.existing_count(s, D, "morning", g1)
    with pytest.raises(ValidationError) as later:
        _courier(engine, u["task"], D, "morning", g1, 10, 10, version=seen["version"])
    assert later.value.key == "services.courier.breaks_later"
    with pytest.raises(ValidationError):
        _courier(engine, u["task"], D, "morning", g1, -1, 0, version=seen["version"])
    with pytest.raises(ValidationError) as future:
        _courier(engine, u["task"], TODAY + dt.timedelta(days=1), "morning", g1, 1, 0)
    assert future.value.key == "common.future_date"
    with pytest.raises(ValidationError) as not_started:
        run_write(
            engine, courier.do_record_courier, u["task"], TODAY, "evening", g1, 1, 0,
            now=dt.datetime.combine(TODAY, dt.time(9, 0)),
        )  # fmt: skip
    assert not_started.value.key == "services.courier.shift_not_started"
    # An update that names no version (the form thought the row was new) is stale.
    with pytest.raises(StaleEdit):
        _courier(engine, u["task"], D, "morning", g1, 10, 5)
    fixed = _courier(engine, u["task"], D, "morning", g1, 10, 5, version=seen["version"])
    assert fixed.delivered == 5 and fixed.version == seen["version"] + 1
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(CourierCount)) == 2


def test_courier_writes_outside_the_users_scope_are_refused(world) -> None:
    engine, w = world
    i, u = w.ids, w.users
    with pytest.raises(PermissionDenied) as grid:
        _courier(engine, u["grid1"], D, "morning", i["g2"], 1, 0)
    assert grid.value.key == "auth.denied_grid"
    with pytest.raises(PermissionDenied) as team:
        _courier(engine, u["task"], D, "morning", i["g1"], 1, 0, team_id=i["t_b"])
    assert team.value.key == "auth.denied_team"
    _courier(engine, u["grid2"], D, "morning", i["g2"], 4, 0, team_id=i["t_b"])
    with pytest.raises(PermissionDenied):  # squad A may not overwrite squad B's count
        _courier(engine, u["task"], D, "morning", i["g2"], 4, 4, version=1)
    with pytest.raises(PermissionDenied):  # a disinfection volunteer is no courier
        _courier(engine, u["dis"], D, "noon", i["g2"], 4, 4)
    with pytest.raises(PermissionDenied):
        _courier(engine, u["viewer"], D, "noon", i["g2"], 4, 4)
    assert _count(engine, CourierCount) == 1


# --- disinfection -----------------------------------------------------------------------------


def test_required_disinfection_targets_of_a_day(world) -> None:
    engine, w = world
    i = w.ids
    with Session(engine) as s:
        req = disinfection.required_targets(s, D)
        got = {
            (k, int(t), r)
            for k, t, r in zip(req["target_kind"], req["target_id"], req["reason"], strict=True)
        }
        assert got == {
            ("building", i["b1"], "sealed"),  # a case on 05-18
            ("building", i["b3"], "close_contact"),  # r3 under control 05-18..05-25
            ("site", i["s1"], "site"),  # the PCR round of the day used site 1 only
            ("route", i["route1"], "route"),  # route 2 is inactive
        }
        # B2's close contact was released on 05-19; r8 is only a secondary contact.
        assert i["b2"] not in set(req["target_id"][req["target_kind"] == "building"])
        # On 05-26 the seal and the contact's control are over, and no round used a site.
        later = disinfection.required_targets(s, dt.date(2022, 5, 26))
        assert list(later["target_kind"]) == ["route"]


def test_disinfection_status_counts_done_missing_and_over_the_maximum(world) -> None:
    engine, w = world
    i, u = w.ids, w.users
    for hour in (8, 12, 17):
        disinfect(engine, u["dis"], "building", i["b1"], at(D, hour))
    disinfect(engine, u["grid1"], "site", i["s1"], at(D, 7), team_id=i["t_dis"], person_id=i["p_dis"])
    disinfect(engine, u["shuji"], "building", i["b3"], at(TODAY, 9))  # the next day does not count
    with Session(engine) as s:
        st = services.disinfection_status(s, D)
        assert (st.required, st.done, st.records) == (4, 2, 4)
        assert {
            (k, int(t)) for k, t in zip(st.missing["target_kind"], st.missing["target_id"], strict=True)
        } == {
            ("building", i["b3"]),
            ("route", i["route1"]),
        }
        assert list(st.over_max["target_id"]) == [i["b1"]]  # three rounds, the maximum is two
        records = disinfection.records_of_day(s, D)
        assert len(records) == 4 and set(records["team"]) == {"Disinfection team"}
        s.add(Setting(key="disinfection_rounds_min", value="4"))
        s.flush()
        strict = disinfection.disinfection_status(s, D)
        assert strict.done == 1  # B1 now needs four rounds


def test_disinfection_writes_outside_the_users_scope_are_refused(world) -> None:
    engine, w = world
    i, u = w.ids, w.users
    with pytest.raises(PermissionDenied) as grid:
        disinfect(engine, u["grid1"], "building", i["b3"], at(D, 9))
    assert grid.value.key == "auth.denied_grid"
    with pytest.raises(PermissionDenied):  # routes belong to no grid: a grid leader cannot record them
        disinfect(engine, u["grid1"], "route", i["route1"], at(D, 9))
    with pytest.raises(PermissionDenied):  # squad A does not disinfect
        disinfect(engine, u["task"], "building", i["b1"], at(D, 9))
    with pytest.raises(PermissionDenied):  # the disinfection team cannot name another team's member
        disinfect(engine, u["dis"], "building", i["b1"], at(D, 9), person_id=i["p_a"])
    with pytest.raises(ValidationError) as future:
        disinfect(engine, u["dis"], "building", i["b1"], NOW + dt.timedelta(minutes=5))
    assert future.value.key == "common.future_date"
    with pytest.raises(ValidationError) as agent:
        run_write(
            engine, disinfection.do_record_disinfection, u["dis"], "building", i["b1"], at(D, 9), "", now=NOW
        )
    assert agent.value.key == "common.required"
    assert _count(engine, DisinfectionRecord) == 0
    disinfect(engine, u["dis"], "route", i["route1"], at(D, 9))
    with Session(engine) as s:
        row = s.scalar(select(AuditLog).where(AuditLog.table_name == "disinfection_record"))
        assert row.username == "dis" and row.after["route_id"] == i["route1"]


# --- entrances and guards ---------------------------------------------------------------------


def test_guard_gaps_find_the_unguarded_stretch(world) -> None:
    engine, w = world
    i = w.ids
    with Session(engine) as s:
        gaps = services.guard_gaps(s, D)
        assert len(gaps) == 1
        gap = gaps.iloc[0]
        assert gap["entrance_id"] == i["e2"] and gap["entrance"] == "North gate"
        assert (gap["gap_start"], gap["gap_end"], gap["hours"]) == (at(D, 2), at(D, 6), 4.0)
        cover = services.guard_coverage(s, D).set_index("entrance")
        assert cover.loc["East gate", "gap_hours"] == 0 and cover.loc["East gate", "open_hours"] == 24
        assert cover.loc["North gate", "guarded_hours"] == 20
        assert cover.loc["West gate", "open_hours"] == 0  # closed: needs no guard
        # The next day nobody is rostered: both open gates are unguarded all day.
        assert sorted(services.guard_gaps(s, TODAY)["hours"]) == [24.0, 24.0]


def test_closing_an_entrance_ends_its_need_for_guards(world) -> None:
    engine, w = world
    i, u = w.ids, w.users
    run_write(engine, entrances.do_set_entrance, u["shuji"], i["e2"], False, at=at(TODAY, 12), now=NOW)
    with Session(engine) as s:
        gaps = entrances.guard_gaps(s, TODAY).set_index("entrance")
        assert gaps.loc["North gate", "gap_end"] == at(TODAY, 12) and gaps.loc["North gate", "hours"] == 12
        states = entrances.entrance_states(s, TODAY).set_index("entrance")
        assert not states.loc["North gate", "is_open"] and states.loc["East gate", "is_open"]
        assert entrances.entrance_states(s, D).set_index("entrance").loc["North gate", "is_open"]
        assert len(entrances.entrance_history(s, TODAY)) == 4
    with pytest.raises(ValidationError) as again:
        run_write(engine, entrances.do_set_entrance, u["shuji"], i["e2"], False, now=NOW)
    assert again.value.key == "services.ent.already_closed"
    with pytest.raises(ValidationError):  # the history only grows forward
        run_write(engine, entrances.do_set_entrance, u["shuji"], i["e2"], True, at=at(TODAY, 11), now=NOW)
    with pytest.raises(PermissionDenied):
        run_write(engine, entrances.do_set_entrance, u["grid1"], i["e3"], True, now=NOW)
    with Session(engine) as s:
        audited = s.scalars(select(AuditLog.action).where(AuditLog.table_name == "entrance")).all()
        assert audited == ["services.entrance.close"]


def test_the_pages_reads_are_the_figures_in_words(world) -> None:
    engine, w = world
    i, u = w.ids, w.users
    disinfect(engine, u["dis"], "building", i["b1"], at(D, 8))
    with Session(engine) as s:
        # Medicine: the next run as of 05-19, its requests with urgency and status in words.
        run, view = (
            medicine.next_run(s, dt.date(2022, 5, 19)),
            medicine.medicine_view(s, dt.date(2022, 5, 19), "en"),
        )
        assert (view.date, view.driver, view.hospitals) == (run.date, run.driver, run.hospitals)
        assert (view.total, view.urgent, view.overdue, view.later) == (3, 1, 1, 1)
        assert list(view.requests.columns) == [*medicine.REQUESTS_SHOWN, "grid_id"]
        assert list(view.requests["resident_name"]) == list(run.requests["resident_name"])
        assert view.requests["urgency"].iloc[0] == code("urgency", "urgent", "en")
        assert code("medicine_status", "in_run", "en") in set(view.requests["status_on"])
        assert list(view.by_hospital.columns) == [
            t(f"services.med.{k}", lang="en") for k in ("hospital", "requests", "urgent", "medicines")
        ]
        n, check = medicine.check_list(s, D, None, False)
        assert n == 3 and list(check.columns) == [*medicine.CHECK_SHOWN, "grid_id"]
        assert medicine.check_list(s, D, None, True)[0] == 1  # r6, the chronically ill one
        assert medicine.check_list(s, D, i["g2"], False)[0] == 1
        open_ = medicine.open_requests(s, dt.date(2022, 5, 19), None, "en")
        assert set(open_["request_id"]) == {i["q1"], i["q2"], i["q4"]}  # q3 was delivered, q5 cancelled
        assert (
            open_.set_index("request_id").loc[i["q4"], "what"]
            == f"salbutamol · {code('medicine_status', 'in_run', 'en')}"
        )
        assert medicine.driver_labels(s) == {i["p_driver"]: "Driver Chen"}
        runs = medicine.runs_view(s, TODAY)
        assert runs.open_runs == {} and list(runs.runs.columns) == medicine.RUNS_SHOWN and len(runs.runs) == 2
        assert medicine.runs_view(s, dt.date(2022, 5, 24)).open_runs == {i["run24"]: "2022-05-24"}
        # Courier: nothing counted yet; the chart covers two weeks.
        courier_ = courier.courier_view(s, D, "en")
        assert courier_.totals == courier.courier_day_totals(s, D)
        assert list(courier_.by_shift["shift"]) == ["Morning", "Noon", "Evening"]
        assert list(courier_.by_grid.columns) == courier.BY_GRID_SHOWN and courier_.by_squad.empty
        assert len(courier_.chart["data"][0]["x"]) == courier.CHART_DAYS
        assert courier.squad_labels(s) == {i["t_a"]: "Squad A", i["t_b"]: "Squad B"}
        assert courier.form_state(s, D, "noon", i["g1"]) == (None, 0)
        # Disinfection: the status with target kinds and reasons in words, the records.
        st = disinfection.disinfection_status(s, D)
        dis = disinfection.disinfection_view(s, D, "en")
        assert (dis.required, dis.done, dis.rounds_min, dis.rounds_max) == (st.required, st.done, 1, 2)
        assert len(dis.missing) == len(st.missing) and list(dis.targets.columns) == disinfection.TARGETS_SHOWN
        assert dis.targets["target_kind"].iloc[0] == "Building" and not dis.all_done
        assert dis.records[["target", "person_name"]].values.tolist() == [["Compound A B1", ""]]
        ordered, labels = disinfection.target_options(s, "building", None, dis.undone["building"], "en")
        assert ordered == [i["b3"], i["b1"], i["b2"]]  # B3 still undone on D comes first
        assert (
            labels[i["b3"]].endswith(t("services.dis.required_first", lang="en"))
            and labels[i["b2"]] == "Compound A B2"
        )
        assert disinfection.target_options(s, "route", i["g1"], dis.undone.get("route", []), "en") == ([], {})
        assert disinfection.target_labels(s, "site", i["g2"]) == {i["s2"]: "Site 2"}
        assert disinfection.team_labels(s) == {i["t_dis"]: "Disinfection team"}
        # Entrances: the figures, the gap as MM-DD HH:MM, open and closed in words.
        ent = entrances.entrances_view(s, D, "en")
        assert (ent.open_now, ent.gap_hours) == (2, 4.0)
        assert ent.gaps.values.tolist() == [["North gate", "05-20 02:00", "05-20 06:00", 4.0]]
        assert list(ent.states["is_open"]) == ["Open", "Open", "Closed"]
        assert list(ent.shifts.columns) == entrances.SHIFTS_SHOWN and len(ent.shifts) == 6
        assert ent.labels == {i["e1"]: "East gate", i["e2"]: "North gate", i["e3"]: "West gate"}
        assert people.member_names(s, i["t_guard"]) == {i["g_1"]: "Guard Qian", i["g_2"]: "Guard Zhao"}


def _in_words(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Target kinds (and reasons) in words, as the services page shows them."""
    out = df.assign(target_kind=[code("disinfection_target", v, lang) for v in df["target_kind"]])
    if "reason" in out.columns:
        out["reason"] = [t(f"services.dis.reason.{v}", lang=lang) for v in out["reason"]]
    return out


def test_the_pages_views_give_what_the_figures_functions_give(world) -> None:
    """Each view reads only what it shows, in its own narrow reads: what it gives is what the
    figures' own functions give, put in words (courier, disinfection, entrances, medicine)."""
    import json

    from plotly.utils import PlotlyJSONEncoder

    engine, w = world
    i, u = w.ids, w.users
    _courier(engine, u["task"], D - dt.timedelta(days=20), "morning", i["g1"], 4, 1)  # before the chart
    _courier(engine, u["task"], D, "morning", i["g1"], 10, 6)
    _courier(engine, u["task"], D, "noon", i["g1"], 5, 8)
    _courier(engine, u["grid2"], D, "morning", i["g2"], 7, 7, team_id=i["t_b"])
    _courier(engine, u["grid2"], D, "noon", i["g2"], 2, 1)  # no squad
    for hour in (8, 12, 17):
        disinfect(engine, u["dis"], "building", i["b1"], at(D, hour))
    with Session(engine) as s:
        for day in (dt.date(2022, 5, 19), D, TODAY):
            # Courier: three sums (per grid, per day, per squad and shift) make every figure.
            view = courier.courier_view(s, day, "en")
            assert view.totals == courier.courier_day_totals(s, day)
            assert view.squads == courier.squad_labels(s) == {i["t_a"]: "Squad A", i["t_b"]: "Squad B"}
            by_shift = courier.backlog_by_shift(s, day)
            words = [code("shift", v, "en") for v in by_shift["shift"]]
            pd.testing.assert_frame_equal(view.by_shift, by_shift.assign(shift=words)[courier.BY_SHIFT_SHOWN])
            squads = courier.by_squad_and_shift(s, day)
            squads = squads.assign(shift=[code("shift", v, "en") for v in squads["shift"]])
            pd.testing.assert_frame_equal(
                view.by_squad, squads[[c for c in courier.BY_SQUAD_SHOWN if c in squads]]
            )
            pd.testing.assert_frame_equal(
                view.by_grid, courier.backlog_by_grid(s, day)[courier.BY_GRID_SHOWN]
            )
            days = courier.daily(s, day - dt.timedelta(days=courier.CHART_DAYS - 1), day)
            figure = courier.daily_chart(days, "en").to_dict()
            assert json.dumps(view.chart, cls=PlotlyJSONEncoder) == json.dumps(figure, cls=PlotlyJSONEncoder)
            # Disinfection: the status's lists in words, and the ids still undone.
            st = disinfection.disinfection_status(s, day)
            dis = disinfection.disinfection_view(s, day, "en")
            assert (dis.required, dis.done, dis.rounds_min, dis.rounds_max) == (
                st.required,
                st.done,
                st.rounds_min,
                st.rounds_max,
            )
            for name in ("missing", "over_max", "targets"):
                shown = _in_words(getattr(st, name), "en")[disinfection.TARGETS_SHOWN]
                pd.testing.assert_frame_equal(getattr(dis, name), shown)
            records = _in_words(disinfection.records_of_day(s, day), "en")[disinfection.RECORDS_SHOWN]
            pd.testing.assert_frame_equal(dis.records, records)
            undone: dict[str, list[int]] = {}
            for kind, target in zip(st.missing["target_kind"], st.missing["target_id"], strict=True):
                undone.setdefault(kind, []).append(int(target))
            assert dis.undone == {kind: sorted(ids) for kind, ids in undone.items()}
            assert dis.teams == disinfection.team_labels(s) == {i["t_dis"]: "Disinfection team"}
            # Entrances: one read of the day's guard shifts and history for every list.
            ent = entrances.entrances_view(s, day, "en")
            gaps = entrances.guard_gaps(s, day)
            assert ent.gap_hours == round(float(gaps["hours"].sum()), 2) and len(ent.gaps) == len(gaps)
            assert list(ent.gaps["hours"]) == list(gaps["hours"])
            cover = entrances.guard_coverage(s, day)[entrances.COVERAGE_SHOWN]
            pd.testing.assert_frame_equal(ent.coverage, cover)
            shifts = entrances.guard_shifts(s, day)[entrances.SHIFTS_SHOWN]
            pd.testing.assert_frame_equal(ent.shifts, shifts)
            states = entrances.entrance_states(s, day)
            assert ent.open_now == int(states["is_open"].sum())
            assert list(ent.states["since"]) == list(states["since"])
            assert len(ent.history) == len(entrances.entrance_history(s, day))
            # Medicine: the next run's requests and hospitals, in words.
            run = medicine.next_run(s, day)
            med = medicine.medicine_view(s, day, "en")
            assert (med.date, med.driver, med.hospitals, med.total, med.urgent, med.overdue, med.later) == (
                run.date,
                run.driver,
                run.hospitals,
                run.total,
                run.urgent,
                run.overdue,
                len(run.later),
            )
            requests = run.requests.assign(
                urgency=[code("urgency", v, "en") for v in run.requests["urgency"]],
                status_on=[code("medicine_status", v, "en") for v in run.requests["status_on"]],
            )[[*medicine.REQUESTS_SHOWN, "grid_id"]]
            pd.testing.assert_frame_equal(med.requests, requests)
            headings = [
                t(f"services.med.{c}", lang="en") for c in ("hospital", "requests", "urgent", "medicines")
            ]
            pd.testing.assert_frame_equal(med.by_hospital, run.by_hospital.set_axis(headings, axis=1))
            on = medicine.requests_on(s, day, i["g1"])
            steps = on[on["status"].isin(list(medicine.NEXT_STEPS))] if not on.empty else on
            open_ = medicine.open_requests(s, day, i["g1"], "en")
            assert list(open_["request_id"]) == list(steps["request_id"])
            runs = medicine.runs_view(s, day)
            assert runs.drivers == medicine.driver_labels(s) == {i["p_driver"]: "Driver Chen"}
            pd.testing.assert_frame_equal(
                runs.runs,
                medicine.runs_between(s, day - dt.timedelta(days=14), day + dt.timedelta(days=14))[
                    medicine.RUNS_SHOWN
                ],
            )


def test_sealed_buildings_are_those_the_zones_seal(world) -> None:
    """The disinfection targets read the sealed buildings narrowly (those with a recent case, and
    the announced zones): the same buildings as zones.building_zones() seals, on every day."""
    from dashboard import zones

    engine, w = world
    i = w.ids
    with Session(engine) as s:
        s.add(ZoneChange(building_id=i["b2"], zone="sealed", start_on=D, end_on=D, reason="announced"))
        s.add(ZoneChange(building_id=i["b1"], zone="controlled", start_on=TODAY, reason="eased early"))
        s.add(
            ZoneChange(
                compound_id=s.get(Building, i["b3"]).compound_id, zone="sealed", start_on=D, reason="c"
            )
        )
        s.flush()
        sealed_on = {}
        for n in range(-3, 12):
            day = D + dt.timedelta(days=n)
            b = zones.building_zones(s, day)
            sealed_on[day] = disinfection.sealed_buildings(s, day)
            assert sealed_on[day] == [int(x) for x in b.loc[b["zone"] == "sealed", "building_id"]], day
        assert sealed_on[D] == sorted([i["b1"], i["b2"]])  # a case on 05-18; B2 announced for the day
        assert sealed_on[TODAY] == []  # B1 eased by announcement


def test_interval_arithmetic() -> None:
    a = dt.datetime(2022, 5, 20, 0)
    h = dt.timedelta(hours=1)
    assert entrances.merge([(a, a + 2 * h), (a + h, a + 3 * h), (a + 5 * h, a + 6 * h)]) == [
        (a, a + 3 * h),
        (a + 5 * h, a + 6 * h),
    ]
    assert entrances.subtract([(a, a + 10 * h)], [(a + h, a + 2 * h), (a + 4 * h, a + 12 * h)]) == [
        (a, a + h),
        (a + 2 * h, a + 4 * h),
    ]
    assert entrances.subtract([(a, a + h)], []) == [(a, a + h)]


# --- the seed ---------------------------------------------------------------------------------


@needs_seed
def test_the_seeds_guard_gap_on_20_may(seeded: Session) -> None:
    from seed import story

    gaps = services.guard_gaps(seeded, dt.date(2022, 5, 20))
    assert len(gaps) == 1
    assert (gaps.iloc[0]["gap_start"], gaps.iloc[0]["gap_end"]) == story.GUARD_GAP
    assert services.guard_gaps(seeded, dt.date(2022, 5, 19)).empty
    assert services.guard_gaps(seeded, story.DEMO_TODAY).empty
    assert (services.guard_coverage(seeded, story.DEMO_TODAY)["open_hours"] == 24).sum() == 2


@needs_seed
def test_the_seed_tells_the_services_story(seeded: Session) -> None:
    from seed import story

    run = services.next_run(seeded, story.DEMO_TODAY)
    assert run.date == dt.date(2022, 5, 31)  # Sunday 29 May: the next run is Tuesday
    for day in story.DISINFECTION_SKIP_DAYS:
        assert services.disinfection_status(seeded, day).missing.shape[0] >= 1
    assert services.disinfection_status(seeded, dt.date(2022, 4, 9)).all_done
    totals = services.courier_day_totals(seeded, story.DEMO_TODAY)
    assert totals.rows > 0 and totals.backlog_end >= 0
    # The page's list of residents to check: the first rows of the whole list, and its length.
    everyone = medicine.residents_needing_check(seeded, story.DEMO_TODAY)
    for priority in (False, True):
        full = everyone[everyone["is_chronic"] | everyone["lives_alone"]] if priority else everyone
        n, head = medicine.check_list(seeded, story.DEMO_TODAY, None, priority)
        assert n == len(full) and len(head) == min(n, medicine.CHECK_ROWS)
        pd.testing.assert_frame_equal(
            head, full.head(medicine.CHECK_ROWS)[[*medicine.CHECK_SHOWN, "grid_id"]].reset_index(drop=True)
        )
    assert len(everyone) > medicine.CHECK_ROWS


@needs_seed
def test_the_seeds_sealed_buildings_are_the_zones(seeded: Session) -> None:
    from dashboard import zones

    day = dt.date(2022, 4, 1)
    while day <= dt.date(2022, 5, 29):
        b = zones.building_zones(seeded, day)
        assert disinfection.sealed_buildings(seeded, day) == [
            int(x) for x in b.loc[b["zone"] == "sealed", "building_id"]
        ], day
        day += dt.timedelta(days=4)
