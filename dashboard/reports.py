"""The daily brief: the headline figures as JSON, and as a short Chinese text for the WeChat group."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy.orm import Session

from dashboard import config, overview


def brief_figures(session: Session, day: dt.date) -> dict[str, Any]:
    """Everything the brief reports for a day."""
    figures = overview.headline(session, day)
    c = config.committee(session)
    figures["committee"] = c.name if c else ""
    return figures


def brief_json(session: Session, day: dt.date) -> str:
    """The brief as pretty JSON (keys documented in the README)."""
    return json.dumps(brief_figures(session, day), ensure_ascii=False, indent=2)


def _signed(n: int) -> str:
    return f"+{n}" if n > 0 else str(n)


def brief_text(session: Session, day: dt.date) -> str:
    """A short Chinese text ready to paste into the street's WeChat group."""
    f = brief_figures(session, day)
    change = f["new_positives"] - f["new_positives_yesterday"]
    lines = [
        f"【{f['committee'] or '居民区'}防疫日报】{day.month}月{day.day}日",
        f"一、底数：{f['compounds']}个小区、{f['grids']}个网格，{f['households']}户{f['residents']}人。",
        (
            f"二、筛查：截至今日累计核酸筛查{f['pcr_rounds']}轮、抗原自测{f['antigen_rounds']}轮；"
            f"今日新增阳性{f['new_positives']}例（较昨日{_signed(change)}），"
            f"累计{f['total_positives']}例。"
        ),
    ]
    if f["new_positives"] == 0 and f["negative_streak_days"] > 0:
        lines.append(f"三、已连续{f['negative_streak_days']}天全员阴性。")
    else:
        lines.append(f"三、单日最高{f['peak_new_positives']}例（{f['peak_date'] or '—'}）。")
    lines.append(
        f"四、转运：待转运阳性{f['awaiting_transfer']}人、密接{f['contacts_awaiting_transfer']}人；"
        f"封控楼栋{f['sealed_buildings']}栋、管控楼栋{f['controlled_buildings']}栋。"
    )
    lines.append(
        f"五、力量：居委干部{f['staff']}人、下沉干部{f['cadres']}人、内场大白{f['inner_field_staff']}人、"
        f"物业消杀{f['property_staff']}人；开放出入口{f['open_entrances']}个，24小时值守。"
    )
    return "\n".join(lines)
