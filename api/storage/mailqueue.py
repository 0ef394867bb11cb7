"""Outgoing mail waiting to be delivered (part of the Store).

A message is queued in the database before anyone tries to send it, so that a mail server that
is down loses nothing and undoes nothing: the work the message tells of is done and stays done,
and the message goes out when the server takes it. Messages hold personal data (addresses,
access reports), so each is kept encrypted under the installation's key, and deleted once sent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import msgspec
import sqlalchemy as sa

from engine import LawfulError

from ..crypto import FieldCipher
from . import schema as t
from .database import reading, writing


class QueuedMail(msgspec.Struct, frozen=True):
    """One message claimed for delivery: its id, how often it was tried, and its MIME bytes."""

    id: str
    attempts: int
    raw: bytes


class MailQueueStore:
    """Methods of the Store for the mail queue."""

    engine: sa.Engine
    clock: Callable[[], dt.datetime]
    cipher: FieldCipher | None

    def _mail_cipher(self) -> FieldCipher:
        if self.cipher is None:
            raise LawfulError("crypto.no_key", "queued mail is kept encrypted; no installation secret is configured")
        return self.cipher

    def queue_mail(self, mail_id: str, raw: bytes, lease: dt.timedelta) -> None:
        """Queue a message, claimed for `lease` by the caller, who tries to send it at once."""
        now = self.clock()
        sealed = self._mail_cipher().encrypt(raw.decode("utf-8", "surrogateescape"), mail_id, "mail")
        with writing(self.engine) as c:
            c.execute(
                t.mail_queue.insert().values(
                    id=mail_id,
                    message=sealed,
                    created_at=now,
                    next_attempt_at=now,
                    claimed_until=now + lease,
                    attempts=0,
                )
            )

    def claim_mail(self, limit: int, lease: dt.timedelta) -> list[QueuedMail]:
        """Claim messages that are due and not claimed by another process, for `lease`."""
        now = self.clock()
        cipher = self._mail_cipher()
        with reading(self.engine) as c:
            due: list[str] = c.scalars(
                sa.select(t.mail_queue.c.id)
                .where(
                    t.mail_queue.c.next_attempt_at <= now,
                    sa.or_(t.mail_queue.c.claimed_until.is_(None), t.mail_queue.c.claimed_until <= now),
                )
                .order_by(t.mail_queue.c.next_attempt_at)
                .limit(limit)
            ).all()  # type: ignore[assignment]
        claimed = []
        for mail_id in due:
            with writing(self.engine) as c:
                # Only one process wins a message: the claim is made only if nobody holds it.
                won = c.execute(
                    t.mail_queue.update()
                    .where(
                        t.mail_queue.c.id == mail_id,
                        sa.or_(t.mail_queue.c.claimed_until.is_(None), t.mail_queue.c.claimed_until <= now),
                    )
                    .values(claimed_until=now + lease)
                ).rowcount
                row = c.execute(sa.select(t.mail_queue).where(t.mail_queue.c.id == mail_id)).one() if won else None
            if row is not None:
                text = cipher.decrypt(row.message, mail_id, "mail")
                claimed.append(QueuedMail(mail_id, row.attempts, text.encode("utf-8", "surrogateescape")))
        return claimed

    def make_mail_due(self) -> int:
        """Make every queued message due now (the mail server is known to be back); return how many wait."""
        with writing(self.engine) as c:
            return int(c.execute(t.mail_queue.update().values(next_attempt_at=self.clock())).rowcount)

    def mail_sent(self, mail_id: str) -> None:
        """Forget a message the mail server took."""
        with writing(self.engine) as c:
            c.execute(t.mail_queue.delete().where(t.mail_queue.c.id == mail_id))

    def mail_failed(self, mail_id: str, error: str, retry_at: dt.datetime) -> None:
        """Keep a message the mail server did not take, to try again at `retry_at`."""
        with writing(self.engine) as c:
            c.execute(
                t.mail_queue.update()
                .where(t.mail_queue.c.id == mail_id)
                .values(
                    attempts=t.mail_queue.c.attempts + 1,
                    last_error=error[:200],
                    next_attempt_at=retry_at,
                    claimed_until=None,
                )
            )

    def mail_waiting(self) -> int:
        """How many messages wait for delivery."""
        with reading(self.engine) as c:
            return int(c.execute(sa.select(sa.func.count()).select_from(t.mail_queue)).scalar_one())
