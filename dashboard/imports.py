"""Reading the files committees actually have: xlsx, or CSV in UTF-8 (with or without BOM) or
GBK/GB18030 as Chinese Excel writes it. Shared by the screening import and the ledger import.

    table = read_table(data, "结果.csv", max_bytes=limit)     # DataFrame of text, index = file row
    mapping = map_headers(table.columns, {"id_number": ("身份证号", "证件号码", "id")})

Nothing here writes to the database; the area modules build a DryRun and then commit it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from charset_normalizer import from_bytes

from dashboard.errors import ValidationError
from dashboard.i18n import t

XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0"
FIRST_DATA_ROW = 2  # row 1 of a sheet is the header, as a user counts rows in Excel


def file_digest(data: bytes) -> str:
    """SHA-256 of a file's bytes (the same file imported twice is recognised by it)."""
    return hashlib.sha256(data).hexdigest()


def decode_text(data: bytes) -> tuple[str, str]:
    """(text, encoding) for CSV bytes: UTF-8 with or without BOM, else GB18030 (covers GBK), else a guess."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        pass
    best = from_bytes(data).best()
    if best is None:
        raise ValidationError("imports.bad_encoding")
    return str(best), best.encoding


def _looks_binary(data: bytes) -> bool:
    sample = data[:4096]
    return b"\x00" in sample and not sample.startswith((b"\xff\xfe", b"\xfe\xff"))


def _sniff_delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",\t;|").delimiter
    except csv.Error:
        return ","


def clean_cell(value: Any) -> str:
    """A cell as trimmed text; Excel's 13800000000.0 becomes 13800000000, empty stays empty."""
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        if value.is_integer():
            return str(int(value))
    s = str(value).replace("\u3000", " ").strip()
    if s.lower() in ("nan", "none", "null"):
        return ""
    if re.fullmatch(r"\d+\.0", s):
        s = s[:-2]
    return s


def _clean_column(column: pd.Series) -> pd.Series:
    """clean_cell for a whole column: vectorised for text (a CSV of 75,000 rows), cell by cell otherwise."""
    if not isinstance(column.dtype, pd.StringDtype):
        return column.map(clean_cell)
    s = column.astype(str).str.replace("\u3000", " ", regex=False).str.strip()
    s = s.mask(s.str.lower().isin(("nan", "none", "null")), "")
    return s.str.replace(r"^(\d+)\.0$", r"\1", regex=True)


def read_table(data: bytes, filename: str, *, max_bytes: int, sheet: int | str = 0) -> pd.DataFrame:
    """The first sheet of an xlsx, or a CSV, as a DataFrame of trimmed text.

    The index is each row's number as Excel shows it (header = row 1), so reasons can name rows.
    Refuses (ValidationError) empty, too large, binary, old .xls, unreadable or header-only files.
    """
    if not data:
        raise ValidationError("imports.empty")
    if len(data) > max_bytes:
        raise ValidationError("imports.too_large", mb=round(max_bytes / 1_048_576, 1))
    name = (filename or "").lower()
    if data.startswith(XLS_MAGIC) or name.endswith(".xls"):
        raise ValidationError("imports.xls_unsupported")
    if data.startswith(XLSX_MAGIC):
        try:
            frame = pd.read_excel(
                io.BytesIO(data), sheet_name=sheet, dtype=object, header=0, engine="openpyxl"
            )
        except Exception as exc:  # noqa: BLE001 - any parser failure is a bad file to the user
            raise ValidationError("imports.bad_xlsx") from exc
    else:
        if _looks_binary(data):
            raise ValidationError("imports.binary")
        text, _encoding = decode_text(data)
        if not text.strip():
            raise ValidationError("imports.empty")
        try:
            frame = pd.read_csv(
                io.StringIO(text),
                sep=_sniff_delimiter(text),
                dtype=str,
                keep_default_na=False,
                skip_blank_lines=True,
                on_bad_lines="error",
            )
        except (pd.errors.ParserError, csv.Error, ValueError) as exc:
            raise ValidationError("imports.bad_csv", detail=str(exc)[:120]) from exc
    frame.columns = [clean_cell(c) for c in frame.columns]
    frame = frame.apply(_clean_column)
    frame.index = range(FIRST_DATA_ROW, FIRST_DATA_ROW + len(frame))
    frame = frame.loc[~(frame == "").all(axis=1)]
    if frame.empty or not any(frame.columns):
        raise ValidationError("imports.no_rows")
    return frame


def normalise_header(header: str) -> str:
    """Header text reduced for matching: lower case, no spaces, brackets, underscores or colons."""
    return re.sub(r"[\s_\-:：()（）\[\]【】*.]", "", str(header)).lower()


def map_headers(columns: Iterable[str], synonyms: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """field → the file's column for it, matched by normalised header among each field's synonyms."""
    by_norm: dict[str, str] = {}
    for col in columns:
        by_norm.setdefault(normalise_header(col), col)
    out: dict[str, str] = {}
    for fld, names in synonyms.items():
        for candidate in (fld, *names):
            col = by_norm.get(normalise_header(candidate))
            if col is not None and col not in out.values():
                out[fld] = col
                break
    return out


def require_columns(mapping: Mapping[str, str], required: Iterable[str], labels: Mapping[str, str]) -> None:
    """Refuse a file lacking required columns, naming them in the user's language."""
    missing = [labels.get(f, f) for f in required if f not in mapping]
    if missing:
        raise ValidationError("imports.missing_columns", columns="、".join(missing))


@dataclass(frozen=True)
class RowIssue:
    """Why one row of a file is not taken as it is."""

    row: int
    key: str
    params: dict[str, Any] = field(default_factory=dict)

    def message(self, lang: str | None = None) -> str:
        return t(self.key, lang=lang, **self.params)


@dataclass
class DryRun:
    """What a commit would do, row by row; nothing is written until commit."""

    add: list[int] = field(default_factory=list)
    update: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    merge: list[int] = field(default_factory=list)
    issues: list[RowIssue] = field(default_factory=list)
    payload: Any = None  # what commit needs (prepared rows), built by the area module
    digest: str = ""

    @property
    def rejected_rows(self) -> list[int]:
        return sorted({i.row for i in self.issues})

    def summary(self) -> dict[str, int]:
        return {
            "add": len(self.add),
            "update": len(self.update),
            "unchanged": len(self.unchanged),
            "merge": len(self.merge),
            "rejected": len(self.rejected_rows),
        }

    def issues_frame(self, lang: str | None = None) -> pd.DataFrame:
        """Rejected rows with their reasons, for display."""
        return pd.DataFrame(
            [{"row": i.row, "reason": i.message(lang)} for i in sorted(self.issues, key=lambda i: i.row)],
            columns=["row", "reason"],
        )
