"""The page registry: which pages exist, in which menu group, and which roles see them.

Plain data so it can be tested without Streamlit; streamlit_app.py turns it into st.Page objects.
A page missing from a role's list cannot be opened by that role, even by URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from dashboard.roles import CurrentUser

ROOT = Path(__file__).resolve().parent.parent
EVERYONE = frozenset({"admin", "secretary", "grid_leader", "task", "meeting", "viewer"})
STAFF = frozenset({"admin", "secretary", "grid_leader", "viewer"})
WORKERS = frozenset({"admin", "secretary", "grid_leader", "task", "viewer"})
MANAGERS = frozenset({"admin", "secretary"})


@dataclass(frozen=True)
class PageSpec:
    path: str
    title_key: str
    icon: str
    group: str
    roles: frozenset[str]
    default: bool = False


PAGES: tuple[PageSpec, ...] = (
    PageSpec(
        "pages/overview.py",
        "overview.title",
        ":material/dashboard:",
        "app.group_main",
        EVERYONE,
        default=True,
    ),
    PageSpec("pages/map.py", "map.title", ":material/map:", "app.group_main", EVERYONE),
    PageSpec("pages/recap.py", "recap.title", ":material/groups:", "app.group_main", EVERYONE),
    PageSpec("pages/screening.py", "screening.title", ":material/biotech:", "app.group_work", STAFF),
    PageSpec("pages/cases.py", "cases.title", ":material/coronavirus:", "app.group_work", STAFF),
    PageSpec("pages/supplies.py", "supplies.title", ":material/inventory_2:", "app.group_work", WORKERS),
    PageSpec("pages/services.py", "services.title", ":material/local_shipping:", "app.group_work", WORKERS),
    PageSpec("pages/people.py", "people.title", ":material/badge:", "app.group_work", WORKERS),
    PageSpec("pages/setup.py", "setup.title", ":material/settings:", "app.group_admin", MANAGERS),
    PageSpec(
        "pages/users.py", "users.title", ":material/manage_accounts:", "app.group_admin", frozenset({"admin"})
    ),
    PageSpec("pages/audit.py", "audit.title", ":material/history:", "app.group_admin", MANAGERS),
    PageSpec("pages/account.py", "account.title", ":material/person:", "app.group_admin", EVERYONE),
)


@cache
def _on_disk(path: str) -> bool:
    return (ROOT / path).exists()


def pages_for(user: CurrentUser) -> list[PageSpec]:
    """The pages this user's role may open, in menu order (only those that exist on disk)."""
    return [p for p in PAGES if user.role in p.roles and _on_disk(p.path)]
