"""Signed, time-limited tokens for pages served to people who are not signed in (CSRF)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Callable


class Signer:
    """Issue and check tokens of the form `<issued>.<signature>`, each for one purpose."""

    def __init__(self, secret: bytes, clock: Callable[[], dt.datetime], label: bytes = b"lawful pages") -> None:
        self._key = hmac.new(secret, label, hashlib.sha256).digest()
        self._clock = clock

    def sign(self, text: str) -> str:
        """Return the keyed digest of a text."""
        return hmac.new(self._key, text.encode(), hashlib.sha256).hexdigest()

    def issue(self, purpose: str) -> str:
        """A token for `purpose`, issued now."""
        issued = str(int(self._clock().timestamp()))
        return f"{issued}.{self.sign(f'{purpose}:{issued}')}"

    def check(self, purpose: str, token: str, max_age: int) -> bool:
        """Tell whether `token` was issued by us for `purpose`, at most `max_age` seconds ago."""
        issued, _, signature = token.partition(".")
        if not issued.isdigit() or not hmac.compare_digest(signature, self.sign(f"{purpose}:{issued}")):
            return False
        return 0 <= self._clock().timestamp() - int(issued) <= max_age
