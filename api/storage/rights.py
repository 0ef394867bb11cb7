"""Storage of data subjects' rights requests (part of the Store); the subject's address is encrypted."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, Literal

import msgspec
import sqlalchemy as sa

from engine import LawfulError, NotFoundError

from ..crypto import FieldCipher
from . import schema as t
from .database import reading, writing

RightKind = Literal["access", "rectification", "erasure", "restriction", "portability"]


class RightsRequest(msgspec.Struct, frozen=True, kw_only=True):
    """A data subject's request (DS1-DS7), its due date and what was done."""

    id: str
    kind: RightKind
    record_id: str | None
    subject_email: str
    channel: str
    lang: str
    received_at: dt.datetime
    due_on: dt.date
    status: str
    outcome: dict[str, Any]
    created_by: str
    extended_to: dt.date | None = None
    extension_reason: str | None = None
    extension_told_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None


class RightsStore:
    """Methods of the Store for rights requests."""

    engine: sa.Engine
    clock: Callable[[], dt.datetime]
    cipher: FieldCipher | None

    def _sealed_subject(self, request_id: str, email: str) -> dict[str, Any]:
        if self.cipher is None:
            raise LawfulError(
                "crypto.no_key", "rights requests keep the subject's address encrypted; no key is configured"
            )
        return self.cipher.encrypt(email, request_id, "subject")

    def add_rights_request(self, request: RightsRequest) -> RightsRequest:
        """Record a new request."""
        values = msgspec.structs.asdict(request)
        values["subject"] = self._sealed_subject(request.id, values.pop("subject_email"))
        with writing(self.engine) as c:
            c.execute(t.rights_requests.insert().values(**values))
        return self.rights_request(request.id)

    def rights_request(self, request_id: str) -> RightsRequest:
        """Return one request."""
        with reading(self.engine) as c:
            row = c.execute(sa.select(t.rights_requests).where(t.rights_requests.c.id == request_id)).one_or_none()
        if row is None:
            raise NotFoundError("rights.unknown", f"no rights request has id {request_id!r}")
        return self._open_request(row)

    def _open_request(self, row: sa.Row[Any]) -> RightsRequest:
        values = row._asdict()
        subject = values.pop("subject")
        if self.cipher is None:
            raise LawfulError(
                "crypto.no_key", "rights requests keep the subject's address encrypted; no key is configured"
            )
        return RightsRequest(subject_email=self.cipher.decrypt(subject, values["id"], "subject"), **values)

    def rights_requests(
        self, status: str | None = None, due_by: dt.date | None = None, limit: int = 100
    ) -> list[RightsRequest]:
        """List requests, soonest due first."""
        due = sa.func.coalesce(t.rights_requests.c.extended_to, t.rights_requests.c.due_on)
        query = sa.select(t.rights_requests).order_by(due, t.rights_requests.c.received_at).limit(limit)
        if status is not None:
            query = query.where(t.rights_requests.c.status == status)
        if due_by is not None:
            query = query.where(due <= due_by)
        with reading(self.engine) as c:
            return [self._open_request(row) for row in c.execute(query)]

    def update_rights_request(self, request_id: str, expect_status: str, **changes: Any) -> RightsRequest:
        """Change a request if it still has the expected status."""
        with writing(self.engine) as c:
            query = t.rights_requests.update().where(
                t.rights_requests.c.id == request_id, t.rights_requests.c.status == expect_status
            )
            if not c.execute(query.values(**changes)).rowcount:
                raise NotFoundError("rights.unknown", f"no {expect_status} rights request has id {request_id!r}")
        return self.rights_request(request_id)
