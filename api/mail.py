"""Outgoing mail: over SMTP when configured, else written to an outbox folder (nothing lost)."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import ssl
import uuid
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlparse

import msgspec

from engine import LawfulError

from .files import private_directory, write_private

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


class OutboxMailer:
    """Write each message as an .eml file, for installations without SMTP (and for looking at).

    Messages hold personal data (addresses, access reports), so the outbox folder is made mode
    0700 and each file mode 0600.
    """

    def __init__(self, folder: Path, sender: str) -> None:
        self.folder, self.sender = folder, sender

    def send(self, message: Message) -> None:
        private_directory(self.folder)
        name = f"{dt.datetime.now(dt.timezone.utc):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}.eml"
        write_private(self.folder / name, bytes(message.build(self.sender)), exclusive=True)
        log.info("mail written to the outbox as %s", name)  # no address: nothing personal in logs


class SmtpMailer:
    """Send over SMTP: smtp://[user:password@]host[:port][?starttls=1], or smtps:// for TLS from the start."""

    def __init__(self, url: str, sender: str, timeout: float = 20.0) -> None:
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
        mime = message.build(self.sender)
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


def mailer_from(smtp_url: str | None, outbox: Path, sender: str) -> Mailer:
    """The configured mailer: SMTP when a URL is given, else the outbox folder."""
    return SmtpMailer(smtp_url, sender) if smtp_url else OutboxMailer(outbox, sender)
