"""Shared fixtures: an empty migrated database per test, the seeded Huamei database per session,
on SQLite always and on PostgreSQL too when TEST_DATABASE_URL is set (tests show [sqlite]/[postgresql]).

The seeded database is expensive (≈900k screening rows), so it is built once per code version and
kept as a template: a SQLite file under .cache/ and a PostgreSQL template database. Tests never
touch the user's own data/ database.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from db import make_engine, upgrade

# The browser harness's fixtures (served, browser) are defined once for the whole run: a second
# Playwright instance in the same process refuses to start.
pytest_plugins = ["tests.browser"]

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache"
PG_URL = os.environ.get("TEST_DATABASE_URL", "").strip()
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def code_hash() -> str:
    """A hash of everything that shapes the seeded data: the schema, the migrations, the generator."""
    h = hashlib.sha256()
    for pattern in (
        "db/*.py",
        "db/models/*.py",
        "db/migrations/versions/*.py",
        "seed/*.py",
        "dashboard/auth*.py",
    ):
        for path in sorted(ROOT.glob(pattern)):
            h.update(path.name.encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:12]


@pytest.fixture(autouse=True)
def afternoon(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pages read the time of day from config.clock(): every test opens them at 15:00 of the real
    date, whatever the hour it runs at (at 00:20 a sample taken "today" at 09:20 would be in the
    future, and a form's default time before the morning's records)."""
    import datetime as dt

    from dashboard import config

    monkeypatch.setattr(config, "clock", lambda: dt.datetime.combine(dt.date.today(), dt.time(15, 0)))


# --- PostgreSQL helpers ---------------------------------------------------------------------


def _pg_admin() -> Engine:
    return create_engine(make_url(PG_URL).set(database="postgres"), isolation_level="AUTOCOMMIT")


def _pg_url(name: str) -> str:
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def pg_create(name: str, template: str | None = None) -> str:
    admin = _pg_admin()
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if template:
            # Copying a template needs it to itself: one copier at a time across test workers.
            c.execute(text("SELECT pg_advisory_lock(424243)"))
            try:
                c.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
            finally:
                c.execute(text("SELECT pg_advisory_unlock(424243)"))
        else:
            c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return _pg_url(name)


def pg_drop(name: str) -> None:
    admin = _pg_admin()
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _pg_seeded_template() -> str:
    """The name of a seeded PostgreSQL template database for this code version (built once)."""
    name = f"juwei_tpl_{code_hash()}"
    admin = _pg_admin()
    with admin.connect() as c:
        # One builder at a time across parallel pytest processes.
        c.execute(text("SELECT pg_advisory_lock(424242)"))
        try:
            exists = c.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
            if not exists:
                building = name + "_build"
                c.execute(text(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)'))
                c.execute(text(f'CREATE DATABASE "{building}"'))
                engine = make_engine(_pg_url(building))
                _seed(engine)
                engine.dispose()
                c.execute(text(f'ALTER DATABASE "{building}" RENAME TO "{name}"'))
        finally:
            c.execute(text("SELECT pg_advisory_unlock(424242)"))
    admin.dispose()
    return name


def _seed(engine: Engine) -> None:
    import seed

    upgrade(engine)
    seed.generate(engine, scale=1, random_seed=2022)


def _sqlite_seeded_template() -> Path:
    """A seeded SQLite file for this code version, built once and reused across runs."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"seed-{code_hash()}.db"
    if path.exists() and not _pristine(path):
        path.unlink()  # something wrote into the template (a login, an audit row): build it anew
    if not path.exists():
        for old in CACHE.glob("seed-*.db*"):
            old.unlink(missing_ok=True)
        building = CACHE / f"building-{uuid.uuid4().hex}.db"
        engine = make_engine(f"sqlite:///{building}")
        _seed(engine)
        with engine.connect() as c:
            c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        building.rename(path)
    return path


def _pristine(path: Path) -> bool:
    """True while the template holds only what the seed wrote (no user action ever touched it)."""
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as c:
            touched = c.execute(
                text(
                    "SELECT (SELECT COUNT(*) FROM audit_log) + (SELECT COUNT(*) FROM auth_session)"
                    " + (SELECT COUNT(*) FROM day_snapshot) + (SELECT COUNT(*) FROM import_log)"
                )
            ).scalar()
    except Exception:  # noqa: BLE001 - an unreadable template is rebuilt
        return False
    finally:
        engine.dispose()
    return touched == 0


def copy_sqlite(template: Path, dest: Path) -> str:
    shutil.copyfile(template, dest)
    return f"sqlite:///{dest}"


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _chinese_by_default() -> Iterator[None]:
    """Every test starts in the default language, whatever the test before it switched to."""
    from dashboard.i18n import set_language

    set_language("zh")
    yield
    set_language("zh")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def engine(backend: str, tmp_path: Path) -> Iterator[Engine]:
    """An empty, migrated database of its own for one test (small hand-made fixtures)."""
    if backend == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
        upgrade(eng)
        yield eng
        eng.dispose()
    else:
        name = f"juwei_t_{uuid.uuid4().hex[:10]}"
        eng = make_engine(pg_create(name), pool_size=12, max_overflow=4)
        upgrade(eng)
        yield eng
        eng.dispose()
        pg_drop(name)


@pytest.fixture(scope="session", params=BACKENDS)
def seeded_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """The Huamei demo database (scale 1), shared read-only by the session's tests."""
    if request.param == "sqlite":
        url = copy_sqlite(_sqlite_seeded_template(), tmp_path_factory.mktemp("seeded") / "huamei.db")
        eng = make_engine(url)
        yield eng
        eng.dispose()
    else:
        name = f"juwei_s_{uuid.uuid4().hex[:10]}"
        eng = make_engine(pg_create(name, template=_pg_seeded_template()))
        yield eng
        eng.dispose()
        pg_drop(name)


@pytest.fixture
def seeded(seeded_engine: Engine) -> Iterator[Session]:
    """A session on the seeded database whose writes are rolled back after the test."""
    with seeded_engine.connect() as conn:
        trans = conn.begin()
        session = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
        try:
            yield session
        finally:
            session.close()
            trans.rollback()


@pytest.fixture(scope="session")
def seeded_sqlite_template() -> Path:
    """The seeded SQLite template file (copy it before writing)."""
    return _sqlite_seeded_template()


@pytest.fixture
def app_db(seeded_sqlite_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A private copy of the seeded database that the Streamlit app (AppTest) will use."""
    url = copy_sqlite(seeded_sqlite_template, tmp_path / "app.db")
    monkeypatch.setenv("DATABASE_URL", url)
    _clear_streamlit_caches()
    yield url
    _clear_streamlit_caches()


@pytest.fixture
def empty_app_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An empty, migrated database for the app (a new committee's first start)."""
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    upgrade(make_engine(url))
    monkeypatch.setenv("DATABASE_URL", url)
    _clear_streamlit_caches()
    yield url
    _clear_streamlit_caches()


def _clear_streamlit_caches() -> None:
    from tests.helpers import forget_app_state

    forget_app_state()


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [
        f"juwei databases under test: {', '.join(BACKENDS)}"
        + ("" if PG_URL else " (set TEST_DATABASE_URL for PostgreSQL)")
    ]


# --- AppTest runs go through the frame, as in the browser ---------------------------------------
# AppTest resets PagesManager.uses_pages_directory before every run; with a pages/ folder beside
# streamlit_app.py it then takes the app for an old-style (v1) multipage app, and every run after
# the first executes the page file alone: no frame, so no login check, no language, no sidebar.
# The real server switches to st.navigation mode for good on the first st.navigation call; do the same.
def _navigation_mode_pages_manager() -> None:
    from streamlit.runtime.pages_manager import PagesManager

    original = PagesManager.__init__
    if getattr(original, "_juwei_v2", False):
        return

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN001, ANN002, ANN003, N807
        if PagesManager.uses_pages_directory is None:
            PagesManager.uses_pages_directory = False
        original(self, *args, **kwargs)

    __init__._juwei_v2 = True
    PagesManager.__init__ = __init__


_navigation_mode_pages_manager()
