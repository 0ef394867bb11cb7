"""Sign-in, users and API keys (R2)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, Response, Router, delete, get, post
from litestar.params import FromPath, JSONBody
from msgspec import Meta

from engine import AuthenticationError

from ..auth import (
    ROLES,
    SESSION_COOKIE,
    Authenticator,
    Principal,
    Role,
    allow,
    digest,
    end_session_cookie,
    hash_password,
    new_api_key,
    principal_of,
    start_session,
)
from ..signin import SignInGuard
from ..storage import ApiKey, Store, User
from . import RowId

Name = Annotated[str, Meta(pattern=r"^[A-Za-z0-9_.@-]{1,100}$")]


class SignIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A user name and password."""

    username: Name
    password: Annotated[str, Meta(min_length=1, max_length=1000)]


class NewUser(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A user to create."""

    username: Name
    password: Annotated[str, Meta(min_length=12, max_length=1000)]
    role: Role


class NewKey(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """An API key to create, named after what uses it."""

    name: Name
    role: Role


class CreatedKey(msgspec.Struct, frozen=True):
    """A new API key: `key` is shown this once and kept only as a digest."""

    key: str
    info: ApiKey


def access_router(store: Store, auth: Authenticator, guard: SignInGuard, secure_cookies: bool = False) -> Router:
    """Routes for signing in and managing users and keys; session cookies are Secure when `secure_cookies`."""

    @post(
        "/session",
        status_code=200,
        sync_to_thread=True,
        summary="Sign in; sets a session cookie and returns the CSRF token",
        description="After 5 failed attempts for one user name or from one address within 15 minutes, "
        "attempts are refused with 429 and Retry-After until the oldest failure is 15 minutes old.",
    )
    def sign_in(request: Request[Any, Any, Any], data: JSONBody[SignIn]) -> Response[dict[str, str]]:
        address = request.client.host if request.client else "unknown"
        if not guard.verify(data.username, data.password, address):
            raise AuthenticationError("auth.bad_credentials", "unknown user name or wrong password")
        cookie, csrf = start_session(store, data.username, secure_cookies)
        user = store.user(data.username)
        return Response({"username": user.username, "role": user.role, "csrf": csrf}, cookies=[cookie])

    @get("/session", sync_to_thread=False, summary="Who is calling", **allow(*ROLES))
    def whoami(request: Request[Any, Any, Any]) -> Principal:
        return principal_of(request)

    @delete("/session", sync_to_thread=True, summary="Sign out", **allow(*ROLES))
    def sign_out(request: Request[Any, Any, Any]) -> Response[None]:
        session_id = request.cookies.get(SESSION_COOKIE)
        if session_id:
            store.end_session(digest(session_id))
        return Response(None, status_code=204, cookies=[end_session_cookie(secure_cookies)])

    @post("/users", status_code=201, sync_to_thread=True, summary="Create a user", **allow("admin"))
    def add_user(request: Request[Any, Any, Any], data: JSONBody[NewUser]) -> User:
        return store.add_user(data.username, hash_password(data.password), data.role, principal_of(request).actor)

    @get("/users", sync_to_thread=True, summary="List users", **allow("admin"))
    def list_users() -> list[User]:
        return store.users()

    @delete(
        "/users/{username:str}", sync_to_thread=True, summary="Disable a user and end their sessions", **allow("admin")
    )
    def disable_user(request: Request[Any, Any, Any], username: FromPath[str]) -> None:
        auth.disable_user(username, principal_of(request).actor)

    @post(
        "/keys",
        status_code=201,
        sync_to_thread=True,
        summary="Create an API key; the key is shown once",
        **allow("admin"),
    )
    def add_key(request: Request[Any, Any, Any], data: JSONBody[NewKey]) -> CreatedKey:
        token, prefix, hashed = new_api_key()
        return CreatedKey(token, store.add_key(prefix, hashed, data.name, data.role, principal_of(request).actor))

    @get("/keys", sync_to_thread=True, summary="List API keys (prefixes only)", **allow("admin"))
    def list_keys() -> list[ApiKey]:
        return store.keys()

    @delete("/keys/{key_id:int}", sync_to_thread=True, summary="Revoke an API key", **allow("admin"))
    def revoke_key(key_id: RowId) -> None:
        auth.revoke_key(key_id)

    return Router(
        "/api/v1",
        route_handlers=[sign_in, whoami, sign_out, add_user, list_users, disable_user, add_key, list_keys, revoke_key],
        tags=["access"],
    )
