"""Outgoing mail: over SMTP when configured, else written to an outbox folder (nothing lost)."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import ssl
import time
import uuid
from collections.abc import Callable
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Protocol, cast
from urllib.parse import parse_qs, unquote, urlparse

import msgspec

from engine import LawfulError

from .files import private_directory, write_private
from .storage.mailqueue import QueuedMail

log = logging.getLogger("lawful.mail")


class Attachment(msgspec.Struct, frozen=True):
    """A file sent with a message."""

    filename: str
    content_type: str
    data: bytes


class Message(msgspec.Struct, frozen=True, kw_only=True):
    """One email."""

    to: str
    subject: str
    text: str
    html: str | None = None
    attachments: tuple[Attachment, ...] = ()

    def build(self, sender: str) -> EmailMessage:
        """Return the message as MIME, ready to send."""
        mime = EmailMessage()
        mime["From"], mime["To"], mime["Subject"] = sender, self.to, self.subject
        mime["Date"] = dt.datetime.now(dt.timezone.utc).strftime("%a, %d %b %Y %H:%M:%S +0000")
        mime["Message-ID"] = f"<{uuid.uuid4().hex}@{sender.rpartition('@')[2] or 'lawful'}>"
        mime.set_content(self.text)
        if self.html:
            mime.add_alternative(self.html, subtype="html")
        for item in self.attachments:
            kind, *extra = (part.strip() for part in item.content_type.split(";"))
            main, _, sub = kind.partition("/")
            params = dict(p.split("=", 1) for p in extra if "=" in p)
            mime.add_attachment(item.data, maintype=main, subtype=sub, filename=item.filename, params=params)
        return mime


class Mailer(Protocol):
    """Something that sends messages."""

    sender: str

    def send(self, message: Message) -> None: ...


class Transport(Protocol):
    """Where built messages go: a mail server, or the outbox folder."""

    sender: str

    def deliver(self, mime: EmailMessage) -> None: ...


def wire_bytes(mime: EmailMessage) -> bytes:
    """The message as it is kept and written: addresses with non-ASCII characters stay UTF-8
    (RFC 6531), never encoded words, which no mail server reads as an address."""
    international = any(not str(mime.get(h, "")).isascii() for h in ("To", "From"))
    return mime.as_bytes(policy=policy.SMTPUTF8 if international else policy.SMTP)


def _parsed(raw: bytes) -> EmailMessage:
    return cast(EmailMessage, BytesParser(policy=policy.default).parsebytes(raw))


class MailQueue:
    """Queue each message in the database, then try to send it at once; what the server does not
    take stays queued and is tried again later (`deliver_due`), with growing pauses.

    Whatever a message tells of (an erasure, a rights request, a form) is done before it is
    queued, and stays done when the mail server is down: the message follows when it is back.
    """

    LEASE = dt.timedelta(minutes=5)
    LONGEST_PAUSE = dt.timedelta(hours=6)
    # After a failure, requests only queue their mail for this long: a mail server that is down,
    # or answers nothing, then costs one request its timeout, not every request that sends mail.
    QUIET = 60.0

    def __init__(self, store: MailStore, transport: Transport) -> None:
        self.store, self.transport, self.sender = store, transport, transport.sender
        self._failed_at: float | None = None  # time.monotonic() of the last failure

    def send(self, message: Message) -> None:
        mime = message.build(self.sender)
        mail_id = uuid.uuid4().hex
        raw = wire_bytes(mime)
        if self._failed_at is not None and time.monotonic() - self._failed_at < self.QUIET:
            self.store.queue_mail(mail_id, raw, dt.timedelta(0))  # the next sweep tries it
            return
        self.store.queue_mail(mail_id, raw, self.LEASE)
        self._attempt(mail_id, 0, raw)

    def deliver_due(self, limit: int = 100) -> int:
        """Try the queued messages that are due; return how many the server took. The first
        failure ends the round: the others wait for the next sweep, unclaimed."""
        sent = 0
        while sent < limit and (claimed := self.store.claim_mail(1, self.LEASE)):
            [mail] = claimed
            if not self._attempt(mail.id, mail.attempts, mail.raw):
                break
            sent += 1
        return sent

    def _attempt(self, mail_id: str, attempts: int, raw: bytes) -> bool:
        try:
            self.transport.deliver(_parsed(raw))
        except LawfulError as exc:
            self._failed_at = time.monotonic()
            pause = min(dt.timedelta(minutes=2 ** min(attempts + 1, 10)), self.LONGEST_PAUSE)  # 2, 4, 8... minutes
            self.store.mail_failed(mail_id, exc.message, self.store.clock() + pause)
            # No address: nothing personal in logs.
            log.warning("mail %s not sent (%s); it stays queued and is tried again in %s", mail_id, exc.message, pause)
            return False
        self._failed_at = None
        self.store.mail_sent(mail_id)
        return True


class MailStore(Protocol):
    """The Store's mail-queue methods, as the queue uses them."""

    clock: Callable[[], dt.datetime]

    def queue_mail(self, mail_id: str, raw: bytes, lease: dt.timedelta) -> None: ...
    def claim_mail(self, limit: int, lease: dt.timedelta) -> list[QueuedMail]: ...
    def mail_sent(self, mail_id: str) -> None: ...
    def mail_failed(self, mail_id: str, error: str, retry_at: dt.datetime) -> None: ...


class OutboxMailer:
    """Write each message as an .eml file, for installations without SMTP (and for looking at).

    Messages hold personal data (addresses, access reports), so the outbox folder is made mode
    0700 and each file mode 0600.
    """

    def __init__(self, folder: Path, sender: str) -> None:
        self.folder, self.sender = folder, sender

    def send(self, message: Message) -> None:
        self.deliver(message.build(self.sender))

    def deliver(self, mime: EmailMessage) -> None:
        private_directory(self.folder)
        name = f"{dt.datetime.now(dt.timezone.utc):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}.eml"
        try:
            write_private(self.folder / name, wire_bytes(mime), exclusive=True)
        except OSError as exc:
            raise LawfulError("mail.not_sent", f"the outbox folder did not take the message ({exc.strerror})") from exc
        log.info("mail written to the outbox as %s", name)  # no address: nothing personal in logs


class SmtpMailer:
    """Send over SMTP: smtp://[user:password@]host[:port][?starttls=1], or smtps:// for TLS from the start."""

    def __init__(self, url: str, sender: str, timeout: float = 10.0) -> None:
        parsed = urlparse(url)
        if parsed.scheme not in ("smtp", "smtps") or not parsed.hostname:
            raise LawfulError(
                "mail.bad_url", f"expected smtp://host[:port] or smtps://host[:port], found {parsed.scheme}://..."
            )
        self.host, self.tls = parsed.hostname, parsed.scheme == "smtps"
        self.port = parsed.port or (465 if self.tls else 25)
        self.starttls = parse_qs(parsed.query).get("starttls", ["0"])[0] in ("1", "true", "yes")
        self.username = unquote(parsed.username) if parsed.username else None
        self.password = unquote(parsed.password) if parsed.password else None
        self.sender, self.timeout = sender, timeout

    def send(self, message: Message) -> None:
        self.deliver(message.build(self.sender))

    def deliver(self, mime: EmailMessage) -> None:
        context = ssl.create_default_context()
        try:
            client = (
                smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
                if self.tls
                else smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            )
            with client:
                if self.starttls:
                    client.starttls(context=context)
                if self.username:
                    client.login(self.username, self.password or "")
                client.send_message(mime)
        except (OSError, smtplib.SMTPException) as exc:
            raise LawfulError(
                "mail.not_sent",
                f"the mail server at {self.host}:{self.port} did not take the message ({exc.__class__.__name__})",
            ) from exc


def mailer_from(smtp_url: str | None, outbox: Path, sender: str) -> Transport:
    """The configured transport: SMTP when a URL is given, else the outbox folder."""
    return SmtpMailer(smtp_url, sender) if smtp_url else OutboxMailer(outbox, sender)
