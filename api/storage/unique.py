"""The unique-value index (part of the Store): keyed digests of values that must be unique in a module.

The index finds a subject's records by email (rights requests, web forms) and refuses a second
record with a unique value already taken. It never keeps the values: only HMAC-SHA256 digests of
their case-folded form, under a key derived from the installation's secret. Plain SHA-256
digests, kept before, could be matched by anyone hashing guessed email addresses.

Without the secret there is no key, and a store refuses to digest (`crypto.no_key`) rather than
use a stand-in key: digests under another key would silently find no records and stop no
duplicates. Everything that needs no unique value (settings, layouts, users, keys, records
without unique fields) works without it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Any

import sqlalchemy as sa

from engine import LawfulError

from ..crypto import FieldCipher, derive_key, is_encrypted
from . import schema as t
from .database import reading, unit_of_work, writing

DIGEST_MARK = "unique_values.digest"  # the meta row saying which digests the index holds
KEYED = "hmac-sha256-v1"
log = logging.getLogger("lawful.storage")


def unique_key(secret: bytes) -> bytes:
    """The unique index's key, derived from the installation's secret."""
    return derive_key(secret, b"lawful unique values v1")


def unique_digest(value: str, key: bytes) -> str:
    """What the unique index keeps of a value: a keyed digest of its case-folded form, never the value."""
    return hmac.new(key, value.casefold().encode(), hashlib.sha256).hexdigest()


class UniqueIndexStore:
    """Methods of the Store for the unique-value index."""

    engine: sa.Engine
    cipher: FieldCipher | None
    unique_key: bytes | None

    def _unique(self, value: str) -> str:
        """The digest of a unique value under this installation's key."""
        if self.unique_key is None:
            raise LawfulError(
                "crypto.no_key",
                "values that must be unique (such as email addresses) are kept as keyed digests; "
                "expected the installation's secret key, found none configured",
            )
        return unique_digest(value, self.unique_key)

    @unit_of_work
    def rebuild_unique_index(self) -> int:
        """Digest every value of the index again with this installation's key, once; return how many.

        A digest cannot be turned back into its value, so each value is read again from its
        record (decrypted when its field is encrypted), as writing the record stored it. The
        meta row `unique_values.digest` changes in the same transaction: whichever server opens
        the database first with the secret rebuilds; the others wait for it and find it done.
        An index entry whose record no longer holds the field is dropped.
        """
        if self.unique_key is None:
            raise LawfulError(
                "crypto.no_key", "rebuilding the unique index needs the installation's secret key; none is configured"
            )
        values = t.unique_values
        mark_query = sa.select(t.meta.c.value).where(t.meta.c.name == DIGEST_MARK)
        with reading(self.engine) as c:
            if c.execute(mark_query).scalar() == KEYED:
                return 0  # every start after the first: no write lock taken
        with writing(self.engine) as c:
            mark = c.execute(mark_query.with_for_update()).scalar()
            if mark == KEYED:
                return 0
            rows = c.execute(
                sa.select(values.c.module, values.c.field, values.c.record_id, t.records.c.data).join(
                    t.records, t.records.c.id == values.c.record_id
                )
            ).all()
            fresh: dict[tuple[str, str, str], str] = {}
            for row in rows:
                data: dict[str, Any] = row.data
                if row.field not in data:
                    continue
                value = data[row.field]
                if is_encrypted(value):
                    assert self.cipher is not None  # a store with the key has the cipher too
                    value = self.cipher.decrypt(value, row.record_id, row.field)
                fresh[(row.module, row.field, self._unique(str(value)))] = row.record_id
            c.execute(values.delete())
            entries = [dict(module=m, field=f, value=v, record_id=r) for (m, f, v), r in fresh.items()]
            for start in range(0, len(entries), 1000):
                c.execute(values.insert(), entries[start : start + 1000])
            if mark is None:
                c.execute(t.meta.insert().values(name=DIGEST_MARK, value=KEYED))
            else:
                c.execute(t.meta.update().where(t.meta.c.name == DIGEST_MARK).values(value=KEYED))
        log.info("unique index: %d value(s) digested again with the installation's key", len(entries))
        return len(entries)
