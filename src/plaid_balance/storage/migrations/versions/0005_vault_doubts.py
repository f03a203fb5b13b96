"""One-shot Plaid calls in doubt: a token rotation or a public-token exchange whose answer may be lost.

A row is committed before the call and deleted in the transaction that stores its answer, so a row left
behind means the answer never arrived (dropped connection, timeout, a killed process) and the next
command finds out what Plaid did (docs/vault.md, "When an answer is lost").

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "vault_doubts",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("item_id", sa.String(255), nullable=True),
        sa.Column("environment", sa.String(32), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("owner", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("secret_ciphertext", sa.Text(), nullable=True),
        sa.UniqueConstraint("kind", "item_id", name="uq_vault_doubts_kind_item"),
    )


def downgrade() -> None:
    op.drop_table("vault_doubts")
