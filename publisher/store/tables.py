"""SQLAlchemy Core tables: the one description of the schema.

Migrations under ``migrations/versions`` create exactly these tables; a test
compares the migrated database with this metadata so the two cannot drift.
Content is stored as its JSON form (``publisher.jsonform``) so what is read
back is exactly what was written; the other columns exist to query on.
"""

from __future__ import annotations

import sqlalchemy as sa

__all__ = ["articles", "issues", "metadata"]

metadata = sa.MetaData()

articles = sa.Table(
    "articles",
    metadata,
    sa.Column("id", sa.String(200), primary_key=True),
    sa.Column("section", sa.String(200), nullable=False, index=True),
    sa.Column("headline", sa.Text, nullable=False),
    # Feeds repeat entries under new GUIDs; the hash catches those copies.
    sa.Column("content_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("origin", sa.Text, nullable=False),
    sa.Column("data", sa.Text, nullable=False),
)

issues = sa.Table(
    "issues",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("number", sa.Integer, nullable=False),
    # A changed Issue is a new version; sends are tied to a version's hash.
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("issue_date", sa.Date, nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("data", sa.Text, nullable=False),
    sa.UniqueConstraint("number", "version", name="uq_issues_number_version"),
)
