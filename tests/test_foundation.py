"""The foundation: schema = migrations on both databases, the catalogue is complete, writes are
transactional with stale-edit detection, the brief CLI and the overview tell the Huamei story."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from dashboard import i18n, store
from dashboard.errors import StaleEdit
from db import models
from db.models import Base, Committee, FollowUp
from tests.helpers import ROOT, open_app, texts


def test_migrations_match_models(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_sqlite_connections_use_wal_and_foreign_keys(tmp_path: Path) -> None:
    from db import make_engine

    eng = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with eng.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_catalogue_entries_have_both_languages() -> None:
    missing = [k for k, v in i18n.catalogue().items() if not v.get("zh") or not v.get("en")]
    assert missing == []


def _keys_used_in_code() -> set[str]:
    pattern = re.compile(r"""\bt\(\s*["']([a-z0-9_]+(?:\.[a-z0-9_]+)+)["']""")
    used: set[str] = set()
    for folder in ("pages", "dashboard"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.name == "i18n.py":  # its docstring shows made-up example keys
                continue
            used.update(pattern.findall(path.read_text(encoding="utf-8")))
    used.update(re.findall(r'"([a-z_]+\.[a-z0-9_.]+)"', (ROOT / "dashboard" / "nav.py").read_text()))
    # A key ending in "_" or "." is a prefix completed at run time (t("x.field_" + name)).
    return {k for k in used if not k.startswith(("pages.", "dashboard.")) and not k.endswith(("_", "."))}


def test_every_key_used_in_code_is_in_the_catalogue() -> None:
    unknown = sorted(k for k in _keys_used_in_code() if not i18n.has(k))
    assert unknown == []


def test_every_stored_code_has_words() -> None:
    lists = {
        "compound_kind": models.COMPOUND_KINDS,
        "person_kind": models.PERSON_KINDS,
        "case_status": models.CASE_STATUSES,
        "contact_status": models.CONTACT_STATUSES,
        "zone": models.ZONES,
        "supply_rule": models.SUPPLY_RULES,
        "medicine_status": models.MEDICINE_STATUSES,
        "shift": models.SHIFTS,
        "role": models.ROLES,
    }
    for kind, values in lists.items():
        for value in values:
            assert i18n.has(f"code.{kind}.{value}"), f"code.{kind}.{value}"


def test_no_chinese_literals_in_pages() -> None:
    han = re.compile(r"[\u4e00-\u9fff]")
    offenders = []
    for path in (ROOT / "pages").rglob("*.py"):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if han.search(code) and '"""' not in line:
                offenders.append(f"{path.name}:{n}")
    assert offenders == []


def test_a_concurrent_edit_of_the_same_row_is_refused(engine: Engine) -> None:
    import datetime as dt

    with store.transaction(engine) as s:
        s.add(FollowUp(created_on=dt.date(2022, 5, 1), item="x", due_on=dt.date(2022, 5, 1)))
    with Session(engine) as s:
        seen = s.scalar(select(FollowUp.version))  # both users opened the form at this version

    def edit(session: Session, text: str, expected: int) -> None:
        row = session.scalar(select(FollowUp))
        store.check_version(row, expected)
        row.item = text

    store.run_write(engine, edit, "first", seen)
    with pytest.raises(StaleEdit):
        store.run_write(engine, edit, "second", seen)
    with Session(engine) as s:
        assert s.scalar(select(FollowUp.item)) == "first"


def test_orm_version_column_catches_a_lost_update(engine: Engine) -> None:
    import datetime as dt

    from sqlalchemy.orm.exc import StaleDataError

    with store.transaction(engine) as s:
        s.add(FollowUp(created_on=dt.date(2022, 5, 1), item="x", due_on=dt.date(2022, 5, 1)))
    with Session(engine, expire_on_commit=False) as first:
        row = first.scalar(select(FollowUp))
        first.commit()  # keep the loaded object, end the read transaction
        with store.transaction(engine) as other:
            other.scalar(select(FollowUp)).item = "other"
        row.item = "first"
        with pytest.raises(StaleDataError):
            first.commit()


def test_run_write_rolls_back_everything_on_refusal(engine: Engine) -> None:
    from dashboard.errors import ValidationError

    def half_then_refuse(session: Session) -> None:
        session.add(Committee(name="x"))
        session.flush()
        raise ValidationError("common.required", field="x")

    with pytest.raises(ValidationError):
        store.run_write(engine, half_then_refuse)
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Committee)) == 0


# --- on the Huamei demo data ----------------------------------------------------------------


def test_brief_json_gives_every_figure_of_the_design(seeded_sqlite_template: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "dashboard",
            "--database-url",
            f"sqlite:///{seeded_sqlite_template}",
            "brief",
            "--date",
            "2022-05-29",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    f = json.loads(out.stdout)
    expected = {
        "compounds": 14,
        "grids": 10,
        "households": 2969,
        "residents": 7500,
        "staff": 12,
        "cadres": 33,
        "inner_field_staff": 6,
        "property_staff": 3,
        "open_entrances": 2,
        "pcr_rounds": 51,
        "antigen_rounds": 70,
        "new_positives": 0,
        "peak_new_positives": 21,
        "negative_streak_days": 22,
        "awaiting_transfer": 0,
        "sealed_buildings": 0,
    }
    assert {k: f[k] for k in expected} == expected
    assert f["peak_date"] < "2022-04-11"
    assert f["buildings"] > 14


def test_brief_text_is_short_chinese_for_wechat(seeded_sqlite_template: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "dashboard",
            "--database-url",
            f"sqlite:///{seeded_sqlite_template}",
            "brief",
            "--date",
            "2022-05-29",
            "--format",
            "text",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    assert "连续22天" in out.stdout
    assert "7500人" in out.stdout
    assert len(out.stdout) < 1000


def test_brief_on_an_empty_database_says_so(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "dashboard", "--database-url", f"sqlite:///{tmp_path / 'e.db'}", "brief"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert out.returncode == 2
    assert "empty" in out.stderr


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_overview_shows_the_huamei_story(app_db: str, lang: str) -> None:
    at = open_app("shuji", lang=lang)
    assert not at.exception
    page = texts(at)
    assert "7,500" in page
    streak = next(m for m in at.metric if m.label == i18n.t("overview.negative_streak", lang=lang))
    assert streak.value == "22"


def test_pages_never_touch_the_database_directly() -> None:
    """pages → dashboard → db: a page imports neither db/ nor SQLAlchemy."""
    offenders = []
    for path in (ROOT / "pages").rglob("*.py"):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.match(r"\s*(from|import)\s+(db|sqlalchemy)\b", line):
                offenders.append(f"{path.name}:{n}")
    assert offenders == []


def test_only_ui_imports_streamlit_in_dashboard() -> None:
    """The logic stays testable without Streamlit: of dashboard/, only ui.py imports it (or its
    components, such as streamlit_folium)."""
    offenders = []
    for path in (ROOT / "dashboard").rglob("*.py"):
        if path.name == "ui.py":
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.match(r"\s*(from|import)\s+streamlit", line):
                offenders.append(f"{path.name}:{n}")
    assert offenders == []
