"""Turn errors into problem JSON (RFC 9457): the one place that maps error codes to HTTP statuses."""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from engine import LawfulError, Problem

from .bodies import ENUM_ERROR, allowed_values

log = logging.getLogger("lawful.api")
MEDIA_TYPE = "application/problem+json"
STATUS_BY_FAMILY = {
    "request": 400,
    "authentication": 401,
    "access": 403,
    "not_found": 404,
    "conflict": 409,
    "rules": 422,
    "throttled": 429,
    "error": 500,
}
_TITLES = {
    400: "Bad request",
    401: "Not signed in",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Invalid rule files",
    429: "Too many requests",
    500: "Internal error",
    503: "Unavailable",
}


class ThrottledError(LawfulError):
    """Too many attempts of something within a while: refused for `retry_after` more seconds (429, Retry-After)."""

    family = "throttled"

    def __init__(self, code: str, message: str, retry_after: int) -> None:
        super().__init__(code, message)
        self.retry_after = retry_after


class ProblemBody(msgspec.Struct, omit_defaults=True):
    """A problem document: a stable code, a title, the HTTP status and what went wrong."""

    type: str
    title: str
    status: int
    code: str
    detail: str
    instance: str | None = None
    problems: list[Problem] | None = None


def problem_response(
    status: int,
    code: str,
    detail: str,
    path: str | None = None,
    problems: list[Problem] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    """Build a problem response."""
    body = ProblemBody(
        type=f"urn:lawful:problem:{code}",
        title=_TITLES.get(status, "Error"),
        status=status,
        code=code,
        detail=detail,
        instance=path,
        problems=problems,
    )
    # A problem tells of one moment (and may name what was sent): no browser or proxy keeps it.
    return Response(
        msgspec.json.encode(body),
        status_code=status,
        media_type=MEDIA_TYPE,
        headers={"Cache-Control": "no-store", **(headers or {})},
    )


def status_of(error: LawfulError) -> int:
    """Return the HTTP status for an error family."""
    return STATUS_BY_FAMILY.get(error.family, 500)


def on_lawful_error(request: Request[Any, Any, Any], exc: LawfulError) -> Response[Any]:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, ThrottledError) else None
    return problem_response(
        status_of(exc), exc.code, exc.message, request.url.path, list(exc.problems) or None, headers
    )


def _explained(request: Request[Any, Any, Any], message: str, key: str | None = None) -> str:
    """msgspec's words, with what was expected where it does not say: the allowed values of an
    enum (a query or path parameter named `key`, or a body), or that the body must be JSON."""
    if message.startswith(("JSON is malformed", "Input data was truncated")):
        return f"expected a JSON body, found malformed JSON: {message}"
    found = ENUM_ERROR.match(message)
    if found is None:
        return message
    parameters = request.route_handler.parsed_fn_signature.parameters
    own = key is not None and key != "data" and key in parameters
    parameter = parameters.get(key if own else "data")  # type: ignore[arg-type]
    allowed = allowed_values(parameter.annotation, "" if own else found["path"]) if parameter else None
    if not allowed:
        return message
    return f"expected one of {', '.join(allowed)}, found {found['found']} - at {'?' + str(key) if own else '$' + found['path']}"


def on_validation_error(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    details = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            key = item.get("key")
            # litestar names the whole body "data"; msgspec's own paths are relative to it.
            where = " - at $" if key in ("data", None, "") else f" - at $.{key}"
            message = str(item.get("message", "")).replace("`", "'")
            if message == "'data'":  # litestar found no body to decode
                message, where = "expected a JSON body, found none", ""
            details.append(_explained(request, f"{message}{where}", key) if where else message)
    detail = "; ".join(details) or _explained(request, str(exc.detail).replace("`", "'"))
    return problem_response(400, "request.invalid", detail, request.url.path)


def on_http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    code = {400: "request.invalid", 404: "route.not_found", 405: "route.method_not_allowed"}.get(
        exc.status_code, f"http.{exc.status_code}"
    )
    detail = _explained(request, exc.detail) if exc.status_code == 400 else exc.detail
    return problem_response(exc.status_code, code, detail, request.url.path, headers=exc.headers)


def on_too_deep(request: Request[Any, Any, Any], exc: RecursionError) -> Response[Any]:
    return problem_response(
        400,
        "request.too_deep",
        "expected JSON nested at most a few hundred levels deep, found deeper nesting",
        request.url.path,
    )


def on_too_large(request: Request[Any, Any, Any], exc: OverflowError) -> Response[Any]:
    # A number given in the path or the body (an id, say) that no database column can hold.
    return problem_response(
        400,
        "request.out_of_range",
        f"expected numbers that fit in 64 bits, found a larger one in the request to {request.url.path}",
        request.url.path,
    )


def on_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if isinstance(getattr(exc, "orig", None), OverflowError):  # the database driver's, wrapped
        return on_too_large(request, exc.orig)  # type: ignore[attr-defined]
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return problem_response(500, "internal", "the server met an unexpected error; it has been logged", request.url.path)


EXCEPTION_HANDLERS: dict[int | type[Exception], Any] = {
    LawfulError: on_lawful_error,
    ValidationException: on_validation_error,
    HTTPException: on_http_error,
    RecursionError: on_too_deep,
    OverflowError: on_too_large,
    Exception: on_unexpected,
}
