"""Errors as data: one root exception, a few families, each problem with a stable code."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import ClassVar

import msgspec


class Problem(msgspec.Struct, frozen=True, omit_defaults=True):
    """One thing wrong with an input, with where it was found."""

    code: str
    message: str
    file: str | None = None
    line: int | None = None
    path: str | None = None

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = f"{self.file}:{self.line}: " if self.line else f"{self.file}: "
        elif self.path:
            where = f"{self.path}: "
        return f"{where}{self.code}: {self.message}"


class LawfulError(Exception):
    """Root of every error lawful raises on purpose."""

    family: ClassVar[str] = "error"

    def __init__(self, code: str, message: str, problems: Iterable[Problem] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.problems = tuple(problems)

    def __str__(self) -> str:
        if not self.problems:
            return f"{self.code}: {self.message}"
        return "\n".join([f"{self.code}: {self.message}", *(str(p) for p in self.problems)])


class RuleFileError(LawfulError):
    """A ruleset cannot be loaded or compiled; every problem found is listed."""

    family = "rules"

    def __init__(self, problems: Iterable[Problem], source: str = "ruleset") -> None:
        ordered = sorted(problems, key=lambda p: (p.file or "", p.line or 0, p.code))
        count = len(ordered)
        noun = "problem" if count == 1 else "problems"
        super().__init__("rules.invalid", f"{source}: {count} {noun}", ordered)


class RequestError(LawfulError):
    """A request is malformed or asks something the engine cannot answer."""

    family = "request"


class NotFoundError(LawfulError):
    """A named thing (record, ruleset version, module) does not exist."""

    family = "not_found"


class ConflictError(LawfulError):
    """The request is well-formed but refused in the current state of the data."""

    family = "conflict"


class AccessError(LawfulError):
    """The caller is not allowed to do this."""

    family = "access"


class AuthenticationError(LawfulError):
    """The caller did not prove who they are."""

    family = "authentication"


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return ` - did you mean 'x'?` for the closest choice, or an empty string."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" - did you mean '{close[0]}'?" if close else ""


def expected_one_of(what: str, found: object, choices: Iterable[str]) -> str:
    """Describe a value outside a closed set: what was expected, what was found."""
    options = sorted(choices)
    shown = ", ".join(options[:12]) + (", ..." if len(options) > 12 else "")
    hint = did_you_mean(found, options) if isinstance(found, str) else ""
    return f"unknown {what} {found!r}: expected one of {shown}{hint}"
