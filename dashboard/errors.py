"""The project's exceptions: each carries a message key the page shows in the user's language."""

from __future__ import annotations

from typing import Any


class JuweiError(Exception):
    """A refusal a user can understand: bad input, missing rights, a stale edit."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params

    def message(self, lang: str | None = None) -> str:
        """The refusal in the user's language."""
        from dashboard.i18n import t

        return t(self.key, lang=lang, **self.params)

    def __str__(self) -> str:
        return self.message()


class ValidationError(JuweiError):
    """Input that cannot be accepted as it is."""


class PermissionDenied(JuweiError):
    """The user's role or grid does not allow this."""


class StaleEdit(JuweiError):
    """Someone else changed the record since this user opened it."""
