"""The services page under AppTest, in both languages and for each role, on the hand-made world
(tests/services_world.py) and on the Huamei demo: the four services shown, the forms saving and
refusing, no personal data in meeting mode.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboard import courier, disinfection, entrances, medicine, people
from dashboard.i18n import set_language, t
from db import make_engine
from db.models import (
    CourierCount,
    DisinfectionRecord,
    MedicineRequest,
)
from tests import services_world
from tests.helpers import open_app, texts
from tests.services_world import TODAY, D, World, at, disinfect, needs_seed


@pytest.fixture
def world_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield from services_world.built_for_the_app(tmp_path, monkeypatch)


def test_the_pages_column_headings_are_in_the_catalogue() -> None:
    from dashboard import i18n
    from pages.sections import (
        services_courier,
        services_disinfection,
        services_entrances,
        services_medicine,
    )

    tables = {
        "requests": (services_medicine.REQUEST_HEADINGS, medicine.REQUESTS_SHOWN),
        "check": (services_medicine.CHECK_HEADINGS, medicine.CHECK_SHOWN),
        "runs": (services_medicine.RUN_HEADINGS, medicine.RUNS_SHOWN),
        "by shift": (services_courier.SHIFT_HEADINGS, courier.BY_SHIFT_SHOWN),
        "by squad": (services_courier.SHIFT_HEADINGS, courier.BY_SQUAD_SHOWN),
        "by grid": (services_courier.SHIFT_HEADINGS, courier.BY_GRID_SHOWN),
        "targets": (services_disinfection.HEADINGS, disinfection.TARGETS_SHOWN),
        "records": (services_disinfection.HEADINGS, disinfection.RECORDS_SHOWN),
        "gaps": (services_entrances.GAP_HEADINGS, entrances.GAPS_SHOWN),
        "coverage": (services_entrances.COVERAGE_HEADINGS, entrances.COVERAGE_SHOWN),
        "states": (services_entrances.STATE_HEADINGS, entrances.STATES_SHOWN),
        "shifts": (services_entrances.SHIFT_HEADINGS, entrances.SHIFTS_SHOWN),
        "history": (services_entrances.HISTORY_HEADINGS, entrances.HISTORY_SHOWN),
    }
    for name, (headings, shown) in tables.items():
        assert [k for k in headings.values() if not i18n.has(k)] == [], name
        # Every column the view gives has a heading, in the order of the headings.
        assert [c for c in headings if c in shown] == shown, name


def _open(username: str, lang: str, day: dt.date | None = None):
    set_language(lang)  # the script thread takes the test thread's language (as in test_supplies)
    at_ = open_app(username, lang)
    if day is not None:
        at_.session_state["as_of"] = day
    at_.switch_page("pages/services.py").run()
    assert not at_.exception, at_.exception
    return at_


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_services_page_shows_the_four_services(world_app: World, lang: str) -> None:
    at_ = _open("shuji", lang, D)
    shown = texts(at_)
    assert not at_.exception
    if lang == "en":
        assert "Next hospital run" in shown and "2022-05-24" in shown
        assert "1 unguarded stretches found" in shown and "North gate" in shown
        assert "Targets still undone" in shown and "Gate to site" in shown
    else:
        assert "下次配药车" in shown and "发现 1 段无人值守" in shown
    assert "Wang Three" in shown and "Li Six" in shown  # the secretary sees names in full


def test_services_page_courier_form_saves_and_refuses(world_app: World) -> None:
    at_ = _open("task", "en", TODAY)
    form = "courier"
    at_.number_input(key=f"{form}_received").set_value(5)
    at_.number_input(key=f"{form}_delivered").set_value(9)
    at_.button(key=f"{form}_submit").click().run()
    assert not at_.exception
    assert any("more than the 5 available" in e.value for e in at_.error)
    at_.number_input(key=f"{form}_delivered").set_value(4)
    at_.button(key=f"{form}_submit").click().run()
    assert not at_.exception and not at_.error
    engine = make_engine()
    with Session(engine) as s:
        row = s.scalar(select(CourierCount))
        assert (row.received, row.delivered, row.team_id) == (5, 4, world_app.ids["t_a"])
    engine.dispose()


def test_services_page_for_a_grid_leader_and_a_viewer(world_app: World) -> None:
    at_ = _open("grid02", "zh", D)
    assert not at_.exception
    shown = texts(at_)
    assert "Wang Three" in shown  # own grid in full
    assert "Zhang One" not in shown  # another grid's resident is masked
    viewer = _open("viewer", "en", D)
    assert "Your role can only read this." in texts(viewer)
    assert "Zhang One" not in texts(viewer)


def test_services_page_medicine_form(world_app: World) -> None:
    at_ = _open("grid01", "en", TODAY)
    at_.text_area(key="med_medicines").set_value("nifedipine 10mg x 30")
    at_.button(key="med_submit").click().run()
    assert not at_.exception and not at_.error
    engine = make_engine()
    with Session(engine) as s:
        assert s.scalar(select(func.count()).where(MedicineRequest.medicines == "nifedipine 10mg x 30")) == 1
    engine.dispose()
    at_.text_area(key="med_medicines").set_value("")
    at_.button(key="med_submit").click().run()
    assert any("is required" in e.value for e in at_.error)


def test_people_module_is_importable_from_services_tests() -> None:
    assert people.PLAN_AHEAD_DAYS == 7


def test_services_page_disinfection_form(world_app: World) -> None:
    at_ = _open("dis", "en", TODAY)
    assert not any(b.key == "courier_submit" for b in at_.button)  # not a courier squad
    at_.radio(key="dis_kind").set_value("route")
    at_.run()
    at_.text_input(key="dis_agent").set_value("")
    at_.button(key="dis_submit").click().run()
    assert any("is required" in e.value for e in at_.error)
    at_.text_input(key="dis_agent").set_value("peracetic acid")
    at_.button(key="dis_submit").click().run()
    assert not at_.exception and not at_.error
    engine = make_engine()
    with Session(engine) as s:
        row = s.scalar(select(DisinfectionRecord))
        assert (row.target_kind, row.route_id, row.agent) == (
            "route",
            world_app.ids["route1"],
            "peracetic acid",
        )
        assert row.team_id == world_app.ids["t_dis"] and row.date == TODAY
    engine.dispose()


def test_services_page_disinfection_picker_puts_todays_undone_first(world_app: World) -> None:
    i, u = world_app.ids, world_app.users
    engine = make_engine()
    for building in (i["b1"], i["b3"]):  # both done on D, both still to do today
        disinfect(engine, u["shuji"], "building", building, at(D, 9))
    engine.dispose()
    at_ = _open("shuji", "en", D)  # a past day: the form records for today
    first = t("services.dis.required_first", lang="en")
    options = list(at_.selectbox(key="dis_target").options)
    assert [o.endswith(first) for o in options] == [True, True, False]
    assert options[2] == "Compound A B2"


def test_services_page_run_form(world_app: World) -> None:
    at_ = _open("shuji", "en", TODAY)
    assert "Driver Chen" in at_.selectbox(key="run_driver").options
    at_.date_input(key="run_date").set_value(TODAY + dt.timedelta(days=3))
    at_.text_input(key="run_hospitals").set_value("Renji")
    at_.selectbox(key="run_driver").set_value(world_app.ids["p_driver"])
    at_.button(key="run_save").click().run()
    assert not at_.exception and not at_.error
    assert "Renji" in texts(at_)  # the list of runs has the run just planned


def test_services_page_in_meeting_mode_shows_no_personal_data(world_app: World) -> None:
    set_language("en")
    at_ = open_app("shuji", "en")
    at_.session_state["as_of"] = D
    at_.session_state["meeting_mode"] = True
    at_.switch_page("pages/services.py").run()
    assert not at_.exception
    shown = texts(at_)
    assert "Personal lists are hidden in meeting mode." in shown
    for name in ("Wang Three", "Wang Four", "Guard Qian", "Driver Chen", "13800000000", "13911112222"):
        assert name not in shown, name
    assert "1 unguarded stretches found" in shown  # the figures stay
    assert not any(b.key in ("med_submit", "courier_submit", "dis_submit") for b in at_.button)


@needs_seed
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("username", ["shuji", "grid01", "task", "viewer"])
def test_services_page_on_the_demo(app_db: str, username: str, lang: str) -> None:
    from dashboard.i18n import t

    set_language(lang)
    at_ = open_app(username, lang, page="pages/services.py")
    assert not at_.exception, at_.exception
    assert not at_.error, [e.value for e in at_.error]
    shown = texts(at_)
    assert t("services.med.next_run") in shown and "2022-05-31" in shown
    assert t("services.ent.all_covered") in shown  # 29 May: both gates guarded round the clock
    assert t("services.dis.all_done") in shown
    at_.session_state["as_of"] = dt.date(2022, 5, 20)
    at_.run()
    assert not at_.exception
    assert t("services.ent.gaps_warning", n=1) in texts(at_)
