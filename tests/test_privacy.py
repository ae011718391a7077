"""Personal data: masking per role (privacy.mask), and on the Huamei data every page of the app —
whoever wrote it — shows no resident's name, phone or ID number in meeting mode, and a grid leader
sees no other grid's residents in full."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard import nav, privacy
from dashboard.roles import CurrentUser, sees_contact_details, sees_personal
from db import make_engine
from db.models import Grid
from tests import page_scan
from tests.helpers import open_app

G1, G2 = 11, 22  # grid ids
ROWS = pd.DataFrame(
    {
        "grid_id": [G1, G2],
        "name": ["张小明", "欧阳娜娜"],
        "head_name": ["张大明", "欧阳修"],
        "phone": ["19900001234", "19900005678"],
        "id_number": ["310112195001011235", "310112197003031239"],
        "tests": [3, 4],
    }
)
MASKED = {
    "name": ["张*明", "欧**娜"],
    "head_name": ["张*明", "欧*修"],
    "phone": ["199****1234", "199****5678"],
    "id_number": ["310***********1235", "310***********1239"],
}
FULL = {c: list(ROWS[c]) for c in MASKED}


def _user(role: str, grid_id: int | None = None, team_id: int | None = None) -> CurrentUser:
    return CurrentUser(id=1, username=role, role=role, grid_id=grid_id, team_id=team_id)


def test_the_masks_keep_only_a_hint() -> None:
    assert privacy.mask_name("张三") == "张*"
    assert privacy.mask_name("张小明") == "张*明"
    assert privacy.mask_name("欧阳小明") == "欧**明"
    assert privacy.mask_phone("13812341234") == "138****1234"
    assert privacy.mask_id("310112195001011235") == "310***********1235"
    assert privacy.mask_name(None) == privacy.mask_phone("") == privacy.mask_id(None) == ""


@pytest.mark.parametrize("role", ["admin", "secretary"])
def test_managers_see_everything_in_full(role: str) -> None:
    shown = privacy.mask(ROWS, _user(role))
    assert {c: list(shown[c]) for c in MASKED} == FULL
    assert list(shown["tests"]) == [3, 4]


def test_a_grid_leader_sees_their_own_grid_in_full_and_other_grids_masked() -> None:
    shown = privacy.mask(ROWS, _user("grid_leader", grid_id=G1))
    for column in MASKED:
        assert list(shown[column]) == [FULL[column][0], MASKED[column][1]], column
    assert sees_personal(_user("grid_leader", grid_id=G1), G1)
    assert not sees_personal(_user("grid_leader", grid_id=G1), G2)
    assert not sees_personal(_user("grid_leader", grid_id=G1), None)  # a row of no grid: not theirs


def test_a_whole_list_gets_one_verdict_when_every_row_agrees() -> None:
    leader = _user("grid_leader", grid_id=G1)
    own = ROWS[ROWS["grid_id"] == G1]
    assert {c: list(privacy.mask(own, leader)[c]) for c in MASKED} == {c: FULL[c][:1] for c in MASKED}
    other = ROWS[ROWS["grid_id"] == G2]
    assert {c: list(privacy.mask(other, leader)[c]) for c in MASKED} == {c: MASKED[c][1:] for c in MASKED}
    # A list without grids, or with rows of no grid, is nobody's own: masked for a grid leader.
    no_grid = ROWS.drop(columns=["grid_id"])
    assert {c: list(privacy.mask(no_grid, leader)[c]) for c in MASKED} == MASKED
    unplaced = ROWS.assign(grid_id=[None, float("nan")])
    assert {c: list(privacy.mask(unplaced, leader)[c]) for c in MASKED} == MASKED
    assert privacy.mask(ROWS.iloc[:0], leader).empty


def test_a_task_volunteer_sees_masked_names_and_no_phone_or_id() -> None:
    user = _user("task", team_id=5)
    shown = privacy.mask(ROWS, user)
    assert list(shown["name"]) == MASKED["name"]
    assert list(shown["phone"]) == list(shown["id_number"]) == ["", ""]
    assert not sees_contact_details(user, G1)


@pytest.mark.parametrize("role", ["meeting", "viewer"])
def test_the_meeting_screen_and_viewers_never_see_personal_data_in_full(role: str) -> None:
    shown = privacy.mask(ROWS, _user(role))
    for column in MASKED:
        if column in shown.columns:
            assert list(shown[column]) == MASKED[column]
    if role == "meeting":
        assert privacy.personal_columns(shown) == []
        assert list(shown.columns) == ["grid_id", "tests"]


@pytest.mark.parametrize("role", ["admin", "secretary", "grid_leader", "task", "viewer"])
def test_meeting_mode_drops_personal_columns_for_every_role(role: str) -> None:
    shown = privacy.mask(ROWS, _user(role, grid_id=G1, team_id=5), meeting=True)
    assert list(shown.columns) == ["grid_id", "tests"]
    assert not sees_personal(_user(role, grid_id=G1), G1, meeting=True)


def test_masking_leaves_the_input_untouched() -> None:
    before = ROWS.copy()
    privacy.mask(ROWS, _user("viewer"))
    pd.testing.assert_frame_equal(ROWS, before)


# --- every page on the Huamei data ----------------------------------------------------------------


def _pages_of(username: str, url: str) -> list[str]:
    from dashboard import auth
    from db.models import User

    engine = make_engine(url)
    with Session(engine) as s:
        user = auth.to_current(s, s.scalar(select(User).where(User.username == username)))
    engine.dispose()
    return [p.path for p in nav.pages_for(user)]


def _read_every_page(username: str, *, meeting: bool, url: str) -> dict[str, str]:
    """Visit every page this user may open (nav.PAGES that exist on disk): what each lets one read."""
    pages: dict[str, str] = {}
    at = open_app(username, lang="zh")
    if meeting:
        at.session_state["meeting_mode"] = True
    default = next(p.path for p in nav.PAGES if p.default)
    for path in _pages_of(username, url):
        if path == default:
            at.run()
        else:
            at.switch_page(path).run()
        assert not at.exception, f"{path}: {at.exception[0].message}"
        pages[path] = page_scan.readable(at)
    assert len(pages) >= 3
    return pages


def _leaks(pages: dict[str, str], personal: page_scan.Personal) -> dict[str, list[str]]:
    found = {path: page_scan.leaks(text, personal)[:5] for path, text in pages.items()}
    return {path: leaked for path, leaked in found.items() if leaked}


@pytest.fixture
def everyone(app_db: str) -> page_scan.Personal:
    engine = make_engine(app_db)
    with Session(engine) as s:
        personal = page_scan.personal_data(s)
    engine.dispose()
    assert len(personal.names) > 1000 and len(personal.phones) > 1000 and len(personal.ids) > 1000
    return personal


@pytest.mark.parametrize("username", ["meeting", "shuji", "grid03"])
def test_meeting_mode_shows_no_name_phone_or_id_on_any_page(
    app_db: str, everyone: page_scan.Personal, username: str
) -> None:
    assert _leaks(_read_every_page(username, meeting=True, url=app_db), everyone) == {}


def test_outside_meeting_mode_the_scan_does_find_residents(app_db: str, everyone: page_scan.Personal) -> None:
    # Without this a blind scanner would pass the test above: the secretary's pages do show
    # residents in full somewhere (the people ledger, the lists of cases ...).
    assert _leaks(_read_every_page("shuji", meeting=False, url=app_db), everyone) != {}


def test_a_grid_leader_sees_no_other_grids_residents_in_full(
    app_db: str, everyone: page_scan.Personal
) -> None:
    engine = make_engine(app_db)
    with Session(engine) as s:
        grid3 = s.scalar(select(Grid.id).where(Grid.number == 3))
        others = page_scan.personal_data(s, except_grid=grid3)
    engine.dispose()
    pages = _read_every_page("grid03", meeting=False, url=app_db)
    assert _leaks(pages, others) == {}
    assert _leaks(pages, everyone) != {}  # their own grid's residents are there: the scan is not blind
