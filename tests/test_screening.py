"""Screening rounds: exempt residents out of 'due', progress by grid and building, the missed list and
its marks, the export, pooled tubes → retests → case / release, antigen line lists, trends (the page: test_screening_page.py).

Exact answers come from the small area of tests/data_screening/world.py (counted by hand there)."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from dashboard import screening, screening_reports, tubes
from dashboard.errors import PermissionDenied, StaleEdit, ValidationError
from dashboard.store import run_write
from db.models import (
    AuditLog,
    Case,
    CaseEvent,
    MissedFollowUp,
    Retest,
    ScreeningResult,
    ScreeningRound,
    Transfer,
)
from tests.data_screening import world as w

NOW = dt.datetime(2022, 5, 29, 18, 30)


@pytest.fixture
def area(engine: Engine) -> w.World:
    return w.build(engine)


def _count(engine: Engine, model: type) -> int:
    with Session(engine) as s:
        return int(s.scalar(select(func.count()).select_from(model)))


def _missed_labels(engine: Engine, area: w.World, grid: int | None, round_id: int | None = None) -> list[str]:
    by_id = {v: k for k, v in area.residents.items()}
    with Session(engine) as s:
        df = screening.missed_residents(
            s, round_id or area.round_id, w.TODAY, area.grids[grid] if grid else None
        )
    return [by_id[int(r)] for r in df["resident_id"]]


# --- rounds ---------------------------------------------------------------------------------


def test_create_round_numbers_rounds_and_records_who_is_exempt(engine: Engine, area: w.World) -> None:
    with Session(engine) as s:
        rows = dict(
            s.execute(
                select(ScreeningResult.resident_id, ScreeningResult.exempt_reason).where(
                    ScreeningResult.round_id == area.round_id, ScreeningResult.exempt_reason.is_not(None)
                )
            ).all()
        )
        listed = screening.rounds(s, w.TODAY)
    assert rows == {
        area.resident("r5"): "away",
        area.resident("r8"): "transferred",
        area.resident("r11"): "quarantine",
    }
    assert listed[["kind", "number", "scope", "sites", "time_slots"]].values.tolist() == [
        ["pcr", 1, "all", "1号采样点", "07:00-11:00"]
    ]
    second = run_write(
        engine,
        screening.create_round,
        area.users["shuji"],
        "pcr",
        w.TODAY,
        "grid",
        scope_grid_id=area.grids[2],
        now=NOW,
    )
    with Session(engine) as s:
        assert s.get(ScreeningRound, second).number == 2
        # Only grid 2 is in scope: r11 is its one exemption.
        assert s.scalar(select(func.count()).where(ScreeningResult.round_id == second)) == 1


def test_create_round_refuses_bad_input_and_grid_leaders(engine: Engine, area: w.World) -> None:
    shuji = area.users["shuji"]
    before = _count(engine, ScreeningRound)
    cases = [
        ({"kind": "pcr", "date": w.TODAY + dt.timedelta(days=1), "scope": "all"}, "common.future_date"),
        ({"kind": "flu", "date": w.TODAY, "scope": "all"}, "common.bad_choice"),
        ({"kind": "pcr", "date": w.TODAY, "scope": "grid"}, "screening.scope_grid_required"),
        ({"kind": "pcr", "date": dt.date(2022, 5, 20), "scope": "sealed"}, "screening.no_sealed_buildings"),
        ({"kind": "pcr", "date": w.TODAY, "scope": "all", "site_ids": [999]}, "screening.unknown_site"),
        ({"kind": "pcr", "date": w.TODAY, "scope": "all", "note": "x" * 201}, "common.too_long"),
    ]
    for kwargs, key in cases:
        with pytest.raises(ValidationError) as err:
            run_write(engine, screening.create_round, shuji, now=NOW, **kwargs)
        assert err.value.key == key
    with pytest.raises(PermissionDenied):
        run_write(engine, screening.create_round, area.users["grid01"], "pcr", w.TODAY, "all", now=NOW)
    assert _count(engine, ScreeningRound) == before


def test_sealed_scope_takes_the_buildings_sealed_on_the_round_day(engine: Engine, area: w.World) -> None:
    # r8's case on 05-25 seals B2 until 05-31: a sealed-only round holds B2's three residents.
    round_id = run_write(
        engine, screening.create_round, area.users["shuji"], "pcr", w.TODAY, "sealed", now=NOW
    )
    with Session(engine) as s:
        p = screening.round_progress(s, round_id, w.TODAY)
    assert p.by_building["building"].tolist() == ["B2"]
    assert (p.totals["residents"], p.totals["exempt"], p.totals["due"]) == (3, 1, 2)


# --- progress -------------------------------------------------------------------------------


def test_exempt_residents_are_out_of_due_with_their_reason(engine: Engine, area: w.World) -> None:
    with Session(engine) as s:
        p = screening.round_progress(s, area.round_id, w.TODAY)
        exempt = screening.exempt_residents(s, area.round_id, w.TODAY)
    t = p.totals
    assert (t["residents"], t["exempt"], t["due"], t["sampled"], t["missed"]) == (21, 3, 18, 14, 4)
    assert (t["transferred"], t["quarantine"], t["away"], t["bedridden"], t["door"]) == (1, 1, 1, 1, 0)
    g = p.by_grid.set_index("grid")
    assert g.loc[1, ["residents", "exempt", "due", "sampled", "missed"]].tolist() == [18, 2, 16, 13, 3]
    assert g.loc[2, ["residents", "exempt", "due", "sampled", "missed"]].tolist() == [3, 1, 2, 1, 1]
    assert g.loc[2, "coverage"] == 0.5
    b = p.by_building.set_index("building")
    assert b.loc["B4", ["due", "sampled", "coverage"]].tolist() == [10, 10, 1.0]
    assert b.loc["B1", ["residents", "away", "due", "sampled", "bedridden"]].tolist() == [5, 1, 4, 2, 1]
    assert sorted(exempt["reason"]) == ["away", "quarantine", "transferred"]


def test_progress_as_of_an_earlier_day_does_not_see_later_samples(engine: Engine, area: w.World) -> None:
    with Session(engine) as s:
        p = screening.round_progress(s, area.round_id, w.TODAY - dt.timedelta(days=1))
    assert p.totals["sampled"] == 0 and p.totals["due"] == 18


# --- the missed list ------------------------------------------------------------------------


def test_missed_list_against_the_hand_made_area(engine: Engine, area: w.World) -> None:
    assert _missed_labels(engine, area, 1) == ["r3", "r4", "r7"]
    assert _missed_labels(engine, area, 2) == ["r10"]
    assert _missed_labels(engine, area, None) == ["r3", "r4", "r7", "r10"]
    with Session(engine) as s:
        df = screening.missed_residents(s, area.round_id, w.TODAY, area.grids[1])
    assert df[["building", "room", "name"]].values.tolist() == [
        ["B1", "101", "张三丰"],
        ["B1", "102", "李四"],
        ["B2", "201", "王七七"],
    ]
    assert [screening.why_missed(o, b) for o, b in zip(df["outcome"], df["bedridden"], strict=True)] == [
        "尚未联系",
        "卧床，待上门采样",
        "尚未联系",
    ]


def test_marking_missed_residents(engine: Engine, area: w.World) -> None:
    leader = area.users["grid01"]
    run_write(
        engine,
        screening.mark_missed,
        leader,
        area.round_id,
        area.resident("r3"),
        "will_come",
        note="下午来",
        now=NOW,
    )
    run_write(engine, screening.mark_missed, leader, area.round_id, area.resident("r7"), "refused", now=NOW)
    run_write(engine, screening.mark_missed, leader, area.round_id, area.resident("r7"), "not_home", now=NOW)
    with Session(engine) as s:
        df = screening.missed_residents(s, area.round_id, w.TODAY, area.grids[1]).set_index("name")
    assert df.loc["张三丰", ["outcome", "outcome_note"]].tolist() == ["will_come", "下午来"]
    assert df.loc["王七七", "outcome"] == "not_home"  # the latest word replaces the earlier one
    assert _count(engine, MissedFollowUp) == 2
    # Door-to-door sampling of the bedridden resident records the sample: he leaves the list.
    run_write(
        engine,
        screening.mark_missed,
        leader,
        area.round_id,
        area.resident("r4"),
        "door_sampled",
        tube_no="D-1",
        now=NOW,
    )
    assert _missed_labels(engine, area, 1) == ["r3", "r7"]
    with Session(engine) as s:
        row = s.scalar(select(ScreeningResult).where(ScreeningResult.resident_id == area.resident("r4")))
        p = screening.round_progress(s, area.round_id, w.TODAY)
    assert (row.method, row.tube_no, row.sampled_at) == ("door", "D-1", NOW)
    assert (p.totals["sampled"], p.totals["door"], p.totals["missed"]) == (15, 1, 3)
    with pytest.raises(ValidationError) as err:
        run_write(
            engine, screening.mark_missed, leader, area.round_id, area.resident("r4"), "refused", now=NOW
        )
    assert err.value.key == "screening.already_sampled"
    with pytest.raises(ValidationError) as err:
        run_write(
            engine, screening.mark_missed, leader, area.round_id, area.resident("r5"), "refused", now=NOW
        )
    assert err.value.key == "screening.is_exempt"
    with pytest.raises(ValidationError):
        run_write(engine, screening.mark_missed, leader, area.round_id, area.resident("r3"), "gone", now=NOW)


def test_a_grid_leader_cannot_mark_another_grids_resident(engine: Engine, area: w.World) -> None:
    audits = _count(engine, AuditLog)
    other = area.users["grid02"]
    for fn, arg in ((screening.mark_missed, "door_sampled"), (screening.mark_exempt, "away")):
        with pytest.raises(PermissionDenied):
            run_write(engine, fn, other, area.round_id, area.resident("r3"), arg, now=NOW)
    with pytest.raises(PermissionDenied):
        run_write(
            engine,
            screening.mark_missed,
            area.users["viewer"],
            area.round_id,
            area.resident("r3"),
            "refused",
            now=NOW,
        )
    assert _count(engine, MissedFollowUp) == 0
    assert _count(engine, AuditLog) == audits
    assert _missed_labels(engine, area, 1) == ["r3", "r4", "r7"]


def test_marking_a_resident_exempt_takes_them_out_of_due(engine: Engine, area: w.World) -> None:
    run_write(
        engine,
        screening.mark_exempt,
        area.users["grid02"],
        area.round_id,
        area.resident("r10"),
        "away",
        now=NOW,
    )
    assert _missed_labels(engine, area, 2) == []
    with Session(engine) as s:
        p = screening.round_progress(s, area.round_id, w.TODAY)
    assert (p.totals["due"], p.totals["away"]) == (17, 2)


def test_export_of_the_missed_list_masks_names_and_is_audited(engine: Engine, area: w.World) -> None:
    data = run_write(
        engine,
        screening_reports.export_missed,
        area.users["grid01"],
        area.round_id,
        area.grids[1],
        w.TODAY,
        now=NOW,
    )
    sheet = load_workbook(io.BytesIO(data)).active
    rows = [list(r) for r in sheet.iter_rows(min_row=3, values_only=True)]
    assert [r[2:6] for r in rows] == [
        ["B1", "101", "张*丰", "139****0003"],
        ["B1", "102", "李*", "139****0004"],
        ["B2", "201", "王*七", "139****0007"],
    ]
    text = " ".join(str(c) for r in sheet.iter_rows(values_only=True) for c in r if c)
    assert "310112" not in text  # never an ID number
    # The secretary (allowed to export personal data) gets phones, still with masked names.
    data = run_write(
        engine,
        screening_reports.export_missed,
        area.users["shuji"],
        area.round_id,
        area.grids[1],
        w.TODAY,
        now=NOW,
    )
    first = next(load_workbook(io.BytesIO(data)).active.iter_rows(min_row=3, values_only=True))
    assert first[4:6] == ("张*丰", "13900000003")
    with Session(engine) as s:
        actions = s.scalars(select(AuditLog.action).where(AuditLog.action == "screening.export_missed")).all()
    assert len(actions) == 2
    with pytest.raises(PermissionDenied):
        run_write(
            engine,
            screening_reports.export_missed,
            area.users["grid02"],
            area.round_id,
            area.grids[1],
            w.TODAY,
            now=NOW,
        )
    with pytest.raises(PermissionDenied):
        run_write(
            engine,
            screening_reports.export_missed,
            area.users["grid01"],
            area.round_id,
            None,
            w.TODAY,
            now=NOW,
        )


# --- pooled tubes and retests ---------------------------------------------------------------


def test_abnormal_tube_puts_its_ten_members_under_control_with_ten_retests(
    engine: Engine, area: w.World
) -> None:
    opened = run_write(engine, tubes.mark_tube_abnormal, area.users["grid01"], area.round_id, w.TUBE, now=NOW)
    assert len(opened) == 10
    with Session(engine) as s:
        members = tubes.tube_members(s, area.round_id, w.TUBE)
        control = tubes.under_control(s, w.TODAY)
        abnormal = tubes.abnormal_tubes(s, area.round_id)
    assert members["result"].tolist() == ["abnormal"] * 10
    assert members["retest_result"].tolist() == ["pending"] * 10
    assert sorted(control["resident_id"]) == sorted(area.resident(f"t{i}") for i in range(1, 11))
    assert abnormal.values.tolist() == [[w.TUBE, 10, 10]]
    with pytest.raises(ValidationError) as err:
        run_write(engine, tubes.mark_tube_abnormal, area.users["grid01"], area.round_id, w.TUBE, now=NOW)
    assert err.value.key == "screening.tube_already_abnormal"
    with pytest.raises(ValidationError) as err:
        run_write(engine, tubes.mark_tube_abnormal, area.users["grid01"], area.round_id, "T-9999", now=NOW)
    assert err.value.key == "screening.no_tube"


def test_a_grid_leader_cannot_mark_another_grids_tube(engine: Engine, area: w.World) -> None:
    with pytest.raises(PermissionDenied):
        run_write(engine, tubes.mark_tube_abnormal, area.users["grid02"], area.round_id, w.TUBE, now=NOW)
    assert _count(engine, Retest) == 0


def test_retest_positive_becomes_a_case_negative_releases(engine: Engine, area: w.World) -> None:
    run_write(engine, tubes.mark_tube_abnormal, area.users["grid01"], area.round_id, w.TUBE, now=NOW)
    with Session(engine) as s:
        control = tubes.under_control(s, w.TODAY).set_index("resident_id")
    t1, t2 = area.resident("t1"), area.resident("t2")
    later = NOW + dt.timedelta(hours=3)
    outcome = run_write(
        engine,
        tubes.record_retest,
        area.users["grid01"],
        int(control.loc[t1, "retest_id"]),
        "positive",
        version=int(control.loc[t1, "version"]),
        now=later,
    )
    run_write(
        engine,
        tubes.record_retest,
        area.users["grid01"],
        int(control.loc[t2, "retest_id"]),
        "negative",
        version=int(control.loc[t2, "version"]),
        now=later,
    )
    case_id = outcome.case_id
    with Session(engine) as s:
        case = s.get(Case, case_id)
        assert (case.resident_id, case.channel, case.status, case.source_round_id) == (
            t1,
            "pooled_retest",
            "reported",
            area.round_id,
        )
        assert s.scalars(select(CaseEvent.status).where(CaseEvent.case_id == case_id)).all() == ["reported"]
        transfer = s.scalar(select(Transfer).where(Transfer.case_id == case_id))
        assert transfer is not None and transfer.requested_at == later and transfer.done_at is None
        results = dict(
            s.execute(
                select(ScreeningResult.resident_id, ScreeningResult.result).where(
                    ScreeningResult.resident_id.in_([t1, t2]), ScreeningResult.round_id == area.round_id
                )
            ).all()
        )
        assert results == {t1: "positive", t2: "negative"}
        remaining = tubes.under_control(s, w.TODAY)
        assert len(remaining) == 8
    assert t1 not in set(remaining["resident_id"]) and t2 not in set(remaining["resident_id"])
    # Recording again on the version seen before is refused as a stale edit; a done retest is done.
    with pytest.raises(StaleEdit):
        run_write(
            engine,
            tubes.record_retest,
            area.users["grid01"],
            int(control.loc[t2, "retest_id"]),
            "positive",
            version=int(control.loc[t2, "version"]),
            now=later,
        )
    with pytest.raises(ValidationError) as err:
        run_write(
            engine,
            tubes.record_retest,
            area.users["grid01"],
            int(control.loc[t2, "retest_id"]),
            "positive",
            version=int(control.loc[t2, "version"]) + 1,
            now=later,
        )
    assert err.value.key == "screening.retest_done"


def test_a_grid_leader_cannot_record_another_grids_retest(engine: Engine, area: w.World) -> None:
    run_write(engine, tubes.mark_tube_abnormal, area.users["shuji"], area.round_id, w.TUBE, now=NOW)
    with Session(engine) as s:
        first = tubes.under_control(s, w.TODAY).iloc[0]
    with pytest.raises(PermissionDenied):
        run_write(
            engine,
            tubes.record_retest,
            area.users["grid02"],
            int(first["retest_id"]),
            "positive",
            version=int(first["version"]),
            now=NOW,
        )
    assert _count(engine, Case) == 1  # only the world's own case


# --- antigen line lists ---------------------------------------------------------------------


def _antigen_round(engine: Engine, area: w.World) -> int:
    return run_write(engine, screening.create_round, area.users["shuji"], "antigen", w.TODAY, "all", now=NOW)


def test_household_antigen_line_list_and_positive_recheck(engine: Engine, area: w.World) -> None:
    round_id = _antigen_round(engine, area)
    r1, r2, r3 = (area.resident(x) for x in ("r1", "r2", "r3"))
    counts = run_write(
        engine,
        tubes.record_household_antigen,
        area.users["grid01"],
        round_id,
        area.households["101"],
        {r1: "negative", r2: "positive", r3: "not_done"},
        now=NOW,
    )
    assert counts == {"negative": 1, "positive": 1, "not_done": 1}
    with Session(engine) as s:
        members = tubes.household_members(s, area.households["101"], round_id).set_index("resident_id")
        retests = s.execute(
            select(Retest.resident_id, Retest.result).where(Retest.round_id == round_id)
        ).all()
        control = tubes.under_control(s, w.TODAY)
        p = screening.round_progress(s, round_id, w.TODAY)
    assert members.loc[r1, ["result", "method"]].tolist() == ["negative", "self"]
    assert members.loc[r2, "result"] == "positive"
    assert pd.isna(members.loc[r3, "result"])
    assert retests == [(r2, "pending")]
    assert control["resident_id"].tolist() == [r2] and control["kind"].tolist() == ["antigen"]
    assert p.totals["sampled"] == 2
    # A correction: r2 did not test after all → the row goes, the recheck stays for the leader to close.
    run_write(
        engine,
        tubes.record_household_antigen,
        area.users["grid01"],
        round_id,
        area.households["101"],
        {r2: "not_done"},
        now=NOW,
    )
    with Session(engine) as s:
        assert screening.round_progress(s, round_id, w.TODAY).totals["sampled"] == 1


def test_antigen_line_list_is_grid_scoped_and_checked(engine: Engine, area: w.World) -> None:
    round_id = _antigen_round(engine, area)
    with pytest.raises(PermissionDenied):
        run_write(
            engine,
            tubes.record_household_antigen,
            area.users["grid02"],
            round_id,
            area.households["101"],
            {area.resident("r1"): "negative"},
            now=NOW,
        )
    with pytest.raises(ValidationError) as err:
        run_write(
            engine,
            tubes.record_household_antigen,
            area.users["grid01"],
            round_id,
            area.households["101"],
            {area.resident("r6"): "negative"},
            now=NOW,
        )
    assert err.value.key == "screening.not_household_members"
    with pytest.raises(ValidationError) as err:
        run_write(
            engine,
            tubes.record_household_antigen,
            area.users["grid01"],
            area.round_id,
            area.households["101"],
            {area.resident("r1"): "negative"},
            now=NOW,
        )
    assert err.value.key == "screening.needs_antigen"
    # 3 exempt + 14 sampled of the PCR round, 3 exempt of the antigen round: nothing more.
    assert _count(engine, ScreeningResult) == 20


# --- trends ---------------------------------------------------------------------------------


def test_coverage_trend_and_antigen_participation(engine: Engine, area: w.World) -> None:
    round_id = _antigen_round(engine, area)
    run_write(
        engine,
        tubes.record_household_antigen,
        area.users["grid02"],
        round_id,
        area.households["301"],
        {area.resident("r9"): "negative", area.resident("r10"): "negative"},
        now=NOW,
    )
    with Session(engine) as s:
        trend = screening_reports.coverage_trend(s, w.TODAY).set_index("kind")
        part = screening_reports.antigen_participation(s, w.TODAY).set_index("grid")
        earlier = screening_reports.coverage_trend(s, w.TODAY - dt.timedelta(days=1))
    assert trend.loc["pcr", ["due", "sampled", "coverage"]].tolist() == [18, 14, round(14 / 18, 4)]
    assert trend.loc["antigen", ["due", "sampled"]].tolist() == [18, 2]
    assert part.loc[2, ["due", "sampled", "participation"]].tolist() == [2, 2, 1.0]
    assert part.loc[1, ["due", "sampled", "participation"]].tolist() == [16, 0, 0.0]
    assert earlier.empty
    assert screening_reports.coverage_chart(trend.reset_index()).data
    assert screening_reports.participation_chart(part.reset_index()).data


# --- on the Huamei demo data ----------------------------------------------------------------


def _demo_user(session: Session, username: str):  # noqa: ANN202 - a CurrentUser
    from dashboard import auth
    from db.models import User

    return auth.to_current(session, session.scalar(select(User).where(User.username == username)))


def test_demo_rounds_and_their_coverage(seeded: Session) -> None:
    from seed import story

    trend = screening_reports.coverage_trend(seeded, story.DEMO_TODAY)
    assert (trend["kind"] == "pcr").sum() == story.PCR_ROUNDS
    assert (trend["kind"] == "antigen").sum() == story.ANTIGEN_ROUNDS
    assert trend["coverage"].between(0.95, 1.0).all()
    part = screening_reports.antigen_participation(seeded, story.DEMO_TODAY)
    assert sorted(part["grid"].unique()) == list(range(1, 11))
    round_id = screening.latest_round(seeded, story.DEMO_TODAY, "pcr")
    p = screening.round_progress(seeded, round_id, story.DEMO_TODAY)
    assert p.totals["residents"] == story.RESIDENTS
    assert p.totals["due"] == p.totals["residents"] - p.totals["exempt"]
    assert len(p.by_grid) == 10 and p.by_grid["missed"].sum() == p.totals["missed"] > 0
    assert p.by_building["sampled"].sum() == p.totals["sampled"]
    assert len(screening.missed_residents(seeded, round_id, story.DEMO_TODAY)) == p.totals["missed"]


def test_the_cheap_reads_agree_with_the_full_ones_on_the_demo_data(seeded: Session) -> None:
    """round_totals, round_by_grid and missed_by_grid give what round_progress and missed_residents
    give in full: for the newest PCR and antigen rounds and for sealed-scope rounds, as of the day
    before the round (nobody sampled yet), its day and the day after."""
    held = seeded.execute(
        select(ScreeningRound.id, ScreeningRound.kind, ScreeningRound.date, ScreeningRound.scope).order_by(
            ScreeningRound.date.desc(), ScreeningRound.id.desc()
        )
    ).all()
    sealed = [r for r in held if r.scope == "sealed"][:2]
    picked = [next(r for r in held if r.kind == kind) for kind in ("pcr", "antigen")] + sealed
    assert len(sealed) == 2
    for r in picked:
        for as_of in (r.date - dt.timedelta(days=1), r.date, r.date + dt.timedelta(days=1)):
            full = screening.round_progress(seeded, r.id, as_of)
            assert screening.round_totals(seeded, r.id, as_of) == full.totals
            pd.testing.assert_frame_equal(screening.round_by_grid(seeded, r.id, as_of), full.by_grid)
            missed = screening.missed_residents(seeded, r.id, as_of)
            counts = screening.missed_by_grid(seeded, r.id, as_of)
            expected = {
                g: (len(part), int(part["outcome"].notna().sum())) for g, part in missed.groupby("grid_id")
            }
            assert {g: (m, f) for g, _, m, f in counts.itertuples(index=False)} == expected
            followed = screening.missed_by_grid(seeded, r.id, as_of, followed_only=True)
            assert {g: f for g, _, _, f in followed.itertuples(index=False)} == {
                g: f for g, (_, f) in expected.items() if f
            }


def test_done_when_on_the_demo_data(seeded: Session) -> None:
    """A grid leader imports the day's GBK export, the missed list of the grid updates; re-importing
    changes nothing; an abnormal tube puts its ten members under control with ten retests open."""
    from dashboard.screening_import import import_results, summary
    from db.models import Resident
    from seed import story

    leader = _demo_user(seeded, "grid01")
    round_id = screening.latest_round(seeded, story.DEMO_TODAY, "pcr")
    now = dt.datetime.combine(story.DEMO_TODAY, dt.time(20, 0))
    missed = screening.missed_residents(seeded, round_id, story.DEMO_TODAY, leader.grid_id)
    assert len(missed) >= 2
    chosen = missed.head(2)
    lines = ["身份证号,姓名,手机号,采样时间,试管编号,检测结果"]
    for r in chosen.itertuples():
        res = seeded.get(Resident, int(r.resident_id))
        lines.append(f"{res.id_number or ''},{res.name},{res.phone},2022-05-29 16:05,X-0001,阴性")
    data = ("\r\n".join(lines) + "\r\n").encode("gbk")
    done = import_results(seeded, leader, round_id, data, "0529.csv", now=now)
    assert summary(done)["add"] == 2 and not done.issues
    after = screening.missed_residents(seeded, round_id, story.DEMO_TODAY, leader.grid_id)
    assert len(after) == len(missed) - 2
    assert not set(chosen["resident_id"]) & set(after["resident_id"])
    rows = seeded.scalar(select(func.count()).select_from(ScreeningResult))
    again = import_results(seeded, leader, round_id, data, "0529.csv", now=now)
    assert summary(again)["add"] == summary(again)["update"] == 0
    assert seeded.scalar(select(func.count()).select_from(ScreeningResult)) == rows
    # A full tube of the grid on the test day.
    from db.models import Building, Household

    tube = seeded.execute(
        select(ScreeningResult.tube_no)
        .join(Resident, Resident.id == ScreeningResult.resident_id)
        .join(Household, Household.id == Resident.household_id)
        .join(Building, Building.id == Household.building_id)
        .where(
            ScreeningResult.round_id == round_id,
            Building.grid_id == leader.grid_id,
            ScreeningResult.method == "site",
        )
        .group_by(ScreeningResult.tube_no)
        .having(func.count() == 10)
        .limit(1)
    ).scalar_one()
    opened = tubes.mark_tube_abnormal(seeded, leader, round_id, tube, now=now)
    assert len(opened) == 10
    control = tubes.under_control(seeded, story.DEMO_TODAY, leader.grid_id)
    assert len(control) == 10 and set(control["tube_no"]) == {tube}
