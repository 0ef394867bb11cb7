"""Storage of users, API keys and web sessions (part of the Store); only digests of secrets."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import msgspec
import sqlalchemy as sa

from engine import ConflictError, NotFoundError

from . import schema as t
from .database import lock_for_transaction, reading, unit_of_work, writing


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


class SignInTicket(msgspec.Struct, frozen=True, kw_only=True):
    """What the store says to a sign-in attempt before its password is checked.

    Either the attempt is counted (`attempt` is its id; `failures` is the most attempts its user
    name or its address made within the window before it), or it is refused until `retry_at`.
    """

    attempt: int | None = None
    failures: int = 0
    retry_at: dt.datetime | None = None


# Counting the attempts and adding one is a single step on every server.
_SIGN_IN_LOCK = 7364552


class AccessStore:
    """Methods of the Store for users, keys and sessions."""

    engine: sa.Engine
    clock: Callable[[], dt.datetime]

    @unit_of_work
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

    def has_user(self, username: str) -> bool:
        """Tell whether a user of this name exists, enabled or not."""
        with reading(self.engine) as c:
            return c.execute(sa.select(t.users.c.id).where(t.users.c.username == username)).first() is not None

    def users(self) -> list[User]:
        """List users by name."""
        with reading(self.engine) as c:
            rows = c.execute(sa.select(t.users).order_by(t.users.c.username)).all()
        return [User(**{k: v for k, v in row._asdict().items() if k != "password_hash"}) for row in rows]

    def disable_user(self, username: str, actor: str) -> None:
        """Disable a user and end their sessions; the last enabled admin stays, so someone can still administer."""
        with writing(self.engine) as c:
            row = c.execute(
                sa.select(t.users.c.id, t.users.c.role, t.users.c.disabled_at).where(t.users.c.username == username)
            ).one_or_none()
            if row is None:
                raise NotFoundError("user.unknown", f"no user is named {username!r}")
            if row.role == "admin" and row.disabled_at is None:
                _refuse_losing_the_last_admin(c, row.id, username)
            c.execute(t.users.update().where(t.users.c.id == row.id).values(disabled_at=self.clock()))
            c.execute(t.web_sessions.delete().where(t.web_sessions.c.user_id == row.id))

    def enable_user(self, username: str, actor: str) -> User:
        """Enable a disabled user again, with the password and role they had; an enabled user stays as they are."""
        with writing(self.engine) as c:
            if not c.execute(t.users.update().where(t.users.c.username == username).values(disabled_at=None)).rowcount:
                raise NotFoundError("user.unknown", f"no user is named {username!r}")
        return self.user(username)

    def start_sign_in(self, user_digest: str, address_digest: str, limit: int, window: dt.timedelta) -> SignInTicket:
        """Count a sign-in attempt before its password is checked, unless `limit` attempts of its user name
        or of its address were made within `window`; attempts older than the window are pruned.

        An attempt counts as failed until `sign_in_succeeded` says otherwise, so attempts checked
        at the same moment on several servers never get past the limit together.
        """
        now = self.clock()
        attempts = t.sign_in_attempts
        with writing(self.engine) as c:
            lock_for_transaction(c, _SIGN_IN_LOCK)
            c.execute(attempts.delete().where(attempts.c.at <= now - window))
            failures, retry_at = 0, None
            for column, value in ((attempts.c.user_digest, user_digest), (attempts.c.address_digest, address_digest)):
                recent: list[dt.datetime] = list(
                    c.execute(
                        sa.select(attempts.c.at).where(column == value).order_by(attempts.c.at.desc()).limit(limit)
                    ).scalars()
                )
                failures = max(failures, len(recent))
                if len(recent) >= limit:  # open again when the oldest of the last `limit` leaves the window
                    until: dt.datetime = recent[limit - 1] + window
                    retry_at = until if retry_at is None else max(retry_at, until)
            if retry_at is not None:
                return SignInTicket(failures=failures, retry_at=retry_at)
            key = c.execute(
                attempts.insert().values(user_digest=user_digest, address_digest=address_digest, at=now)
            ).inserted_primary_key
        assert key is not None
        return SignInTicket(attempt=int(key[0]), failures=failures)

    def sign_in_succeeded(self, user_digest: str) -> None:
        """Forget the attempts of a user name once its password was right, this one included; failures of
        other user names from the same address stay counted."""
        with writing(self.engine) as c:
            c.execute(t.sign_in_attempts.delete().where(t.sign_in_attempts.c.user_digest == user_digest))

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


def _refuse_losing_the_last_admin(c: sa.Connection, user_id: int, username: str) -> None:
    """Refuse a change that would leave no enabled admin user, inside the caller's transaction.

    Users keep the role they were made with, so disabling is the one change that can lose the
    last admin; a change of role would need this check too.

    The enabled admins are locked (on PostgreSQL) in one order, so two servers disabling the
    last two admins at once cannot both succeed: the second sees the first's change.
    """
    admins: set[int] = set(
        c.execute(
            sa.select(t.users.c.id)
            .where(t.users.c.role == "admin", t.users.c.disabled_at.is_(None))
            .order_by(t.users.c.id)
            .with_for_update()
        ).scalars()
    )
    if not admins - {user_id}:
        raise ConflictError(
            "user.last_admin",
            f"expected another enabled admin user, found none: {username!r} is the last one and stays enabled; "
            "add or enable another admin first (lawful user add NAME --role admin, lawful user enable NAME)",
        )
