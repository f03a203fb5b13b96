"""Alembic environment for the plaid-balance schema; run only through ``plaid_balance.storage.engine.migrate``.

The caller hands over an open connection inside a transaction (and, on PostgreSQL, holding the migration
advisory lock), so the version check and the upgrade happen atomically.
"""

from __future__ import annotations

from alembic import context

from plaid_balance.storage.engine import VERSION_TABLE

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("plaid-balance history migrations run through open_store(), not the alembic CLI")

context.configure(
    connection=connection,
    target_metadata=None,
    version_table=VERSION_TABLE,
    # SQLite cannot ALTER most things in place; batch mode rebuilds tables for future migrations.
    render_as_batch=True,
)
with context.begin_transaction():
    context.run_migrations()
