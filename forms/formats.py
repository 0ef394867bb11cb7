"""The format checker submissions are validated with: every format is checked, email properly."""

from __future__ import annotations

import re
import unicodedata

import idna
from jsonschema import Draft202012Validator, FormatChecker

# RFC 5322 dot-atom characters, plus any non-ASCII character for international (SMTPUTF8,
# RFC 6531) local parts such as işıl@example.com.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-\u0080-\U0010FFFF]+"
_LOCAL = re.compile(rf"^{_ATOM}(?:\.{_ATOM})*$")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def is_email(value: object) -> bool:
    """Tell whether `value` is a deliverable-looking address: one @, a dot-atom local part, a real domain name."""
    if not isinstance(value, str):
        return True  # formats apply to strings only
    local, at, domain = value.rpartition("@")
    if not at or not local or len(local.encode()) > 64 or len(value.encode()) > 254 or not _LOCAL.match(local):
        return False
    # Beyond ASCII only letters, marks and digits: no spaces, controls or look-alike punctuation.
    if any(not ch.isascii() and unicodedata.category(ch)[0] not in "LMN" for ch in local):
        return False
    return is_domain(domain)


def is_domain(domain: str) -> bool:
    """Tell whether `domain` is a host name with at least two labels and a non-numeric top level."""
    try:
        ascii_name = idna.encode(domain, uts46=True).decode("ascii") if not domain.isascii() else domain.lower()
    except idna.IDNAError:
        return False
    labels = ascii_name.split(".")
    if len(labels) < 2 or len(ascii_name) > 253 or labels[-1].isdigit():
        return False
    return all(_LABEL.match(label) for label in labels)


def format_checker() -> FormatChecker:
    """Return a format checker with every format jsonschema knows and a strict email check (FC8)."""
    checker = FormatChecker()
    checker.checks("email")(is_email)
    checker.checks("idn-email")(is_email)
    return checker


CHECKED_FORMATS: frozenset[str] = frozenset(Draft202012Validator.FORMAT_CHECKER.checkers) | {"email", "idn-email"}
