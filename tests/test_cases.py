"""Tracing positives and contacts: the case pipeline and its refusals, contacts, the transfer board
(timer, same-day share, marking done), clusters and source analysis — on a small hand-made area for
exact answers, and the Huamei story read back from the seed. The page itself: test_cases_page.py."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from types import SimpleNamespace

import pandas as pd
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from dashboard import cases, contacts, overview, sources, transfers
from dashboard.contacts import NewContact
from dashboard.errors import PermissionDenied, StaleEdit, ValidationError
from dashboard.roles import CurrentUser
from db.models import (
    AuditLog,
    Building,
    Case,
    CaseEvent,
    Compound,
    Contact,
    Entrance,
    Grid,
    Household,
    Resident,
    Retest,
    ScreeningResult,
    ScreeningRound,
    Team,
    Transfer,
    User,
)

D = dt.date(2022, 4, 5)
NOW = dt.datetime(2022, 4, 6, 20, 0)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute))


def build_area(s: Session) -> SimpleNamespace:
    """Two grids; a homestead compound (two houses of rented families) and a public-housing block."""
    g1, g2 = Grid(number=1, name="一网格"), Grid(number=2, name="二网格")
    xu = Compound(name="许家宅", kind="homestead")
    pub = Compound(name="华美新村", kind="public_housing")
    s.add_all([g1, g2, xu, pub])
    s.flush()
    a1 = Building(compound_id=xu.id, grid_id=g1.id, name="1号")
    a2 = Building(compound_id=xu.id, grid_id=g1.id, name="2号")
    b1 = Building(compound_id=pub.id, grid_id=g2.id, name="1号楼")
    s.add_all([a1, a2, b1])
    s.flush()
    homes = {
        "h1": Household(building_id=a1.id, door="1", room="101", size=3, is_rental=True),
        "h2": Household(building_id=a1.id, door="1", room="102", size=2, is_rental=True),
        "h3": Household(building_id=a2.id, door="2", room="201", size=1, is_rental=False),
        "h4": Household(building_id=b1.id, door="3", room="301", size=2, is_rental=False),
    }
    s.add_all(homes.values())
    s.flush()
    people = {
        "r1": ("h1", "张三"), "r2": ("h1", "李四"), "r3": ("h1", "王五"),
        "r4": ("h2", "赵六"), "r5": ("h2", "钱七"), "r6": ("h3", "孙八"),
        "r7": ("h4", "周九"), "r8": ("h4", "吴十"),
    }  # fmt: skip
    residents = {}
    for key, (home, name) in people.items():
        residents[key] = Resident(household_id=homes[home].id, name=name, sex="M", birth_year=1980)
    s.add_all(residents.values())
    gate = Entrance(name="七莘路门", road="七莘路", is_open=True)
    shut = Entrance(name="北门", road="华美路", is_open=False)
    squad = Team(name="内场转运组", kind="transfer")
    other = Team(name="消杀队", kind="disinfection")
    rnd = ScreeningRound(kind="pcr", number=1, date=D)
    s.add_all([gate, shut, squad, other, rnd])
    s.flush()
    users = {}
    for name, role, grid in (("admin", "admin", None), ("shuji", "secretary", None), ("grid01", "grid_leader", g1), ("grid02", "grid_leader", g2)):  # fmt: skip
        row = User(username=name, password_hash="x", role=role, grid_id=grid.id if grid else None)
        s.add(row)
        s.flush()
        users[name] = CurrentUser(
            row.id, name, role, grid_id=row.grid_id, grid_number=grid.number if grid else None
        )
    s.add(
        ScreeningResult(
            round_id=rnd.id, resident_id=residents["r1"].id, sampled_at=at(D, 8), result="abnormal"
        )
    )
    s.add(Retest(round_id=rnd.id, resident_id=residents["r1"].id, opened_at=at(D, 14)))
    s.flush()
    return SimpleNamespace(
        g1=g1.id, g2=g2.id, xu=xu.id, pub=pub.id, a1=a1.id, a2=a2.id, b1=b1.id,
        h={k: v.id for k, v in homes.items()}, r={k: v.id for k, v in residents.items()},
        gate=gate.id, shut=shut.id, squad=squad.id, other_team=other.id, round=rnd.id, **users,
    )  # fmt: skip


@pytest.fixture
def s(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session, session.begin():
        yield session


@pytest.fixture
def area(s: Session) -> SimpleNamespace:
    return build_area(s)


def report(
    s: Session, area: SimpleNamespace, who: str = "r1", when: dt.datetime = at(D, 16), user: str = "grid01"
) -> Case:
    return cases.report_case(
        s, getattr(area, user), area.r[who], when, "pooled_retest", "asymptomatic", now=NOW
    )


def step(s: Session, user: CurrentUser, c: Case, to: str, when: dt.datetime, **kw: object) -> Case:
    now = max(NOW, when)
    return cases.advance_case(s, user, c.id, to, at=when, expected_version=c.version, now=now, **kw)


# --- the case register --------------------------------------------------------------------


def test_report_writes_the_case_its_first_step_its_transfer_request_and_an_audit_row(s, area) -> None:
    c = cases.report_case(
        s, area.grid01, area.r["r1"], at(D, 16), "pooled_retest", "asymptomatic",
        source_round_id=area.round, note="10混1复核", now=NOW,
    )  # fmt: skip
    assert (c.status, c.found_on, c.source_round_id) == ("reported", D, area.round)
    assert [(e.status, e.at, e.user_id) for e in c.events] == [("reported", at(D, 16), area.grid01.id)]
    transfer = s.scalar(select(Transfer).where(Transfer.case_id == c.id))
    assert transfer.requested_at == at(D, 16) and transfer.done_at is None
    log = s.scalar(select(AuditLog).where(AuditLog.action == "cases.report"))
    assert log.record_id == str(c.id) and log.grid_id == area.g1 and log.username == "grid01"


def test_report_refuses_a_second_active_case_a_future_time_and_a_time_before_the_sampling(s, area) -> None:
    with pytest.raises(ValidationError) as e:
        cases.report_case(
            s,
            area.grid01,
            area.r["r1"],
            at(D, 13),
            "pooled_retest",
            "asymptomatic",
            source_round_id=area.round,
            now=NOW,
        )
    assert e.value.key == "common.date_too_early"  # the retest was taken at 14:00
    with pytest.raises(ValidationError) as e:
        report(s, area, when=NOW + dt.timedelta(minutes=1))
    assert e.value.key == "common.future_date"
    with pytest.raises(ValidationError) as e:
        cases.report_case(s, area.grid01, area.r["r1"], at(D, 16), "rumour", "asymptomatic", now=NOW)
    assert e.value.key == "common.bad_choice"
    first = report(s, area)
    with pytest.raises(ValidationError) as e:
        report(s, area, when=at(D, 18))
    assert e.value.key == "cases.already_active"
    # Once recovered, a new infection may be registered, but not dated on or before the recovery.
    for to, when in (
        ("verified", at(D, 17)),
        ("awaiting_transfer", at(D, 18)),
        ("transferred", at(D, 19)),
        ("recovered", NOW),
    ):
        first = step(s, area.shuji, first, to, when, destination="shelter")
    with pytest.raises(ValidationError) as e:
        report(s, area, when=NOW)
    assert e.value.key == "cases.before_recovery"
    assert s.scalar(select(func.count()).select_from(Case)) == 1


def test_a_grid_leader_cannot_report_or_transfer_in_another_grid(s, area) -> None:
    with pytest.raises(PermissionDenied) as e:
        report(s, area, who="r7", user="grid01")
    assert e.value.key == "auth.denied_grid"
    theirs = report(s, area, who="r7", user="grid02")
    theirs = step(s, area.shuji, theirs, "verified", at(D, 17))
    theirs = step(s, area.grid02, theirs, "awaiting_transfer", at(D, 18))
    with pytest.raises(PermissionDenied):
        step(s, area.grid01, theirs, "transferred", at(D, 19), destination="shelter")
    transfer = s.scalar(select(Transfer).where(Transfer.case_id == theirs.id))
    with pytest.raises(PermissionDenied):
        transfers.mark_transfer_done(
            s,
            area.grid01,
            transfer.id,
            at(D, 19),
            destination="shelter",
            expected_version=transfer.version,
            now=NOW,
        )
    with pytest.raises(PermissionDenied):
        transfers.assign_transfer(
            s, area.grid01, transfer.id, entrance_id=area.gate, expected_version=transfer.version, now=NOW
        )
    with pytest.raises(PermissionDenied):
        contacts.add_contacts(
            s, area.grid01, theirs.id, [NewContact(resident_id=area.r["r8"])], identified_on=D, now=NOW
        )
    assert s.scalar(select(Transfer.done_at).where(Transfer.id == transfer.id)) is None
    (contact,) = contacts.add_contacts(s, area.grid02, theirs.id, [NewContact(resident_id=area.r["r8"])], identified_on=D, now=NOW)  # fmt: skip
    with pytest.raises(PermissionDenied):
        contacts.advance_contact(s, area.grid01, contact.id, "notified", at=at(D, 19), expected_version=contact.version, now=NOW)  # fmt: skip


def test_the_pipeline_runs_reported_verified_awaiting_transferred_recovered_with_who_and_when(
    s, area
) -> None:
    c = report(s, area)
    with pytest.raises(PermissionDenied) as e:  # only the epidemic office verifies
        step(s, area.grid01, c, "verified", at(D, 17))
    assert e.value.key == "auth.denied"
    c = step(s, area.shuji, c, "verified", at(D, 17))
    c = step(s, area.grid01, c, "awaiting_transfer", at(D, 17, 30))
    c = step(s, area.grid01, c, "transferred", at(D, 21), destination="shelter")
    c = step(s, area.grid01, c, "recovered", at(D + dt.timedelta(days=9), 10))
    assert (c.status, c.destination, c.verified_at, c.transferred_at, c.recovered_on) == (
        "recovered", "shelter", at(D, 17), at(D, 21), D + dt.timedelta(days=9),
    )  # fmt: skip
    steps = cases.case_steps(s, c.id)
    assert [(x.status, x.username) for x in steps] == [
        ("reported", "grid01"), ("verified", "shuji"), ("awaiting_transfer", "grid01"),
        ("transferred", "grid01"), ("recovered", "grid01"),
    ]  # fmt: skip
    assert s.scalar(select(Transfer.done_at).where(Transfer.case_id == c.id)) == at(D, 21)
    assert (
        s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.table_name == "case_record")) == 5
    )


def test_refused_transitions_leave_the_case_unchanged(s, area) -> None:
    c = report(s, area)
    for to in ("transferred", "recovered", "awaiting_transfer", "reported"):
        with pytest.raises(ValidationError) as e:
            step(s, area.shuji, c, to, at(D, 18), destination="shelter")
        assert e.value.key == "cases.bad_step"
    with pytest.raises(ValidationError) as e:  # before the step before it
        step(s, area.shuji, c, "verified", at(D, 15))
    assert e.value.key == "common.date_too_early"
    with pytest.raises(ValidationError) as e:
        cases.advance_case(
            s,
            area.shuji,
            c.id,
            "verified",
            at=NOW + dt.timedelta(hours=1),
            expected_version=c.version,
            now=NOW,
        )
    assert e.value.key == "common.future_date"
    with pytest.raises(StaleEdit):
        cases.advance_case(
            s, area.shuji, c.id, "verified", at=at(D, 17), expected_version=c.version + 1, now=NOW
        )
    c = step(s, area.shuji, c, "verified", at(D, 17))
    c = step(s, area.shuji, c, "awaiting_transfer", at(D, 18))
    with pytest.raises(ValidationError) as e:  # a transfer goes to a shelter, a hospital or a hotel
        step(s, area.shuji, c, "transferred", at(D, 19), destination="home")
    assert e.value.key == "common.bad_choice"
    with pytest.raises(ValidationError) as e:  # home isolation only with a reason
        step(s, area.shuji, c, "home_isolation", at(D, 19), reason="  ")
    assert e.value.key == "common.required"
    with pytest.raises(PermissionDenied):  # and only by the epidemic office
        step(s, area.grid01, c, "home_isolation", at(D, 19), reason="卧床老人，区里同意居家")
    assert (c.status, len(cases.case_steps(s, c.id))) == ("awaiting_transfer", 3)
    c = step(s, area.shuji, c, "home_isolation", at(D, 19), reason="卧床老人，区里同意居家")
    assert (c.status, c.destination, c.home_isolation_reason) == (
        "home_isolation",
        "home",
        "卧床老人，区里同意居家",
    )
    # Off the board, and not counted as a transfer.
    assert transfers.transfer_board(s, D, now=NOW).empty
    assert transfers.transfer_daily(s, D)["requested"].sum() == 0
    c = step(s, area.shuji, c, "recovered", at(D + dt.timedelta(days=10), 9))
    with pytest.raises(ValidationError):
        step(s, area.shuji, c, "verified", NOW)


def test_register_replays_the_status_as_it_stood_at_the_end_of_a_day(s, area) -> None:
    c = report(s, area)
    c = step(s, area.shuji, c, "verified", at(D, 20))
    c = step(s, area.shuji, c, "awaiting_transfer", at(D + dt.timedelta(days=1), 8))
    c = step(s, area.shuji, c, "transferred", at(D + dt.timedelta(days=1), 15), destination="hospital")
    day0 = cases.case_register(s, D)
    day1 = cases.case_register(s, D + dt.timedelta(days=1))
    assert day0.loc[0, "status"] == "verified" and pd.isna(day0.loc[0, "destination"])
    assert (day1.loc[0, "status"], day1.loc[0, "destination"]) == ("transferred", "hospital")
    assert cases.case_register(s, D - dt.timedelta(days=1)).empty
    assert cases.case_counts(s, D)["verified"] == 1
    assert cases.case_register(s, D, grid_id=area.g2).empty


# --- contacts ------------------------------------------------------------------------------


def test_contacts_are_added_in_one_step_with_the_household_prefilled(s, area) -> None:
    c = report(s, area)
    members = contacts.household_members(s, c.id)
    assert sorted(members["resident_id"]) == sorted([area.r["r2"], area.r["r3"]])
    neighbours = cases.residents_in(s, area.a1, room="102", grid_id=area.g1)
    assert sorted(neighbours["resident_id"]) == sorted([area.r["r4"], area.r["r5"]])
    added = contacts.add_contacts(
        s, area.grid01, c.id,
        [NewContact("close", area.r["r2"]), NewContact("close", area.r["r3"]), NewContact("secondary", area.r["r4"]),
         NewContact("close", outside_name="快递员 刘师傅")],
        identified_on=D, now=NOW,
    )  # fmt: skip
    assert len(added) == 4 and all(x.status == "identified" for x in added)
    # A contact of a contact (次密接 of 密接 r4).
    contacts.add_contacts(
        s,
        area.grid01,
        c.id,
        [NewContact("secondary", area.r["r5"], parent_contact_id=added[2].id)],
        identified_on=D,
        now=NOW,
    )
    listed = contacts.contacts_of(s, D, case_id=c.id)
    assert len(listed) == 5 and "快递员 刘师傅" in set(listed["name"])
    assert listed.set_index("resident_id").loc[area.r["r5"], "parent_contact_id"] == added[2].id
    assert contacts.household_members(s, c.id).empty  # everyone linked already
    for bad, key in (
        ([NewContact("close", area.r["r2"])], "cases.contact_exists"),
        ([NewContact("close", area.r["r1"])], "cases.contact_is_the_case"),
        ([NewContact("close", outside_name=" ")], "common.required"),
        ([NewContact("close", area.r["r6"], parent_contact_id=999)], "cases.bad_parent"),
        ([], "cases.no_contacts"),
    ):
        with pytest.raises(ValidationError) as e:
            contacts.add_contacts(s, area.grid01, c.id, bad, identified_on=D, now=NOW)
        assert e.value.key == key
    with pytest.raises(ValidationError) as e:
        contacts.add_contacts(
            s,
            area.grid01,
            c.id,
            [NewContact("close", area.r["r6"])],
            identified_on=D - dt.timedelta(days=1),
            now=NOW,
        )
    assert e.value.key == "common.date_too_early"
    with pytest.raises(PermissionDenied):  # a resident of grid 2 is not grid 1's to add
        contacts.add_contacts(
            s, area.grid01, c.id, [NewContact("close", area.r["r7"])], identified_on=D, now=NOW
        )
    assert s.scalar(select(func.count()).select_from(Contact)) == 5


def test_a_contact_goes_to_central_quarantine_through_the_transfer_board_and_is_released(s, area) -> None:
    c = report(s, area)
    (k,) = contacts.add_contacts(
        s, area.grid01, c.id, [NewContact("close", area.r["r2"])], identified_on=D, now=NOW
    )
    with pytest.raises(ValidationError):
        contacts.advance_contact(
            s, area.grid01, k.id, "central_quarantine", at=at(D, 17), expected_version=k.version, now=NOW
        )
    k = contacts.advance_contact(
        s, area.grid01, k.id, "notified", at=at(D, 17), expected_version=k.version, now=NOW
    )
    k = contacts.advance_contact(
        s, area.grid01, k.id, "central_quarantine", at=at(D, 18), expected_version=k.version, now=NOW
    )
    board = transfers.transfer_board(s, D, now=NOW)
    mine = board[board["subject"] == "contact"].iloc[0]
    assert (mine["contact_id"], mine["name"], mine["destination"]) == (k.id, "李四", "quarantine_hotel")
    with pytest.raises(ValidationError) as e:  # not released before they have even left
        contacts.advance_contact(
            s, area.grid01, k.id, "released", at=at(D, 19), expected_version=k.version, now=NOW
        )
    assert e.value.key == "cases.release_before_transfer"
    transfers.mark_transfer_done(
        s, area.grid01, int(mine["transfer_id"]), at(D, 22), expected_version=int(mine["version"]), now=NOW
    )
    assert transfers.transfer_board(s, D, now=NOW)["subject"].tolist() == ["case"]
    assert overview.awaiting_transfer(s, D, contacts=True) == 0
    later = dt.datetime(2022, 4, 19, 9)
    k = contacts.advance_contact(
        s, area.grid01, k.id, "released", at=later, expected_version=k.version, now=later
    )
    assert (k.status, k.released_on) == ("released", later.date())
    status = contacts.contacts_of(s, D + dt.timedelta(days=3)).set_index("contact_id")["status"]
    assert status[k.id] == "central_quarantine"  # replayed: still in quarantine on 04-08
    assert contacts.contact_counts(s, later.date())["released"] == 1


# --- the transfer board --------------------------------------------------------------------


def test_the_board_counts_hours_waited_and_turns_red_after_24_hours(s, area) -> None:
    first = report(s, area, "r1", at(D, 9))
    report(s, area, "r6", at(D, 21))
    report(s, area, "r7", at(D + dt.timedelta(days=1), 10), user="grid02")
    # As of 04-05 (a past day): waited until the end of that day; the 04-06 case is not there yet.
    past = transfers.transfer_board(s, D, now=NOW)
    assert past["hours_waited"].tolist() == [15.0, 3.0] and not past["overdue"].any()
    # As of today (04-06, now 20:00): waited until now; the first is beyond 24 h.
    today = transfers.transfer_board(s, NOW.date(), now=NOW)
    assert today["hours_waited"].tolist() == [35.0, 23.0, 10.0]
    assert today["overdue"].tolist() == [True, False, False]
    assert transfers.transfer_board(s, NOW.date(), now=NOW, grid_id=area.g2)["name"].tolist() == ["周九"]
    assert overview.headline(s, NOW.date())["awaiting_transfer"] == 3
    # Marking one done (asking the time) takes it off the board and off the overview.
    row = today.iloc[0]
    for when, key in (
        (at(D, 8), "common.date_too_early"),
        (NOW + dt.timedelta(hours=1), "common.future_date"),
    ):
        with pytest.raises(ValidationError) as e:
            transfers.mark_transfer_done(
                s,
                area.grid01,
                int(row["transfer_id"]),
                when,
                destination="shelter",
                expected_version=int(row["version"]),
                now=NOW,
            )
        assert e.value.key == key
    with pytest.raises(ValidationError) as e:  # not before the epidemic office verified it
        transfers.mark_transfer_done(
            s,
            area.grid01,
            int(row["transfer_id"]),
            at(D, 12),
            destination="shelter",
            expected_version=int(row["version"]),
            now=NOW,
        )
    assert e.value.key == "cases.transfer_needs_status"
    first = step(s, area.shuji, first, "verified", at(D, 10))
    first = step(s, area.grid01, first, "awaiting_transfer", at(D, 10, 30))
    transfers.mark_transfer_done(
        s,
        area.grid01,
        int(row["transfer_id"]),
        at(D, 12),
        destination="shelter",
        expected_version=int(row["version"]),
        now=NOW,
    )
    assert s.get(Case, first.id).status == "transferred"
    assert transfers.transfer_board(s, NOW.date(), now=NOW)["name"].tolist() == ["孙八", "周九"]
    assert overview.headline(s, NOW.date())["awaiting_transfer"] == 2


def _same_board(view: transfers.BoardView, ref: dt.datetime, expected: pd.DataFrame) -> None:
    """The view read at ref holds transfer_board()'s rows (a missing value may be NaN or None:
    the page shows both as blank)."""

    def plain(df: pd.DataFrame) -> list[list[object]]:
        df = df.reset_index(drop=True).astype(object)
        return df.where(df.notna(), None).values.tolist()

    got = transfers.board_at(view, ref)
    assert plain(got[transfers.BOARD_COLUMNS]) == plain(expected)


def test_the_pages_board_view_is_the_board_of_the_day_at_every_moment(s, area) -> None:
    first = report(s, area, "r1", at(D, 9))
    report(s, area, "r6", at(D, 21))
    report(s, area, "r7", at(D + dt.timedelta(days=1), 10), user="grid02")
    first = step(s, area.shuji, first, "verified", at(D, 10))
    first = step(s, area.grid01, first, "awaiting_transfer", at(D, 10, 30))
    row = transfers.transfer_board(s, NOW.date(), now=NOW).iloc[0]
    transfers.mark_transfer_done(
        s, area.grid01, int(row["transfer_id"]), at(NOW.date(), 12), destination="shelter",
        expected_version=int(row["version"]), now=NOW,
    )  # fmt: skip
    # A past day: the board as it stood at the end of that day, whatever the clock says.
    past = transfers.board_view(s, D, NOW.date(), "en")
    assert not past.live
    for clock in (at(D, 1), NOW):
        ref = transfers.board_moment(D, NOW.date(), clock)
        assert ref == transfers.reference_moment(s, D, NOW) == at(D, 23, 59) + dt.timedelta(seconds=59)
        _same_board(past, ref, transfers.transfer_board(s, D, now=NOW))
    # Today: finished at the moment it is read, before and after the 12:00 transfer and the 10:00 report.
    live = transfers.board_view(s, NOW.date(), NOW.date(), "en")
    assert live.live
    for hour, minute in ((0, 5), (9, 59), (10, 0), (11, 59), (12, 0), (12, 1), (20, 0), (23, 59)):
        clock = at(NOW.date(), hour, minute).replace(second=30, microsecond=7)
        ref = transfers.board_moment(NOW.date(), NOW.date(), clock)
        assert ref == clock.replace(microsecond=0)
        expected = transfers.transfer_board(s, NOW.date(), now=ref)
        _same_board(live, ref, expected)
    board = transfers.board_at(live, at(NOW.date(), 11))
    assert board["name"].tolist() == ["张三", "孙八", "周九"]
    assert board["subject_word"].tolist() == ["Case"] * 3
    assert board["overdue"].tolist() == [True, False, False]  # 26 h, 14 h and 1 h
    assert transfers.board_at(live, at(NOW.date(), 13))["name"].tolist() == ["孙八", "周九"]
    assert transfers.board_view(s, NOW.date(), NOW.date(), "zh").rows["subject_word"].tolist()[0] == "阳性"


def test_planning_a_transfer_takes_only_an_open_entrance_and_a_transfer_team(s, area) -> None:
    report(s, area)
    row = transfers.transfer_board(s, D, now=NOW).iloc[0]
    tid, version = int(row["transfer_id"]), int(row["version"])
    with pytest.raises(ValidationError) as e:
        transfers.assign_transfer(
            s, area.grid01, tid, entrance_id=area.shut, expected_version=version, now=NOW
        )
    assert e.value.key == "cases.entrance_closed"
    with pytest.raises(ValidationError) as e:
        transfers.assign_transfer(
            s,
            area.grid01,
            tid,
            entrance_id=area.gate,
            team_id=area.other_team,
            expected_version=version,
            now=NOW,
        )
    assert e.value.key == "cases.not_transfer_team"
    transfers.assign_transfer(
        s, area.grid01, tid, entrance_id=area.gate, route="1号→七莘路门", team_id=area.squad, vehicle="第3批 沪A·12345",
        destination="shelter", expected_version=version, now=NOW,
    )  # fmt: skip
    shown = transfers.transfer_board(s, D, now=NOW).iloc[0]
    assert (shown["entrance"], shown["team"], shown["vehicle"], shown["destination"]) == (
        "七莘路门",
        "内场转运组",
        "第3批 沪A·12345",
        "shelter",
    )
    with pytest.raises(StaleEdit):
        transfers.assign_transfer(
            s, area.grid01, tid, entrance_id=area.gate, expected_version=version, now=NOW
        )
    assert transfers.open_entrances(s)["name"].tolist() == ["七莘路门"]
    assert transfers.transfer_teams(s)["name"].tolist() == ["内场转运组"]


def _move(s: Session, area: SimpleNamespace, c: Case, done: dt.datetime) -> None:
    c = step(s, area.shuji, c, "verified", c.found_at)
    c = step(s, area.shuji, c, "awaiting_transfer", c.found_at)
    step(s, area.shuji, c, "transferred", done, destination="shelter")


def test_daily_figures_give_the_share_moved_the_same_day_and_the_median_hours(s, area) -> None:
    day2 = D + dt.timedelta(days=1)
    _move(s, area, report(s, area, "r1", at(D, 8)), at(D, 12))  # 4 h, same day
    _move(s, area, report(s, area, "r4", at(D, 9)), at(D, 19))  # 10 h, same day
    _move(s, area, report(s, area, "r6", at(D, 20)), at(day2, 10))  # 14 h, next day
    report(s, area, "r7", at(D, 22), user="grid02")  # still waiting
    daily = transfers.transfer_daily(s, day2).set_index("day")
    assert daily.loc[D, "requested"] == 4 and daily.loc[D, "moved_same_day"] == 2
    assert daily.loc[D, "same_day_share"] == 0.5
    assert daily.loc[D, "median_hours"] == 10.0 and daily.loc[D, "waiting"] == 1
    # Replayed as of 04-05 itself, the next-day move had not happened yet.
    first = transfers.transfer_daily(s, D).set_index("day")
    assert (first.loc[D, "moved"], first.loc[D, "median_hours"], first.loc[D, "waiting"]) == (2, 7.0, 2)


def test_correcting_the_time_of_a_past_transfer_keeps_it_between_its_neighbouring_steps(s, area) -> None:
    c = report(s, area, "r1", at(D, 9))
    _move(s, area, c, at(D + dt.timedelta(days=1), 15))
    c = step(s, area.shuji, s.get(Case, c.id), "recovered", NOW)
    row = s.scalar(select(Transfer).where(Transfer.case_id == c.id))
    assert transfers.transfer_board(s, D, now=NOW)["transfer_id"].tolist() == [row.id]
    transfers.mark_transfer_done(s, area.grid01, row.id, at(D, 18), expected_version=row.version, now=NOW)
    assert transfers.transfer_board(s, D, now=NOW).empty
    assert s.get(Case, c.id).transferred_at == at(D, 18)
    moved = s.scalar(select(CaseEvent.at).where(CaseEvent.case_id == c.id, CaseEvent.status == "transferred"))
    assert moved == at(D, 18)
    with pytest.raises(ValidationError):  # not after the recovery that followed it
        transfers.mark_transfer_done(
            s,
            area.grid01,
            row.id,
            NOW + dt.timedelta(minutes=30),
            expected_version=row.version,
            now=NOW + dt.timedelta(hours=1),
        )


# --- source analysis -----------------------------------------------------------------------


def test_clusters_are_two_or_more_cases_in_a_building_fewer_than_seven_days_apart(s, area) -> None:
    cases.report_case(s, area.shuji, area.r["r1"], at(D, 9), "antigen", "asymptomatic", now=NOW)
    cases.report_case(
        s,
        area.shuji,
        area.r["r4"],
        at(D + dt.timedelta(days=6), 9),
        "antigen",
        "asymptomatic",
        now=NOW + dt.timedelta(days=20),
    )
    cases.report_case(
        s,
        area.shuji,
        area.r["r2"],
        at(D + dt.timedelta(days=13), 9),
        "antigen",
        "asymptomatic",
        now=NOW + dt.timedelta(days=20),
    )
    cases.report_case(s, area.shuji, area.r["r6"], at(D, 9), "antigen", "asymptomatic", now=NOW)
    cases.report_case(s, area.shuji, area.r["r7"], at(D, 10), "antigen", "asymptomatic", now=NOW)
    found = sources.clusters(s, D + dt.timedelta(days=20))
    # 1号 (A1): D and D+6 chain; D+13 is 7 days after D+6, a new start (alone: no cluster).
    assert found[["building", "first_on", "last_on", "cases", "households"]].values.tolist() == [
        ["1号", D, D + dt.timedelta(days=6), 2, 2]
    ]
    assert sources.clusters(s, D + dt.timedelta(days=5)).empty


def test_source_analysis_by_housing_household_size_channel_and_household_spread(s, area) -> None:
    later = NOW + dt.timedelta(days=5)
    for who, day, channel in (
        ("r1", D, "pooled_retest"),
        ("r2", D + dt.timedelta(days=2), "antigen"),
        ("r4", D, "antigen"),
        ("r7", D, "symptoms"),
    ):
        cases.report_case(s, area.shuji, area.r[who], at(day, 9), channel, "asymptomatic", now=later)
    housing = sources.cases_by_housing(s, later.date())
    top = housing.iloc[0]
    assert (top["kind"], bool(top["is_rental"]), top["cases"], top["residents"]) == ("homestead", True, 3, 5)
    assert top["per_1000"] == 600.0 and top["share"] == 0.75
    assert sources.housing_label("homestead", True) != sources.housing_label("homestead", False)
    sizes = sources.cases_by_household_size(s, later.date()).set_index("size")["cases"].to_dict()
    assert sizes == {1: 0, 2: 2, 3: 2}
    assert sources.cases_by_channel(s, later.date()).iloc[0].tolist() == ["antigen", 2, 0.5]
    compounds = sources.cases_by_compound(s, later.date())
    assert compounds.iloc[0][["compound", "cases"]].tolist() == ["许家宅", 3]
    spread = sources.household_spread(s, later.date())
    assert (
        spread.households_with_cases,
        spread.households_with_secondary,
        spread.first_cases,
        spread.secondary_cases,
    ) == (3, 1, 3, 1)
    assert spread.secondary_share == 0.25
    by_housing = sources.household_spread_by_housing(s, later.date())
    assert by_housing.iloc[0][["kind", "is_rental", "secondary_cases"]].tolist() == ["homestead", True, 1]
    assert sources.cases_by_building(s, later.date()).iloc[0][
        ["building", "cases", "households_hit", "residents"]
    ].tolist() == ["1号", 3, 2, 5]
    # Figures build without a browser (AppTest cannot draw them).
    assert len(sources.housing_figure(housing).data) == 1
    assert len(sources.curve_figure(sources.daily_cases_by_housing(s, later.date())).data) == 2
    # The page's view: the same tables and figures, in the words of the language asked for.
    view = sources.sources_view(s, later.date(), None, "en")
    assert view.cases == 4 and view.spread == spread
    assert view.leader == {"group": "Homestead houses · rented", "cases": 3, "share": "75%", "rate": 600.0}
    assert view.by_compound.iloc[0][["compound", "kind"]].tolist() == ["许家宅", "Homestead houses"]
    assert sources.sources_view(s, later.date(), later.date(), "en") is None
    # A figure kept as its dict is drawn back the same, without validating it again.
    import plotly.io as pio

    from dashboard import i18n
    from pages.sections.common import figure

    for spec, built in (
        (view.housing_chart, sources.housing_figure(housing, "en")),
        (view.channels_chart, sources.bar_figure(
            sources.cases_by_channel(s, later.date()), "channel", label=i18n.t("cases.col_channel", lang="en"), code_kind="case_channel", lang="en"
        )),
    ):  # fmt: skip
        assert json.loads(pio.to_json(figure(spec), validate=False)) == json.loads(pio.to_json(built))


# --- the Huamei story, read back through these functions -----------------------------------

from seed import story  # noqa: E402

APRIL_6 = dt.date(2022, 4, 6)


def _user(s: Session, username: str) -> CurrentUser:
    from dashboard import auth

    return auth.to_current(s, s.scalar(select(User).where(User.username == username)))


def test_seed_peak_of_21_positives_and_nobody_waiting_after_mid_may(seeded: Session) -> None:
    register = cases.case_register(seeded, story.DEMO_TODAY)
    per_day = register.groupby("found_on").size()
    assert per_day.max() == story.PEAK_COUNT == 21
    assert per_day.idxmax() == story.PEAK_DATE
    assert register["found_on"].max() == story.LAST_POSITIVE
    for offset in range(1, (story.DEMO_TODAY - dt.date(2022, 5, 15)).days + 1):
        day = dt.date(2022, 5, 15) + dt.timedelta(days=offset)
        board = transfers.transfer_board(seeded, day)
        assert board.empty, day
        counts = cases.case_counts(seeded, day)
        assert counts["reported"] == counts["verified"] == counts["awaiting_transfer"] == 0, day


def test_seed_board_on_april_6_shows_who_waited_and_marking_one_moves_it_off(seeded: Session) -> None:
    board = transfers.transfer_board(seeded, APRIL_6)
    waiting = board[board["subject"] == "case"]
    assert len(waiting) >= story.TRANSFER_BACKLOG[dt.date(2022, 4, 5)]
    assert waiting["overdue"].any() and waiting["hours_waited"].max() > 24
    assert (board["hours_waited"] > 0).all()
    before = overview.headline(seeded, APRIL_6)["awaiting_transfer"]
    assert before == len(waiting)
    first = waiting.iloc[0]
    transfers.mark_transfer_done(
        seeded,
        _user(seeded, "shuji"),
        int(first["transfer_id"]),
        at(APRIL_6, 22),
        expected_version=int(first["version"]),
    )
    after = transfers.transfer_board(seeded, APRIL_6)
    assert int(first["transfer_id"]) not in set(after["transfer_id"])
    assert overview.headline(seeded, APRIL_6)["awaiting_transfer"] == before - 1
    # A contact waiting for the hotel bus: once moved, they count as in central quarantine that day.
    contact = board[board["subject"] == "contact"].iloc[0]
    quarantined = contacts.contact_counts(seeded, APRIL_6)["central_quarantine"]
    transfers.mark_transfer_done(
        seeded, _user(seeded, "shuji"), int(contact["transfer_id"]), at(APRIL_6, 23), expected_version=int(contact["version"])
    )  # fmt: skip
    assert contacts.contact_counts(seeded, APRIL_6)["central_quarantine"] == quarantined + 1
    assert (
        overview.headline(seeded, APRIL_6)["contacts_awaiting_transfer"]
        == (board["subject"] == "contact").sum() - 1
    )


def test_seed_transfer_figures_show_the_backlog_days_and_same_day_otherwise(seeded: Session) -> None:
    daily = transfers.transfer_daily(seeded, dt.date(2022, 4, 30)).set_index("day")
    assert daily.loc[story.PEAK_DATE, "same_day_share"] < 1
    assert daily.loc[story.PEAK_DATE, "requested"] == story.PEAK_COUNT
    normal = daily.drop(index=list(story.TRANSFER_BACKLOG))
    assert (normal["same_day_share"] >= 0.6).all()
    assert normal["median_hours"].median() < 12


def test_seed_zones_step_down_on_the_right_days_after_the_last_positive(seeded: Session) -> None:
    from dashboard import zones

    last = story.LAST_POSITIVE
    assert zones.zone_counts(seeded, last + dt.timedelta(days=6))["sealed"] >= 1
    assert zones.zone_counts(seeded, last + dt.timedelta(days=7))["sealed"] == 0
    assert zones.zone_counts(seeded, last + dt.timedelta(days=13))["controlled"] >= 1
    assert zones.zone_counts(seeded, last + dt.timedelta(days=14)) == {"sealed": 0, "controlled": 0, "precaution": zones.zone_counts(seeded, last)["precaution"] + zones.zone_counts(seeded, last)["sealed"] + zones.zone_counts(seeded, last)["controlled"]}  # fmt: skip
    board = zones.building_board(seeded, last)
    sealed_today = board[board["last_case"] == last]
    assert not sealed_today.empty
    assert (sealed_today["steps_down_on"] == last + dt.timedelta(days=7)).all()
    assert (sealed_today["days_left"] == 7).all()
    building = int(sealed_today["building_id"].iloc[0])
    history = zones.zone_history(seeded, building_id=building, until=story.DEMO_TODAY)
    assert history.iloc[0]["start_on"] == story.FIRST_DAY
    tail = history.tail(3)[["zone", "start_on", "end_on"]].values.tolist()
    assert tail == [
        ["sealed", tail[0][1], last + dt.timedelta(days=6)],
        ["controlled", last + dt.timedelta(days=7), last + dt.timedelta(days=13)],
        ["precaution", last + dt.timedelta(days=14), story.DEMO_TODAY],
    ]


def test_seed_source_analysis_shows_homestead_rented_houses_leading_april(seeded: Session) -> None:
    april = dict(since=dt.date(2022, 4, 1))
    housing = sources.cases_by_housing(seeded, dt.date(2022, 4, 30), **april)
    top = housing.iloc[0]
    assert (top["kind"], bool(top["is_rental"])) == ("homestead", True)
    assert top["per_1000"] == housing["per_1000"].max()
    assert sources.cases_by_compound(seeded, dt.date(2022, 4, 30), **april).iloc[0]["kind"] == "homestead"
    found = sources.clusters(seeded, dt.date(2022, 4, 30), **april)
    assert len(found) >= 5 and (found["cases"] >= 2).all()
    spread = sources.household_spread(seeded, dt.date(2022, 4, 30), **april)
    assert (
        spread.secondary_cases > 0 and spread.first_cases + spread.secondary_cases == housing["cases"].sum()
    )


# --- the page --------------------------------------------------------------------------------


def test_the_database_itself_refuses_a_second_active_case_and_a_duplicate_contact(engine: Engine) -> None:
    from sqlalchemy.exc import IntegrityError

    with Session(engine) as s:
        area = build_area(s)
        kw = {"found_on": D, "found_at": at(D, 9), "channel": "antigen", "severity": "asymptomatic"}
        s.add(Case(resident_id=area.r["r1"], status="recovered", **kw))
        first = Case(resident_id=area.r["r1"], status="reported", **kw)
        s.add(first)
        s.commit()
        s.add(Case(resident_id=area.r["r1"], status="verified", **kw))  # two reports racing past the check
        with pytest.raises(IntegrityError):
            s.commit()
        s.rollback()
        s.add(Contact(case_id=first.id, resident_id=area.r["r2"], kind="close", identified_on=D))
        s.commit()
        s.add(Contact(case_id=first.id, resident_id=area.r["r2"], kind="secondary", identified_on=D))
        with pytest.raises(IntegrityError):
            s.commit()
