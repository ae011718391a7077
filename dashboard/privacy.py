"""Masking of personal data: names 张*明, phones 138****1234, ID numbers 310***********1234.

Lists that carry personal data name their columns by convention: `name` or `*_name` for people,
`phone`, `id_number`, and `grid_id` for the row's grid (used to decide a grid leader's rights).
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from dashboard.roles import CurrentUser, sees_contact_details, sees_personal

NAME_COLUMNS = ("name", "resident_name", "head_name", "contact_name", "case_name", "person_name")
PHONE_COLUMNS = ("phone",)
ID_COLUMNS = ("id_number",)
PERSONAL_COLUMNS = NAME_COLUMNS + PHONE_COLUMNS + ID_COLUMNS


def mask_name(name: str | None) -> str:
    """张三 → 张*, 张小明 → 张*明, 欧阳小明 → 欧**明."""
    if not name:
        return ""
    name = str(name)
    if len(name) == 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_phone(phone: str | None) -> str:
    """13812341234 → 138****1234."""
    if not phone:
        return ""
    phone = str(phone)
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_id(id_number: str | None) -> str:
    """310112195001011234 → 310***********1234."""
    if not id_number:
        return ""
    s = str(id_number)
    if len(s) < 8:
        return "*" * len(s)
    return s[:3] + "*" * (len(s) - 7) + s[-4:]


def mask(df: pd.DataFrame, user: CurrentUser, *, meeting: bool = False) -> pd.DataFrame:
    """A copy of df with each personal field masked unless this user may see it on that row's grid.

    In meeting mode personal columns are dropped altogether; a task user's phones and IDs are blank.
    """
    out = df.copy()
    present = [c for c in PERSONAL_COLUMNS if c in out.columns]
    if not present:
        return out
    if meeting or user.role == "meeting":
        return out.drop(columns=present)
    grids = out["grid_id"] if "grid_id" in out.columns else None
    # The rights depend on the row's grid only: decide once per distinct grid; when every grid gets
    # the same verdict (a manager, a viewer, a grid leader on their own grid's list) apply it to the
    # whole column instead of row by row.
    full_name = _verdicts(grids, lambda g: sees_personal(user, g))
    full_contact = _verdicts(grids, lambda g: sees_contact_details(user, g))
    for col in present:
        if col in NAME_COLUMNS:
            _apply(out, col, full_name, mask_name)
        elif user.role == "task":
            # A task volunteer or cadre sees no phone or ID number at all, not even masked.
            out[col] = ""
        else:
            _apply(out, col, full_contact, mask_phone if col in PHONE_COLUMNS else mask_id)
    return out


def _grid(value: object) -> int | None:
    return None if pd.isna(value) else int(value)  # type: ignore[arg-type]


def _verdicts(grids: pd.Series | None, allowed: Callable[[int | None], bool]) -> bool | list[bool]:
    """One verdict for every row when all rows agree, else one per row."""
    if grids is None:
        return allowed(None)
    verdict = {_grid(g): allowed(_grid(g)) for g in pd.unique(grids)}
    if len(set(verdict.values())) <= 1:
        return next(iter(verdict.values()), True)
    return [verdict[_grid(g)] for g in grids]


def _apply(out: pd.DataFrame, col: str, full: bool | list[bool], masked: Callable[[str | None], str]) -> None:
    """Mask col where the user may not read it in full."""
    if full is True:
        return
    if full is False:
        out[col] = [masked(v) for v in out[col]]
    else:
        out[col] = [v if ok else masked(v) for v, ok in zip(out[col], full, strict=True)]


def personal_columns(df: pd.DataFrame) -> list[str]:
    """The personal-data columns present in df."""
    return [c for c in PERSONAL_COLUMNS if c in df.columns]
