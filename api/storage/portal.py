"""Storage of the links that open a subject's portal (part of the Store); only digests are kept."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import msgspec
import sqlalchemy as sa

from . import schema as t
from .database import reading, writing


class PortalLink(msgspec.Struct, frozen=True, kw_only=True):
    """A portal link: whose record, what it asks (the consent wording), until when."""

    digest: str
    record_id: str
    request: dict[str, Any]
    lang: str
    created_at: dt.datetime
    expires_at: dt.datetime


class PortalStore:
    """Methods of the Store for portal links."""

    engine: sa.Engine
    clock: Callable[[], dt.datetime]

    def add_portal_link(self, link: PortalLink) -> None:
        """Keep a new link (by its digest)."""
        with writing(self.engine) as c:
            c.execute(t.portal_links.insert().values(**msgspec.structs.asdict(link)))

    def portal_link(self, digest: str) -> PortalLink | None:
        """Return a link that has not expired."""
        with reading(self.engine) as c:
            row = c.execute(
                sa.select(t.portal_links).where(
                    t.portal_links.c.digest == digest, t.portal_links.c.expires_at > self.clock()
                )
            ).one_or_none()
        return PortalLink(**row._asdict()) if row is not None else None

    def end_portal_links(self, record_id: str) -> None:
        """Make every link to a record stop working (after an erasure)."""
        with writing(self.engine) as c:
            c.execute(t.portal_links.delete().where(t.portal_links.c.record_id == record_id))
