"""People and teams: lists and counts, the roster and who is on duty, scoped roster writes with
stale-edit checks, staff phones masked by role, and the people page in both languages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from dashboard import people
from dashboard.errors import PermissionDenied, StaleEdit, ValidationError
from dashboard.i18n import set_language
from dashboard.store import run_write
from db import make_engine
from db.models import AuditLog, DutyShift, Person
from tests import services_world
from tests.helpers import open_app, texts
from tests.services_world import NOW, TODAY, World, add_guard_shifts, at, build_world, needs_seed
from tests.services_world import D as DAY

SEED_PEOPLE = {"committee_staff": 12, "cadre": 33, "inner_field": 6, "property": 3}


@pytest.fixture
def world_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """The services' hand-made world in a SQLite file the app uses (tests/services_world.py)."""
    yield from services_world.built_for_the_app(tmp_path, monkeypatch)


@pytest.fixture
def world(engine: Engine) -> Iterator[tuple[Engine, World]]:
    with Session(engine) as s, s.begin():
        w = build_world(s)
        add_guard_shifts(s, w)
    yield engine, w


def test_people_lists_and_counts(world) -> None:
    engine, w = world
    with Session(engine) as s:
        counts = people.people_counts(s)
        assert counts["guard"] == 2 and counts["volunteer"] == 2 and counts["cadre.city"] == 1
        assert counts["volunteer.young"] == 2 and counts["inner_field"] == 0
        guards = people.people_list(s, kind="guard")
        assert list(guards["name"]) == ["Guard Qian", "Guard Zhao"] and set(guards["team"]) == {"Guards"}
        teams = people.teams_overview(s).set_index("team")
        assert teams.loc["Guards", "members"] == 2 and teams.loc["Squad A", "kind"] == "transport"
        grids = people.grid_assignment(s).set_index("grid")
        assert grids.loc[1, "committee_staff"] == 1 and grids.loc[2, "total"] == 0


def test_roster_and_who_is_on_duty(world) -> None:
    engine, w = world
    i = w.ids
    with Session(engine) as s:
        day = people.roster(s, DAY)
        assert len(day) == 6  # the night shift from the 19th reaches into the 20th
        assert set(people.roster(s, DAY, team_id=i["t_a"])["shift_id"]) == set()
        at_three = people.on_duty(s, at(DAY, 3))
        assert list(at_three["entrance"]) == ["East gate"]  # the north gate's gap: nobody there
        at_one = people.on_duty(s, at(DAY, 13, 30))
        assert sorted(at_one["entrance"]) == ["East gate", "North gate", "North gate"]
        assert people.duty_moment(s, DAY, dt.time(3, 0)) == at(DAY, 3)
        assert people.duty_moment(s, DAY) == at(DAY, 12)
        assert people.duty_moment(s, TODAY).date() == TODAY  # today: now


def test_roster_writes_are_scoped_validated_and_audited(world) -> None:
    engine, w = world
    i, u = w.ids, w.users
    start, end = at(TODAY, 8), at(TODAY, 16)
    row = run_write(
        engine, people.do_add_shift, u["guard"], i["g_1"], start, end, entrance_id=i["e1"], now=NOW
    )
    assert row.team_id == i["t_guard"] and row.entrance_id == i["e1"]
    with pytest.raises(PermissionDenied) as other_team:  # squad A's lead cannot roster a guard
        run_write(engine, people.do_add_shift, u["task"], i["g_1"], start, end, now=NOW)
    assert other_team.value.key == "auth.denied_team"
    with pytest.raises(PermissionDenied):  # grid leaders do not keep the roster
        run_write(engine, people.do_add_shift, u["grid1"], i["g_1"], start, end, now=NOW)
    with pytest.raises(PermissionDenied):  # a person without a team is the managers' to roster
        run_write(engine, people.do_add_shift, u["task"], i["p_staff"], start, end, now=NOW)
    run_write(engine, people.do_add_shift, u["shuji"], i["p_staff"], start, end, task="hotline", now=NOW)
    with pytest.raises(ValidationError) as order:
        run_write(engine, people.do_add_shift, u["guard"], i["g_1"], end, start, now=NOW)
    assert order.value.key == "people.shift_order"
    with pytest.raises(ValidationError) as long:
        run_write(
            engine, people.do_add_shift, u["guard"], i["g_1"], start, start + dt.timedelta(hours=25), now=NOW
        )
    assert long.value.key == "people.shift_too_long"
    with pytest.raises(ValidationError) as far:  # a plan reaches a week ahead, not more
        run_write(
            engine, people.do_add_shift, u["guard"], i["g_1"], NOW + dt.timedelta(days=8),
            NOW + dt.timedelta(days=8, hours=8), now=NOW,
        )  # fmt: skip
    assert far.value.key == "common.future_date"
    with pytest.raises(ValidationError) as task:
        run_write(engine, people.do_add_shift, u["guard"], i["g_1"], start, end, task="x" * 101, now=NOW)
    assert task.value.key == "common.too_long"

    with Session(engine) as s:
        shown = people.roster(s, TODAY, team_id=i["t_guard"])
        stamp = shown.loc[shown["shift_id"] == row.id, "stamp"].item()
    edited = run_write(
        engine, people.do_edit_shift, u["guard"], row.id, start, at(TODAY, 20), stamp=stamp,
        entrance_id=i["e1"], now=NOW,
    )  # fmt: skip
    assert edited.ends_at == at(TODAY, 20)
    with pytest.raises(StaleEdit):  # the stamp the user saw is out of date now
        run_write(engine, people.do_delete_shift, u["guard"], row.id, stamp=stamp, now=NOW)
    with pytest.raises(PermissionDenied):
        run_write(
            engine, people.do_delete_shift, u["task"], row.id, stamp=people.shift_stamp(edited), now=NOW
        )
    run_write(engine, people.do_delete_shift, u["guard"], row.id, stamp=people.shift_stamp(edited), now=NOW)
    with Session(engine) as s:
        actions = s.scalars(
            select(AuditLog.action).where(AuditLog.table_name == "duty_shift").order_by(AuditLog.id)
        ).all()
        assert actions == [
            "services.roster.add",
            "services.roster.add",
            "services.roster.edit",
            "services.roster.delete",
        ]
        assert s.get(DutyShift, row.id) is None


def test_an_edited_shift_is_checked_like_a_new_one(world) -> None:
    engine, w = world
    i, u = w.ids, w.users
    start, end = at(TODAY, 8), at(TODAY, 16)
    row = run_write(
        engine, people.do_add_shift, u["guard"], i["g_1"], start, end, entrance_id=i["e1"], now=NOW
    )
    stamp = people.shift_stamp(row)
    for starts, ends, extra, key in (
        (end, start, {}, "people.shift_order"),
        (start, start + dt.timedelta(hours=25), {}, "people.shift_too_long"),
        (start, end, {"task": "x" * 101}, "common.too_long"),
        (start, end, {"entrance_id": 99_999}, "common.not_found"),
    ):
        for write, args in (
            (people.do_add_shift, (u["guard"], i["g_1"], starts, ends)),
            (people.do_edit_shift, (u["guard"], row.id, starts, ends)),
        ):
            kw = {"stamp": stamp} if write is people.do_edit_shift else {}
            with pytest.raises(ValidationError) as refused:
                run_write(engine, write, *args, now=NOW, **kw, **extra)
            assert refused.value.key == key, (write.__name__, key)


def test_a_shift_listed_beside_guard_shifts_can_be_edited_from_its_stamp(world) -> None:
    """The edit form's stamp is the shift's own (shift_stamp), also when the day's list mixes shifts
    with and without an entrance (a list once stamped them with its columns' float ids: refused)."""
    engine, w = world
    i, u = w.ids, w.users
    courier = run_write(
        engine, people.do_add_shift, u["shuji"], i["p_a"], at(DAY, 9), at(DAY, 11), task="run", now=NOW
    )
    with Session(engine) as s:
        choices = people.shift_choices(s, DAY, None, people.team_ids(s))
        assert choices["entrance_id"].isna().any() and choices["entrance_id"].notna().any()
        for shift_id, stamp in zip(choices["shift_id"], choices["stamp"], strict=True):
            assert stamp == people.shift_stamp(s.get(DutyShift, int(shift_id)))
        stamp = choices.set_index("shift_id").loc[courier.id, "stamp"]
    edited = run_write(
        engine, people.do_edit_shift, u["shuji"], courier.id, at(DAY, 9), at(DAY, 12), stamp=stamp, now=NOW
    )
    assert edited.ends_at == at(DAY, 12)


def test_a_day_lists_every_shift_touching_it(world) -> None:
    """roster() bounds its read by the longest shift (MAX_SHIFT_HOURS): a 24-hour shift that ends
    just inside the day, or starts just before its end, is listed; one ending at midnight is not."""
    engine, w = world
    i, u = w.ids, w.users
    day = TODAY - dt.timedelta(days=1)
    midnight = dt.datetime.combine(day, dt.time())
    longest = dt.timedelta(hours=people.MAX_SHIFT_HOURS)
    ids = [
        run_write(engine, people.do_add_shift, u["shuji"], i["p_staff"], start, start + longest, now=NOW).id
        for start in (
            midnight - longest + dt.timedelta(minutes=1),
            midnight - longest,
            midnight + longest / 2,
        )
    ]
    with Session(engine) as s:
        listed = set(people.roster(s, day)["shift_id"])
        assert ids[0] in listed and ids[2] in listed and ids[1] not in listed
        on = set(people.on_duty(s, midnight)["shift_id"])
        assert ids[0] in on and ids[1] not in on


def test_the_pages_lists_are_the_single_reads(world) -> None:
    engine, w = world
    with Session(engine) as s:
        lists = people.people_lists(s, "en", True)
        assert lists.counts == people.people_counts(s) and lists.teams == people.team_names(s)
        assert lists.entrances == people.entrance_names(s) and lists.grids == people.grid_names(s)
        assert lists.persons == people.person_labels(s, "en")
        assert lists.teams_table.equals(people.teams_table(s, "en"))
        assert lists.grid_assignment.equals(people.grid_assignment(s))
        viewer = people.people_lists(s, "en", False)
        assert viewer.persons == {} and viewer.grids == {} and viewer.teams == lists.teams


def test_the_pages_reads_are_the_lists_in_words(world) -> None:
    engine, w = world
    i, u = w.ids, w.users
    with Session(engine) as s:
        listed = people.people_list(s)
        table = people.people_table(s, None, None, "en")
        assert list(table.columns) == people.PEOPLE_SHOWN and list(table["name"]) == list(listed["name"])
        assert table.set_index("name").loc["Driver Chen", ["kind", "cadre_level", "volunteer_kind"]].tolist() == [
            "Sent-down cadre", "City", ""
        ]  # fmt: skip
        assert people.people_table(s, "guard", None, "zh")["kind"].tolist() == ["值守人员"] * 2
        assert people.team_names(s) == dict(
            zip(people.teams_overview(s)["team_id"], people.teams_overview(s)["team"], strict=True)
        )
        assert people.grid_names(s) == {i["g1"]: "1", i["g2"]: "2"}
        labels = people.person_labels(s, "en")
        assert list(labels) == list(listed["person_id"]) and labels[i["g_1"]] == "Guard Qian · Guard"
        record = people.person_record(s, i["p_staff"])
        assert record["stamp"] == listed.set_index("person_id").loc[i["p_staff"], "stamp"]
        assert (record["team_id"], record["staff_grid_id"], record["active"]) == (None, i["g1"], True)
        # The roster: the editors' scope, the members they may put on it, the shifts they may edit.
        assert people.roster_scope(u["shuji"]) == (True, None) and people.roster_scope(u["guard"]) == (
            True,
            i["t_guard"],
        )
        assert people.roster_scope(u["grid1"]) == (False, None)
        assert people.team_ids(s) == sorted(people.team_names(s)) and people.team_ids(s, i["t_guard"]) == [
            i["t_guard"]
        ]
        assert list(people.teams_for(s, u["guard"])["team_id"]) == [i["t_guard"]]
        assert people.roster_members(s, [i["t_guard"]]) == {
            i["g_1"]: "Guard Qian · Guards",
            i["g_2"]: "Guard Zhao · Guards",
        }
        shown = people.roster_table(s, DAY)
        assert list(shown.columns) == people.ROSTER_SHOWN and len(shown) == 6
        assert shown["starts_at"].iloc[0] == "05-19 20:00" and shown["entrance"].iloc[0] == "North gate"
        choices = people.shift_choices(s, DAY, None, [i["t_a"]])
        assert choices.empty
        choices = people.shift_choices(s, DAY, None, people.team_ids(s))
        assert list(choices["shift_id"]) == list(people.roster(s, DAY)["shift_id"])
        assert choices["span"].iloc[0] == "05-19 20:00–05-20 02:00"
        assert people.guard_labels(s, None, None) == {i["g_1"]: "Guard Qian", i["g_2"]: "Guard Zhao"}
        assert people.guard_labels(s, i["t_a"], i["t_a"]) == {i["p_a"]: "Courier Sun"}
        assert people.entrance_names(s) == {i["e1"]: "East gate", i["e2"]: "North gate", i["e3"]: "West gate"}
        moment, duty = people.on_duty_table(s, DAY, "13:30:00", "en")
        assert moment == at(DAY, 13, 30) and list(duty.columns) == people.ON_DUTY_SHOWN
        assert sorted(duty["entrance"]) == ["East gate", "North gate", "North gate"] and set(
            duty["kind"]
        ) == {"Guard"}
    assert people.now_on(TODAY, dt.datetime(2030, 1, 2, 3, 4, 5, 6)) == dt.datetime.combine(
        TODAY, dt.time(3, 4, 5)
    )


def test_people_edits_belong_to_managers(world) -> None:
    engine, w = world
    i, u = w.ids, w.users
    added = run_write(
        engine, people.do_add_person, u["shuji"], "Cadre Xu", "cadre", cadre_level="district",
        phone="139 1111 3333", grid_id=i["g2"], now=NOW,
    )  # fmt: skip
    assert added.phone == "13911113333" and added.cadre_level == "district" and added.volunteer_kind is None
    with pytest.raises(PermissionDenied):
        run_write(
            engine, people.do_add_person, u["grid1"], "Someone", "volunteer", volunteer_kind="young", now=NOW
        )
    with pytest.raises(ValidationError) as phone:
        run_write(engine, people.do_add_person, u["shuji"], "Someone", "guard", phone="12345", now=NOW)
    assert phone.value.key == "common.bad_phone"
    with pytest.raises(ValidationError) as level:
        run_write(engine, people.do_add_person, u["shuji"], "Someone", "cadre", now=NOW)
    assert level.value.key == "common.bad_choice"
    with Session(engine) as s:
        stamp = people.people_list(s, kind="cadre").set_index("person_id").loc[added.id, "stamp"]
    moved = run_write(
        engine, people.do_assign_person, u["shuji"], added.id, stamp=stamp, team_id=i["t_med"], grid_id=i["g1"],
        phone="13911113333", active=True, now=NOW,
    )  # fmt: skip
    assert (moved.team_id, moved.grid_id) == (i["t_med"], i["g1"])
    with pytest.raises(StaleEdit):
        run_write(
            engine, people.do_assign_person, u["shuji"], added.id, stamp=stamp, team_id=None, grid_id=None,
            phone="", active=False, now=NOW,
        )  # fmt: skip
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Person).where(Person.name == "Someone")) == 0


def test_staff_phones_are_masked_by_role(world) -> None:
    _, w = world
    u = w.users
    df = pd.DataFrame({"person_name": ["Guard Qian"], "phone": ["13911112222"]})
    assert people.mask_staff(df, u["shuji"]).iloc[0].tolist() == ["Guard Qian", "13911112222"]
    assert people.mask_staff(df, u["grid1"]).iloc[0].tolist() == ["Guard Qian", "13911112222"]
    assert people.mask_staff(df, u["task"]).iloc[0].tolist() == ["Guard Qian", "139****2222"]
    assert list(people.mask_staff(df, u["viewer"]).columns) == ["person_name"]
    assert people.mask_staff(df, u["viewer"]).iloc[0, 0] == "G********n"
    assert people.mask_staff(df, u["shuji"], meeting=True).columns.empty
    assert people.mask_staff(df, u["meeting"]).columns.empty


@needs_seed
def test_the_seeds_people(seeded: Session) -> None:
    counts = people.people_counts(seeded)
    for kind, n in SEED_PEOPLE.items():
        assert counts[kind] == n, kind
    assert counts["cadre.city"] + counts["cadre.district"] + counts["cadre.street"] == 33
    teams = people.teams_overview(seeded)
    assert {"disinfection", "transport", "medicine", "patrol", "transfer", "guard"} <= set(teams["kind"])
    assert (teams["kind"] == "transport").sum() == 2
    # Both open entrances are guarded at any hour of the last day.
    duty = people.on_duty(seeded, dt.datetime(2022, 5, 29, 3, 0))
    assert duty["entrance"].dropna().nunique() == 2


# --- the page ---------------------------------------------------------------------------------


def _open(username: str, lang: str, day: dt.date | None = None):
    set_language(lang)
    at_ = open_app(username, lang)
    if day is not None:
        at_.session_state["as_of"] = day
    at_.switch_page("pages/people.py").run()
    assert not at_.exception, at_.exception
    return at_


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_people_page_renders(world_app: World, lang: str) -> None:  # noqa: F811 - the shared fixture
    at_ = _open("shuji", lang, DAY)
    shown = texts(at_)
    if lang == "en":
        assert "People & roster" in shown and "On duty at 2022-05-20 12:00: 2" in shown
        assert "Roster of 2022-05-20" in shown
    else:
        assert "人员与排班" in shown and "在岗人员：2 人" in shown
    assert "Guard Qian" in shown and "13911112222" in shown


def test_people_page_for_a_viewer_hides_phones(world_app: World) -> None:  # noqa: F811
    at_ = _open("viewer", "en", DAY)
    shown = texts(at_)
    assert "13911112222" not in shown and "Guard Qian" not in shown
    assert not any(b.key == "roster_submit" for b in at_.button)


def test_people_page_roster_form(world_app: World) -> None:  # noqa: F811
    at_ = _open("guardlead", "en", TODAY)
    at_.time_input(key="roster_start").set_value(dt.time(16, 0))
    at_.time_input(key="roster_end").set_value(dt.time(8, 0))
    at_.button(key="roster_submit").click().run()
    assert not at_.exception
    assert any("The end must be after the start" in e.value for e in at_.error)
    at_.date_input(key="roster_end_day").set_value(TODAY + dt.timedelta(days=1))
    at_.button(key="roster_submit").click().run()
    assert not at_.exception and not at_.error
    engine = make_engine()
    with Session(engine) as s:
        added = s.scalars(select(DutyShift).where(DutyShift.starts_at == at(TODAY, 16))).all()
        assert len(added) == 1 and added[0].ends_at == at(TODAY, 32)
    engine.dispose()


@needs_seed
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("username", ["shuji", "grid01", "task", "viewer"])
def test_people_page_on_the_demo(app_db: str, username: str, lang: str) -> None:
    from dashboard.i18n import t

    set_language(lang)
    at_ = open_app(username, lang, page="pages/people.py")
    assert not at_.exception, at_.exception
    assert not at_.error, [e.value for e in at_.error]
    assert t("people.roster_day", date="2022-05-29") in texts(at_)
    assert t("people.tab_on_duty") in [tab.label for tab in at_.tabs]
    assert any(m.label == t("code.person_kind.cadre") and m.value == "33" for m in at_.metric)
