"""Who is calling, and may they (R2): API keys and web sessions, roles checked on every endpoint."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import hmac
import secrets
import threading
import time
from typing import Any, Literal

import msgspec
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie

from engine import AccessError, AuthenticationError, RequestError

from .storage import ApiKey, Store

Role = Literal["admin", "analyst", "marketer", "app"]
ROLES: tuple[str, ...] = ("admin", "analyst", "marketer", "app")
SESSION_COOKIE = "lawful_session"
KEY_CACHE_SECONDS = 10.0
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class Principal(msgspec.Struct, frozen=True):
    """The caller: a user signed in to the web UI, or an API key; each has one role."""

    kind: Literal["user", "key"]
    name: str
    role: str
    csrf: str | None = None

    @property
    def actor(self) -> str:
        """How changes made by this caller are signed on timelines and in settings."""
        return f"{self.kind}:{self.name}"


def hash_password(password: str) -> str:
    """Return a salted scrypt hash of a password."""
    if len(password) < 12:
        raise RequestError("user.weak_password", "a password needs at least 12 characters")
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def verify_password(password: str, stored: str | None) -> bool:
    """Tell whether `password` matches a stored hash, in constant time."""
    if not stored or not stored.startswith("scrypt$"):
        hashlib.scrypt(password.encode(), salt=b"0" * 16, dklen=32, **_SCRYPT)  # same cost either way
        return False
    _, salt, digest = stored.split("$")
    found = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), dklen=32, **_SCRYPT)
    return hmac.compare_digest(found, base64.b64decode(digest))


def digest(secret: str) -> str:
    """Return the SHA-256 of a high-entropy secret (API keys, session ids): what is stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_api_key() -> tuple[str, str, str]:
    """Return (the key to give out once, its prefix, the digest to store)."""
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return f"lawful_{prefix}_{secret}", prefix, digest(secret)


class Authenticator:
    """Find the principal behind a request.

    Verified keys of roles other than admin are remembered for KEY_CACHE_SECONDS, so that most
    requests need no database read. Admin keys are checked against the database on every request,
    and so is every key on a route only admins may use (see `allow`): a revoked admin key stops at
    once on every server. Revoking a key or disabling a user here forgets this process's keys at
    once; other processes forget a revoked non-admin key within KEY_CACHE_SECONDS.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._keys: dict[str, tuple[float, Principal]] = {}

    def from_key(self, token: str, fresh: bool = False) -> Principal:
        """Return the principal of an API key, or raise AuthenticationError; `fresh` reads the database."""
        if not fresh:
            with self._lock:
                cached = self._keys.get(token)
            if cached is not None and cached[0] > time.monotonic():
                return cached[1]
        parts = token.split("_")
        if len(parts) < 3 or parts[0] != "lawful":
            raise AuthenticationError("auth.invalid_key", "expected an API key of the form lawful_<prefix>_<secret>")
        found = self.store.key_by_prefix(parts[1])
        if found is None or not hmac.compare_digest(found[1], digest("_".join(parts[2:]))):
            raise AuthenticationError("auth.invalid_key", "this API key is unknown or revoked")
        key: ApiKey = found[0]
        principal = Principal("key", key.name, key.role)
        if key.role != "admin":
            with self._lock:
                self._keys[token] = (time.monotonic() + KEY_CACHE_SECONDS, principal)
        return principal

    def revoke_key(self, key_id: int) -> None:
        """Revoke a key; this process stops accepting it at once."""
        self.store.revoke_key(key_id)
        self.forget_keys()

    def disable_user(self, username: str, actor: str) -> None:
        """Disable a user and end their sessions; this process forgets every verified key too."""
        self.store.disable_user(username, actor)
        self.forget_keys()

    def forget_keys(self) -> None:
        """Forget every verified key, so the next request with each is checked against the database."""
        with self._lock:
            self._keys.clear()

    def from_session(self, session_id: str) -> Principal | None:
        """Return the principal of a live web session, or None."""
        found = self.store.session(digest(session_id))
        if found is None:
            return None
        user, csrf = found
        return Principal("user", user.username, user.role, csrf)

    def cached(self, connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
        """The principal of a bearer key verified in the last few seconds, without touching the database."""
        # Read the raw ASGI header list: building litestar's Headers costs more than this whole check.
        raw = next((value for name, value in connection.scope["headers"] if name == b"authorization"), b"")
        header = raw.decode("latin-1")
        if not header[:7].lower() == "bearer ":
            return None
        with self._lock:
            found = self._keys.get(header[7:].strip())
        return found[1] if found is not None and found[0] > time.monotonic() else None

    def principal(self, connection: ASGIConnection[Any, Any, Any, Any], fresh: bool = False) -> Principal:
        """Authenticate a request by its bearer key or its session cookie; `fresh` checks a key in the database."""
        header = connection.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            return self.from_key(header[7:].strip(), fresh)
        session_id = connection.cookies.get(SESSION_COOKIE)
        if session_id:
            principal = self.from_session(session_id)
            if principal is not None:
                return principal
        raise AuthenticationError("auth.required", "sign in, or send an API key as 'Authorization: Bearer <key>'")


SESSION_LIFETIME = dt.timedelta(hours=8)


def start_session(store: Store, username: str, secure: bool = False) -> tuple[Cookie, str]:
    """Start a web session for a user who proved who they are; return its cookie and CSRF token.

    With `secure` (the public URL is https) the browser sends the cookie over HTTPS only.
    """
    session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    store.add_session(digest(session_id), username, csrf, SESSION_LIFETIME)
    cookie = Cookie(
        key=SESSION_COOKIE,
        value=session_id,
        httponly=True,
        secure=secure,
        samesite="strict",
        path="/",
        max_age=int(SESSION_LIFETIME.total_seconds()),
    )
    return cookie, csrf


def end_session_cookie(secure: bool = False) -> Cookie:
    """The cookie that makes the browser forget its session, with the attributes it was set with."""
    return Cookie(key=SESSION_COOKIE, value="", max_age=0, path="/", httponly=True, secure=secure, samesite="strict")


def _check(roles: tuple[str, ...], fresh: bool) -> Any:
    # Run before each request (litestar guards copy the handler on every call, which costs more
    # than the check). Async so that no request is handed to a thread: a known key is a dict
    # lookup; only a key not seen for a while, a `fresh` route, or a session reads the database,
    # off the loop.
    async def check(connection: Request[Any, Any, Any]) -> None:
        auth: Authenticator = connection.app.state.services.auth
        known = None if fresh else auth.cached(connection)
        principal = known if known is not None else await asyncio.to_thread(auth.principal, connection, fresh)
        if principal.role not in roles:
            raise AccessError(
                "auth.forbidden", f"this needs the role {' or '.join(roles)}; you have the role {principal.role}"
            )
        if principal.kind == "user" and connection.scope.get("method") not in _SAFE_METHODS:
            # Browsers send cookies on their own: a change made with a session needs its CSRF token too.
            token = connection.headers.get("x-csrf-token")
            if not token or not principal.csrf or not hmac.compare_digest(token, principal.csrf):
                raise AccessError(
                    "auth.csrf", "a change made from the browser needs the page's CSRF token (X-CSRF-Token)"
                )
        connection.scope["lawful.principal"] = principal  # type: ignore[typeddict-unknown-key]

    return check


def allow(*roles: str, doc: str = "") -> dict[str, Any]:
    """Route options that check the caller's role, and say which roles in the OpenAPI document.

    A route only admins may use (users, keys, settings, layouts, the switch...) checks the caller's
    key against the database on every request, never a remembered one: a revoked admin key must
    not make new keys or change settings for a moment longer, on any server.
    """
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")
    fresh = roles == ("admin",)
    text = f"{doc} Roles: {', '.join(roles)}.".strip()
    return {
        "before_request": _check(roles, fresh),
        "security": [{"bearer": []}],
        "description": text,
        "opt": {"roles": roles, "fresh": fresh},
    }


def principal_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """Return the principal a guard found for this request."""
    return connection.scope["lawful.principal"]  # type: ignore[typeddict-item,no-any-return]
