"""Who may do what: roles, the actions each may take, and the grid/team scope of each write.

Every write function in dashboard/ calls `require(user, action, grid_id=..., team_id=...)` before it
touches the database. Hiding a page is convenience; this is the security.
"""

from __future__ import annotations

from dataclasses import dataclass

from dashboard.errors import PermissionDenied

ROLES = ("admin", "secretary", "grid_leader", "task", "meeting", "viewer")
MANAGERS = frozenset({"admin", "secretary"})


@dataclass(frozen=True)
class CurrentUser:
    """The signed-in user as the logic sees it (no secrets, no ORM object)."""

    id: int | None
    username: str
    role: str
    grid_id: int | None = None
    grid_number: int | None = None
    team_id: int | None = None
    display_name: str = ""

    @property
    def is_manager(self) -> bool:
        return self.role in MANAGERS

    @property
    def label(self) -> str:
        return self.display_name or self.username


# The command line and the seed act as this user; it is never available through a login.
SYSTEM = CurrentUser(id=None, username="system", role="admin", display_name="system")

# action → roles allowed. Grid-scoped actions confine a grid leader to their grid; team-scoped
# actions confine a task user to their team.
ACTIONS: dict[str, frozenset[str]] = {
    "screening.round": MANAGERS,
    "screening.result": MANAGERS | {"grid_leader"},
    "screening.import": MANAGERS | {"grid_leader"},
    "screening.missed": MANAGERS | {"grid_leader"},
    "screening.tube": MANAGERS | {"grid_leader"},
    "cases.report": MANAGERS | {"grid_leader"},
    "cases.verify": MANAGERS,
    "cases.update": MANAGERS | {"grid_leader"},
    "cases.contact": MANAGERS | {"grid_leader"},
    "cases.transfer": MANAGERS | {"grid_leader"},
    "cases.zone": MANAGERS,
    "supplies.survey": MANAGERS | {"grid_leader"},
    "supplies.batch": MANAGERS,
    "supplies.deliver": MANAGERS | {"grid_leader", "task"},
    "services.medicine": MANAGERS | {"grid_leader", "task"},
    "services.run": MANAGERS,
    "services.courier": MANAGERS | {"grid_leader", "task"},
    "services.disinfection": MANAGERS | {"grid_leader", "task"},
    "services.entrance": MANAGERS,
    "services.roster": MANAGERS | {"task"},
    "people.edit": MANAGERS,
    "recap.followup": MANAGERS | {"grid_leader"},
    "recap.close_day": MANAGERS,
    "setup.edit": MANAGERS,
    "users.manage": frozenset({"admin"}),
    "export.personal": MANAGERS,
    "export.aggregate": MANAGERS | {"grid_leader", "viewer"},
    "audit.read": frozenset({"admin", "secretary"}),
}
GRID_SCOPED = {
    "screening.result",
    "screening.import",
    "screening.missed",
    "screening.tube",
    "cases.report",
    "cases.update",
    "cases.contact",
    "cases.transfer",
    "supplies.survey",
    "supplies.deliver",
    "services.medicine",
    "services.courier",
    "services.disinfection",
    "recap.followup",
}
TEAM_SCOPED = {
    "supplies.deliver",
    "services.medicine",
    "services.courier",
    "services.disinfection",
    "services.roster",
}


def allowed(user: CurrentUser, action: str) -> bool:
    """True when the user's role may take this action somewhere."""
    return user.role in ACTIONS.get(action, frozenset())


def require(
    user: CurrentUser | None, action: str, *, grid_id: int | None = None, team_id: int | None = None
) -> None:
    """Refuse (PermissionDenied) unless the user may take action on this grid and team."""
    if user is None:
        raise PermissionDenied("auth.login_required")
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action}")
    if not allowed(user, action):
        raise PermissionDenied("auth.denied")
    if user.role == "grid_leader" and action in GRID_SCOPED:
        if grid_id is None or grid_id != user.grid_id:
            raise PermissionDenied("auth.denied_grid", grid=user.grid_number or user.grid_id or "?")
    if user.role == "task" and action in TEAM_SCOPED:
        if user.team_id is None or (team_id is not None and team_id != user.team_id):
            raise PermissionDenied("auth.denied_team")


def sees_personal(user: CurrentUser, grid_id: int | None, *, meeting: bool = False) -> bool:
    """May this user see a person's name in full on a record of this grid?"""
    if meeting or user.role in ("meeting", "viewer"):
        return False
    if user.is_manager:
        return True
    if user.role == "grid_leader":
        return grid_id is not None and grid_id == user.grid_id
    return False


def sees_contact_details(user: CurrentUser, grid_id: int | None, *, meeting: bool = False) -> bool:
    """May this user see phones and ID numbers on a record of this grid? Task users never do."""
    if user.role == "task":
        return False
    return sees_personal(user, grid_id, meeting=meeting)


def grid_filter(user: CurrentUser) -> int | None:
    """The grid a user's personal-data lists are confined to (None: every grid)."""
    return user.grid_id if user.role == "grid_leader" else None
