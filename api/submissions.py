"""Public form submissions, with double opt-in (W3, W4, CC1-CC4) and the same checks as any new record."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import math
import secrets
import uuid
from decimal import Decimal
from typing import Any, Literal

import msgspec

from engine import ConflictError, Lang, LawfulError, RequestError, add_local_days
from forms import FieldError, Form, Submission, parse_submission, stored_value_error, to_records

from .lifecycles import LifecycleService
from .mail import Mailer, Message
from .problems import ThrottledError
from .publishing import FormService
from .records import RecordService, check_data
from .storage import (
    FormVersion,
    ModuleLayout,
    NewRecord,
    Store,
    StoredRecord,
    StoredSubmission,
    TimelineRow,
)
from .tokens import Signer

Outcome = Literal["thanks", "invalid", "spam", "refused", "limited", "broken"]
log = logging.getLogger("lawful.forms")
RATE_WINDOW = dt.timedelta(minutes=10)
# A record's consent moves at most a few steps (basis, request, answer), and each failed try saw one
# of them taken by another submission, so a few tries always reach a state with nothing left to do.
CONSENT_ATTEMPTS = 4
CONFIRM_PAGE_SECONDS = 24 * 3600
FORM_TOKEN_SECONDS = 400 * 24 * 3600
_MAIL = {
    "en": (
        "Please confirm your email address",
        "You filled in the form \u201c{title}\u201d. Please confirm your email address by "
        "opening this link and pressing the button:\n\n{link}\n\nThe link works for {hours} hours. If you did not fill in "
        "this form, do nothing: without confirmation we do not use your data.",
    ),
    "nl": (
        "Bevestig uw e-mailadres",
        "U vulde het formulier \u201c{title}\u201d in. Bevestig uw e-mailadres door deze link te openen "
        "en op de knop te drukken:\n\n{link}\n\nDe link werkt {hours} uur. Vulde u dit formulier niet in? Doe dan niets: "
        "zonder bevestiging gebruiken wij uw gegevens niet.",
    ),
}


class SubmitResult(msgspec.Struct, frozen=True):
    """How a submission ended, with what to show the subject."""

    outcome: Outcome
    parsed: Submission | None = None
    stored: StoredSubmission | None = None
    message: str = ""


class ConfirmResult(msgspec.Struct, frozen=True):
    """How a confirmation ended: confirmed, or why not (the token changes nothing then)."""

    outcome: Literal["confirmed", "already", "unknown", "expired"]
    stored: StoredSubmission | None = None


class SubmissionService:
    """Turn valid submissions into records; confirm them by email when the form asks for it."""

    def __init__(
        self,
        store: Store,
        forms: FormService,
        records: RecordService,
        lifecycles: LifecycleService,
        mailer: Mailer,
        secret: bytes,
        public_url: str,
        rate_limit: int = 10,
    ) -> None:
        self.store, self.forms, self.records, self.lifecycles = store, forms, records, lifecycles
        self.mailer, self.public_url, self.rate_limit = mailer, public_url, rate_limit
        self.signer = Signer(secret, lambda: self.store.clock(), b"lawful forms")

    def page_token(self, purpose: str) -> str:
        """A CSRF token for a public page: when it was issued, signed for its purpose."""
        return self.signer.issue(purpose)

    def is_valid_token(self, purpose: str, token: str, max_age: int) -> bool:
        """Tell whether a page token was issued by us for this purpose, and not too long ago."""
        return self.signer.check(purpose, token, max_age)

    def ip_digest(self, ip: str) -> str:
        """What is kept of an address for the rate limit: a keyed digest."""
        return self.signer.sign(f"ip:{ip}")

    # Submitting --------------------------------------------------------------------------------

    def submit(
        self, slug: str, pairs: list[tuple[str, str]], *, lang: str, ip: str, user_agent: str, page_url: str
    ) -> SubmitResult:
        """Read a submission and store it; errors come back per field, in the form's language."""
        form, version = self.forms.published(slug)
        parsed = parse_submission(form, pairs, lang)  # type: ignore[arg-type]
        if parsed.spam:
            return SubmitResult("spam", parsed)  # looks like success to a bot, stores nothing
        # The claim is counted and taken in one step, so parallel submissions cannot all pass the limit.
        claim = self.store.claim_submission(self.ip_digest(ip), self.rate_limit, RATE_WINDOW)
        if claim is None:
            return SubmitResult("limited", parsed)
        result = self._accept(form, version, parsed, lang=lang, ip=ip, user_agent=user_agent, page_url=page_url)
        # Only stored submissions count against the address's limit; one that failed with an
        # unexpected error keeps its claim, so errors cannot be used to get past the limit.
        if result.stored is None:
            self.store.release_submission_claim(claim)
        return result

    def _accept(self, form: Form, version: FormVersion, parsed: Submission, **context: str) -> SubmitResult:
        """Store a valid submission; say why when it is invalid or cannot be stored."""
        if not parsed.valid:
            return SubmitResult("invalid", parsed)
        try:
            stored = self._store(form, version, parsed, **context)
        except ConflictError as exc:
            return SubmitResult("refused", parsed, message=exc.message)
        except _AnswerError as exc:
            return SubmitResult("invalid", msgspec.structs.replace(parsed, errors=exc.errors))
        except RequestError as exc:
            # The published form no longer fits its module (a field changed since): nothing is stored.
            # Only where the problems are is logged, never the values.
            where = ", ".join(p.path or p.code for p in exc.problems) or exc.code
            log.warning(
                "form %s version %s: submission does not fit module %s: %s",
                version.slug,
                version.version,
                form.module,
                where,
            )
            return SubmitResult("broken", parsed, message=exc.message)
        return SubmitResult("thanks", parsed, stored)

    def _store(self, form: Form, version: FormVersion, parsed: Submission, **context: str) -> StoredSubmission:
        now, settings = self.store.clock(), self.store.settings()
        layout = self.store.module(form.module)
        rows = self._rows(form, layout, parsed, context["lang"])
        screened = self.records.screen(layout, [_probe(row) for row in rows])
        for decision in screened:
            if decision.effect == "deny":  # CC3: a web form meets the same refusal as any other path
                raise ConflictError("record.refused", decision.reasons[0].message)
        proof = {
            "form": version.slug,
            "form_version": version.version,
            "submitted_at": now.isoformat(),
            "ip": context["ip"],
            "user_agent": context["user_agent"],
            "page_url": context["page_url"],
            "lang": context["lang"],
            "consents": [msgspec.to_builtins(c) for c in parsed.consents],
        }
        source = {
            "kind": "form",
            "form": version.slug,
            "form_version": version.version,
            "page_url": context["page_url"],
            "ip": context["ip"],
            "at": now.isoformat(),
        }
        if form.double_opt_in and _email_of(layout, rows) is None:
            raise ConflictError("form.no_email", "this form asks for confirmation by email but holds no email address")
        actor = f"form:{version.slug}"
        asked = _asked_fields(form)
        confirm_to = _email_of(layout, rows)  # where the confirmation goes: the first address given
        submission_id = uuid.uuid4().hex
        records, pending = [], {}
        for index, row in enumerate(rows):
            if index and not _same_address(self._matching_address(layout, row), confirm_to):
                # A known subject on a form for several people, named by someone else: only the
                # owner of the address the confirmation goes to can confirm changes, so this
                # subject's record is left as it is.
                known = self._existing(layout, row)
                if known is not None:
                    continue
            record, made_here = self._find_or_add(layout, row, source, actor, waits=form.double_opt_in)
            # Consent is given by a person for themselves: on a form that makes a record per item
            # (attendees), the boxes are ticked by whoever fills it in, the first item; the others
            # get their records, and no consent that they did not give.
            own = proof if index == 0 else {**proof, "consents": []}
            if made_here:
                self._consent(record, own, actor, confirmed=not form.double_opt_in)
            else:
                # Anyone may type a known subject's address into a form: their record, and their
                # consent, change only once they prove the address is theirs, whatever the form's
                # own setting (a withdrawn consent is not given back by a stranger).
                pending[record.id] = {k: v for k, v in row.items() if k in asked}
            records.append(record)
        confirm = form.double_opt_in or bool(pending)
        if pending:  # values for encrypted fields among them: kept sealed until confirmed (F6)
            proof = {**proof, "pending": self.store.seal_pending(submission_id, pending)}
        submission = StoredSubmission(
            id=submission_id,
            slug=version.slug,
            version=version.version,
            record_ids=[r.id for r in records],
            status="pending" if confirm else "stored",
            proof=proof,
            lang=context["lang"],
            ip_digest=self.ip_digest(context["ip"]),
            submitted_at=now,
            sends=0,
        )
        if confirm:
            days = settings.waiting_period_days or self._params().consent.waiting_period.default_days
            submission = msgspec.structs.replace(submission, expires_at=add_local_days(now, days, settings.timezone))
        stored = self.store.add_submission(submission)
        return self._send_confirmation(stored, form, _email_of(layout, rows)) if confirm else stored  # type: ignore[arg-type]

    def _rows(self, form: Form, layout: ModuleLayout, parsed: Submission, lang: str) -> list[dict[str, Any]]:
        """The records' data, checked against the module; a value the module cannot keep, written by
        an input of the form, is that input's error (an answer to fix, not a broken form)."""
        rows, errors = [], []
        for item, data in enumerate(to_records(form, parsed.data)):
            try:
                rows.append(check_data(layout, _json(data)))
            except RequestError as exc:
                found = [
                    stored_value_error(form, p.path.rsplit(".", 1)[-1], item, "nl" if lang == "nl" else "en")
                    if p.path and p.code == "too_large"
                    else None
                    for p in exc.problems
                ]
                if not found or None in found:
                    raise  # not the subject's answer: the form no longer fits its module
                errors += [e for e in found if e is not None]
        if errors:
            raise _AnswerError(tuple(errors))
        return rows

    def _params(self) -> Any:
        return self.lifecycles.rules.active(self.store.clock(), self.store.settings().pinned_version).parameters

    def _existing(self, layout: ModuleLayout, row: dict[str, Any]) -> StoredRecord | None:
        email_fields = [f.name for f in layout.fields if f.unique and f.type == "email"]
        email = next((str(row[name]) for name in email_fields if name in row), None)
        found = self.store.records_by_unique({layout.name: email_fields}, email) if email else []
        return found[0] if found else None

    def _matching_address(self, layout: ModuleLayout, row: dict[str, Any]) -> str | None:
        """The value of the unique email field by which a row would find a known record."""
        names = [f.name for f in layout.fields if f.unique and f.type == "email"]
        return next((str(row[name]) for name in names if name in row), None)

    def _find_or_add(
        self, layout: ModuleLayout, row: dict[str, Any], source: dict[str, Any], actor: str, waits: bool
    ) -> tuple[StoredRecord, bool]:
        """Return the subject's record, and whether this submission made it.

        Another submission for the same subject may add the record between our look and our add:
        ours is then refused for the unique email that one took (`record.conflict`), and this
        submission goes on as one for a subject we know. Any other refusal stands.
        """
        existing = self._existing(layout, row)
        if existing is not None:
            return existing, False
        try:
            return self._new_record(layout.name, row, source, actor, waits), True
        except ConflictError as exc:
            existing = self._existing(layout, row) if exc.code == "record.conflict" else None
            if existing is None:
                raise
            return existing, False

    def _new_record(
        self, module: str, data: dict[str, Any], source: dict[str, Any], actor: str, waits: bool
    ) -> StoredRecord:
        added = self.records.add(module, data, source=source, actor=actor).record
        if not waits:
            return added
        # W3: not processed until the subject confirms
        row = TimelineRow(
            kind="double_opt_in.sent", summary="waiting for the subject to confirm their email address", actor=actor
        )
        return self.store.change_state(
            added.id, {"awaiting_confirmation": False}, {"awaiting_confirmation": True}, [row]
        )

    def _consent(
        self, record: StoredRecord, proof: dict[str, Any], actor: str, confirmed: bool, with_proof: bool = True
    ) -> None:
        """Record the consent a form gave: at once when confirmed, else as a request that waits (W3, CC4)."""
        if not proof.get("consents"):
            return
        if with_proof:
            row = TimelineRow(kind="consent.proof", summary="consent given on a web form", actor=actor, detail=proof)
            self.store.add_timeline(record.id, [row])
        # Submissions for one subject may arrive together: when another one moved the record on
        # between our read and our change, read it again and decide from where it is now.
        for attempt in range(1, CONSENT_ATTEMPTS + 1):
            try:
                self._advance_consent(record, actor, confirmed)
                return
            except ConflictError as exc:
                if exc.code != "record.changed" or attempt == CONSENT_ATTEMPTS:
                    raise
                record = self.store.record(record.id)

    def _advance_consent(self, record: StoredRecord, actor: str, confirmed: bool) -> None:
        """Move the record, as read, to consent waiting or obtained; `record.changed` if it moved meanwhile."""
        if record.basis == "not_applicable":
            record = self.lifecycles.set_basis(record.id, "consent", actor=actor, seen=record)
        if record.basis != "consent" or record.consent_status == "obtained":
            return
        if not confirmed:  # the consent counts once the subject confirms the address it was given for
            if record.consent_status != "waiting":
                self.lifecycles.consent_event(record.id, "request_sent", channel="form", actor=actor, seen=record)
            return
        event = "answer_obtained" if record.consent_status == "waiting" else "consent_given"
        self.lifecycles.consent_event(record.id, event, channel="form", actor=actor, seen=record)

    # Double opt-in -------------------------------------------------------------------------------

    def _send_confirmation(
        self, submission: StoredSubmission, form: Form, email: str, wait: dt.timedelta | None = None
    ) -> StoredSubmission:
        """Mail a new confirmation link, unless one was sent less than `wait` ago (then a 409 says so).

        The send is claimed in the store before the mail goes: of several asked at once, one
        mails, the others are refused, and `sends` counts every send made.
        """
        token = secrets.token_urlsafe(32)
        hours = self._params().double_opt_in.token_lifetime_hours
        now = self.store.clock()
        claimed = self.store.claim_confirmation_send(
            submission.id,
            _digest(token),
            token_expires_at=now + dt.timedelta(hours=hours),
            sent_before=now - wait if wait is not None else None,
        )
        if claimed is None:  # confirmed, expired or sent again since it was read
            raise _resend_refusal(self.store.submission(submission.id), now, wait) or ConflictError(
                "submission.changed", "this submission was confirmed, expired or changed meanwhile"
            )
        lang: Lang = "nl" if submission.lang == "nl" else "en"
        subject, body = _MAIL[lang]
        link = f"{self.public_url}/f/confirm/{token}"
        self.mailer.send(
            Message(
                to=email,
                subject=subject,
                text=body.format(title=form.title.get(lang), link=link, hours=hours),
            )
        )
        return claimed

    def resend(self, submission_id: str) -> StoredSubmission:
        """Send the confirmation again with a new link (the old one stops working), at most so often."""
        submission = self.store.submission(submission_id)
        wait = dt.timedelta(minutes=self._params().double_opt_in.resend_interval_minutes)
        refusal = _resend_refusal(submission, self.store.clock(), wait)
        if refusal is not None:
            raise refusal
        form, _ = self.forms.published(submission.slug)
        layout = self.store.module(form.module)
        email = _email_of(
            layout, [r.data for r in self.store.records(ids=submission.record_ids, limit=len(submission.record_ids))]
        )
        if email is None:
            raise ConflictError("submission.no_email", "the submission's record no longer holds an email address")
        return self._send_confirmation(submission, form, email, wait)

    def pending(self, token: str) -> ConfirmResult:
        """Look a token up without using it (the page with the confirm button)."""
        submission = self.store.submission_by_token(_digest(token))
        if submission is not None and submission.status == "confirmed":
            return ConfirmResult("already", submission)  # a second click: nothing more to do
        if submission is None or submission.status != "pending":
            return ConfirmResult("unknown")
        if self._expired(submission):
            return ConfirmResult("expired", submission)
        return ConfirmResult("confirmed", submission)

    def confirm(self, token: str) -> ConfirmResult:
        """Use a token once: confirm the address; a changed, used or expired token changes nothing (CC1, CC2)."""
        found = self.pending(token)
        if found.outcome != "confirmed" or found.stored is None:
            return found
        try:
            submission = self.store.update_submission(
                found.stored.id,
                "pending",
                status="confirmed",
                confirmed_at=self.store.clock(),
                proof={**found.stored.proof, "confirmed_at": self.store.clock().isoformat()},
            )
        except ConflictError:  # a click at the same moment used the token first: this one is a second click
            return self.pending(token)
        actor = f"form:{submission.slug}"
        for record in self.store.records(ids=submission.record_ids, limit=len(submission.record_ids)):
            if record.awaiting_confirmation:
                self.store.change_state(
                    record.id,
                    {"awaiting_confirmation": True},
                    {"awaiting_confirmation": False},
                    [
                        TimelineRow(
                            kind="double_opt_in.confirmed",
                            summary="the subject confirmed their email address",
                            actor=actor,
                            detail={"submission": submission.id},
                        )
                    ],
                )
            changes = self.store.open_pending(submission.id, submission.proof.get("pending")).get(record.id)
            if changes:
                record = self.records.rectify(
                    record.id, changes, actor, reason=f"form {submission.slug} v{submission.version}, confirmed"
                )
            # CC4: confirming an address is not consent; only a ticked box, now confirmed, is, and
            # only for the one who ticked it (the first record, see _store).
            proof = {k: v for k, v in submission.proof.items() if k != "pending"}
            if record.id != submission.record_ids[0]:
                proof["consents"] = []
            self._consent(record, proof, actor, confirmed=True, with_proof=changes is not None)
        if submission.proof.get("pending"):  # the changes are applied: the submission keeps no copy of them
            proof = {k: v for k, v in submission.proof.items() if k != "pending"}
            submission = self.store.update_submission(submission.id, "confirmed", proof=proof)
        return ConfirmResult("confirmed", submission)

    def _expired(self, submission: StoredSubmission) -> bool:
        now = self.store.clock()
        return any(limit is not None and limit <= now for limit in (submission.token_expires_at, submission.expires_at))

    def expire(self) -> int:
        """Close submissions whose waiting period is over; their consent goes no_response with the sweep (W3)."""
        expired = self.store.expire_submissions(self.store.clock())
        for submission in expired:
            for record_id in submission.record_ids:
                self.store.add_timeline(
                    record_id,
                    [
                        TimelineRow(
                            kind="double_opt_in.expired",
                            actor="sweep",
                            summary="the email address was not confirmed in time",
                        )
                    ],
                )
        return len(expired)


def _resend_refusal(submission: StoredSubmission, now: dt.datetime, wait: dt.timedelta | None) -> LawfulError | None:
    """Why a confirmation link cannot be sent (again) now, if it cannot."""
    if submission.status != "pending" or (submission.expires_at is not None and submission.expires_at <= now):
        return ConflictError("submission.not_pending", "this submission no longer waits for confirmation")
    if wait is not None and submission.last_sent_at is not None and now - submission.last_sent_at < wait:
        left = math.ceil((submission.last_sent_at + wait - now).total_seconds())
        return ThrottledError(
            "submission.resend_too_soon",
            f"a new link can be sent {int(wait.total_seconds() // 60)} minutes after the last one; "
            f"{math.ceil(left / 60)} minute(s) to go",
            left,
        )
    return None


class _AnswerError(Exception):
    """Answers the schema let through and the module cannot keep, as errors on their inputs."""

    def __init__(self, errors: tuple[FieldError, ...]) -> None:
        super().__init__("answers the module cannot keep")
        self.errors = errors


def _same_address(one: str | None, other: str | None) -> bool:
    return one is not None and other is not None and one.strip().casefold() == other.strip().casefold()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _json(data: dict[str, Any]) -> dict[str, Any]:
    # Form numbers are exact Decimals; records keep JSON numbers.
    return {k: float(v) if isinstance(v, Decimal) else v for k, v in data.items()}


def _probe(data: dict[str, Any]) -> NewRecord:
    return NewRecord("probe", data, "")


def _asked_fields(form: Form) -> set[str]:
    """The module fields the form's own inputs write (not its fixed values)."""
    found: set[str] = set()
    todo = list(form.fields)
    while todo:
        field = todo.pop()
        if field.crm_field:
            found.add(field.crm_field)
        todo.extend(field.children)
    return found


def _email_of(layout: ModuleLayout, rows: list[dict[str, Any]]) -> str | None:
    for field in layout.fields:
        if field.type == "email":
            for row in rows:
                if isinstance(row.get(field.name), str) and row[field.name]:
                    return str(row[field.name])
    return None
