"""Audience: lists, subscribers, memberships with preferences, suppressions.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "lists",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
    )
    op.create_table(
        "subscribers",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("email", sa.String(320), nullable=False, unique=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("consent_at", _TZ, nullable=True),
        sa.Column("consent_source", sa.Text, nullable=True),
        sa.Column("consent_ip", sa.String(64), nullable=True),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("updated_at", _TZ, nullable=False),
    )
    op.create_index("ix_subscribers_status", "subscribers", ["status"])
    op.create_table(
        "memberships",
        sa.Column("subscriber_id", sa.Integer,
                  sa.ForeignKey("subscribers.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("list_id", sa.String(100), sa.ForeignKey("lists.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("language", sa.String(16), nullable=True),
        sa.Column("updated_at", _TZ, nullable=False),
    )
    op.create_table(
        "membership_sections",
        sa.Column("subscriber_id", sa.Integer, primary_key=True),
        sa.Column("list_id", sa.String(100), primary_key=True),
        sa.Column("section", sa.String(200), primary_key=True),
        sa.ForeignKeyConstraint(["subscriber_id", "list_id"],
                                ["memberships.subscriber_id", "memberships.list_id"],
                                ondelete="CASCADE"),
    )
    op.create_table(
        "suppressions",
        sa.Column("email_hash", sa.String(64), primary_key=True),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
    )


def downgrade() -> None:
    for table in ("suppressions", "membership_sections", "memberships"):
        op.drop_table(table)
    op.drop_index("ix_subscribers_status", "subscribers")
    op.drop_table("subscribers")
    op.drop_table("lists")
