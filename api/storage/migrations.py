"""Schema migrations: numbered steps applied in order, so an upgrade keeps existing data.

Each step uses alembic's operations, which write the right DDL for SQLite and PostgreSQL.
A step is never edited once released; a change to the schema is a new step.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import sqlalchemy as sa
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext

from . import schema
from .database import lock_for_transaction, writing

# Several servers may start at once on one database; one migrates, the others wait.
_MIGRATION_LOCK = 7364551
_VERSIONS = sa.Table(
    "lawful_schema",
    sa.MetaData(),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("applied_at", schema.UtcDateTime, nullable=False),
)


def _initial(op: Operations) -> None:
    op.create_table(
        "settings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("data", schema.JSON, nullable=False),
        sa.Column("updated_at", schema.UtcDateTime, nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "modules",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("custom", sa.Boolean, nullable=False),
        sa.Column("person_related", sa.Boolean, nullable=False),
        sa.Column("layout_version", sa.Integer, nullable=False),
        sa.Column("updated_at", schema.UtcDateTime, nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "fields",
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
    op.create_table(
        "records",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("module", sa.String(100), sa.ForeignKey("modules.name"), nullable=False),
        sa.Column("data", schema.JSON, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("basis", sa.String(40), nullable=False),
        sa.Column("lia_id", sa.Integer, nullable=True),
        sa.Column("consent_status", sa.String(40), nullable=False),
        sa.Column("consent_deadline", schema.UtcDateTime, nullable=True),
        sa.Column("restricted", sa.Boolean, nullable=False),
        sa.Column("awaiting_confirmation", sa.Boolean, nullable=False),
        sa.Column("source", schema.JSON, nullable=False),
        sa.Column("created_at", schema.UtcDateTime, nullable=False),
        sa.Column("updated_at", schema.UtcDateTime, nullable=False),
    )
    op.create_index("ix_records_module_basis", "records", ["module", "basis"])
    op.create_index("ix_records_module_consent", "records", ["module", "consent_status"])
    op.create_index("ix_records_consent_deadline", "records", ["consent_deadline"])
    op.create_table(
        "unique_values",
        sa.Column("module", sa.String(100), primary_key=True),
        sa.Column("field", sa.String(200), primary_key=True),
        sa.Column("value", sa.String(500), primary_key=True),
        sa.Column("record_id", sa.String(64), sa.ForeignKey("records.id", ondelete="CASCADE"), nullable=False),
    )
    op.create_index("ix_unique_values_record_id", "unique_values", ["record_id"])
    op.create_table(
        "timeline",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("record_id", sa.String(64), nullable=False),
        sa.Column("at", schema.UtcDateTime, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(60), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("detail", schema.JSON, nullable=False),
        sa.Column("rule_id", sa.String(200), nullable=True),
        sa.Column("ruleset_version", sa.String(40), nullable=True),
    )
    op.create_index("ix_timeline_record_id", "timeline", ["record_id"])
    op.create_table(
        "imports",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("module", sa.String(100), nullable=False),
        sa.Column("file_name", sa.String(500), nullable=False),
        sa.Column("file_digest", sa.String(80), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("started_at", schema.UtcDateTime, nullable=False),
        sa.Column("finished_at", schema.UtcDateTime, nullable=True),
        sa.Column("counts", schema.JSON, nullable=False),
        sa.Column("problems", schema.JSON, nullable=False),
    )


def _lifecycles(op: Operations) -> None:
    op.add_column("records", sa.Column("basis_set_at", schema.UtcDateTime, nullable=True))
    op.add_column("records", sa.Column("consent_changed_at", schema.UtcDateTime, nullable=True))
    op.create_table(
        "lias",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("necessity", sa.Text, nullable=False),
        sa.Column("balancing", sa.Text, nullable=False),
        sa.Column("assessed_by", sa.String(200), nullable=False),
        sa.Column("assessed_at", schema.UtcDateTime, nullable=False),
        sa.Column("created_at", schema.UtcDateTime, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "blocklist",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("added_at", schema.UtcDateTime, nullable=False),
        sa.Column("added_by", sa.String(200), nullable=False),
        sa.UniqueConstraint("kind", "digest", name="uq_blocklist_kind_digest"),
    )


def _access(op: Operations) -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(100), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(300), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("created_at", schema.UtcDateTime, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("disabled_at", schema.UtcDateTime, nullable=True),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("prefix", sa.String(16), nullable=False, unique=True),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("created_at", schema.UtcDateTime, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("revoked_at", schema.UtcDateTime, nullable=True),
    )
    op.create_table(
        "web_sessions",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", schema.UtcDateTime, nullable=False),
        sa.Column("expires_at", schema.UtcDateTime, nullable=False),
    )
    op.create_table(
        "settings_history",
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("data", schema.JSON, nullable=False),
        sa.Column("changed_at", schema.UtcDateTime, nullable=False),
        sa.Column("changed_by", sa.String(200), nullable=False),
    )


def _unique_digests(op: Operations) -> None:
    # The unique index kept case-folded values (emails, mostly): keep digests of them instead.
    connection = op.get_bind()
    table = sa.table("unique_values", sa.column("module"), sa.column("field"), sa.column("value"))
    for module, field, value in connection.execute(sa.select(table.c.module, table.c.field, table.c.value)).all():
        digest = hashlib.sha256(str(value).casefold().encode()).hexdigest()
        connection.execute(
            table.update()
            .where(table.c.module == module, table.c.field == field, table.c.value == value)
            .values(value=digest)
        )


def _rights(op: Operations) -> None:
    op.create_table(
        "rights_requests",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("record_id", sa.String(64), nullable=True),
        sa.Column("subject", schema.JSON, nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("lang", sa.String(5), nullable=False),
        sa.Column("received_at", schema.UtcDateTime, nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("extended_to", sa.Date, nullable=True),
        sa.Column("extension_reason", sa.Text, nullable=True),
        sa.Column("extension_told_at", schema.UtcDateTime, nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("completed_at", schema.UtcDateTime, nullable=True),
        sa.Column("outcome", schema.JSON, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
    )
    op.create_index("ix_rights_requests_record_id", "rights_requests", ["record_id"])


def _forms(op: Operations) -> None:
    op.create_table(
        "forms",
        sa.Column("slug", sa.String(80), primary_key=True),
        sa.Column("module", sa.String(100), nullable=False),
        sa.Column("draft", schema.JSON, nullable=False),
        sa.Column("current_version", sa.Integer, nullable=True),
        sa.Column("created_at", schema.UtcDateTime, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("updated_at", schema.UtcDateTime, nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "form_versions",
        sa.Column("slug", sa.String(80), sa.ForeignKey("forms.slug", ondelete="CASCADE"), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("schema", schema.JSON, nullable=False),
        sa.Column("digest", sa.String(80), nullable=False),
        sa.Column("report", schema.JSON, nullable=False),
        sa.Column("published_at", schema.UtcDateTime, nullable=False),
        sa.Column("published_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "submissions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("slug", sa.String(80), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("record_ids", schema.JSON, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("proof", schema.JSON, nullable=False),
        sa.Column("lang", sa.String(5), nullable=False),
        sa.Column("ip_digest", sa.String(64), nullable=False),
        sa.Column("submitted_at", schema.UtcDateTime, nullable=False),
        sa.Column("expires_at", schema.UtcDateTime, nullable=True),
        sa.Column("confirmed_at", schema.UtcDateTime, nullable=True),
        sa.Column("token_digest", sa.String(64), nullable=True, unique=True),
        sa.Column("token_expires_at", schema.UtcDateTime, nullable=True),
        sa.Column("last_sent_at", schema.UtcDateTime, nullable=True),
        sa.Column("sends", sa.Integer, nullable=False),
    )
    op.create_index("ix_submissions_ip_digest", "submissions", ["ip_digest"])
    op.create_index("ix_submissions_submitted_at", "submissions", ["submitted_at"])


def _portal(op: Operations) -> None:
    op.create_table(
        "portal_links",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("record_id", sa.String(64), nullable=False),
        sa.Column("request", schema.JSON, nullable=False),
        sa.Column("lang", sa.String(5), nullable=False),
        sa.Column("created_at", schema.UtcDateTime, nullable=False),
        sa.Column("expires_at", schema.UtcDateTime, nullable=False),
    )
    op.create_index("ix_portal_links_record_id", "portal_links", ["record_id"])


def _sign_in_attempts(op: Operations) -> None:
    # Sign-in attempts, counted in the database so that every server shares the count; user
    # names and addresses are kept as keyed digests only.
    op.create_table(
        "sign_in_attempts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_digest", sa.String(64), nullable=False),
        sa.Column("address_digest", sa.String(64), nullable=False),
        sa.Column("at", schema.UtcDateTime, nullable=False),
    )
    op.create_index("ix_sign_in_attempts_user_digest", "sign_in_attempts", ["user_digest"])
    op.create_index("ix_sign_in_attempts_address_digest", "sign_in_attempts", ["address_digest"])
    op.create_index("ix_sign_in_attempts_at", "sign_in_attempts", ["at"])


def _meta(op: Operations) -> None:
    # Facts about the data that a step with the installation's secret acts on: the unique index
    # holds plain SHA-256 digests until a server that has the secret rebuilds it with keyed ones
    # (UniqueIndexStore.rebuild_unique_index); migrations never see the secret.
    table = op.create_table(
        "meta",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("value", sa.String(200), nullable=False),
    )
    op.bulk_insert(table, [{"name": "unique_values.digest", "value": "sha256"}])


def _mail_queue(op: Operations) -> None:
    # Outgoing mail is queued before it is sent, encrypted, and deleted once the server takes it.
    op.create_table(
        "mail_queue",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("message", schema.JSON, nullable=False),
        sa.Column("created_at", schema.UtcDateTime, nullable=False),
        sa.Column("next_attempt_at", schema.UtcDateTime, nullable=False),
        sa.Column("claimed_until", schema.UtcDateTime, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.String(200), nullable=True),
    )
    op.create_index("ix_mail_queue_next_attempt_at", "mail_queue", ["next_attempt_at"])


def _submission_claims(op: Operations) -> None:
    # The per-address limit of form submissions counts claims, each taken in the same locked
    # transaction that counts them, so parallel submissions cannot all pass one count. Only a
    # keyed digest of the address is kept, and only for the limit's window. Submissions stored
    # before this step are not counted: for at most one window an address may send that many more.
    op.create_table(
        "submission_claims",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ip_digest", sa.String(64), nullable=False),
        sa.Column("at", schema.UtcDateTime, nullable=False),
    )
    op.create_index("ix_submission_claims_ip_digest", "submission_claims", ["ip_digest"])
    op.create_index("ix_submission_claims_at", "submission_claims", ["at"])


MIGRATIONS: tuple[tuple[int, str, Callable[[Operations], None]], ...] = (
    (1, "settings, modules, fields, records, unique values, timeline, imports", _initial),
    (2, "lifecycles: basis and consent change times, legitimate-interest assessments, blocklist", _lifecycles),
    (3, "access: users, API keys, web sessions, settings history", _access),
    (4, "unique values kept as digests", _unique_digests),
    (5, "rights requests", _rights),
    (6, "web forms, their published versions, submissions", _forms),
    (7, "portal links for data subjects", _portal),
    (8, "sign-in attempts, for throttling", _sign_in_attempts),
    (9, "meta: the unique index's digests are to be keyed", _meta),
    (10, "outgoing mail queue", _mail_queue),
    (11, "submission claims, for the per-address limit of form submissions", _submission_claims),
)


def current_version(connection: sa.Connection) -> int:
    """Return the newest migration applied, or 0 for an empty database."""
    if not sa.inspect(connection).has_table(_VERSIONS.name):
        return 0
    return connection.execute(sa.select(sa.func.max(_VERSIONS.c.version))).scalar() or 0


def migrate(engine: sa.Engine, now: Callable[[], object]) -> list[int]:
    """Apply every migration not yet applied, each in its own transaction; return those applied."""
    applied = []
    with writing(engine) as connection:
        lock_for_transaction(connection, _MIGRATION_LOCK)
        _VERSIONS.create(connection, checkfirst=True)
    for number, name, step in MIGRATIONS:
        with writing(engine) as connection:
            lock_for_transaction(connection, _MIGRATION_LOCK)
            if current_version(connection) >= number:
                continue
            step(Operations(MigrationContext.configure(connection)))
            connection.execute(_VERSIONS.insert().values(version=number, name=name, applied_at=now()))
            applied.append(number)
    return applied
