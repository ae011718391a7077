"""The daily brief in four forms: JSON (figures), a short Chinese text for the WeChat group, an xlsx
with a sheet per area, and an A4 PDF with the charts and an embedded Chinese font.

Every form is built from the same figures (recap.meeting, read once per brief), so they match the
recap screen.
No form carries personal data.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pandas as pd
from sqlalchemy.orm import Session

from dashboard import config, followups, overview, recap
from dashboard.i18n import code, has, t

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "C:/Windows/Fonts/simhei.ttf",
    "C:/Windows/Fonts/msyh.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
)


@dataclass(frozen=True)
class _Day:
    """The recap of a day as the brief's forms use it: every figure of the day and of the day
    before (follow-ups included), the grids ranked, the problems."""

    today: dict[str, Any]
    yesterday: dict[str, Any]
    ranking: pd.DataFrame
    problems: list[recap.Problem]


def _recap(session: Session, day: dt.date) -> _Day:
    """recap.meeting's one set of reads, kept on the session: a form's tables, the figures and the
    problems all come from it (the same figures as the recap screen)."""
    key = ("juwei.brief", day)
    if key not in session.info:
        m = recap.meeting(session, day)
        session.info[key] = _Day(
            today={**m.today, **recap.followup_figures(session, day)},
            yesterday={**m.yesterday, **recap.followup_figures(session, day - dt.timedelta(days=1))},
            ranking=m.ranking,
            problems=m.problems,
        )
    return session.info[key]


def brief_figures(session: Session, day: dt.date) -> dict[str, Any]:
    """Everything the brief reports for a day (the JSON keys documented in the README)."""
    figures = dict(_recap(session, day).today)
    figures["committee"] = config.committee_name(session)
    return figures


def brief_json(session: Session, day: dt.date, lang: str = "zh") -> str:
    """The brief as pretty JSON."""
    figures = brief_figures(session, day)
    figures["problems"] = [p.as_dict() for p in _recap(session, day).problems]
    return json.dumps(figures, ensure_ascii=False, indent=2, default=str)


def _signed(n: int) -> str:
    return f"+{n}" if n > 0 else str(n)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def brief_text(session: Session, day: dt.date, lang: str = "zh") -> str:
    """A short text ready to paste into the street's WeChat group (Chinese unless told otherwise)."""
    return brief_text_from(brief_figures(session, day), day, lang)


def brief_text_from(f: dict[str, Any], day: dt.date, lang: str = "zh") -> str:
    """brief_text for figures already read (recap.day_figures plus 'committee')."""
    change = f["new_positives"] - f["new_positives_yesterday"]
    committee = f.get("committee") or t("brief.committee_default", lang=lang)
    lines = [
        t("brief.title", lang=lang, committee=committee, month=day.month, day=day.day, date=day.isoformat()),
        t(
            "brief.base",
            lang=lang,
            compounds=f["compounds"],
            grids=f["grids"],
            households=f["households"],
            residents=f["residents"],
        ),
        t(
            "brief.screening",
            lang=lang,
            pcr=f["pcr_rounds"],
            antigen=f["antigen_rounds"],
            coverage=_pct(f["screening_coverage"]),
            missed=f["missed_residents"],
            new=f["new_positives"],
            change=_signed(change),
            total=f["total_positives"],
        ),
    ]
    if f["new_positives"] == 0 and f["negative_streak_days"] > 0:
        lines.append(t("brief.streak", lang=lang, days=f["negative_streak_days"]))
    else:
        lines.append(t("brief.peak", lang=lang, peak=f["peak_new_positives"], date=f["peak_date"] or "—"))
    lines.append(
        t(
            "brief.transfer",
            lang=lang,
            cases=f["awaiting_transfer"],
            contacts=f["contacts_awaiting_transfer"],
            overdue=f["transfer_overdue"],
            sealed=f["sealed_buildings"],
            controlled=f["controlled_buildings"],
        )
    )
    supply = (
        t("brief.supply_batch", lang=lang, batch=f["supply_batch"], coverage=_pct(f["supply_coverage"]))
        if f["supply_batch"]
        else t("brief.supply_none", lang=lang)
    )
    lines.append(
        t(
            "brief.supplies",
            lang=lang,
            supply=supply,
            delivered=f["deliveries_today"],
            received=f["parcels_received"],
            sent=f["parcels_delivered"],
            backlog=f["parcel_backlog"],
            medicine=f["medicine_outstanding"],
        )
    )
    lines.append(
        t(
            "brief.unguarded" if f["unguarded_hours"] else "brief.guarded",
            lang=lang,
            done=f["disinfection_done"],
            required=f["disinfection_required"],
            entrances=f["open_entrances"],
            hours=f["unguarded_hours"],
        )
    )
    lines.append(
        t(
            "brief.people",
            lang=lang,
            staff=f["staff"],
            cadres=f["cadres"],
            inner=f["inner_field_staff"],
            property=f["property_staff"],
            volunteers=f["volunteers"],
            followups=f["open_followups"],
        )
    )
    return "\n".join(lines)


# --- shared content of the xlsx and the PDF -------------------------------------------------


def _where(p: recap.Problem, lang: str | None) -> str:
    return t("recap.grid_label", lang=lang, n=p.grid) if p.grid else t("recap.area_wide", lang=lang)


def problem_text(p: recap.Problem, lang: str | None = None) -> str:
    """A problem in words (no personal data)."""
    return t(f"recap.problem.{p.kind}", lang=lang, where=_where(p, lang), count=p.count, **p.params)


def _value(key: str, value: Any) -> Any:
    if key in recap.PERCENT_KEYS:
        return _pct(value)
    return "—" if value is None else value


def figure_label(key: str, lang: str | None = None) -> str:
    """The words for a recap figure (its key when it has none)."""
    return t(f"recap.fig.{key}", lang=lang) if has(f"recap.fig.{key}") else key


def comparison_rows_from(comparisons: list[recap.Comparison], lang: str | None = None) -> list[list[Any]]:
    """[figure, today, yesterday, change] rows for comparisons already computed."""
    rows = []
    for c in comparisons:
        change = c.change
        if change is None:
            shown = "—"
        elif c.key in recap.PERCENT_KEYS:
            shown = f"{change * 100:+.1f}%"
        else:
            shown = _signed(round(change, 1))
        rows.append(
            [
                figure_label(c.key, lang),
                _value(c.key, c.today),
                _value(c.key, c.yesterday),
                f"{c.arrow} {shown}",
            ]
        )
    return rows


def comparison_rows(session: Session, day: dt.date, lang: str | None = None) -> list[list[Any]]:
    """[figure, today, yesterday, change] rows, the same on the screen, in the xlsx and the PDF."""
    got = _recap(session, day)
    return comparison_rows_from(recap.compare_days(got.today, got.yesterday), lang)


def ranking_rows(session: Session, day: dt.date, lang: str | None = None) -> list[list[Any]]:
    """[rank, grid, screening, missed reached, supplies, disinfection, score] rows."""
    g = _recap(session, day).ranking
    return [
        [
            int(r.rank),
            t("recap.grid_label", lang=lang, n=int(r.grid)),
            _pct(r.screening),
            f"{int(r.missed_reached)}/{int(r.missed)}",
            _pct(r.supply),
            _pct(r.disinfection),
            f"{r.score * 100:.1f}",
        ]
        for r in g.itertuples()
    ]


def ranking_header(lang: str | None = None) -> list[str]:
    keys = ("rank", "section_grids", "screening", "missed_reached", "supply", "disinfection", "score")
    header = [t(f"recap.{k}", lang=lang) for k in keys]
    header[1] = t("common.grid", lang=lang)
    return header


def followup_rows(session: Session, day: dt.date, lang: str | None = None) -> list[list[Any]]:
    fu = followups.followups(session, day)
    rows = []
    for r in fu.itertuples():
        status = code("followup_status", "open" if r.open else "closed", lang=lang)
        grid = t("recap.grid_label", lang=lang, n=int(r.grid)) if r.grid == r.grid and r.grid else ""
        rows.append(
            [r.created_on.isoformat(), grid, r.item, r.owner, r.due_on.isoformat(), status, r.resolution]
        )
    return rows


def followup_header(lang: str | None = None) -> list[str]:
    return [
        t("recap.created", lang=lang),
        t("common.grid", lang=lang),
        t("recap.item", lang=lang),
        t("recap.owner", lang=lang),
        t("recap.due", lang=lang),
        t("common.status", lang=lang),
        t("recap.resolution", lang=lang),
    ]


def comparison_header(lang: str | None = None) -> list[str]:
    return [
        t("recap.figure", lang=lang),
        t("recap.today", lang=lang),
        t("recap.yesterday", lang=lang),
        t("recap.change", lang=lang),
    ]


# --- xlsx -----------------------------------------------------------------------------------


def brief_xlsx(session: Session, day: dt.date, lang: str = "zh") -> bytes:
    """The brief as an xlsx: one sheet per area (overview, grids, problems, follow-ups, curve)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="F2DCDB")

    def sheet(title: str, header: list[str], rows: list[list[Any]], first: bool = False) -> None:
        ws = wb.active if first else wb.create_sheet()
        ws.title = title[:31]
        ws.append(header)
        for cell in ws[1]:
            cell.font = bold
            cell.fill = fill
        for row in rows:
            ws.append(row)
        for i, _ in enumerate(header, 1):
            ws.column_dimensions[get_column_letter(i)].width = 18 if i > 1 else 26
        ws.freeze_panes = "A2"

    committee = config.committee_name(session)
    sheet(
        t("recap.section_figures", lang=lang),
        comparison_header(lang),
        [[f"{committee} {day.isoformat()}", "", "", ""], *comparison_rows(session, day, lang)],
        first=True,
    )
    sheet(t("recap.section_grids", lang=lang), ranking_header(lang), ranking_rows(session, day, lang))
    sheet(
        t("recap.section_problems", lang=lang),
        [t("common.grid", lang=lang), t("recap.item", lang=lang)],
        [[p.grid or "", problem_text(p, lang)] for p in _recap(session, day).problems],
    )
    sheet(t("recap.section_followups", lang=lang), followup_header(lang), followup_rows(session, day, lang))
    curve = overview.positives_by_day(session, day)
    start = min(curve) if curve else day
    days = [start + dt.timedelta(days=i) for i in range((day - start).days + 1)]
    running = 0
    curve_rows = []
    for d in days:
        running += curve.get(d, 0)
        curve_rows.append([d.isoformat(), curve.get(d, 0), running])
    sheet(
        t("recap.curve", lang=lang),
        [
            t("common.date", lang=lang),
            t("recap.fig.new_positives", lang=lang),
            t("recap.running_total", lang=lang),
        ],
        curve_rows,
    )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- PDF ------------------------------------------------------------------------------------


@cache
def cjk_font() -> tuple[str, bool]:
    """(reportlab font name, embedded?) — a TrueType CJK font when one is installed, else a CID font."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    candidates = [os.environ.get("JUWEI_PDF_FONT", ""), *FONT_CANDIDATES]
    for path in candidates:
        if path and Path(path).is_file():
            try:
                font = (
                    TTFont("JuweiCJK", path, subfontIndex=0)
                    if path.endswith(".ttc")
                    else TTFont("JuweiCJK", path)
                )
                pdfmetrics.registerFont(font)
                return "JuweiCJK", True
            except Exception:  # noqa: BLE001, S112 - a broken font file: try the next one
                continue
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light", False


def _curve_drawing(session: Session, day: dt.date, font: str) -> Any:
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib import colors

    curve = overview.positives_by_day(session, day)
    start = dt.date(day.year, 4, 1) if day.month >= 4 else (min(curve) if curve else day)
    start = min([start, *curve]) if curve else start
    days = [start + dt.timedelta(days=i) for i in range((day - start).days + 1)]
    drawing = Drawing(480, 190)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 35, 30, 430, 130
    chart.data = [[curve.get(d, 0) for d in days]]
    chart.bars[0].fillColor = colors.HexColor("#c0392b")
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontName = font
    chart.categoryAxis.categoryNames = [d.strftime("%m-%d") if i % 7 == 0 else "" for i, d in enumerate(days)]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 7
    drawing.add(chart)
    drawing.add(String(35, 172, t("recap.curve"), fontName=font, fontSize=10))
    return drawing


def brief_pdf(session: Session, day: dt.date, lang: str = "zh") -> bytes:
    """The brief as an A4 PDF: figures against the day before, the curve, the grids, problems, follow-ups."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font, _embedded = cjk_font()
    title = ParagraphStyle("title", fontName=font, fontSize=16, leading=22, spaceAfter=6)
    h2 = ParagraphStyle("h2", fontName=font, fontSize=12, leading=16, spaceBefore=8, spaceAfter=4)
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=13)

    def table(header: list[str], rows: list[list[Any]], widths: list[float] | None = None) -> Table:
        data = [[Paragraph(escape(str(c)), body) for c in header]] + [
            [Paragraph(escape(str(c)), body) for c in r] for r in rows
        ]
        tbl = Table(data, colWidths=widths, repeatRows=1)
        tbl.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f2dcdb")),
                    ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        return tbl

    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=t("recap.title", lang=lang),
        author=config.committee_name(session),
    )
    yesterday = day - dt.timedelta(days=1)
    story: list[Any] = [
        Paragraph(escape(f"{config.committee_name(session)} · {t('recap.title', lang=lang)}"), title),
        Paragraph(t("recap.heading", lang=lang, date=day.isoformat(), yesterday=yesterday.isoformat()), body),
        Paragraph(t("recap.section_figures", lang=lang), h2),
        table(
            comparison_header(lang), comparison_rows(session, day, lang), [70 * mm, 35 * mm, 35 * mm, 35 * mm]
        ),
        Spacer(1, 4 * mm),
        _curve_drawing(session, day, font),
        Paragraph(t("recap.section_grids", lang=lang), h2),
        table(ranking_header(lang), ranking_rows(session, day, lang)),
        Paragraph(t("recap.section_problems", lang=lang), h2),
    ]
    found = _recap(session, day).problems
    if found:
        story += [Paragraph(escape(f"• {problem_text(p, lang)}"), body) for p in found]
    else:
        story.append(Paragraph(t("recap.no_problems", lang=lang), body))
    story.append(Paragraph(t("recap.section_followups", lang=lang), h2))
    rows = followup_rows(session, day, lang)
    story.append(
        table(followup_header(lang), rows) if rows else Paragraph(t("recap.no_followups", lang=lang), body)
    )
    doc.build(story)
    return buf.getvalue()
