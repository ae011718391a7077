"""The cases page under AppTest, on a copy of the seeded Huamei database: every section as of
6 April in both languages, marking a transfer done (the overview follows), a grid leader reporting a
positive and its contacts, the secretary verifying what a grid leader reported."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from dashboard import cases, overview, transfers
from dashboard.i18n import set_language
from seed import story
from tests.helpers import open_app, texts
from tests.test_cases import APRIL_6, _user, at

PAGE = "pages/cases.py"


def test_the_pages_column_headings_are_in_the_catalogue() -> None:
    from dashboard import i18n
    from pages.sections import cases_board, cases_common

    assert [k for k in cases_common.COLUMN_KEYS.values() if not i18n.has(k)] == []
    shown = set(cases_board.BOARD_SHOWN) | set(transfers.DAILY_SHOWN)
    assert shown <= set(cases_common.COLUMN_KEYS)
    assert all(
        i18n.has(f"cases.sec_{s}") for s in ("board", "report", "register", "contacts", "zones", "sources")
    )


def _on(at, day: dt.date, section: str):  # noqa: ANN001, ANN202 - an AppTest
    at.session_state["as_of"] = day
    at.radio(key="cases_section").set_value(section).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_page_shows_every_section_as_of_april_6(app_db: str, lang: str) -> None:
    set_language(lang)  # the script thread takes the test thread's language
    at = open_app("shuji", lang, PAGE)
    assert not at.exception
    _on(at, APRIL_6, "board")
    shown = texts(at)
    assert ("2022-04-06 待转运名单" if lang == "zh" else "Waiting for transfer on 2022-04-06") in shown
    board = at.dataframe[0].value
    assert len(board) == 41 and board.iloc[0].tolist()[0] == ("阳性" if lang == "zh" else "Case")
    for section in ("report", "register", "contacts", "zones", "sources"):
        _on(at, APRIL_6, section)
    assert ("宅基地 · 租户" if lang == "zh" else "Homestead houses · rented") in texts(at)


def test_page_marking_a_transfer_done_moves_it_off_the_board_and_updates_the_overview(app_db: str) -> None:
    set_language("en")
    at = _on(open_app("shuji", "en", PAGE), APRIL_6, "board")
    before = len(at.dataframe[0].value)
    at.time_input(key="cases_done_time").set_value(dt.time(23, 0))
    submit = next(b for b in at.button if b.label == "Mark transferred")
    submit.click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert len(at.dataframe[0].value) == before - 1
    assert any("Transfer recorded" in s.value for s in at.success)
    from db import make_engine

    engine = make_engine(app_db)
    with Session(engine) as check:
        assert (
            overview.headline(check, APRIL_6)["awaiting_transfer"] == sum(story.TRANSFER_BACKLOG.values()) - 1
        )
    engine.dispose()


def test_page_a_grid_leader_reports_a_positive_then_its_contacts_and_is_refused_a_second_report(
    app_db: str,
) -> None:
    set_language("en")
    at = _on(open_app("grid01", "en", PAGE), story.DEMO_TODAY, "report")
    building = at.selectbox(key="cases_rep_building").value
    from db import make_engine

    engine = make_engine(app_db)
    with Session(engine) as look:
        people = cases.residents_in(look, building)
        household = people.groupby("household_id").size().idxmax()  # a family, so contacts are prefilled
        chosen = int(people.loc[people["household_id"] == household, "resident_id"].iloc[0])
        family = int(people.groupby("household_id").size().max()) - 1
        assert people["grid_id"].eq(_user(look, "grid01").grid_id).all()
    engine.dispose()
    at.selectbox(key="cases_rep_resident").set_value(chosen).run()
    at.time_input(key="cases_rep_time").set_value(dt.time(0, 0))
    next(b for b in at.button if b.label == "Report positive").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("registered" in s.value for s in at.success)
    # The flow continues on the contacts of the new case, household prefilled.
    at.radio(key="cases_section").set_value("contacts").run()
    assert len(at.multiselect(key="cases_con_family").value) == family >= 1
    next(b for b in at.button if b.label == "Add contacts").click().run()
    assert not at.exception and not at.error
    assert any(f"{family} contacts added" in s.value for s in at.success)
    # Nothing left to prefill: submitting an empty form is refused with a message.
    next(b for b in at.button if b.label == "Add contacts").click().run()
    assert at.error and "at least one contact" in at.error[0].value
    # Reporting the same resident again is refused with a message, not a traceback.
    at.radio(key="cases_section").set_value("report").run()
    at.selectbox(key="cases_rep_resident").set_value(chosen)
    at.time_input(key="cases_rep_time").set_value(dt.time(0, 0))
    next(b for b in at.button if b.label == "Report positive").click().run()
    assert not at.exception
    assert at.error and "already has a case" in at.error[0].value


def test_page_the_secretary_verifies_a_case_a_grid_leader_reported_and_the_grid_leader_cannot(
    app_db: str,
) -> None:
    from dashboard import store
    from db import make_engine

    engine = make_engine(app_db)
    with Session(engine) as look:
        grid01 = _user(look, "grid01")
        resident = int(cases.residents_in(look, int(cases.buildings_for(look, grid01.grid_id)["building_id"].iloc[0]))["resident_id"].iloc[0])  # fmt: skip
    reported = store.run_write(
        engine, cases.report_case, grid01, resident, at(story.DEMO_TODAY, 0), "antigen", "asymptomatic"
    )
    engine.dispose()
    set_language("en")
    at_ = _on(open_app("grid01", "en", PAGE), story.DEMO_TODAY, "register")
    assert any("not for your role" in c.value for c in at_.caption)
    set_language("en")
    at_ = _on(open_app("shuji", "en", PAGE), story.DEMO_TODAY, "register")
    assert at_.selectbox(key="cases_step_pick").value == reported.id
    assert at_.radio(key="cases_step_to").value == "verified"
    at_.time_input(key="cases_step_time").set_value(dt.time(0, 0))
    next(b for b in at_.button if b.label == "Confirm").click().run()
    assert not at_.exception and not at_.error, [e.value for e in at_.error]
    assert any(f"Case #{reported.id} is now “Verified”" in s.value for s in at_.success)
    assert at_.radio(key="cases_step_to").options == ["Awaiting transfer", "Home isolation (exception)"]
