"""The map in a real browser with the network cut off: headless Chromium against `streamlit run`,
every request to anything but this machine aborted. AppTest cannot see inside the folium iframe;
this test counts what Leaflet actually drew there, clicks a building, and keeps screenshots of the
overview and the map (zh and en) in artifacts/screenshots/ for CI.

Conventions (STACK.md): start the server headless on a free port, wait for /_stcore/health, then
for `[data-testid=stApp][data-test-script-state=notRunning]`; the map is the iframe titled
streamlit_folium.st_folium; Chromium is Debian's /usr/bin/chromium.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from dashboard import assets, i18n, maps
from db import make_engine

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IDLE = "[data-testid=stApp][data-test-script-state=notRunning]"
MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'
DAY = dt.date(2022, 4, 10)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(seeded_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`streamlit run` on a private copy of the Huamei database, with local map assets."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: apt-get install -y chromium fonts-wqy-zenhei")
    assets.ensure()  # `make install` has done this already; a no-op then
    db = tmp_path_factory.mktemp("browser") / "app.db"
    shutil.copyfile(seeded_sqlite_template, db)
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db}",
        "JUWEI_ASSETS": "local",
        "JUWEI_TILES": "none",
        "JUWEI_LANG": "zh",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "streamlit_app.py",
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # Streamlit prints its URL once it listens: read until then (no sleeping, no polling loop).
        assert proc.stdout is not None
        for line in proc.stdout:
            if "Local URL" in line:
                break
        else:
            pytest.fail("streamlit exited before serving")
        base = f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(base + "/_stcore/health", timeout=30) as r:
            assert r.read().decode().strip() == "ok"
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def browser_context(server: str) -> Iterator[tuple[object, list[str]]]:
    """A Chromium context that can reach only this machine; the second item lists what it refused."""
    from playwright.sync_api import sync_playwright

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

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1600}, locale="zh-CN")
        context.route("**/*", only_local)
        yield context, refused
        context.close()
        browser.close()


def _idle(page) -> None:  # noqa: ANN001 - playwright Page
    page.wait_for_selector(IDLE, timeout=60_000)


def _sign_in(page, base: str) -> None:  # noqa: ANN001
    page.goto(base)
    _idle(page)
    page.get_by_label(i18n.t("login.username", lang="zh")).fill("shuji")
    page.get_by_label(i18n.t("login.password", lang="zh")).fill("huamei2022")
    page.get_by_role("button", name=i18n.t("login.submit", lang="zh")).click()
    page.wait_for_selector("[data-testid=stMetric]", timeout=60_000)
    _idle(page)


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
        timeout=60_000,
    )


def _expected(seeded_sqlite_template: Path) -> maps.MapData:
    engine = make_engine(f"sqlite:///{seeded_sqlite_template}")
    with Session(engine) as s:
        data = maps.map_data(s, DAY)
    engine.dispose()
    return data


def test_the_map_draws_offline_and_the_overview_is_kept(
    server: str, browser_context: tuple[object, list[str]], seeded_sqlite_template: Path
) -> None:
    context, refused = browser_context
    expected = _expected(seeded_sqlite_template)
    sealed = int((expected.compounds["zone"] == "sealed").sum())
    assert len(expected.compounds) == 14 and sealed > 0

    SHOTS.mkdir(parents=True, exist_ok=True)
    page = context.new_page()
    _sign_in(page, server)
    _set_day(page, DAY)

    # The overview, its compact map drawn from the app's own Leaflet.
    small = page.frame_locator(MAP_FRAME)
    small.locator("path.juwei-compound").first.wait_for(timeout=60_000)
    assert small.locator("path.juwei-compound").count() == 14
    page.screenshot(path=str(SHOTS / "overview_zh.png"))

    # The awaiting-transfer tile opens who waits and for how long.
    page.locator(".st-key-tile_transfer button").click()
    dialog = page.locator("[role=dialog]")
    # The grid draws on a canvas; its accessible header row names the columns.
    dialog.locator("th", has_text=i18n.t("overview.col_hours", lang="zh")).first.wait_for(
        state="attached", timeout=60_000
    )
    _idle(page)
    page.screenshot(path=str(SHOTS / "overview_transfer_zh.png"))
    dialog.locator(".st-key-drill_close button").click()
    dialog.wait_for(state="detached", timeout=60_000)
    _idle(page)

    # The map page: 14 compounds, sealed ones red, 10 grids, the 2 open entrances, on no tiles.
    page.get_by_role("link", name=i18n.t("map.title", lang="zh")).click()
    frame = page.frame_locator(MAP_FRAME)
    frame.locator("path.juwei-compound").first.wait_for(timeout=60_000)
    assert frame.locator("path.juwei-compound").count() == 14
    assert frame.locator("path.juwei-compound-sealed").count() == sealed
    assert (
        frame.locator("path.juwei-compound-sealed").first.get_attribute("fill") == maps.ZONE_COLOURS["sealed"]
    )
    assert frame.locator("path.juwei-grid").count() == 10
    assert frame.locator(f"i.{maps.CLASS_ENTRANCE_OPEN}").count() == 2
    assert frame.locator("path.juwei-building").count() == len(expected.buildings)
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
    page.screenshot(path=str(SHOTS / "map_zh.png"))

    # English: the same map, every label in English (a new map built for the language).
    page.locator("[data-testid=stSidebar]").get_by_text("English").click()
    _main_shows(page, i18n.t("map.heading", lang="en", date=DAY.isoformat()))
    _idle(page)
    english = page.frame_locator(MAP_FRAME)
    english.get_by_text(i18n.t("map.legend_title", lang="en")).wait_for(timeout=60_000)
    assert english.locator("path.juwei-compound").count() == 14
    page.screenshot(path=str(SHOTS / "map_en.png"))
    page.get_by_role("link", name=i18n.t("overview.title", lang="en")).click()
    _main_shows(page, i18n.t("overview.scoreboard", lang="en"))
    _idle(page)
    page.frame_locator(MAP_FRAME).locator("path.juwei-compound").first.wait_for(timeout=60_000)
    page.screenshot(path=str(SHOTS / "overview_en.png"))

    assert refused == [], f"the page tried to reach the internet: {refused[:5]}"
    for name in (
        "overview_zh.png",
        "overview_transfer_zh.png",
        "map_zh.png",
        "map_en.png",
        "overview_en.png",
    ):
        assert (SHOTS / name).stat().st_size > 10_000
    page.close()
