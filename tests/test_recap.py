"""The daily recap: day against day, the day's problems, follow-ups that close the loop, the frozen
record of the day, and the brief in text, JSON, xlsx and PDF."""

from __future__ import annotations

import datetime as dt
import io
import json

import pandas as pd
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboard import auth, followups, recap, reports
from dashboard.errors import PermissionDenied, StaleEdit, ValidationError
from dashboard.i18n import t
from db.models import AuditLog, Delivery, FollowUp, Grid, Household, User
from tests.helpers import open_app, texts

APR7, APR8 = dt.date(2022, 4, 7), dt.date(2022, 4, 8)
MAY20, MAY29 = dt.date(2022, 5, 20), dt.date(2022, 5, 29)


def user(session: Session, username: str) -> auth.CurrentUser:
    return auth.to_current(session, session.scalar(select(User).where(User.username == username)))


def grid_id(session: Session, number: int) -> int:
    return session.scalar(select(Grid.id).where(Grid.number == number))


# --- comparing days -------------------------------------------------------------------------


def test_comparison_arrows_and_verdicts() -> None:
    rows = {
        c.key: c
        for c in recap.compare_days(
            {"new_positives": 12, "negative_streak_days": 0, "sealed_buildings": 55, "open_followups": 4},
            {"new_positives": 15, "negative_streak_days": 0, "sealed_buildings": 48, "open_followups": 4},
        )
    }
    assert (rows["new_positives"].change, rows["new_positives"].arrow, rows["new_positives"].verdict) == (
        -3,
        "↓",
        "good",
    )
    assert (rows["sealed_buildings"].arrow, rows["sealed_buildings"].verdict) == ("↑", "bad")
    assert (rows["open_followups"].arrow, rows["open_followups"].verdict) == ("→", "neutral")


def test_april_8_against_april_7(seeded: Session) -> None:
    today, before = recap.day_figures(seeded, APR8), recap.day_figures(seeded, APR7)
    found = {c.key: c for c in recap.compare_days(today, before)}
    per_day = {d: n for d, n in recap.overview.positives_by_day(seeded, APR8).items()}
    assert found["new_positives"].today == per_day[APR8]
    assert found["new_positives"].yesterday == per_day[APR7]
    assert today["screening_round"].startswith("pcr:")
    assert 0.9 < today["screening_coverage"] <= 1.0


# --- the day's problems ---------------------------------------------------------------------


def test_problems_name_grids_and_counts_without_people(seeded: Session) -> None:
    found = recap.problems(seeded, APR8)
    new = [p for p in found if p.kind == "new_positives"]
    assert sum(p.count for p in new) == recap.day_figures(seeded, APR8)["new_positives"]
    assert all(p.grid is not None for p in new)
    assert len({p.key for p in found}) == len(found)
    for p in found:
        text = reports.problem_text(p, "zh")
        assert "{" not in text and str(p.count) in text or p.kind == "unguarded"


def test_the_unguarded_hours_of_may_20_are_a_problem(seeded: Session) -> None:
    unguarded = [p for p in recap.problems(seeded, MAY20) if p.kind == "unguarded"]
    assert unguarded, "the seed leaves one entrance unguarded on 2022-05-20"
    assert unguarded[0].params["hours"] > 0
    assert recap.day_figures(seeded, MAY20)["unguarded_hours"] == pytest.approx(
        sum(p.params["hours"] for p in unguarded)
    )


def test_households_without_the_current_batch_are_problems_per_grid(seeded: Session) -> None:
    gaps = [p for p in recap.problems(seeded, MAY29) if p.kind == "supply_gap"]
    figures = recap.day_figures(seeded, MAY29)
    assert gaps and figures["supply_coverage"] < 1
    assert all(p.params["batch"] == figures["supply_batch"] for p in gaps)


def test_grid_ranking_is_ordered_by_score(seeded: Session) -> None:
    ranking = recap.grid_ranking(seeded, MAY29)
    assert list(ranking["rank"]) == list(range(1, 11))
    assert list(ranking["score"]) == sorted(ranking["score"], reverse=True)
    assert ranking[["screening", "supply", "disinfection", "reached_share"]].le(1).all().all()


def test_the_meeting_is_the_figures_ranking_and_problems_read_once(seeded: Session) -> None:
    # MAY29: a round held that day (its missed residents are problems); APR8: early days.
    for day in (APR8, MAY29):
        m = recap.meeting(seeded, day)
        before = day - dt.timedelta(days=1)
        today = {**m.today, **recap.followup_figures(seeded, day)}
        assert today == recap.day_figures(seeded, day) and list(today) == list(recap.day_figures(seeded, day))
        assert {**m.yesterday, **recap.followup_figures(seeded, before)} == recap.day_figures(seeded, before)
        pd.testing.assert_frame_equal(m.ranking, recap.grid_ranking(seeded, day))
        assert m.problems == recap.problems(seeded, day)
    assert any(p.kind == "missed_residents" for p in m.problems)
    # A new follow-up changes the follow-up figures, not the meeting's.
    opened = recap.followup_figures(seeded, MAY29)["open_followups"]
    followups.create_followup(seeded, user(seeded, "shuji"), "复核", grid_id=None, created_on=MAY29)
    assert recap.followup_figures(seeded, MAY29)["open_followups"] == opened + 1
    assert recap.meeting(seeded, MAY29).today == m.today


# --- follow-ups -----------------------------------------------------------------------------


def test_followups_carry_over_until_closed_with_what_was_done(seeded: Session) -> None:
    shuji = user(seeded, "shuji")
    g3 = grid_id(seeded, 3)
    row = followups.create_followup(
        seeded, shuji, "楼道消杀补做", grid_id=g3, owner="张", created_on=dt.date(2022, 5, 27)
    )
    on_28 = followups.followups(seeded, dt.date(2022, 5, 28)).set_index("id").loc[row.id]
    assert bool(on_28["open"]) and bool(on_28["carried_over"]) and bool(on_28["overdue"])
    with pytest.raises(ValidationError):
        followups.close_followup(seeded, shuji, row.id, "   ")
    followups.close_followup(seeded, shuji, row.id, "已补做", at=dt.datetime(2022, 5, 29, 9, 0))
    on_29 = followups.followups(seeded, MAY29).set_index("id").loc[row.id]
    assert not on_29["open"] and on_29["resolution"] == "已补做"
    # Replaying the 28th still shows it open: the closing happened later.
    assert bool(followups.followups(seeded, dt.date(2022, 5, 28)).set_index("id").loc[row.id, "open"])
    actions = set(seeded.scalars(select(AuditLog.action).where(AuditLog.record_id == str(row.id))))
    assert {"recap.followup_create", "recap.followup_close"} <= actions


def test_a_problem_becomes_at_most_one_followup(seeded: Session) -> None:
    shuji = user(seeded, "shuji")
    p = recap.problems(seeded, APR8)[0]
    followups.create_followup(seeded, shuji, reports.problem_text(p), grid_id=p.grid_id, problem_key=p.key)
    with pytest.raises(ValidationError):
        followups.create_followup(
            seeded, shuji, reports.problem_text(p), grid_id=p.grid_id, problem_key=p.key
        )


def test_a_grid_leader_cannot_write_another_grids_followup(seeded: Session) -> None:
    leader = user(seeded, "grid03")
    followups.create_followup(seeded, leader, "本网格事项", grid_id=grid_id(seeded, 3))
    with pytest.raises(PermissionDenied):
        followups.create_followup(seeded, leader, "别的网格", grid_id=grid_id(seeded, 5))
    other = followups.create_followup(seeded, user(seeded, "shuji"), "五网格", grid_id=grid_id(seeded, 5))
    with pytest.raises(PermissionDenied):
        followups.close_followup(seeded, leader, other.id, "越权")
    with pytest.raises(PermissionDenied):
        followups.create_followup(seeded, user(seeded, "meeting"), "会议账号", grid_id=None)


def test_closing_a_followup_someone_else_changed_is_refused(seeded: Session) -> None:
    shuji = user(seeded, "shuji")
    row = followups.create_followup(seeded, shuji, "事项", grid_id=None)
    seen = row.version
    row.owner = "王"
    seeded.flush()
    with pytest.raises(StaleEdit):
        followups.close_followup(seeded, shuji, row.id, "done", expected_version=seen)


# --- close the day --------------------------------------------------------------------------


def test_the_snapshot_keeps_what_the_meeting_saw(seeded: Session) -> None:
    shuji = user(seeded, "shuji")
    recap.close_day(seeded, shuji, MAY29, now=dt.datetime(2022, 5, 29, 20, 0))
    assert recap.snapshot_differences(seeded, MAY29).empty
    with pytest.raises(ValidationError):
        recap.close_day(seeded, shuji, MAY29)
    # A correction after the meeting: a household of the current batch gets its portion.
    batch = recap.day_figures(seeded, MAY29)["supply_batch"]
    from db.models import SupplyBatch

    batch_id = seeded.scalar(select(SupplyBatch.id).where(SupplyBatch.name == batch))
    served = select(Delivery.household_id).where(Delivery.batch_id == batch_id)
    household = seeded.scalar(select(Household.id).where(Household.id.not_in(served)).limit(1))
    seeded.add(
        Delivery(
            batch_id=batch_id,
            household_id=household,
            status="delivered",
            portions=1,
            at=dt.datetime(2022, 5, 29, 21, 0),
        )
    )
    seeded.flush()
    diffs = recap.snapshot_differences(seeded, MAY29).set_index("key")
    assert diffs.loc["deliveries_today", "live"] == diffs.loc["deliveries_today", "snapshot"] + 1
    assert (
        recap.snapshot(seeded, MAY29).figures["deliveries_today"] == diffs.loc["deliveries_today", "snapshot"]
    )


def test_only_managers_close_the_day_and_not_in_the_future(seeded: Session) -> None:
    with pytest.raises(PermissionDenied):
        recap.close_day(seeded, user(seeded, "grid01"), MAY29)
    with pytest.raises(ValidationError):
        recap.close_day(seeded, user(seeded, "shuji"), dt.date(2022, 6, 1))


# --- the brief ------------------------------------------------------------------------------


def test_brief_text_json_xlsx_pdf_tell_the_same_day(seeded: Session) -> None:
    figures = recap.day_figures(seeded, APR8)
    text = reports.brief_text(seeded, APR8)
    assert f"今日新增阳性{figures['new_positives']}例" in text and "4月8日" in text
    english = reports.brief_text(seeded, APR8, "en")
    assert f"New positives today {figures['new_positives']}" in english and "2022-04-08" in english

    data = json.loads(reports.brief_json(seeded, APR8))
    assert data["new_positives"] == figures["new_positives"] and data["residents"] == 7500
    assert {p["kind"] for p in data["problems"]} >= {"new_positives"}

    wb = load_workbook(io.BytesIO(reports.brief_xlsx(seeded, APR8)))
    assert wb.sheetnames[:4] == [
        t(k, lang="zh")
        for k in (
            "recap.section_figures",
            "recap.section_grids",
            "recap.section_problems",
            "recap.section_followups",
        )
    ]
    rows = {r[0]: r for r in wb.worksheets[0].iter_rows(values_only=True)}
    assert rows[t("recap.fig.new_positives", lang="zh")][1] == figures["new_positives"]
    assert wb.worksheets[1].max_row == 11  # header + 10 grids

    pdf = PdfReader(io.BytesIO(reports.brief_pdf(seeded, APR8)))
    page_text = "".join(p.extract_text() for p in pdf.pages)
    assert "每日复盘" in page_text and "2022-04-08" in page_text
    assert t("recap.fig.new_positives", lang="zh") in page_text


def test_the_pdf_embeds_its_chinese_font_when_one_is_installed(seeded: Session) -> None:
    font, embedded = reports.cjk_font()
    if not embedded:
        pytest.skip("no CJK TrueType font installed (apt-get install fonts-wqy-zenhei)")
    pdf = PdfReader(io.BytesIO(reports.brief_pdf(seeded, MAY29)))
    descriptors = []
    for f in pdf.pages[0]["/Resources"]["/Font"].values():
        f = f.get_object()
        if "/DescendantFonts" in f:
            descriptors.append(f["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object())
        elif "/FontDescriptor" in f:
            descriptors.append(f["/FontDescriptor"].get_object())
    assert any("/FontFile2" in d for d in descriptors)


def test_the_brief_command_writes_each_format(seeded_sqlite_template, tmp_path) -> None:  # noqa: ANN001
    import subprocess
    import sys

    from tests.helpers import ROOT

    for fmt in ("xlsx", "pdf"):
        out = tmp_path / f"brief.{fmt}"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "dashboard",
                "--database-url",
                f"sqlite:///{seeded_sqlite_template}",
                "brief",
                "--date",
                "2022-04-08",
                "--format",
                fmt,
                "--out",
                str(out),
            ],
            check=True,
            cwd=ROOT,
            capture_output=True,
        )
        assert out.read_bytes()[:4] in (b"PK\x03\x04", b"%PDF")
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "dashboard",
            "--database-url",
            f"sqlite:///{seeded_sqlite_template}",
            "brief",
            "--date",
            "2022-13-01",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "Not a date" in bad.stderr and "日期无效" in bad.stderr


# --- the page -------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_recap_page_renders_the_meeting_screen(app_db: str, lang: str) -> None:
    at = open_app("meeting", lang=lang, page="pages/recap.py")
    assert not at.exception
    page = texts(at)
    assert t("recap.section_grids", lang=lang) in page
    assert t("recap.fig.negative_streak_days", lang=lang) in page
    # The meeting account sees no forms: it may not write.
    assert not any(b.label == t("recap.close_day", lang=lang) for b in at.button)


def test_secretary_turns_a_problem_into_a_followup_and_closes_the_day(app_db: str) -> None:
    at = open_app("shuji", page="pages/recap.py")
    assert not at.exception
    make = [b for b in at.button if b.label == t("recap.make_followup")]
    assert make
    make[0].click().run()
    assert not at.exception
    next(b for b in at.button if b.label == t("recap.close_day")).click().run()
    assert not at.exception
    from db import make_engine

    with Session(make_engine()) as s:
        assert (
            s.scalar(select(func.count()).select_from(FollowUp).where(FollowUp.problem_key.is_not(None))) == 1
        )
        assert recap.snapshot(s, MAY29) is not None
    assert t("recap.day_closed", date="2022-05-29", at="", who="").split("（")[0][:10] in texts(at)


def test_names_typed_by_users_cannot_break_the_pdf_or_the_page(seeded: Session) -> None:
    from dashboard import ui

    shuji = user(seeded, "shuji")
    followups.create_followup(
        seeded, shuji, "<b>核对 A<B & C</b> ![x](http://example.invalid/x.png)", grid_id=None
    )
    pdf = PdfReader(io.BytesIO(reports.brief_pdf(seeded, MAY29)))
    assert "核对 A<B & C" in "".join(p.extract_text() for p in pdf.pages)
    assert ui.plain("![x](http://e/x.png) $x$") == r"\!\[x\]\(http\://e/x\.png\) \$x\$"
