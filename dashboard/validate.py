"""Input checks shared by the write functions; each failure is a ValidationError with a message key."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from dashboard.errors import ValidationError
from dashboard.i18n import t

PHONE_RE = re.compile(r"^1\d{10}$")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
# An operational record (a delivery, a round, a shift …) dated more than this many years back is a
# typo (1922 for 2022), not history: refused like a date in the future.
EARLIEST_YEARS = 10


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _label(field: str) -> str:
    return t(field) if "." in field else field


def text(value: Any, field: str, *, max_len: int = 100, required: bool = True) -> str:
    """A stripped text of at most max_len characters; required unless told otherwise."""
    s = "" if value is None else str(value).strip()
    if required and not s:
        raise ValidationError("common.required", field=_label(field))
    if len(s) > max_len:
        raise ValidationError("common.too_long", field=_label(field), max=max_len)
    if "\x00" in s:
        raise ValidationError("common.bad_text", field=_label(field))
    return s


def count(value: Any, field: str, *, maximum: int = 1_000_000) -> int:
    """A whole number ≥ 0."""
    try:
        if isinstance(value, bool):
            raise TypeError
        if isinstance(value, float) and not value.is_integer():
            raise ValueError
        n = int(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError("common.not_a_number", field=_label(field)) from exc
    if n < 0:
        raise ValidationError("common.not_negative", field=_label(field))
    if n > maximum:
        raise ValidationError("common.too_large", field=_label(field), max=maximum)
    return n


def day(value: Any, *, today: dt.date, not_before: dt.date | None = None) -> dt.date:
    """A date that is neither in the future nor before not_before."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError as exc:
            raise ValidationError("common.bad_date", value=value) from exc
    if not isinstance(value, dt.date):
        raise ValidationError("common.bad_date", value=value)
    if value > today:
        raise ValidationError("common.future_date", date=value.isoformat())
    floor = _years_before(today, EARLIEST_YEARS)
    not_before = floor if not_before is None else max(not_before, floor)
    if value < not_before:
        raise ValidationError(
            "common.date_too_early", date=value.isoformat(), earliest=not_before.isoformat()
        )
    return value


def moment(value: Any, *, now: dt.datetime, not_before: dt.datetime | None = None) -> dt.datetime:
    """A date-time that is neither in the future nor before not_before."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError as exc:
            raise ValidationError("common.bad_date", value=value) from exc
    if not isinstance(value, dt.datetime):
        raise ValidationError("common.bad_date", value=value)
    if value > now:
        raise ValidationError("common.future_date", date=value.isoformat(sep=" "))
    floor = dt.datetime.combine(_years_before(now.date(), EARLIEST_YEARS), dt.time())
    not_before = floor if not_before is None else max(not_before, floor)
    if value < not_before:
        raise ValidationError(
            "common.date_too_early", date=value.isoformat(sep=" "), earliest=not_before.isoformat(sep=" ")
        )
    return value


def choice(value: Any, allowed: tuple[str, ...], field: str) -> str:
    """One of the allowed codes."""
    if value not in allowed:
        raise ValidationError("common.bad_choice", field=_label(field), value=str(value)[:40])
    return str(value)


def phone(value: Any, *, required: bool = False) -> str:
    """An 11-digit mainland mobile number (or empty when not required)."""
    s = re.sub(r"[\s-]", "", "" if value is None else str(value))
    if not s and not required:
        return ""
    if not PHONE_RE.match(s):
        raise ValidationError("common.bad_phone", value=s[:20])
    return s


def id_check_digit(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits of an ID number."""
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11]


def is_valid_id_number(value: str) -> bool:
    """True for an 18-character ID number whose check digit is right."""
    s = value.strip().upper()
    return bool(re.fullmatch(r"\d{17}[\dX]", s)) and id_check_digit(s[:17]) == s[17]


def id_number(value: Any, *, required: bool = False) -> str | None:
    """A valid 18-character ID number, upper-case X; None when empty and not required."""
    s = "" if value is None else str(value).strip().upper()
    if not s and not required:
        return None
    if not is_valid_id_number(s):
        raise ValidationError("common.bad_id_number", value=s[:4] + "…" if len(s) > 4 else s)
    return s
