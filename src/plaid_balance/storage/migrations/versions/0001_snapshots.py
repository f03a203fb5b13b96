"""Snapshots of balance reports and their accounts.

Revision ID: 0001
Revises:
Create Date: 2026-05-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Money is exact: text on SQLite (no decimal type there), unconstrained NUMERIC elsewhere (keeps scale).
MONEY = sa.Numeric().with_variant(sa.Text(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "snapshots",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("item_id", sa.String(255), nullable=False),
        sa.Column("request_id", sa.String(255), nullable=False),
        sa.Column("token_fingerprint", sa.String(64), nullable=False),
        sa.Column("institution_id", sa.String(255), nullable=True),
        sa.Column("institution_name", sa.Text(), nullable=True),
        sa.Column("environment", sa.String(32), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("retrieved_at", sa.DateTime(), nullable=False),
        sa.Column("saved_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("item_id", "request_id", name="uq_snapshots_item_request"),
    )
    op.create_index("ix_snapshots_token_retrieved", "snapshots", ["token_fingerprint", "retrieved_at"])
    op.create_index("ix_snapshots_item_retrieved", "snapshots", ["item_id", "retrieved_at"])
    op.create_table(
        "snapshot_accounts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "snapshot_id",
            sa.Integer(),
            sa.ForeignKey("snapshots.id", ondelete="CASCADE", name="fk_snapshot_accounts_snapshot"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.String(255), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("official_name", sa.Text(), nullable=True),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("subtype", sa.String(64), nullable=True),
        sa.Column("mask", sa.String(32), nullable=True),
        sa.Column("currency", sa.String(16), nullable=True),
        sa.Column("current_balance", MONEY, nullable=True),
        sa.Column("available_balance", MONEY, nullable=True),
        sa.Column("credit_limit", MONEY, nullable=True),
        sa.Column("last_updated_datetime", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("snapshot_id", "account_id", name="uq_snapshot_accounts_account"),
    )
    op.create_index("ix_snapshot_accounts_account", "snapshot_accounts", ["account_id"])


def downgrade() -> None:
    op.drop_table("snapshot_accounts")
    op.drop_table("snapshots")
