"""Storage of users, API keys and web sessions (part of the Store); only digests of secrets."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import msgspec
import sqlalchemy as sa

from engine import ConflictError, NotFoundError

from . import schema as t
from .database import reading, writing


class User(msgspec.Struct, frozen=True, kw_only=True):
    """A person who signs in to the web UI, with one role (R2)."""

    id: int
    username: str
    role: str
    created_at: dt.datetime
    created_by: str
    disabled_at: dt.datetime | None = None


class ApiKey(msgspec.Struct, frozen=True, kw_only=True):
    """An API key, shown by its prefix only; the secret part is kept as a digest."""

    id: int
    prefix: str
    name: str
    role: str
    created_at: dt.datetime
    created_by: str
    revoked_at: dt.datetime | None = None


class AccessStore:
    """Methods of the Store for users, keys and sessions."""

    engine: sa.Engine
    clock: Callable[[], dt.datetime]

    def add_user(self, username: str, password_hash: str, role: str, actor: str) -> User:
        """Create a user; a taken username is a conflict."""
        with writing(self.engine) as c:
            if c.execute(sa.select(t.users.c.id).where(t.users.c.username == username)).first():
                raise ConflictError("user.exists", f"a user named {username!r} exists already")
            c.execute(
                t.users.insert().values(
                    username=username, password_hash=password_hash, role=role, created_at=self.clock(), created_by=actor
                )
            )
        return self.user(username)

    def user(self, username: str) -> User:
        """Return a user by name."""
        with reading(self.engine) as c:
            row = c.execute(sa.select(t.users).where(t.users.c.username == username)).one_or_none()
        if row is None:
            raise NotFoundError("user.unknown", f"no user is named {username!r}")
        return User(**{k: v for k, v in row._asdict().items() if k != "password_hash"})

    def password_hash(self, username: str) -> str | None:
        """Return the stored password hash of an enabled user, or None."""
        with reading(self.engine) as c:
            return c.execute(
                sa.select(t.users.c.password_hash).where(
                    t.users.c.username == username, t.users.c.disabled_at.is_(None)
                )
            ).scalar()

    def users(self) -> list[User]:
        """List users by name."""
        with reading(self.engine) as c:
            rows = c.execute(sa.select(t.users).order_by(t.users.c.username)).all()
        return [User(**{k: v for k, v in row._asdict().items() if k != "password_hash"}) for row in rows]

    def disable_user(self, username: str, actor: str) -> None:
        """Disable a user and end their sessions."""
        with writing(self.engine) as c:
            user_id = c.execute(sa.select(t.users.c.id).where(t.users.c.username == username)).scalar()
            if user_id is None:
                raise NotFoundError("user.unknown", f"no user is named {username!r}")
            c.execute(t.users.update().where(t.users.c.id == user_id).values(disabled_at=self.clock()))
            c.execute(t.web_sessions.delete().where(t.web_sessions.c.user_id == user_id))

    def add_key(self, prefix: str, digest: str, name: str, role: str, actor: str) -> ApiKey:
        """Store a new API key by its prefix and the digest of its secret."""
        with writing(self.engine) as c:
            c.execute(
                t.api_keys.insert().values(
                    prefix=prefix, digest=digest, name=name, role=role, created_at=self.clock(), created_by=actor
                )
            )
        return next(k for k in self.keys() if k.prefix == prefix)

    def key_by_prefix(self, prefix: str) -> tuple[ApiKey, str] | None:
        """Return a key that is not revoked, with its digest, by prefix."""
        with reading(self.engine) as c:
            row = c.execute(
                sa.select(t.api_keys).where(t.api_keys.c.prefix == prefix, t.api_keys.c.revoked_at.is_(None))
            ).one_or_none()
        if row is None:
            return None
        values = row._asdict()
        digest = values.pop("digest")
        return ApiKey(**values), digest

    def keys(self) -> list[ApiKey]:
        """List keys by id."""
        with reading(self.engine) as c:
            rows = c.execute(sa.select(t.api_keys).order_by(t.api_keys.c.id)).all()
        return [ApiKey(**{k: v for k, v in row._asdict().items() if k != "digest"}) for row in rows]

    def revoke_key(self, key_id: int) -> None:
        """Revoke a key."""
        with writing(self.engine) as c:
            if not c.execute(
                t.api_keys.update()
                .where(t.api_keys.c.id == key_id, t.api_keys.c.revoked_at.is_(None))
                .values(revoked_at=self.clock())
            ).rowcount:
                raise NotFoundError("key.unknown", f"no active API key has id {key_id}")

    def add_session(self, digest: str, username: str, csrf: str, lifetime: dt.timedelta) -> None:
        """Start a web session for a user."""
        now = self.clock()
        with writing(self.engine) as c:
            user_id: int = c.execute(sa.select(t.users.c.id).where(t.users.c.username == username)).scalar_one()
            c.execute(t.web_sessions.delete().where(t.web_sessions.c.expires_at <= now))
            c.execute(
                t.web_sessions.insert().values(
                    digest=digest, user_id=user_id, csrf=csrf, created_at=now, expires_at=now + lifetime
                )
            )

    def session(self, digest: str) -> tuple[User, str] | None:
        """Return the user and CSRF token of a live session."""
        query = (
            sa.select(t.users, t.web_sessions.c.csrf)
            .join(t.web_sessions, t.web_sessions.c.user_id == t.users.c.id)
            .where(
                t.web_sessions.c.digest == digest,
                t.web_sessions.c.expires_at > self.clock(),
                t.users.c.disabled_at.is_(None),
            )
        )
        with reading(self.engine) as c:
            row = c.execute(query).one_or_none()
        if row is None:
            return None
        values = row._asdict()
        csrf = values.pop("csrf")
        values.pop("password_hash")
        return User(**values), csrf

    def end_session(self, digest: str) -> None:
        """End a web session."""
        with writing(self.engine) as c:
            c.execute(t.web_sessions.delete().where(t.web_sessions.c.digest == digest))
