"""Browser-test harness: a real `streamlit run` server on a private database and headless Chromium.

The fixtures (`served`, `browser`) are registered for every test by tests/conftest.py
(pytest_plugins); a test module imports only the helpers:

    import pytest
    from tests.browser import sign_in, wait_idle, shot

    pytestmark = pytest.mark.browser

    def test_x(served, browser):
        page = browser.new_page(viewport={"width": 390, "height": 844})
        page.goto(served.url)
        wait_idle(page)

`served` starts `streamlit run streamlit_app.py` (through st.App, so the /auth routes are there) on a
free port with DATABASE_URL pointing at a private copy of the seeded Huamei database, and waits for
/_stcore/health to say ok (a polling loop with a deadline). `browser` is Playwright's Chromium from
/usr/bin/chromium (Debian's package; Playwright cannot download browsers here); tests are skipped
with the reason when it is missing. Screenshots go to artifacts/screenshots/ (not committed).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
IDLE = "[data-testid=stApp][data-test-script-state=notRunning]"
START_SECONDS = 90
STEP_MS = 30_000


@dataclass(frozen=True)
class Served:
    """A running app: its base URL, its database and its log file."""

    url: str
    database_url: str
    log: Path

    def get(self, path: str, *, cookie: str | None = None) -> tuple[int, str]:
        """A plain GET outside the browser (status, body), with an optional Cookie header."""
        request = urllib.request.Request(self.url + path, headers={"Cookie": cookie} if cookie else {})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our own server
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as response:  # noqa: S310
                if response.read().decode().strip() == "ok":
                    return
        except OSError:
            pass
        time.sleep(0.2)  # the polling interval, bounded by the deadline
    raise RuntimeError(f"streamlit did not become healthy in {START_SECONDS}s:\n{log.read_text()[-3000:]}")


def start_server(
    db_file: Path, log: Path, *, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen, Served]:
    """Start `streamlit run streamlit_app.py` on db_file; returns the process and where it serves."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    database_url = f"sqlite:///{db_file}"
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    with log.open("w") as out:
        process = subprocess.Popen(
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
                "--server.address",
                "127.0.0.1",
                "--browser.gatherUsageStats",
                "false",
                "--server.fileWatcherType",
                "none",
            ],
            cwd=ROOT,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_healthy(url, process, log)
    except BaseException:
        stop_server(process)
        raise
    return process, Served(url=url, database_url=database_url, log=log)


def stop_server(process: subprocess.Popen) -> None:
    """Stop the server this harness started (by its own process, nothing else)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


@pytest.fixture(scope="module")
def served(seeded_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The app served by `streamlit run` on a private copy of the Huamei database (one per module)."""
    folder = tmp_path_factory.mktemp("served")
    db_file = folder / "huamei.db"
    shutil.copyfile(seeded_sqlite_template, db_file)
    process, server = start_server(db_file, folder / "streamlit.log")
    try:
        yield server
    finally:
        stop_server(process)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless Chromium (Debian's /usr/bin/chromium) through Playwright; skipped when absent."""
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: apt-get install -y chromium fonts-wqy-zenhei")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def wait_idle(page: object, timeout_ms: int = STEP_MS) -> None:
    """Wait until the app has finished its script run."""
    page.wait_for_selector(IDLE, timeout=timeout_ms)


def shot(page: object, name: str) -> Path:
    """Save a full-page screenshot as artifacts/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page: object, username: str, password: str) -> None:
    """Fill the login form and submit it; returns once the signed-in app has rendered."""
    page.locator("[data-testid=stTextInput] input").nth(0).fill(username)
    page.locator("[data-testid=stTextInput] input[type=password]").fill(password)
    page.locator("[data-testid=stFormSubmitButton] button").click()
    page.wait_for_selector("[data-testid=stSidebar]", state="attached", timeout=STEP_MS)
    wait_idle(page)
