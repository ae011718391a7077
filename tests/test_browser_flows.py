"""Juwei as its users meet it, in headless Chromium against a real `streamlit run` on a private copy
of the Huamei database (the harness of tests/browser.py): the secretary signs in through the form and
reads the overview; a grid leader on a phone records a delivery and the secretary's page shows it;
the meeting screen's recap holds no resident's name, phone or ID number; a refresh keeps the login;
and every page is photographed (zh and en, laptop and phone) into artifacts/screenshots/.

Conventions (STACK.md): Debian's /usr/bin/chromium, the server's /_stcore/health, then the app's
ready state `[data-testid=stApp][data-test-script-state=notRunning]` — the tests never sleep.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from dashboard import i18n
from tests import browser as harness
from tests.browser import Served

PASSWORD = "huamei2022"
LAPTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
WAIT = 90_000  # ms: a page's first run on a loaded 2-core machine

pytestmark = [
    pytest.mark.browser,
    pytest.mark.timeout(900),
    pytest.mark.skipif(not harness.CHROMIUM.exists(), reason=f"no Chromium at {harness.CHROMIUM}"),
]


@pytest.fixture(autouse=True)
def _nobodys_language_remembered(served: Served) -> None:
    """Each flow starts in the default language: an earlier flow may have switched a user to English,
    and the app remembers a user's choice for their next sign-in."""
    from sqlalchemy import update

    from db import make_engine
    from db.models import User

    engine = make_engine(served.database_url)
    with engine.begin() as conn:
        conn.execute(update(User).values(language=None))
    engine.dispose()


def t(key: str, lang: str = "zh", **params: Any) -> str:
    return i18n.t(key, lang=lang, **params)


# --- what a user does -------------------------------------------------------------------------


def idle(page: Any) -> None:
    """Wait until the app's script run is over (its ready state; never a sleep)."""
    harness.wait_idle(page, WAIT)


def main(page: Any) -> Any:
    return page.locator("[data-testid=stMain]")


def sign_in(page: Any, base: str, username: str) -> None:
    """Open the app and sign in through the login form; returns on the first page, run to its end."""
    page.goto(base)
    idle(page)
    harness.sign_in(page, username, PASSWORD)
    main(page).locator("h1").first.wait_for(timeout=WAIT)
    idle(page)


def heading(page: Any, text: str) -> None:
    """Wait for the page whose title is text, run to its end."""
    main(page).locator("h1", has_text=text).first.wait_for(timeout=WAIT)
    idle(page)


def visit(page: Any, title_key: str, lang: str = "zh") -> None:
    """Open a page from the navigation menu (on a phone: through the folded sidebar, folded again after)."""
    link = page.locator("[data-testid=stSidebarNav]").get_by_role("link", name=t(title_key, lang), exact=True)
    expand = page.locator("[data-testid=stExpandSidebarButton]")
    folded = expand.is_visible()
    if folded:
        from playwright.sync_api import expect

        expand.click()
        expect(link).to_be_in_viewport(timeout=WAIT)
    link.click()
    heading(page, t(title_key, lang))
    if folded and page.locator("[data-testid=stSidebar][data-collapsed=false]").count():
        page.locator("[data-testid=stSidebarCollapseButton] button").click()
        page.locator("[data-testid=stSidebar][data-collapsed=true]").wait_for(state="attached", timeout=WAIT)


def screenshot(page: Any, name: str) -> Path:
    """The whole page: Streamlit scrolls inside its main block, so the window grows to its height."""
    size = page.viewport_size
    height = page.evaluate("document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], min(int(height), 8000))})
    try:
        idle(page)
        return harness.shot(page, name)
    finally:
        page.set_viewport_size(size)


def metric(page: Any, label: str) -> str:
    """The value of the st.metric tile with this label."""
    label_el = page.locator("[data-testid=stMetricLabel]", has_text=label)
    tile = main(page).locator("[data-testid=stMetric]", has=label_el)
    return tile.first.locator("[data-testid=stMetricValue]").inner_text().strip()


def choose(page: Any, label: str, option: str) -> None:
    """Pick an option of the selectbox with this label."""
    box = main(page).locator("[data-testid=stSelectbox]", has=page.get_by_text(label, exact=True))
    box.first.click()
    page.get_by_role("option", name=option, exact=True).click()
    idle(page)


@contextmanager
def person(browser: Any, viewport: dict[str, int] = LAPTOP, **kw: Any) -> Iterator[Any]:  # noqa: F811
    """One person's browser (own cookies, own session): a page in a fresh context."""
    context = browser.new_context(viewport=viewport, locale="zh-CN", **kw)
    try:
        yield context.new_page()
    finally:
        context.close()


def database(served: Served) -> Path:  # noqa: F811
    return Path(served.database_url.split("///", 1)[1])


# --- the tests --------------------------------------------------------------------------------


def test_the_secretary_signs_in_and_reads_the_overview(served: Served, browser: Any) -> None:  # noqa: F811
    with person(browser) as page:
        sign_in(page, served.url, "shuji")
        heading(page, t("overview.title"))
        text = main(page).inner_text()
        assert "7,500" in text  # residents, in the caption under the title
        assert "2022-05-29" in text  # as of the demo's last day
        assert metric(page, t("overview.negative_streak")) == "22"
        screenshot(page, "flow-1-secretary-overview-zh")
        # A refresh keeps the login (the HttpOnly cookie), on the same page.
        page.reload()
        heading(page, t("overview.title"))
        assert page.get_by_label(t("login.password")).count() == 0
        assert metric(page, t("overview.negative_streak")) == "22"


def _a_building_still_owed(db: Path) -> tuple[str, str]:
    """(building label as the form shows it, room of the first household still owed) in grid 3's
    current batch — the household the grid leader's form offers first."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from dashboard import distribution, supplies
    from db import make_engine
    from db.models import Grid

    engine = make_engine(f"sqlite:///{db}")
    try:
        with Session(engine) as s:
            grid3 = s.scalar(select(Grid.id).where(Grid.number == 3))
            batch = supplies.current_batch(s, dt.date(2022, 5, 29))
            for b in distribution.buildings_for(s, grid3).itertuples():
                homes = distribution.building_households(s, batch, int(b.building_id))
                owed = homes[(homes["portions"] > 0) & (homes["status"] != "delivered")]
                if not owed.empty:
                    label = t(
                        "supplies.building_label", compound=b.compound, building=b.building, grid=b.grid or ""
                    )
                    return label, str(owed["room"].iloc[0])
    finally:
        engine.dispose()
    raise AssertionError("every household of grid 3 has its portions")


def test_a_grid_leader_on_a_phone_records_a_delivery_and_the_secretary_sees_it(
    served: Served,  # noqa: F811
    browser: Any,  # noqa: F811
) -> None:
    building, room = _a_building_still_owed(database(served))
    reached = t("supplies.kpi_households")
    with person(browser) as secretary, person(browser, PHONE, is_mobile=True, has_touch=True) as leader:
        sign_in(secretary, served.url, "shuji")
        visit(secretary, "supplies.title")
        before = metric(secretary, reached)  # "2,646 / 2,969"
        done, owed = (int(x.replace(",", "")) for x in before.split("/"))

        sign_in(leader, served.url, "grid03")
        visit(leader, "supplies.title")  # a grid leader lands on the delivery form
        choose(leader, t("supplies.pick_building"), building)
        form = main(leader).locator("[data-testid=stForm]").first
        form.get_by_role("button", name=t("supplies.deliver_submit")).click()
        # The form's first household is one still owed: the page says it was recorded.
        recorded = t("supplies.delivered_ok", room=room, status=t("code.delivery_status.delivered"))
        main(leader).get_by_text(recorded).wait_for(timeout=WAIT)
        idle(leader)
        screenshot(leader, "flow-2-grid-leader-delivery-phone-zh")

        # The secretary's next look (a refresh keeps the login) shows one more household reached.
        secretary.reload()
        heading(secretary, t("supplies.title"))
        assert metric(secretary, reached) == f"{done + 1:,} / {owed:,}"
        screenshot(secretary, "flow-3-secretary-sees-it-zh")


def test_the_recap_on_the_meeting_screen_shows_no_personal_data(
    served: Served,  # noqa: F811
    browser: Any,  # noqa: F811
) -> None:
    from sqlalchemy.orm import Session

    from db import make_engine
    from tests.page_scan import leaks, personal_data

    engine = make_engine(served.database_url)
    with Session(engine) as s:
        personal = personal_data(s)
    engine.dispose()
    with person(browser) as page:
        sign_in(page, served.url, "meeting")
        visit(page, "recap.title")
        # Every expander opened: nothing personal may hide in a folded section either.
        for summary in main(page).locator("[data-testid=stExpander] summary").all():
            summary.click()
        idle(page)
        text = page.locator("[data-testid=stApp]").inner_text()
        assert t("recap.title") in text
        found = leaks(text, personal)
        assert found == [], found[:10]
        assert "19900" not in text  # the demo's phone range
        screenshot(page, "flow-4-recap-meeting-zh")


# Pages photographed for the README/CI: every page as the secretary in Chinese on a laptop, a few
# in English, and a grid leader's day on a phone.
ENGLISH = ("overview.title", "recap.title", "screening.title", "supplies.title")
ON_A_PHONE = ("overview.title", "screening.title", "supplies.title", "services.title")


def test_screenshots_of_every_page(served: Served, browser: Any) -> None:  # noqa: F811
    from dashboard import nav
    from dashboard.roles import CurrentUser

    taken: list[Path] = []
    secretary = CurrentUser(id=None, username="shuji", role="secretary")
    with person(browser) as page:
        sign_in(page, served.url, "shuji")
        for spec in nav.pages_for(secretary):
            visit(page, spec.title_key)
            assert page.locator("[data-testid=stException]").count() == 0, spec.path
            taken.append(screenshot(page, f"page-{Path(spec.path).stem}-zh"))
        page.locator("[data-testid=stSidebar]").get_by_text("English").click()
        idle(page)
        for key in ENGLISH:
            visit(page, key, "en")
            taken.append(screenshot(page, f"page-{key.split('.')[0]}-en"))
    with person(browser, PHONE, is_mobile=True, has_touch=True) as phone:
        sign_in(phone, served.url, "grid03")
        for key in ON_A_PHONE:
            visit(phone, key)
            assert phone.locator("[data-testid=stException]").count() == 0, key
            taken.append(screenshot(phone, f"phone-{key.split('.')[0]}-zh"))
    for path in taken:
        assert path.stat().st_size > 10_000, path


def test_the_brief_downloads_from_the_recap_page(served: Served, browser: Any) -> None:  # noqa: F811
    with person(browser) as page:
        sign_in(page, served.url, "shuji")
        visit(page, "recap.title")
        for label, magic in (("recap.download_pdf", b"%PDF"), ("recap.download_xlsx", b"PK\x03\x04")):
            with page.expect_download(timeout=WAIT) as download:
                main(page).get_by_role("button", name=t(label)).click()
            assert Path(download.value.path()).read_bytes().startswith(magic), label
