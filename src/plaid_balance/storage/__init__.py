"""The plaid-balance database: every table, the migrations, the engine, and one repository per feature.

History, the vault and the watch's state share one database (``--db``, ``PLAID_BALANCE_DB``). This
package is its only owner: only it imports SQLAlchemy or Alembic or writes SQL
(tests/core/test_architecture.py enforces it). Its modules:

* ``engine``: database URLs, SQLite (0600 files, WAL, busy timeout) and PostgreSQL engines, migrations
  under a lock (what it raises is in the one exception tree, ``plaid_balance._errors``: ``HistoryError``,
  ``DatabaseNotFound``, ``WriteConflict``, ``DatabaseURLError``);
* ``schema``: every table as SQLAlchemy ORM models; ``migrations/``: the Alembic revisions;
* ``database``: ``Database`` (open, transactions) and its repositories: ``history``, ``vault``,
  ``watch``, ``dashboard``.

Importing this package costs nothing: each module is imported where it is used. See
docs/architecture.md (Storage).
"""
