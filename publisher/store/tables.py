"""SQLAlchemy Core tables: the one description of the schema.

Migrations under ``migrations/versions`` create exactly these tables; a test
compares the migrated database with this metadata so the two cannot drift.
Content is stored as its JSON form (``publisher.jsonform``) so what is read
back is exactly what was written; the other columns exist to query on.
"""

from __future__ import annotations

import sqlalchemy as sa

__all__ = [
    "articles",
    "deliveries",
    "dispatch_overrides",
    "dispatches",
    "issues",
    "leases",
    "lists",
    "membership_sections",
    "memberships",
    "metadata",
    "signoffs",
    "subscribers",
    "suppressions",
]

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

# -- audience (migration 0002) ------------------------------------------------

lists = sa.Table(
    "lists",
    metadata,
    sa.Column("id", sa.String(100), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

subscribers = sa.Table(
    "subscribers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    # Stored lower-cased: addresses are unique case-insensitively.
    sa.Column("email", sa.String(320), nullable=False, unique=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("consent_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("consent_source", sa.Text, nullable=True),
    sa.Column("consent_ip", sa.String(64), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

memberships = sa.Table(
    "memberships",
    metadata,
    sa.Column("subscriber_id", sa.Integer, sa.ForeignKey("subscribers.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("list_id", sa.String(100), sa.ForeignKey("lists.id", ondelete="CASCADE"),
              primary_key=True),
    # pending until confirmed, active, or unsubscribed from this list only.
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("format", sa.String(8), nullable=False),
    sa.Column("language", sa.String(16), nullable=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

# Sections of interest per membership; no rows means every section. A table,
# not a JSON column, so the audience query filters in SQL on both databases.
membership_sections = sa.Table(
    "membership_sections",
    metadata,
    sa.Column("subscriber_id", sa.Integer, primary_key=True),
    sa.Column("list_id", sa.String(100), primary_key=True),
    sa.Column("section", sa.String(200), primary_key=True),
    sa.ForeignKeyConstraint(["subscriber_id", "list_id"],
                            ["memberships.subscriber_id", "memberships.list_id"],
                            ondelete="CASCADE"),
)

suppressions = sa.Table(
    "suppressions",
    metadata,
    # SHA-256 of the lower-cased address: erasure keeps no address, yet the
    # address is never mailed again.
    sa.Column("email_hash", sa.String(64), primary_key=True),
    sa.Column("reason", sa.String(32), nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

# -- the send ledger (migration 0003) ------------------------------------------

deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    # The Issue by number, not by version: a corrected Issue must not go
    # again to whoever already has it. The hash records which version went.
    sa.Column("issue_number", sa.Integer, nullable=False),
    sa.Column("channel", sa.String(32), nullable=False),
    # A recipient address, or an account plus post index for social.
    sa.Column("target", sa.String(400), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("remote_id", sa.Text, nullable=True),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("issue_number", "channel", "target", name="uq_deliveries_target"),
    sa.Index("ix_deliveries_status", "issue_number", "channel", "status"),
)

# -- lifecycle and scheduling (migration 0004) ------------------------------------

signoffs = sa.Table(
    "signoffs",
    metadata,
    # Tied to the content hash: a changed Issue has no sign-offs.
    sa.Column("issue_number", sa.Integer, primary_key=True),
    sa.Column("channel", sa.String(32), primary_key=True),
    sa.Column("content_hash", sa.String(64), primary_key=True),
    sa.Column("signed_by", sa.Text, nullable=False),
    sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
)

dispatches = sa.Table(
    "dispatches",
    metadata,
    # One step of an Issue's dispatch plan: this channel, at this instant.
    sa.Column("issue_number", sa.Integer, primary_key=True),
    sa.Column("channel", sa.String(32), primary_key=True),
    sa.Column("run_at", sa.DateTime(timezone=True), nullable=False),
    # scheduled, paused, running, done, partial, failed, missed, cancelled
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

# A plan file's own [dispatch] offsets, by channel, overriding the settings.
dispatch_overrides = sa.Table(
    "dispatch_overrides",
    metadata,
    sa.Column("issue_number", sa.Integer, primary_key=True),
    sa.Column("channel", sa.String(32), primary_key=True),
    sa.Column("offset", sa.String(32), nullable=False),
)

leases = sa.Table(
    "leases",
    metadata,
    # One scheduler per database: whoever holds the unexpired lease.
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("holder", sa.String(64), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
)
