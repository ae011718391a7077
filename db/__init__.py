"""Database layer: typed models, the engine factory and Alembic migrations. Imports nothing of ours."""

from db.engine import database_url, make_engine, session_factory, writer
from db.migrate import upgrade

__all__ = ["database_url", "make_engine", "session_factory", "upgrade", "writer"]
