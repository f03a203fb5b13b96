"""The Item vault: aliases, institutions, accounts, health, and access tokens encrypted at rest.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "vault_items",
        sa.Column("item_id", sa.String(255), primary_key=True),
        sa.Column("alias", sa.Text(), nullable=False),
        sa.Column("alias_key", sa.Text(), nullable=False),
        sa.Column("institution_id", sa.String(255), nullable=True),
        sa.Column("institution_name", sa.Text(), nullable=True),
        sa.Column("environment", sa.String(32), nullable=False),
        sa.Column("accounts", sa.Text(), nullable=False),
        sa.Column("token_ciphertext", sa.Text(), nullable=True),
        sa.Column("token_fingerprint", sa.String(64), nullable=True),
        sa.Column("health", sa.String(32), nullable=False),
        sa.Column("health_reason", sa.Text(), nullable=True),
        sa.Column("health_changed_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("removed_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("alias_key", name="uq_vault_items_alias_key"),
        sa.UniqueConstraint("token_fingerprint", name="uq_vault_items_token_fingerprint"),
    )
    op.create_table(
        "vault_meta",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("vault_meta")
    op.drop_table("vault_items")
