"""Password checks at sign-in (web UI and API), throttled: a few failures, then a pause.

After LIMIT failed attempts for one user name, or from one client address, within WINDOW, every
further attempt for that name or from that address is refused (429 with Retry-After) until the
oldest of those failures is older than WINDOW; its password is not even checked. The attempts
are counted in the database, so every server and worker sharing it shares the count.

What is kept and logged of user names and addresses are keyed digests (HMAC-SHA256 with a key
derived from the installation's secret). A failed or refused sign-in is logged as a WARNING
with the user name only when such a user exists, with the address's digest, never the address
itself, and never the password.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import math

from .auth import verify_password
from .crypto import derive_key
from .problems import ThrottledError
from .storage import Store

LIMIT = 5
WINDOW = dt.timedelta(minutes=15)
log = logging.getLogger("lawful.auth")


class SignInGuard:
    """Check a user's password, refusing attempts while too many failed for the name or the address."""

    def __init__(self, store: Store, secret: bytes, limit: int = LIMIT, window: dt.timedelta = WINDOW) -> None:
        self.store, self.limit, self.window = store, limit, window
        self._key = derive_key(secret, b"lawful sign-in v1")

    def digest(self, kind: str, value: str) -> str:
        """What is kept of a user name or an address: a keyed digest."""
        return hmac.new(self._key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()

    def verify(self, username: str, password: str, address: str) -> bool:
        """Tell whether `password` is the enabled user's; raise ThrottledError while attempts are refused."""
        user_digest, address_digest = self.digest("user", username), self.digest("address", address)
        ticket = self.store.start_sign_in(user_digest, address_digest, self.limit, self.window)
        who = f"user {username!r}" if self.store.has_user(username) else f"unknown user name {user_digest[:16]}"
        minutes = int(self.window.total_seconds() // 60)
        if ticket.retry_at is not None:
            seconds = max(1, math.ceil((ticket.retry_at - self.store.clock()).total_seconds()))
            log.warning(
                "sign-in refused for %s from address %s: %d failed attempts within %d minutes; open again in %d s",
                who,
                address_digest[:16],
                self.limit,
                minutes,
                seconds,
            )
            raise ThrottledError(
                "auth.throttled",
                f"sign-in refused: {self.limit} failed attempts for this user name or from this address within "
                f"{minutes} minutes, the most allowed; try again in {seconds} seconds",
                seconds,
            )
        if verify_password(password, self.store.password_hash(username)):
            self.store.sign_in_succeeded(user_digest)
            return True
        log.warning(
            "sign-in failed for %s from address %s: failure %d of %d allowed within %d minutes",
            who,
            address_digest[:16],
            ticket.failures + 1,
            self.limit,
            minutes,
        )
        return False
