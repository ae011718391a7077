"""Transactions for the write functions: one transaction per user action, retried when busy.

    with transaction(engine) as s:
        supplies.record_delivery(s, user, ...)

`run_write(engine, fn, ...)` does the same with a retry on lock contention (SQLite "database is
locked", PostgreSQL serialization failures and deadlocks) so a busy database never reaches a user
as a traceback; a concurrent edit of a versioned row becomes StaleEdit.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import Engine, event
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from dashboard.errors import JuweiError, StaleEdit
from db import versions, writer

T = TypeVar("T")
RETRIES = 6


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on any error."""
    with versions.recording() as written, Session(writer(engine), expire_on_commit=False) as session:
        # Stamp the written tables just before each commit (db/versions.py): cached reads of them
        # are then stale in every server process, and no others are.
        event.listen(session, "before_commit", lambda s: versions.stamp_before_commit(s, written))
        with session.begin():
            yield session


def check_version(obj: object, expected: int | None) -> None:
    """Refuse the edit when the row changed since the user loaded it (they saw version `expected`)."""
    if expected is not None and getattr(obj, "version", None) != expected:
        raise StaleEdit("common.stale")


def _is_busy(exc: DBAPIError) -> bool:
    text = str(exc.orig).lower() if exc.orig is not None else str(exc).lower()
    code = getattr(exc.orig, "sqlstate", None)
    return "database is locked" in text or "database table is locked" in text or code in ("40001", "40P01")


def run_write(engine: Engine, fn: Callable[..., T], *args: object, **kwargs: object) -> T:
    """Run fn(session, *args, **kwargs) in one transaction, retrying briefly when the database is busy."""
    delay = 0.05
    for attempt in range(RETRIES):
        try:
            with transaction(engine) as session:
                return fn(session, *args, **kwargs)
        except StaleDataError as exc:
            raise StaleEdit("common.stale") from exc
        except IntegrityError:
            raise
        except OperationalError as exc:
            if not _is_busy(exc) or attempt == RETRIES - 1:
                if _is_busy(exc):
                    raise JuweiError("common.busy") from exc
                raise
        except DBAPIError as exc:
            if not _is_busy(exc) or attempt == RETRIES - 1:
                if _is_busy(exc):
                    raise JuweiError("common.busy") from exc
                raise
        time.sleep(delay)
        delay *= 2
    raise JuweiError("common.busy")  # pragma: no cover - the loop always returns or raises
