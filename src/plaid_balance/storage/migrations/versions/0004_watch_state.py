"""The watch's state: Items' last refresh and health, budget counters, alert states and alert events.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "watch_items",
        sa.Column("item_id", sa.String(255), primary_key=True),
        sa.Column("alias", sa.Text(), nullable=False),
        sa.Column("health", sa.String(32), nullable=False),
        sa.Column("health_reason", sa.Text(), nullable=False),
        sa.Column("last_refresh_at", sa.DateTime(), nullable=True),
        sa.Column("last_source", sa.String(16), nullable=True),
        sa.Column("last_outcome", sa.String(64), nullable=True),
    )
    op.create_table(
        "watch_budget",
        sa.Column("item_id", sa.String(255), primary_key=True),
        sa.Column("period", sa.String(16), primary_key=True),
        sa.Column("billed", sa.Integer(), nullable=False),
        sa.Column("saved", sa.Integer(), nullable=False),
    )
    op.create_table(
        "watch_alerts",
        sa.Column("rule", sa.Text(), primary_key=True),
        sa.Column("subject", sa.String(255), primary_key=True),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("firing", sa.Boolean(), nullable=False),
        sa.Column("since", sa.DateTime(), nullable=True),
        sa.Column("last_notified", sa.DateTime(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
    )
    op.create_table(
        "watch_alert_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("notify", sa.Text(), nullable=False),
    )
    op.create_index("ix_watch_alert_events_at", "watch_alert_events", ["at"])


def downgrade() -> None:
    op.drop_table("watch_alert_events")
    op.drop_table("watch_alerts")
    op.drop_table("watch_budget")
    op.drop_table("watch_items")
