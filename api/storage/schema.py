"""The database tables as they are after the newest migration."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

metadata = sa.MetaData()
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


class UtcDateTime(sa.types.TypeDecorator[dt.datetime]):
    """An instant: stored in UTC, read back with its UTC offset, naive values refused."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("an instant needs a UTC offset, found a naive datetime")
        value = value.astimezone(dt.timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)


settings = sa.Table(
    "settings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("data", JSON, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("updated_by", sa.String(200), nullable=False),
)

modules = sa.Table(
    "modules",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("label", sa.String(200), nullable=False),
    sa.Column("custom", sa.Boolean, nullable=False),
    sa.Column("person_related", sa.Boolean, nullable=False),
    sa.Column("layout_version", sa.Integer, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("updated_by", sa.String(200), nullable=False),
)

fields = sa.Table(
    "fields",
    metadata,
    sa.Column("module", sa.String(100), sa.ForeignKey("modules.name", ondelete="CASCADE"), primary_key=True),
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("label", sa.String(200), nullable=False),
    sa.Column("type", sa.String(40), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("required", sa.Boolean, nullable=False),
    sa.Column("is_unique", sa.Boolean, nullable=False),
    sa.Column("encrypted", sa.Boolean, nullable=False),
    sa.Column("read_only", sa.Boolean, nullable=False),
    sa.Column("subform", sa.String(100), nullable=True),
    sa.Column("classification", sa.String(40), nullable=False),
)

records = sa.Table(
    "records",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("module", sa.String(100), sa.ForeignKey("modules.name"), nullable=False),
    sa.Column("data", JSON, nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("basis", sa.String(40), nullable=False),
    sa.Column("lia_id", sa.Integer, nullable=True),
    sa.Column("consent_status", sa.String(40), nullable=False),
    sa.Column("consent_deadline", UtcDateTime, nullable=True),
    sa.Column("restricted", sa.Boolean, nullable=False),
    sa.Column("awaiting_confirmation", sa.Boolean, nullable=False),
    sa.Column("source", JSON, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("basis_set_at", UtcDateTime, nullable=True),
    sa.Column("consent_changed_at", UtcDateTime, nullable=True),
    sa.Index("ix_records_module_basis", "module", "basis"),
    sa.Index("ix_records_module_consent", "module", "consent_status"),
    sa.Index("ix_records_consent_deadline", "consent_deadline"),
)

unique_values = sa.Table(
    "unique_values",
    metadata,
    sa.Column("module", sa.String(100), primary_key=True),
    sa.Column("field", sa.String(200), primary_key=True),
    sa.Column("value", sa.String(500), primary_key=True),
    sa.Column("record_id", sa.String(64), sa.ForeignKey("records.id", ondelete="CASCADE"), nullable=False, index=True),
)

timeline = sa.Table(
    "timeline",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("record_id", sa.String(64), nullable=False, index=True),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(60), nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("detail", JSON, nullable=False),
    sa.Column("rule_id", sa.String(200), nullable=True),
    sa.Column("ruleset_version", sa.String(40), nullable=True),
)

imports = sa.Table(
    "imports",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("module", sa.String(100), nullable=False),
    sa.Column("file_name", sa.String(500), nullable=False),
    sa.Column("file_digest", sa.String(80), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("started_at", UtcDateTime, nullable=False),
    sa.Column("finished_at", UtcDateTime, nullable=True),
    sa.Column("counts", JSON, nullable=False),
    sa.Column("problems", JSON, nullable=False),
)

lias = sa.Table(
    "lias",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("purpose", sa.Text, nullable=False),
    sa.Column("necessity", sa.Text, nullable=False),
    sa.Column("balancing", sa.Text, nullable=False),
    sa.Column("assessed_by", sa.String(200), nullable=False),
    sa.Column("assessed_at", UtcDateTime, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
)

blocklist = sa.Table(
    "blocklist",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("reason", sa.String(40), nullable=False),
    sa.Column("added_at", UtcDateTime, nullable=False),
    sa.Column("added_by", sa.String(200), nullable=False),
    sa.UniqueConstraint("kind", "digest", name="uq_blocklist_kind_digest"),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(100), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(300), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("disabled_at", UtcDateTime, nullable=True),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("prefix", sa.String(16), nullable=False, unique=True),
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("revoked_at", UtcDateTime, nullable=True),
)

web_sessions = sa.Table(
    "web_sessions",
    metadata,
    sa.Column("digest", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
)

settings_history = sa.Table(
    "settings_history",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("data", JSON, nullable=False),
    sa.Column("changed_at", UtcDateTime, nullable=False),
    sa.Column("changed_by", sa.String(200), nullable=False),
)

rights_requests = sa.Table(
    "rights_requests",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("record_id", sa.String(64), nullable=True, index=True),
    sa.Column("subject", JSON, nullable=False),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("lang", sa.String(5), nullable=False),
    sa.Column("received_at", UtcDateTime, nullable=False),
    sa.Column("due_on", sa.Date, nullable=False),
    sa.Column("extended_to", sa.Date, nullable=True),
    sa.Column("extension_reason", sa.Text, nullable=True),
    sa.Column("extension_told_at", UtcDateTime, nullable=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("completed_at", UtcDateTime, nullable=True),
    sa.Column("outcome", JSON, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
)

forms = sa.Table(
    "forms",
    metadata,
    sa.Column("slug", sa.String(80), primary_key=True),
    sa.Column("module", sa.String(100), nullable=False),
    sa.Column("draft", JSON, nullable=False),
    sa.Column("current_version", sa.Integer, nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("updated_by", sa.String(200), nullable=False),
)

form_versions = sa.Table(
    "form_versions",
    metadata,
    sa.Column("slug", sa.String(80), sa.ForeignKey("forms.slug", ondelete="CASCADE"), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("schema", JSON, nullable=False),
    sa.Column("digest", sa.String(80), nullable=False),
    sa.Column("report", JSON, nullable=False),
    sa.Column("published_at", UtcDateTime, nullable=False),
    sa.Column("published_by", sa.String(200), nullable=False),
)

submissions = sa.Table(
    "submissions",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("slug", sa.String(80), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("record_ids", JSON, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("proof", JSON, nullable=False),
    sa.Column("lang", sa.String(5), nullable=False),
    sa.Column("ip_digest", sa.String(64), nullable=False, index=True),
    sa.Column("submitted_at", UtcDateTime, nullable=False, index=True),
    sa.Column("expires_at", UtcDateTime, nullable=True),
    sa.Column("confirmed_at", UtcDateTime, nullable=True),
    sa.Column("token_digest", sa.String(64), nullable=True, unique=True),
    sa.Column("token_expires_at", UtcDateTime, nullable=True),
    sa.Column("last_sent_at", UtcDateTime, nullable=True),
    sa.Column("sends", sa.Integer, nullable=False),
)

submission_claims = sa.Table(
    "submission_claims",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ip_digest", sa.String(64), nullable=False, index=True),
    sa.Column("at", UtcDateTime, nullable=False, index=True),
)

portal_links = sa.Table(
    "portal_links",
    metadata,
    sa.Column("digest", sa.String(64), primary_key=True),
    sa.Column("record_id", sa.String(64), nullable=False, index=True),
    sa.Column("request", JSON, nullable=False),
    sa.Column("lang", sa.String(5), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
)

sign_in_attempts = sa.Table(
    "sign_in_attempts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_digest", sa.String(64), nullable=False, index=True),
    sa.Column("address_digest", sa.String(64), nullable=False, index=True),
    sa.Column("at", UtcDateTime, nullable=False, index=True),
)

meta = sa.Table(
    "meta",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("value", sa.String(200), nullable=False),
)

mail_queue = sa.Table(
    "mail_queue",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("message", JSON, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("next_attempt_at", UtcDateTime, nullable=False, index=True),
    sa.Column("claimed_until", UtcDateTime, nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("last_error", sa.String(200), nullable=True),
)
