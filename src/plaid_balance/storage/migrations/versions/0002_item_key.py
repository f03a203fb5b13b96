"""History keyed by Item: the token fingerprint leaves the snapshots for a lookup table.

An Item's snapshots are one series by ``item_id``. Which Item a token belongs to is kept in
``item_tokens`` (SHA-256 of the token → ``item_id``), filled here from the fingerprints the snapshots
carried; a rotated token then maps to the same Item instead of starting a new series.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "item_tokens",
        sa.Column("token_fingerprint", sa.String(64), primary_key=True),
        sa.Column("item_id", sa.String(255), nullable=False),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_item_tokens_item_id", "item_tokens", ["item_id"])
    # A token belongs to one Item; MAX only makes the choice deterministic should old data disagree.
    op.execute(
        "INSERT INTO item_tokens (token_fingerprint, item_id, first_seen, last_seen) "
        "SELECT token_fingerprint, MAX(item_id), MIN(retrieved_at), MAX(retrieved_at) "
        "FROM snapshots GROUP BY token_fingerprint"
    )
    op.drop_index("ix_snapshots_token_retrieved", table_name="snapshots")
    # A plain ALTER TABLE ... DROP COLUMN (SQLite >= 3.35): a batch rebuild of ``snapshots`` would drop
    # the table, and with foreign keys on, SQLite would cascade that into snapshot_accounts.
    op.drop_column("snapshots", "token_fingerprint")


def downgrade() -> None:
    op.add_column(
        "snapshots", sa.Column("token_fingerprint", sa.String(64), nullable=False, server_default="")
    )
    op.execute(
        "UPDATE snapshots SET token_fingerprint = COALESCE((SELECT MAX(t.token_fingerprint) FROM item_tokens t "
        "WHERE t.item_id = snapshots.item_id), '')"
    )
    op.create_index("ix_snapshots_token_retrieved", "snapshots", ["token_fingerprint", "retrieved_at"])
    op.drop_table("item_tokens")
