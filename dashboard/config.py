"""Configuration: environment settings, the rules of the field (kept in the database), and 'today'."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Committee, Setting

# Rules of the field with DESIGN.md's defaults; a committee may change them in the setting table.
RULE_DEFAULTS: dict[str, int | str] = {
    "zone_sealed_days": 7,
    "zone_controlled_days": 14,
    "transfer_overdue_hours": 24,
    "large_household_threshold": 6,
    "large_household_portions": 2,
    "hospital_run_weekdays": "1,4",
    "pool_size": 10,
    "disinfection_rounds_min": 1,
    "disinfection_rounds_max": 2,
}


@dataclass(frozen=True)
class EnvSettings:
    """Settings read from the environment at start-up."""

    language: str
    tiles: str
    assets: str
    session_hours: float
    import_max_mb: float
    cookie_secure: bool


def env() -> EnvSettings:
    """Read the environment (JUWEI_LANG, JUWEI_TILES, JUWEI_ASSETS, JUWEI_SESSION_HOURS, ...)."""
    lang = os.environ.get("JUWEI_LANG", "zh").strip().lower()
    tiles = os.environ.get("JUWEI_TILES", "none").strip().lower()
    assets = os.environ.get("JUWEI_ASSETS", "local").strip().lower()
    return EnvSettings(
        language=lang if lang in ("zh", "en") else "zh",
        tiles=tiles if tiles in ("none", "osm", "amap") else "none",
        assets=assets if assets in ("local", "cdn") else "local",
        session_hours=float(os.environ.get("JUWEI_SESSION_HOURS", "12")),
        import_max_mb=float(os.environ.get("JUWEI_IMPORT_MAX_MB", "20")),
        cookie_secure=os.environ.get("JUWEI_COOKIE_SECURE", "0") == "1",
    )


def rule(session: Session, key: str) -> int | str:
    """One rule of the field: the committee's setting, else the default."""
    default = RULE_DEFAULTS[key]
    value = session.scalar(select(Setting.value).where(Setting.key == key))
    if value is None:
        return default
    return int(value) if isinstance(default, int) else value


def int_rule(session: Session, key: str) -> int:
    """A numeric rule of the field."""
    return int(rule(session, key))


def committee(session: Session) -> Committee | None:
    """The committee this database belongs to, or None on an empty install."""
    return session.scalar(select(Committee).limit(1))


def committee_name(session: Session) -> str:
    """The committee's name ('' on an empty install)."""
    c = committee(session)
    return c.name if c else ""


def is_demo(session: Session) -> bool:
    """True when the Huamei demo data is loaded."""
    c = committee(session)
    return bool(c and c.is_demo)


def today(session: Session) -> dt.date:
    """The app's today: the real date, or the demo's last day when the demo data is loaded."""
    return calendar(session)[0]


def calendar(session: Session) -> tuple[dt.date, bool]:
    """(today, is_demo) in one plain read: what every page's frame asks first (what is pending is
    flushed first, as session.execute would)."""
    if session.autoflush:
        session.flush()
    row = session.connection().execute(select(Committee.is_demo, Committee.demo_today).limit(1)).first()
    demo = bool(row and row[0])
    if demo and row[1] is not None:
        return row[1], demo
    return dt.date.today(), demo


def end_of(day: dt.date) -> dt.datetime:
    """The last second of a day: "as of a day" means everything up to then."""
    return dt.datetime.combine(day, dt.time(23, 59, 59))


def clock() -> dt.datetime:
    """The wall clock, to the second: where the app reads the time of day (now(), a form's default
    time, the map's hour). One place, so a test can set the hour its page is opened at."""
    return dt.datetime.now().replace(microsecond=0)


def now(session: Session) -> dt.datetime:
    """The app's current moment: real time, or the same wall-clock time on the demo's last day."""
    return now_on(today(session), clock())


def now_on(day: dt.date, at: dt.datetime | None = None) -> dt.datetime:
    """now() without a query, given the app's today (ui.today()): that day at the time of `at` (the
    clock's when not given), to the second."""
    return dt.datetime.combine(day, (at or clock()).replace(microsecond=0).time())
