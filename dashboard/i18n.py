"""The message catalogue: every label in Chinese and English, from dashboard/locale/*.toml.

Each area keeps its own file so a reader finds its words beside its name; together they form one
catalogue. An entry is `key = { zh = "…", en = "…" }` under a table named for the area, giving
the key "area.key". Parameters use str.format names: t("supply.short", n=3).
"""

from __future__ import annotations

import contextvars
import tomllib
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

LANGUAGES = ("zh", "en")
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
_current: contextvars.ContextVar[str] = contextvars.ContextVar("juwei_lang", default="zh")


def _flatten(prefix: str, table: dict[str, Any], out: dict[str, dict[str, str]]) -> None:
    for name, value in table.items():
        key = f"{prefix}.{name}" if prefix else name
        if isinstance(value, dict) and set(value) <= set(LANGUAGES) and value:
            out[key] = value
        elif isinstance(value, dict):
            _flatten(key, value, out)
        else:
            raise ValueError(f"catalogue entry {key} must be {{ zh = ..., en = ... }}")


@cache
def catalogue() -> dict[str, dict[str, str]]:
    """All entries, key → {lang: text}; a key defined twice is an error."""
    out: dict[str, dict[str, str]] = {}
    for path in sorted(LOCALE_DIR.glob("*.toml")):
        part: dict[str, dict[str, str]] = {}
        _flatten("", tomllib.loads(path.read_text(encoding="utf-8")), part)
        clash = set(part) & set(out)
        if clash:
            raise ValueError(f"{path.name} redefines {sorted(clash)[:3]}")
        out.update(part)
    return out


def set_language(lang: str) -> None:
    """Set the language of this thread's script run (Streamlit runs each session in its own thread)."""
    _current.set(lang if lang in LANGUAGES else "zh")


def current_language() -> str:
    """The language in force for this run."""
    return _current.get()


def t(key: str, lang: str | None = None, **params: Any) -> str:
    """The text for key in lang (default: the current language), with params filled in."""
    entry = catalogue().get(key)
    if entry is None:
        return key
    lang = lang or _current.get()
    text = entry.get(lang) or entry.get("zh") or key
    if params:
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def has(key: str) -> bool:
    """True when key is in the catalogue."""
    return key in catalogue()


def code(kind: str, value: str | None, lang: str | None = None) -> str:
    """The word for a stored code, e.g. code('case_status', 'transferred') → 已转运."""
    if value is None:
        return ""
    key = f"code.{kind}.{value}"
    return t(key, lang=lang) if has(key) else value


def coded(df: pd.DataFrame, codes: dict[str, str], lang: str | None = None) -> pd.DataFrame:
    """df with the stored codes of `codes` (column → code kind, e.g. {"status": "case_status"}) in
    words of lang ('' where a row has no code); columns df lacks are skipped."""
    return df.assign(
        **{
            col: [code(kind, v, lang) if isinstance(v, str) else "" for v in df[col]]
            for col, kind in codes.items()
            if col in df.columns
        }
    )
