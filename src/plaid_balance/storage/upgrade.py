"""Bringing a database's schema to a revision with Alembic, loaded only when a migration is due.

Alembic's import costs about 130 ms on top of the 220 ms of ``storage.engine`` with SQLAlchemy (measured
on the bench machine), while a database is migrated once per plaid-balance upgrade and opened on every
``get --save``, ``items`` or ``history``. So ``storage.engine.migrate`` imports this module only when the
revision it reads is behind: the one import inside a function that is neither the command boundary nor
an optional extra (docs/decisions.md, "Alembic only when a migration is due").
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    """Alembic's configuration for plaid-balance's migrations (no ``alembic.ini``: it is all here)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(connection: Connection, revision: str = "head") -> None:
    """Migrate the database ``connection`` is open on to ``revision``, inside its transaction."""
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)
