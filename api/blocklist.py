"""The blocklist (B1, B2): keyed hashes of normalised emails and phone numbers, never the values."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from typing import Any

from engine import RequestError

from .addresses import email_problem, normalise_email, normalise_phone
from .storage import BlockEntry, ModuleLayout, Store

KINDS = ("email", "phone")
REASONS = ("erasure", "opt_out", "request")


class Blocklist:
    """Add subjects to the blocklist and find records that match it."""

    def __init__(self, store: Store, secret: bytes) -> None:
        self.store = store
        self._key = hmac.new(secret, b"lawful blocklist", hashlib.sha256).digest()

    def digest(self, kind: str, value: str, country_code: str | None = None) -> str | None:
        """Return the keyed hash of a normalised email or phone number, or None when it is not one."""
        if kind == "email":
            normal: str | None = normalise_email(value)
            if normal is None or email_problem(normal):
                return None
        else:
            normal = normalise_phone(value, country_code)
        if normal is None:
            return None
        return hmac.new(self._key, f"{kind}:{normal}".encode(), hashlib.sha256).hexdigest()

    def add(self, *, email: str | None, phone: str | None, reason: str, actor: str) -> list[BlockEntry]:
        """Put a subject's email and/or phone number on the blocklist."""
        if reason not in REASONS:
            raise RequestError(
                "blocklist.unknown_reason",
                f"unknown reason {reason!r}: expected one of {', '.join(REASONS)} - at $.reason",
            )
        country = self.store.settings().phone_country_code
        entries = []
        for kind, value in (("email", email), ("phone", phone)):
            if not value:
                continue
            digest = self.digest(kind, value, country)
            if digest is None:
                raise RequestError(
                    "blocklist.invalid_value", f"expected a valid {kind}, found something else - at $.{kind}"
                )
            entries.append(self.store.add_block(kind, digest, reason, actor))
        if not entries:
            raise RequestError("blocklist.empty", "expected an email or a phone number to block, found neither - at $")
        return entries

    def pairs(self, layout: ModuleLayout, data: dict[str, Any], country_code: str | None) -> list[tuple[str, str]]:
        """Return (kind, digest) for every email and phone field of a record's data."""
        found = []
        for field in layout.fields:
            kind = {"email": "email", "phone": "phone"}.get(field.type)
            value = data.get(field.name)
            if kind and isinstance(value, str) and value.strip():
                digest = self.digest(kind, value, country_code)
                if digest:
                    found.append((kind, digest))
        return found

    def matches(self, layout: ModuleLayout, data: dict[str, Any], country_code: str | None) -> list[BlockEntry]:
        """Return the blocklist entries a record's data matches."""
        return self.store.blocked(self.pairs(layout, data, country_code))

    def matching_many(
        self, layout: ModuleLayout, rows: Iterable[dict[str, Any]], country_code: str | None
    ) -> list[bool]:
        """Tell, for many records at once, which match the blocklist (one query)."""
        per_row = [self.pairs(layout, data, country_code) for data in rows]
        blocked = {(e.kind, e.digest) for e in self.store.blocked({p for pairs in per_row for p in pairs})}
        return [any(p in blocked for p in pairs) for pairs in per_row]
