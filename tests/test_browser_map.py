"""The map in a real browser with the network cut off: headless Chromium against `streamlit run`
(tests/browser.py), every request to anything but this machine aborted. AppTest cannot see inside
the folium iframe; this test counts what Leaflet actually drew there, clicks a building, opens the
awaiting-transfer list, and keeps screenshots of the overview and the map (zh and en) in
artifacts/screenshots/ for CI.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from dashboard import assets, i18n, maps
from db import make_engine
from tests.browser import SCREENSHOTS, Served, shot, sign_in, start_server, stop_server, wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]
expect = pytest.importorskip("playwright.sync_api").expect

MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'
DAY = dt.date(2022, 4, 10)
STEP_MS = 60_000


@pytest.fixture(scope="module")
def offline_app(seeded_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The app on a private Huamei copy, with the map's assets served locally and no tiles."""
    assets.ensure()  # `make install` has done this already: a no-op then
    folder = tmp_path_factory.mktemp("map")
    db_file = folder / "huamei.db"
    shutil.copyfile(seeded_sqlite_template, db_file)
    process, server = start_server(
        db_file,
        folder / "streamlit.log",
        env={"JUWEI_ASSETS": "local", "JUWEI_TILES": "none", "JUWEI_LANG": "zh"},
    )
    try:
        yield server
    finally:
        stop_server(process)


@pytest.fixture
def offline_page(browser: object) -> Iterator[tuple[object, list[str]]]:  # noqa: F811
    """A page that can reach only this machine; the second item lists every request it refused."""
    refused: list[str] = []

    def only_local(route) -> None:  # noqa: ANN001 - playwright Route
        url = route.request.url
        host = re.match(r"^[a-z]+://([^/:]+)", url)
        if url.startswith(("data:", "blob:", "about:")) or (
            host and host.group(1) in ("127.0.0.1", "localhost")
        ):
            route.continue_()
        else:
            refused.append(url)
            route.abort()

    context = browser.new_context(viewport={"width": 1400, "height": 1600}, locale="zh-CN")
    context.route("**/*", only_local)
    try:
        yield context.new_page(), refused
    finally:
        context.close()


def _idle(page) -> None:  # noqa: ANN001 - playwright Page
    wait_idle(page, STEP_MS)


def _set_day(page, day: dt.date) -> None:  # noqa: ANN001
    """Type a date into the sidebar's date field (react-aria spin buttons) and leave the field."""
    field = page.locator("[data-testid=stSidebar] [data-testid=stDateInput]")
    for part, value in (("year", f"{day.year}"), ("month", f"{day.month:02d}"), ("day", f"{day.day:02d}")):
        field.locator(f"[role=spinbutton][data-type={part}]").click()
        page.keyboard.type(value)
    page.locator("[data-testid=stMain] h1").first.click()  # leaving the field commits the date
    _main_shows(page, day.isoformat())
    _idle(page)


def _main_shows(page, text: str) -> None:  # noqa: ANN001
    page.wait_for_function(
        "t => (document.querySelector('[data-testid=stMain]') || {innerText: ''}).innerText.includes(t)",
        arg=text,
        timeout=STEP_MS,
    )


def _expected(seeded_sqlite_template: Path) -> maps.MapData:
    engine = make_engine(f"sqlite:///{seeded_sqlite_template}")
    with Session(engine) as s:
        data = maps.map_data(s, DAY)
    engine.dispose()
    return data


def test_the_map_draws_offline_and_the_overview_is_kept(
    offline_app: Served, offline_page: tuple[object, list[str]], seeded_sqlite_template: Path
) -> None:
    page, refused = offline_page
    expected = _expected(seeded_sqlite_template)
    sealed = int((expected.compounds["zone"] == "sealed").sum())
    assert len(expected.compounds) == 14 and sealed > 0

    page.goto(offline_app.url)
    _idle(page)
    sign_in(page, "shuji", "huamei2022")
    page.wait_for_selector("[data-testid=stMetric]", timeout=STEP_MS)
    _set_day(page, DAY)

    # The overview, its compact map drawn from the app's own Leaflet.
    small = page.frame_locator(MAP_FRAME)
    expect(small.locator("path.juwei-compound")).to_have_count(14, timeout=STEP_MS)
    shot(page, "map-1-overview-zh")

    # The awaiting-transfer tile opens who waits and for how long.
    page.locator(".st-key-tile_transfer button").click()
    dialog = page.locator("[role=dialog]")
    # The grid draws on a canvas; its accessible header row names the columns.
    dialog.locator("th", has_text=i18n.t("overview.col_hours", lang="zh")).first.wait_for(
        state="attached", timeout=STEP_MS
    )
    _idle(page)
    shot(page, "map-2-transfer-list-zh")
    dialog.locator(".st-key-drill_close button").click()
    dialog.wait_for(state="detached", timeout=STEP_MS)
    _idle(page)

    # The map page: 14 compounds, sealed ones red, 10 grids, the 2 open entrances, on no tiles.
    page.get_by_role("link", name=i18n.t("map.title", lang="zh")).click()
    _main_shows(page, i18n.t("map.click_hint", lang="zh"))
    _idle(page)
    frame = page.frame_locator(MAP_FRAME)
    # expect() retries until Leaflet has drawn everything (the iframe loads after the page).
    expect(frame.locator("path.juwei-compound")).to_have_count(14, timeout=STEP_MS)
    expect(frame.locator("path.juwei-compound-sealed")).to_have_count(sealed, timeout=STEP_MS)
    expect(frame.locator("path.juwei-compound-sealed").first).to_have_attribute(
        "fill", maps.ZONE_COLOURS["sealed"]
    )
    expect(frame.locator("path.juwei-grid")).to_have_count(10, timeout=STEP_MS)
    expect(frame.locator(f"i.{maps.CLASS_ENTRANCE_OPEN}")).to_have_count(2, timeout=STEP_MS)
    expect(frame.locator("path.juwei-building")).to_have_count(len(expected.buildings), timeout=STEP_MS)
    assert frame.locator("img.leaflet-tile").count() == 0  # plain background: no tiles at all
    # Font Awesome's font came from the app too: the door icon has a glyph, not an empty box.
    family = frame.locator(f"i.{maps.CLASS_ENTRANCE_OPEN}").first.evaluate(
        "el => getComputedStyle(el, '::before').fontFamily"
    )
    assert "Font Awesome" in family

    # Clicking a building opens its details beside the map.
    frame.locator("path.juwei-building").nth(0).click(force=True)
    _main_shows(page, i18n.t("map.households", lang="zh"))
    _idle(page)
    shot(page, "map-3-map-zh")

    # English: the same map, every label in English (a new map built for the language).
    page.locator("[data-testid=stSidebar]").get_by_text("English").click()
    _main_shows(page, i18n.t("map.heading", lang="en", date=DAY.isoformat()))
    _idle(page)
    english = page.frame_locator(MAP_FRAME)
    english.get_by_text(i18n.t("map.legend_title", lang="en")).wait_for(timeout=STEP_MS)
    expect(english.locator("path.juwei-compound")).to_have_count(14, timeout=STEP_MS)
    shot(page, "map-4-map-en")
    page.get_by_role("link", name=i18n.t("overview.title", lang="en")).click()
    _main_shows(page, i18n.t("overview.scoreboard", lang="en"))
    _idle(page)
    page.frame_locator(MAP_FRAME).locator("path.juwei-compound").first.wait_for(timeout=STEP_MS)
    shot(page, "map-5-overview-en")

    assert refused == [], f"the page tried to reach the internet: {refused[:5]}"
    for name in (
        "map-1-overview-zh",
        "map-2-transfer-list-zh",
        "map-3-map-zh",
        "map-4-map-en",
        "map-5-overview-en",
    ):
        assert (SCREENSHOTS / f"{name}.png").stat().st_size > 10_000
