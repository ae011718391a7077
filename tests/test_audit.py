"""The audit trail: reading it by user, grid, table and day; audited exports; the audit page."""

from __future__ import annotations

import ast
import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from dashboard import audit, setup, store
from dashboard.errors import PermissionDenied
from dashboard.i18n import has, t
from dashboard.roles import CurrentUser
from db import make_engine, versions
from db.models import CASE_STATUSES, CONTACT_STATUSES, MEDICINE_STATUSES, AuditLog, Grid
from tests import small_committee
from tests.helpers import open_app, texts
from tests.small_committee import small_app_db, small_templates  # noqa: F401

DAY = dt.date(2022, 5, 28)
AT = dt.datetime(2022, 5, 28, 10, 0)


def _u(username: str, role: str, grid_id: int | None = None, uid: int | None = None) -> CurrentUser:
    return CurrentUser(id=uid, username=username, role=role, grid_id=grid_id)


@pytest.fixture
def trail(engine: Engine) -> dict[str, int]:
    """Five audit rows over two days, two users, two grids, two tables."""
    small = small_committee.build(engine)
    g1, g2 = small.grids[1], small.grids[2]
    rows = [
        (_u("grid01", "grid_leader", g1, small.users["grid01"]), "supplies.deliver", "delivery", 1, g1, AT),
        (
            _u("grid01", "grid_leader", g1, small.users["grid01"]),
            "supplies.deliver",
            "delivery",
            2,
            g1,
            AT + dt.timedelta(minutes=5),
        ),
        (
            _u("grid02", "grid_leader", g2, small.users["grid02"]),
            "cases.report",
            "case_record",
            7,
            g2,
            AT + dt.timedelta(hours=1),
        ),
        (
            _u("shuji", "secretary", None, small.users["shuji"]),
            "setup.edit",
            "setting",
            "zone_sealed_days",
            None,
            AT + dt.timedelta(days=1),
        ),
        (
            _u("grid02", "grid_leader", g2, small.users["grid02"]),
            "supplies.deliver",
            "delivery",
            3,
            g2,
            AT + dt.timedelta(days=1, hours=2),
        ),
    ]
    with Session(engine) as s, s.begin():
        for user, action, table, record_id, grid_id, at in rows:
            audit.record(
                s,
                user,
                action,
                table,
                record_id,
                grid_id=grid_id,
                before={"status": "old", "name": "张小明"},
                after={"status": "new", "at": at},
                at=at,
            )
    return {"g1": g1, "g2": g2}


def test_the_trail_is_newest_first_with_before_and_after(engine: Engine, trail: dict[str, int]) -> None:
    with Session(engine) as s:
        df = audit.audit_trail(s)
    assert list(df.columns) == list(audit.TRAIL_COLUMNS)
    assert list(df["record_id"]) == ["3", "zone_sealed_days", "7", "2", "1"]
    assert list(df["grid"].astype("object").where(df["grid"].notna(), None)) == [2, None, 2, 1, 1]
    assert json.loads(df["before"].iloc[0]) == {"status": "old", "name": "张小明"}
    assert json.loads(df["after"].iloc[0])["status"] == "new"


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"user": "grid01"}, ["2", "1"]),
        ({"grid": "g2"}, ["3", "7"]),
        ({"table": "delivery"}, ["3", "2", "1"]),
        ({"day": DAY}, ["7", "2", "1"]),
        ({"day": DAY + dt.timedelta(days=1)}, ["3", "zone_sealed_days"]),
        ({"user": "grid02", "table": "delivery", "day": DAY + dt.timedelta(days=1)}, ["3"]),
        ({"user": "nobody"}, []),
        ({"day": DAY, "limit": 2}, ["7", "2"]),
    ],
)
def test_the_trail_filters_by_user_grid_table_and_day(
    engine: Engine, trail: dict[str, int], filters: dict, expected: list[str]
) -> None:
    kwargs = dict(filters)
    if "grid" in kwargs:
        kwargs["grid_id"] = trail[kwargs.pop("grid")]
    with Session(engine) as s:
        assert list(audit.audit_trail(s, **kwargs)["record_id"]) == expected


def test_the_filters_offer_what_the_trail_holds(engine: Engine, trail: dict[str, int]) -> None:
    with Session(engine) as s:
        choices = audit.trail_choices(s)
    assert choices.users == ["grid01", "grid02", "shuji"]
    assert choices.tables == ["case_record", "delivery", "setting"]
    assert choices.grids == {trail["g1"]: 1, trail["g2"]: 2}


@pytest.mark.parametrize("role", ["grid_leader", "task", "meeting", "viewer"])
def test_only_managers_may_export_and_a_refusal_writes_nothing(
    engine: Engine, trail: dict[str, int], role: str
) -> None:
    with pytest.raises(PermissionDenied):
        store.run_write(engine, audit.export_trail, _u("x", role, trail["g1"]))
    with pytest.raises(PermissionDenied):
        store.run_write(engine, audit.record_export, _u("x", role, trail["g1"]), "resident", 10)
    with Session(engine) as s:
        assert s.scalar(select(AuditLog).where(AuditLog.action.like("export.%"))) is None


def test_an_export_is_itself_audited(engine: Engine, trail: dict[str, int]) -> None:
    shuji = _u("shuji", "secretary", uid=2)
    data = store.run_write(engine, audit.export_trail, shuji, grid_id=trail["g1"], day=DAY, now=AT)
    assert data.startswith("\ufeff".encode())
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0].split(",")[:4] == ["id", "at", "username", "action"]
    assert len(lines) == 3  # header + the two deliveries of grid 1 on that day
    with Session(engine) as s:
        row = s.scalar(select(AuditLog).where(AuditLog.action == "export.audit_log"))
    assert (row.username, row.table_name, row.at) == ("shuji", "audit_log", AT)
    assert row.after == {"rows": 2, "filters": {"grid_id": trail["g1"], "day": DAY.isoformat()}}


# --- the audit page -------------------------------------------------------------------------------


@pytest.fixture
def page_trail(small_app_db: str) -> str:  # noqa: F811
    engine = make_engine(small_app_db)
    with Session(engine) as s, s.begin():
        grids = dict(s.execute(select(Grid.number, Grid.id)).tuples().all())
        audit.record(
            s,
            _u("grid01", "grid_leader", grids[1]),
            "supplies.deliver",
            "delivery",
            41,
            grid_id=grids[1],
            after={"head_name": "张小明", "phone": "19900001234"},
            at=AT,
        )
        audit.record(s, _u("admin", "admin"), "users.create", "app_user", 9, after={"role": "viewer"}, at=AT)
    engine.dispose()
    return small_app_db


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_audit_page_shows_and_filters_the_trail(page_trail: str, lang: str) -> None:
    at = open_app("shuji", lang=lang, page="pages/audit.py")
    assert not at.exception
    assert at.title[0].value == t("audit.title", lang=lang)
    shown = at.dataframe[0].value
    assert sorted(shown["record_id"]) == ["41", "9"]
    assert "19900001234" in shown.to_string()  # the secretary reads before/after in full
    # Actions and tables in words, not codes.
    words = {
        "zh": ("登记发放", "物资发放", "新建账号"),
        "en": ("Delivery recorded", "Deliveries", "Account created"),
    }
    assert set(words[lang]) <= set(shown["action"]) | set(shown["table"])
    assert "supplies.deliver" not in set(shown["action"])
    at.selectbox[0].select("grid01").run()
    assert list(at.dataframe[0].value["record_id"]) == ["41"]
    at.selectbox[2].select("app_user").run()
    assert not at.exception
    assert [i.value for i in at.info] == [t("audit.none", lang=lang)]


def test_the_audit_page_filters_by_day(page_trail: str) -> None:
    at = open_app("admin", lang="en", page="pages/audit.py")

    def day():  # noqa: ANN202 - the page's day filter (the sidebar has a date input too)
        return next(d for d in at.date_input if d.label == t("audit.day", lang="en"))

    day().set_value(AT.date() - dt.timedelta(days=1)).run()
    assert not at.exception
    assert [i.value for i in at.info] == [t("audit.none", lang="en")]
    day().set_value(AT.date()).run()
    assert sorted(at.dataframe[0].value["record_id"]) == ["41", "9"]


def test_an_export_from_the_page_is_recorded(page_trail: str) -> None:
    at = open_app("shuji", lang="en", page="pages/audit.py")
    prepare = next(b for b in at.button if b.label == t("audit.export_prepare", lang="en"))
    prepare.click().run()
    assert not at.exception
    assert t("audit.export_recorded", lang="en") in texts(at)
    engine = make_engine(page_trail)
    with Session(engine) as s:
        row = s.scalar(select(AuditLog).where(AuditLog.action == "export.audit_log"))
    engine.dispose()
    assert row.username == "shuji" and row.after["rows"] == 2


def test_meeting_mode_hides_before_and_after_and_the_export(page_trail: str) -> None:
    at = open_app("shuji", lang="en")
    at.session_state["meeting_mode"] = True
    at.switch_page("pages/audit.py").run()
    assert not at.exception
    page = texts(at)
    assert "张小明" not in page and "19900001234" not in page
    assert "before" not in at.dataframe[0].value.columns
    assert t("audit.export_prepare", lang="en") not in [b.label for b in at.button]


def _audited_actions() -> set[str]:
    """Every action code written by a literal in dashboard/ (audit.record(session, user, "area.verb", …))."""
    found: set[str] = set()
    for path in (Path(__file__).resolve().parent.parent / "dashboard").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name == "record" and len(node.args) >= 3:
                arg = node.args[2]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    found.add(arg.value)
    return found


def test_every_audited_action_and_table_has_words_in_both_languages() -> None:
    actions = _audited_actions()
    assert {"auth.login", "screening.result", "services.roster.add"} <= actions  # the scan finds them
    for lang in ("zh", "en"):
        for action in actions:
            assert has(f"code.audit_action.{action}"), action
            assert "." not in audit.action_label(action, lang), (action, lang)
        for table in versions.TABLES:
            assert has(f"code.db_table.{table}"), table
    # Actions named at run time: a case's or a contact's new status, a medicine request's, set-up edits.
    for status in CASE_STATUSES:
        assert has(f"code.audit_action.cases.{status}")
    for status in CONTACT_STATUSES:
        assert has(f"code.audit_action.cases.contact_{status}")
    for status in MEDICINE_STATUSES:
        assert has(f"code.audit_action.services.medicine.{status}")
    for kind in setup.KINDS:
        for verb in ("add", "edit", "delete"):
            assert has(f"code.audit_action.setup.{kind}_{verb}")
    assert audit.action_label("export.audit_log", "en") == "Export · Audit trail"
    assert audit.action_label("supplies.something_new", "zh") == "物资 · something_new"  # never blank
    assert audit.action_label("unknown", "zh") == "unknown"
