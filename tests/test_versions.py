"""Data versions (db/versions.py) and the read cache built on them (dashboard/ui.cached): a write
invalidates exactly the cached reads of the tables it wrote, in every process, and nothing else."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from dashboard import ui
from dashboard.store import run_write, transaction
from db import make_engine, versions
from db.models import Committee, Setting

CALLS: list[str] = []


def _tokens(engine: Engine) -> dict[str, str]:
    with engine.connect() as c:
        return versions.snapshot(c)


def _changed(before: dict[str, str], after: dict[str, str]) -> set[str]:
    return {t for t in versions.TABLES if before.get(t) != after.get(t)}


def _add_setting(session: Session, key: str) -> None:
    session.add(Setting(key=key, value="1"))


def test_a_write_stamps_exactly_the_tables_it_wrote(engine: Engine) -> None:
    before = _tokens(engine)
    run_write(engine, _add_setting, "a")
    assert _changed(before, _tokens(engine)) == {"setting"}


def test_a_core_update_and_delete_are_noticed_too(engine: Engine) -> None:
    run_write(engine, _add_setting, "b")
    before = _tokens(engine)
    with transaction(engine) as s:
        s.execute(Setting.__table__.update().where(Setting.key == "b").values(value="2"))
    middle = _tokens(engine)
    assert _changed(before, middle) == {"setting"}
    with transaction(engine) as s:
        s.execute(Setting.__table__.delete().where(Setting.key == "b"))
    assert _changed(middle, _tokens(engine)) == {"setting"}


def test_a_rolled_back_write_stamps_nothing(engine: Engine) -> None:
    before = _tokens(engine)

    def fails(session: Session) -> None:
        _add_setting(session, "c")
        session.flush()
        raise RuntimeError("refused")

    with pytest.raises(RuntimeError):
        run_write(engine, fails)
    assert _tokens(engine) == before


def test_reads_outside_a_write_stamp_nothing(engine: Engine) -> None:
    before = _tokens(engine)
    with Session(engine) as s:
        s.scalar(select(func.count()).select_from(Setting))
    assert _tokens(engine) == before


@pytest.mark.filterwarnings("ignore:SELECT statement has a cartesian product")  # on purpose: FROM a, b
def test_tracked_names_the_tables_a_read_used(engine: Engine) -> None:
    run_write(engine, _add_setting, "d")
    with Session(engine) as s:
        # FROM setting, committee: both named, though neither is joined to the other
        deps, value = versions.tracked(
            s, lambda: s.scalar(select(func.count()).select_from(Setting, Committee))
        )
    assert value == 0
    assert set(deps) == {"setting", "committee"}
    assert deps == {t: _tokens(engine)[t] for t in ("committee", "setting")}  # migrating stamped every table
    assert versions.is_current(deps, _tokens(engine))
    run_write(engine, _add_setting, "e")
    assert not versions.is_current(deps, _tokens(engine))


def test_migrating_and_seeding_stamp_every_table(seeded_engine: Engine) -> None:
    assert set(_tokens(seeded_engine)) == set(versions.TABLES)


# --- the shared read cache ---------------------------------------------------------------------


def count_settings(session: Session) -> int:
    CALLS.append("settings")
    return session.scalar(select(func.count()).select_from(Setting)) or 0


def count_committees(session: Session) -> int:
    CALLS.append("committees")
    return session.scalar(select(func.count()).select_from(Committee)) or 0


@pytest.fixture
def app_engine(empty_app_db: str) -> Engine:
    ui.clear_caches()
    CALLS.clear()
    engine = make_engine(empty_app_db)  # "another server process": its own engine on the same database
    ui.engine()  # migrate
    yield engine
    engine.dispose()
    ui.clear_caches()


def test_cached_reads_are_kept_until_what_they_read_is_written(app_engine: Engine) -> None:
    assert ui.cached(count_settings) == 0 and ui.cached(count_committees) == 0
    ui.begin_run()
    assert ui.cached(count_settings) == 0 and ui.cached(count_committees) == 0
    assert CALLS == ["settings", "committees"]  # the second run read nothing again

    run_write(app_engine, _add_setting, "f")  # written through another engine (process)
    ui.begin_run()
    assert ui.cached(count_settings) == 1  # read again: its table changed
    assert ui.cached(count_committees) == 0  # kept: nothing it read changed
    assert CALLS == ["settings", "committees", "settings"]


def test_a_write_through_ui_is_seen_in_the_same_run(app_engine: Engine) -> None:
    assert ui.cached(count_settings) == 0
    assert ui.write(_add_setting, "g") is None  # the function returns nothing; no refusal shown
    assert ui.cached(count_settings) == 1


def test_small_values_follow_the_same_rule(app_engine: Engine) -> None:
    assert ui.cached_value(count_settings) == 0
    ui.begin_run()
    assert ui.cached_value(count_settings) == 0
    assert CALLS == ["settings"]
    run_write(app_engine, _add_setting, "h")
    ui.begin_run()
    assert ui.cached_value(count_settings) == 1
    assert CALLS == ["settings", "settings"]
