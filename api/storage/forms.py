"""Storage of web forms, their published versions and submissions (part of the Store)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import msgspec
import sqlalchemy as sa

from engine import ConflictError, LawfulError, NotFoundError

from ..crypto import FieldCipher, is_encrypted
from . import schema as t
from .database import lock_for_transaction, reading, unit_of_work, writing


class StoredForm(msgspec.Struct, frozen=True, kw_only=True):
    """A form: its draft (being edited) and which version is published."""

    slug: str
    module: str
    draft: dict[str, Any]
    current_version: int | None
    created_at: dt.datetime
    created_by: str
    updated_at: dt.datetime
    updated_by: str


class FormVersion(msgspec.Struct, frozen=True, kw_only=True):
    """A published, immutable version of a form, with the check that let it out."""

    slug: str
    version: int
    schema: dict[str, Any]
    digest: str
    report: dict[str, Any]
    published_at: dt.datetime
    published_by: str


class StoredSubmission(msgspec.Struct, frozen=True, kw_only=True):
    """A submission: the records it made, its double opt-in state and the proof of consent (W3, W4)."""

    id: str
    slug: str
    version: int
    record_ids: list[str]
    status: str
    proof: dict[str, Any]
    lang: str
    ip_digest: str
    submitted_at: dt.datetime
    sends: int
    expires_at: dt.datetime | None = None
    confirmed_at: dt.datetime | None = None
    token_digest: str | None = None
    token_expires_at: dt.datetime | None = None
    last_sent_at: dt.datetime | None = None


# Counting a submission's claim and adding it is a single step on every server.
_SUBMISSION_CLAIM_LOCK = 7364553


class FormStore:
    """Methods of the Store for forms and submissions."""

    engine: sa.Engine
    clock: Callable[[], dt.datetime]
    cipher: FieldCipher | None

    @unit_of_work
    def save_draft(self, slug: str, module: str, draft: dict[str, Any], actor: str) -> StoredForm:
        """Create a form or replace its draft; published versions never change."""
        now = self.clock()
        with writing(self.engine) as c:
            exists = c.execute(sa.select(t.forms.c.slug).where(t.forms.c.slug == slug)).first()
            if exists is None:
                c.execute(
                    t.forms.insert().values(
                        slug=slug,
                        module=module,
                        draft=draft,
                        current_version=None,
                        created_at=now,
                        created_by=actor,
                        updated_at=now,
                        updated_by=actor,
                    )
                )
            else:
                c.execute(
                    t.forms.update()
                    .where(t.forms.c.slug == slug)
                    .values(module=module, draft=draft, updated_at=now, updated_by=actor)
                )
        return self.form(slug)

    def has_form(self, slug: str) -> bool:
        """Tell whether a form of that name exists."""
        with reading(self.engine) as c:
            return c.execute(sa.select(t.forms.c.slug).where(t.forms.c.slug == slug)).first() is not None

    def form(self, slug: str) -> StoredForm:
        """Return one form."""
        with reading(self.engine) as c:
            row = c.execute(sa.select(t.forms).where(t.forms.c.slug == slug)).one_or_none()
        if row is None:
            raise NotFoundError("form.unknown", f"no form is called {slug!r}")
        return StoredForm(**row._asdict())

    def forms(self) -> list[StoredForm]:
        """List forms by name."""
        with reading(self.engine) as c:
            return [StoredForm(**row._asdict()) for row in c.execute(sa.select(t.forms).order_by(t.forms.c.slug))]

    @unit_of_work
    def publish(
        self, slug: str, schema: dict[str, Any], digest: str, report: dict[str, Any], actor: str
    ) -> FormVersion:
        """Store a new immutable version and make it the published one."""
        now = self.clock()
        with writing(self.engine) as c:
            last = (
                c.execute(
                    sa.select(sa.func.max(t.form_versions.c.version)).where(t.form_versions.c.slug == slug)
                ).scalar()
                or 0
            )
            c.execute(
                t.form_versions.insert().values(
                    slug=slug,
                    version=last + 1,
                    schema=schema,
                    digest=digest,
                    report=report,
                    published_at=now,
                    published_by=actor,
                )
            )
            c.execute(
                t.forms.update()
                .where(t.forms.c.slug == slug)
                .values(current_version=last + 1, updated_at=now, updated_by=actor)
            )
        return self.form_version(slug, last + 1)

    def form_version(self, slug: str, version: int | None = None) -> FormVersion:
        """Return a published version, by default the current one."""
        with reading(self.engine) as c:
            if version is None:
                version = c.execute(sa.select(t.forms.c.current_version).where(t.forms.c.slug == slug)).scalar()
                if version is None:
                    raise NotFoundError("form.not_published", f"form {slug!r} is not published")
            row = c.execute(
                sa.select(t.form_versions).where(t.form_versions.c.slug == slug, t.form_versions.c.version == version)
            ).one_or_none()
        if row is None:
            raise NotFoundError("form.unknown_version", f"form {slug!r} has no version {version}")
        return FormVersion(**row._asdict())

    def form_versions(self, slug: str) -> list[FormVersion]:
        """Every published version of a form, oldest first."""
        with reading(self.engine) as c:
            rows = c.execute(
                sa.select(t.form_versions).where(t.form_versions.c.slug == slug).order_by(t.form_versions.c.version)
            )
            return [FormVersion(**row._asdict()) for row in rows]

    def add_submission(self, submission: StoredSubmission) -> StoredSubmission:
        """Record a submission."""
        with writing(self.engine) as c:
            c.execute(t.submissions.insert().values(**msgspec.structs.asdict(submission)))
        return self.submission(submission.id)

    def submission(self, submission_id: str) -> StoredSubmission:
        """Return one submission."""
        with reading(self.engine) as c:
            row = c.execute(sa.select(t.submissions).where(t.submissions.c.id == submission_id)).one_or_none()
        if row is None:
            raise NotFoundError("submission.unknown", f"no submission has id {submission_id!r}")
        return StoredSubmission(**row._asdict())

    def submission_by_token(self, token_digest: str) -> StoredSubmission | None:
        """Return the submission a confirmation token belongs to, if any."""
        with reading(self.engine) as c:
            row = c.execute(sa.select(t.submissions).where(t.submissions.c.token_digest == token_digest)).one_or_none()
        return StoredSubmission(**row._asdict()) if row is not None else None

    def update_submission(self, submission_id: str, expect_status: str, **changes: Any) -> StoredSubmission:
        """Change a submission if it still has the expected status (a token is used once)."""
        with writing(self.engine) as c:
            query = t.submissions.update().where(
                t.submissions.c.id == submission_id, t.submissions.c.status == expect_status
            )
            if not c.execute(query.values(**changes)).rowcount:
                raise ConflictError("submission.changed", "this submission was confirmed, expired or changed meanwhile")
        return self.submission(submission_id)

    def claim_submission(self, ip_digest: str, limit: int, window: dt.timedelta) -> int | None:
        """Count a submission from an address before it is stored; return the claim's id, or None when
        `limit` claims of that address were made within `window`. Older claims are pruned.

        Counting and claiming are one step on every server (a locked write transaction), so
        submissions sent at the same moment never get past the limit together.
        """
        now = self.clock()
        claims = t.submission_claims
        with writing(self.engine) as c:
            lock_for_transaction(c, _SUBMISSION_CLAIM_LOCK)
            c.execute(claims.delete().where(claims.c.at <= now - window))
            count = c.execute(
                sa.select(sa.func.count()).select_from(claims).where(claims.c.ip_digest == ip_digest)
            ).scalar_one()
            if count >= limit:
                return None
            key = c.execute(claims.insert().values(ip_digest=ip_digest, at=now)).inserted_primary_key
        assert key is not None
        return int(key[0])

    def release_submission_claim(self, claim_id: int) -> None:
        """Give a claim back, for a submission that stored nothing."""
        with writing(self.engine) as c:
            c.execute(t.submission_claims.delete().where(t.submission_claims.c.id == claim_id))

    def claim_confirmation_send(
        self, submission_id: str, token_digest: str, token_expires_at: dt.datetime, sent_before: dt.datetime | None
    ) -> StoredSubmission | None:
        """Give a waiting submission a new confirmation token and count the send, if no link was sent
        after `sent_before` (any time, when None); return it, or None when the condition does not hold.

        The condition, the new token and `sends + 1` are one UPDATE: of several sends asked at
        once, one gets through and the count loses none.
        """
        now = self.clock()
        submissions = t.submissions
        conditions = [
            submissions.c.id == submission_id,
            submissions.c.status == "pending",
            sa.or_(submissions.c.expires_at.is_(None), submissions.c.expires_at > now),
        ]
        if sent_before is not None:
            conditions.append(sa.or_(submissions.c.last_sent_at.is_(None), submissions.c.last_sent_at <= sent_before))
        with writing(self.engine) as c:
            changed = c.execute(
                submissions.update()
                .where(*conditions)
                .values(
                    token_digest=token_digest,
                    token_expires_at=token_expires_at,
                    last_sent_at=now,
                    sends=submissions.c.sends + 1,
                )
            ).rowcount
        return self.submission(submission_id) if changed else None

    def expire_submissions(self, now: dt.datetime) -> list[StoredSubmission]:
        """Mark unconfirmed submissions past their waiting period as expired; return them (W3)."""
        with writing(self.engine) as c:
            rows = c.execute(
                sa.select(t.submissions).where(t.submissions.c.status == "pending", t.submissions.c.expires_at <= now)
            ).all()
            for row in rows:  # the changes that waited for confirmation are not kept once it cannot come
                c.execute(
                    t.submissions.update()
                    .where(t.submissions.c.id == row.id)
                    .values(status="expired", token_digest=None, proof=_without(row.proof, "pending"))
                )
        return [StoredSubmission(**row._asdict()) for row in rows]

    def seal_pending(self, submission_id: str, pending: dict[str, Any]) -> dict[str, Any]:
        """Encrypt the changes a submission holds until its address is confirmed: they may hold
        values of encrypted fields, and are personal data in any case (F6)."""
        return _sealed(self.cipher, submission_id, pending)

    def open_pending(self, submission_id: str, sealed: Any) -> dict[str, Any]:
        """The changes `seal_pending` sealed, by record id."""
        return _opened(self.cipher, submission_id, sealed)

    def _forget_submissions(self, c: sa.Connection, record_ids: set[str]) -> None:
        """Part of an erasure (DS3), in its transaction: the submissions that made or matched the
        records keep no personal data (changes waiting for confirmation, address, browser) and their
        links stop working; what remains says which form and version was filled in, and when."""
        for record_id in record_ids:
            # Record ids hold no LIKE wildcards (RECORD_ID_PATTERN); the match is checked exactly below.
            mentions = sa.cast(t.submissions.c.record_ids, sa.Text).like(f'%"{record_id}"%')
            for row in c.execute(sa.select(t.submissions).where(mentions)).all():
                if record_id not in row.record_ids:
                    continue
                if set(row.record_ids) <= record_ids:
                    proof = _without(row.proof, "pending", "ip", "user_agent")
                    status = "erased" if row.status == "pending" else row.status
                    changes = {"proof": proof, "token_digest": None, "status": status}
                else:  # another subject's record, from the same submission, may still be confirmed
                    waiting = _opened(self.cipher, row.id, row.proof.get("pending"))
                    pending = {k: v for k, v in waiting.items() if k not in record_ids}
                    kept = {"pending": _sealed(self.cipher, row.id, pending)} if pending else {}
                    changes = {"proof": {**_without(row.proof, "pending"), **kept}}
                c.execute(t.submissions.update().where(t.submissions.c.id == row.id).values(**changes))


def _sealed(cipher: FieldCipher | None, submission_id: str, pending: dict[str, Any]) -> dict[str, Any]:
    if cipher is None:
        raise LawfulError(
            "crypto.no_key", "changes waiting for confirmation are kept encrypted; no secret is configured"
        )
    return cipher.encrypt(pending, submission_id, "pending")


def _opened(cipher: FieldCipher | None, submission_id: str, sealed: Any) -> dict[str, Any]:
    if not sealed:
        return {}
    if not is_encrypted(sealed):
        return dict(sealed)  # kept before sealing was introduced
    if cipher is None:
        raise LawfulError("crypto.no_key", "changes waiting for confirmation are encrypted; no secret is configured")
    return dict(cipher.decrypt(sealed, submission_id, "pending"))


def _without(proof: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in proof.items() if k not in keys}
