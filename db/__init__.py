"""Database layer: typed models, the engine factory and Alembic migrations. Imports nothing of ours."""

from db.engine import database_url, dispose_shared, make_engine, session_factory, shared_engine, writer
from db.migrate import upgrade

__all__ = [
    "database_url",
    "dispose_shared",
    "make_engine",
    "session_factory",
    "shared_engine",
    "upgrade",
    "writer",
]
