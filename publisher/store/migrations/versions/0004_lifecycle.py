"""Lifecycle and scheduling: sign-offs, dispatch steps, the scheduler lease.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "signoffs",
        sa.Column("issue_number", sa.Integer, primary_key=True),
        sa.Column("channel", sa.String(32), primary_key=True),
        sa.Column("content_hash", sa.String(64), primary_key=True),
        sa.Column("signed_by", sa.Text, nullable=False),
        sa.Column("signed_at", _TZ, nullable=False),
    )
    op.create_table(
        "dispatches",
        sa.Column("issue_number", sa.Integer, primary_key=True),
        sa.Column("channel", sa.String(32), primary_key=True),
        sa.Column("run_at", _TZ, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("updated_at", _TZ, nullable=False),
    )
    op.create_table(
        "dispatch_overrides",
        sa.Column("issue_number", sa.Integer, primary_key=True),
        sa.Column("channel", sa.String(32), primary_key=True),
        sa.Column("offset", sa.String(32), nullable=False),
    )
    op.create_table(
        "leases",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("holder", sa.String(64), nullable=False),
        sa.Column("expires_at", _TZ, nullable=False),
    )


def downgrade() -> None:
    for table in ("leases", "dispatch_overrides", "dispatches", "signoffs"):
        op.drop_table(table)
