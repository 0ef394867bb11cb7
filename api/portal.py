"""The subject's portal (C1, C5, DS6): a mailed link to answer a consent request, withdraw, correct,
copy or erase; the link carries only a random token, stored as a digest."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

import msgspec

from engine import Lang, RequestError

from .lifecycles import LifecycleService
from .mail import Mailer, Message
from .records import RecordService
from .rights import RightsService
from .storage import PortalLink, Store, StoredRecord, TimelineRow

_MAIL = {
    "en": (
        "May we keep in touch?",
        "We would like your consent for the following:\n\n{text}\n\nAnswer, see the data we hold about "
        "you, correct it or have it erased here:\n\n{link}\n\nWithout an answer by {deadline} we stop using your data.",
    ),
    "nl": (
        "Mogen we contact houden?",
        "We vragen uw toestemming voor het volgende:\n\n{text}\n\nGeef antwoord, bekijk de gegevens "
        "die wij over u hebben, corrigeer ze of laat ze wissen:\n\n{link}\n\nZonder antwoord voor {deadline} gebruiken wij uw "
        "gegevens niet meer.",
    ),
}


class ConsentAsk(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """What consent is asked for, in the exact words the subject reads (C1, P3)."""

    purpose: str
    text_en: str
    text_nl: str = ""
    version: str = "1"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class PortalService:
    """Ask for consent by email, and carry out what the subject does in the portal."""

    def __init__(
        self,
        store: Store,
        lifecycles: LifecycleService,
        records: RecordService,
        rights: RightsService,
        mailer: Mailer,
        public_url: str,
    ) -> None:
        self.store, self.lifecycles, self.records, self.rights = store, lifecycles, records, rights
        self.mailer, self.public_url = mailer, public_url

    def email_of(self, record: StoredRecord) -> str | None:
        """The first email address the record holds."""
        for field in self.store.module(record.module).fields:
            value = record.data.get(field.name)
            if field.type == "email" and isinstance(value, str) and value:
                return value
        return None

    def ask_consent(self, record_id: str, ask: ConsentAsk, *, actor: str, lang: Lang = "en") -> StoredRecord:
        """Send a consent request by email with a portal link (C1); the record waits for the answer."""
        record = self.store.record(record_id)
        email = self.email_of(record)
        if email is None:
            raise RequestError(
                "consent.no_email", f"record {record_id} holds no email address to ask by - at $.channel"
            )
        record = self.lifecycles.consent_event(record_id, "request_sent", channel="email", actor=actor, lang=lang)
        token = secrets.token_urlsafe(32)
        expires = record.consent_deadline or self.store.clock() + dt.timedelta(days=30)
        self.store.add_portal_link(
            PortalLink(
                digest=_digest(token),
                record_id=record_id,
                request=msgspec.to_builtins(ask),
                lang=lang,
                created_at=self.store.clock(),
                expires_at=expires,
            )
        )
        subject, body = _MAIL[lang]
        text = ask.text_nl if lang == "nl" and ask.text_nl else ask.text_en
        deadline = expires.date().isoformat()
        self.mailer.send(
            Message(
                to=email,
                subject=subject,
                text=body.format(text=text, link=f"{self.public_url}/p/{token}", deadline=deadline),
            )
        )
        return record

    def open(self, token: str) -> tuple[PortalLink, StoredRecord] | None:
        """The link and the record behind a token, or None when it is unknown, expired or the record is gone."""
        link = self.store.portal_link(_digest(token))
        if link is None:
            return None
        found = self.store.records(ids=[link.record_id], limit=1)
        return (link, found[0]) if found else None

    def answer(self, link: PortalLink, record: StoredRecord, yes: bool, context: dict[str, str]) -> StoredRecord:
        """The subject answers or gives consent in the portal (C2, C5); the wording shown is kept as proof.

        An answer the record already holds (a second click, a page sent twice) changes nothing.
        """
        actor = "subject:portal"
        record = self.store.record(record.id)  # as it is now, not as the page was shown
        if record.consent_status == ("obtained" if yes else "denied") or (
            not yes and record.consent_status in ("withdrawn", "no_response", "not_requested")
        ):
            return record
        if yes:
            self.store.add_timeline(
                record.id,
                [
                    TimelineRow(
                        kind="consent.proof",
                        summary="consent given in the portal",
                        actor=actor,
                        detail={"request": link.request, **context},
                    )
                ],
            )
        if record.basis == "not_applicable" and yes:
            record = self.lifecycles.set_basis(record.id, "consent", actor=actor)
        if record.consent_status == "waiting":
            event = "answer_obtained" if yes else "answer_denied"
        else:
            event = "consent_given" if yes else "withdrawn"
        return self.lifecycles.consent_event(record.id, event, channel="portal", actor=actor)

    def correct(self, record: StoredRecord, changes: dict[str, Any]) -> StoredRecord:
        """The subject corrects their data, before or after giving consent (DS2, DS6)."""
        return self.records.rectify(
            record.id, changes, "subject:portal", reason="corrected by the subject in the portal"
        )

    def erase(self, record: StoredRecord, lang: Lang) -> None:
        """The subject has their data erased (DS3, DS6): an erasure request, carried out at once."""
        email = self.email_of(record) or ""
        request = self.rights.receive(
            "erasure", email, channel="portal", actor="subject:portal", record_id=record.id, lang=lang
        )
        self.rights.complete(request.id, "subject:portal")
        self.store.end_portal_links(record.id)

    def copy(self, record: StoredRecord, lang: Lang) -> None:
        """The subject asks for a copy of their data (DS1): the access report is mailed."""
        email = self.email_of(record) or ""
        request = self.rights.receive(
            "access", email, channel="portal", actor="subject:portal", record_id=record.id, lang=lang
        )
        self.rights.complete(request.id, "subject:portal")
