"""The screening page under AppTest: every section for each role and on the meeting screen, a grid
leader's progress and missed list, the table by building opening on the grid with most missed, the
exempt list read when asked, the import through the uploader, wrong input refused, an abnormal tube;
and the page on the Huamei demo data."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dashboard.i18n import set_language
from tests.data_screening import world as w

# --- the page (AppTest) ---------------------------------------------------------------------

SECTIONS = ("progress", "missed", "tubes", "antigen", "import", "rounds", "trends")


@pytest.fixture
def page_area(empty_app_db: str) -> Iterator[w.World]:
    from db import make_engine

    eng = make_engine(empty_app_db)
    built = w.build(eng)
    eng.dispose()
    yield built
    set_language("zh")


def _page(username: str, lang: str):  # noqa: ANN202 - an AppTest on the screening page
    from tests.helpers import open_app

    # AppTest's switch_page runs the page without the frame: the script thread takes this
    # thread's language (as in test_services and test_supplies).
    set_language(lang)
    return open_app(username, lang, page="pages/screening.py")


def _section(at, name: str):  # noqa: ANN001, ANN202
    at.radio(key="scr_section").set_value(name).run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize(
    ("username", "lang", "meeting"),
    [("shuji", "zh", False), ("grid01", "en", False), ("viewer", "zh", False), ("shuji", "en", True)],
)
def test_every_section_renders_for_each_role(
    page_area: w.World, username: str, lang: str, meeting: bool
) -> None:
    from tests.helpers import texts

    at = _page(username, lang)
    at.session_state["meeting_mode"] = meeting
    assert not at.exception
    for name in SECTIONS:
        _section(at, name)
        shown = texts(at)
        assert "screening." not in shown, (name, shown)  # every label found in the catalogue
        if meeting or username == "viewer":
            assert "张三丰" not in shown and "13900000003" not in shown, name
    _section(at, "progress")
    title = {"zh": "核酸与抗原筛查", "en": "Screening (PCR and antigen)"}[lang]
    assert at.title[0].value == title


def test_the_meeting_screen_has_no_screening_page(page_area: w.World) -> None:
    from dashboard import nav

    assert "pages/screening.py" not in [p.path for p in nav.pages_for(page_area.users["meeting"])]


def test_page_progress_and_missed_list_for_a_grid_leader(page_area: w.World) -> None:
    from tests.helpers import texts

    at = _section(_page("grid01", "zh"), "missed")
    shown = texts(at)
    assert "张三丰" in shown and "王七七" in shown and "赵十" not in shown  # own grid, full names
    assert "未采样 3 人" in shown
    # Mark the first resident of the list (r3, 张三丰) as 'will come'.
    next(r for r in at.radio if r.label == "联系结果").set_value("will_come")
    at.form_submit_button[0].click()
    at.run()
    assert not at.exception and not at.error
    assert "已联系，将来采" in texts(at)


def test_page_shows_the_buildings_of_the_grid_with_most_missed_first(page_area: w.World) -> None:
    """The secretary's table by building opens on the grid with the most residents missed (its
    buildings alone); every grid's buildings when asked."""
    at = _section(_page("shuji", "en"), "progress")
    by_grid = at.dataframe[0].value
    worst = int(by_grid.loc[by_grid["Missed"].idxmax(), "Grid"])
    picker = at.selectbox(key="scr_grid_buildings")
    assert picker.value == page_area.grids[worst]
    buildings = at.dataframe[1].value
    assert set(buildings["Grid"]) == {worst}
    assert int(buildings["Missed"].sum()) == int(by_grid["Missed"].max())
    picker.select_index(0).run()  # all grids
    assert not at.exception
    every = at.dataframe[1].value
    assert len(every) > len(buildings) and int(every["Missed"].sum()) == int(by_grid["Missed"].sum())


def test_page_lists_the_exempt_residents_only_when_asked(page_area: w.World) -> None:
    """The exempt list sits in an expander that reruns the page when opened: it is read and shown
    only then, and its label counts the residents before it is opened."""
    at = _section(_page("grid01", "zh"), "progress")
    label = next(e.label for e in at.expander if e.label.startswith("免检名单"))
    shown = len(at.dataframe)
    assert label == "免检名单（2 人）"
    at.session_state["scr_exempt_open"] = True
    at.run()
    assert not at.exception
    assert len(at.dataframe) == shown + 1
    assert at.dataframe[-1].value.iloc[:, 5].tolist() == ["李五", "王八"]


def test_page_import_dry_run_then_commit_through_the_uploader(page_area: w.World) -> None:
    from tests.helpers import texts
    from tests.test_screening_import import day_export

    at = _section(_page("grid01", "en"), "import")
    at.file_uploader[0].set_value(("0529.csv", day_export(), "text/csv")).run()
    assert not at.exception and not at.error
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["To add"], metrics["Unmatched"], metrics["Duplicates"], metrics["Rejected"]) == (
        "2",
        "1",
        "1",
        "1",
    )
    assert "Not in your grid" in texts(at)
    at.button(key="scr_commit").click().run()
    assert not at.exception and not at.error
    assert "Import done: 2 added, 0 updated." in texts(at)
    # The same file again: nothing to write.
    at.run()
    assert "Nothing to write" in texts(at)
    _section(at, "missed")
    assert "1 residents not yet sampled" in texts(at)


def test_page_refuses_wrong_input_with_a_message(page_area: w.World) -> None:
    at = _section(_page("grid01", "zh"), "tubes")
    at.text_input[0].set_value("T-9999")
    at.form_submit_button[0].click()
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == ["本轮没有编号为 T-9999 的试管。"]
    at = _section(_page("shuji", "en"), "rounds")
    scope = next(r for r in at.radio if r.label == "Scope")
    scope.set_value("grid")
    at.form_submit_button[0].click()
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == ["Choose the grid when the scope is one grid."]


def test_page_abnormal_tube_shows_ten_under_control(page_area: w.World) -> None:
    from tests.helpers import texts

    at = _section(_page("grid01", "en"), "tubes")
    at.text_input[0].set_value(w.TUBE)
    at.form_submit_button[0].click()
    at.run()
    assert not at.exception and not at.error
    shown = texts(at)
    assert "10 residents under control" in shown
    control = at.dataframe[-1].value
    assert len(control) == 10


def test_page_on_the_demo_data(app_db: str) -> None:
    from tests.helpers import texts

    at = _page("grid03", "zh")
    try:
        for name in SECTIONS:
            _section(at, name)
            assert not at.error, (name, [e.value for e in at.error])
        _section(at, "missed")
        assert "本网格：第3网格" in texts(at)
        _section(at, "progress")
        assert [m.label for m in at.metric][:4] == ["应检", "已采", "覆盖率", "未采"]
    finally:
        set_language("zh")
