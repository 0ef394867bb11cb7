"""Decode JSON request bodies strictly, and refuse instants no deadline can be computed from.

litestar converts a decoded body to the handler's type in msgspec's lax mode, meant for query
strings and forms, where every value is text: in a JSON body it reads `"at": 12345` as 1970-01-01
and `"enabled": "0"` as false. JSON has types; a body is decoded strictly instead, straight into
its type, so a date-time must be an RFC 3339 string with its offset and a number is refused.

Every instant in a body is then checked to lie within EARLIEST and LATEST, so that converting it
to UTC or to the controller's zone, and adding months or days to it (due dates, waiting periods),
can never overflow the calendar: `0001-01-01T00:00:00+14:00` is before year 1 in UTC.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import typing
from collections.abc import Callable, Iterator
from typing import Any

import msgspec
from litestar import Request

from engine import Problem, RequestError

UTC = dt.timezone.utc
EARLIEST = dt.datetime(1900, 1, 1, tzinfo=UTC)
LATEST = dt.datetime(9000, 1, 1, tzinfo=UTC)
_RFC3339 = "an RFC 3339 date-time string with its UTC offset, such as 2026-03-01T10:00:00+01:00"
# msgspec's words for a date-time it cannot take, and ours, which say what to send instead.
_REWORDED: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (
        re.compile(r"^Expected `datetime( \| null)?`, got `(\w+)`$"),
        lambda m: f"expected {_RFC3339}{' or null' if m[1] else ''}, found {m[2]}",
    ),
    (
        re.compile(r"^Expected `datetime` with a timezone component$"),
        lambda m: f"expected {_RFC3339}, found one without",
    ),
    (
        re.compile(r"^Invalid RFC3339 encoded datetime$"),
        lambda m: f"expected {_RFC3339}, found a string that is not one",
    ),
)


ENUM_ERROR = re.compile(r"^Invalid enum value (?P<found>.+) - at \$(?P<path>(?:\.[A-Za-z_]\w*|\[\d+\])*)$")


def allowed_values(annotation: Any, path: str) -> list[str] | None:
    """The values a request body allows at a msgspec error path (`$.queries[0].question`), if an enum."""
    info: Any = msgspec.inspect.type_info(annotation)
    for step in re.findall(r"\.(\w+)|\[\d+\]", path):
        while isinstance(info, msgspec.inspect.UnionType):
            info = next((t for t in info.types if not isinstance(t, msgspec.inspect.NoneType)), None)
        if isinstance(info, msgspec.inspect.StructType) and step:
            info = next((f.type for f in info.fields if f.encode_name == step), None)
        elif isinstance(info, (msgspec.inspect.ListType, msgspec.inspect.VarTupleType)) and not step:
            info = info.item_type
        elif isinstance(info, msgspec.inspect.DictType) and step:
            info = info.value_type
        else:
            return None
    while isinstance(info, msgspec.inspect.UnionType):
        info = next((t for t in info.types if not isinstance(t, msgspec.inspect.NoneType)), None)
    if isinstance(info, msgspec.inspect.LiteralType):
        return [str(v) for v in info.values]
    if isinstance(info, msgspec.inspect.EnumType):
        return [str(m.value) for m in info.cls]
    return None


def decode_body(raw: bytes, kind: Any) -> Any:
    """Decode a JSON body strictly into `kind`; raise RequestError saying what was expected, found and where."""
    try:
        value = _decoder(kind).decode(raw)
    except msgspec.ValidationError as exc:
        raise RequestError("request.invalid", _detail(str(exc), kind)) from None
    except msgspec.DecodeError as exc:
        raise RequestError("request.invalid", f"expected a JSON body, found malformed JSON: {exc} - at $") from None
    if _holds_instant(kind):
        check_instants(value)
    return value


def check_instants(value: object) -> None:
    """Raise RequestError naming every instant in `value` outside EARLIEST and LATEST, by its JSON path.

    A Struct with `checks_own_instants` nested in `value` is not looked into: it is checked on its
    own when it is used (a batch's queries are answered, or refused, one by one).
    """
    problems = [
        Problem("request.out_of_range", _range_problem(instant), path=path)
        for path, instant in _instants(value, "$")
        if not (instant.tzinfo is not None and EARLIEST <= instant < LATEST)
    ]
    if problems:
        first = problems[0]
        raise RequestError("request.out_of_range", f"{first.message} - at {first.path}", problems)


class StrictJsonRequest(Request[Any, Any, Any]):
    """A request whose JSON body is decoded strictly into the handler's `data` type (see decode_body)."""

    async def json(self) -> Any:
        """Return the body decoded into the handler's `data` type, or as plain JSON when it has none."""
        data = self.route_handler.parsed_fn_signature.parameters.get("data")
        if data is None:
            return await super().json()
        return decode_body(await self.body(), data.annotation)


def _range_problem(instant: dt.datetime) -> str:
    if instant.tzinfo is None:
        return f"expected an instant with its UTC offset, found {instant.isoformat()}"
    return (
        f"expected an instant from {EARLIEST:%Y-%m-%dT%H:%M:%SZ} up to {LATEST:%Y-%m-%dT%H:%M:%SZ}, "
        f"found {instant.isoformat()}"
    )


def _detail(message: str, kind: Any) -> str:
    """Turn msgspec's `Expected ..., got ... - at `$.x`` into lawful's words: expected, found, where."""
    text, _, path = message.partition(" - at `")
    for pattern, reword in _REWORDED:
        if found := pattern.match(text):
            text = reword(found)
            break
    else:
        text = text.replace("`", "'")
    detail = f"{text} - at {path.rstrip('`') or '$'}"
    if (enum := ENUM_ERROR.match(detail)) and (allowed := allowed_values(kind, enum["path"])):
        return f"expected one of {', '.join(allowed)}, found {enum['found']} - at ${enum['path']}"
    return detail


@functools.cache
def _decoder(kind: Any) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(kind)


def _instants(value: object, path: str, top: bool = True) -> Iterator[tuple[str, dt.datetime]]:
    """Yield every instant in a decoded value with its JSON path, looking only where the type allows one."""
    if isinstance(value, dt.datetime):
        yield path, value
    elif isinstance(value, msgspec.Struct):
        if top or not getattr(value, "checks_own_instants", False):
            for name, key in _instant_fields(type(value)):
                yield from _instants(getattr(value, name), f"{path}.{key}", False)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for index, item in enumerate(value):
            yield from _instants(item, f"{path}[{index}]", False)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _instants(item, f"{path}.{key}", False)


@functools.cache
def _holds_instant(kind: Any) -> bool:
    return _may_hold_instant(kind)


@functools.cache
def _instant_fields(struct: type[msgspec.Struct]) -> tuple[tuple[str, str], ...]:
    """The (attribute, JSON name) of each field of a Struct type whose value may hold an instant."""
    return tuple((f.name, f.encode_name) for f in msgspec.structs.fields(struct) if _may_hold_instant(f.type))


def _may_hold_instant(kind: Any, seen: frozenset[Any] = frozenset()) -> bool:
    if isinstance(kind, type) and issubclass(kind, dt.datetime):
        return True
    if isinstance(kind, type) and issubclass(kind, msgspec.Struct):
        return kind not in seen and any(_may_hold_instant(f.type, seen | {kind}) for f in msgspec.structs.fields(kind))
    if typing.get_origin(kind) is typing.Annotated:
        return _may_hold_instant(typing.get_args(kind)[0], seen)
    return any(_may_hold_instant(arg, seen) for arg in typing.get_args(kind))
