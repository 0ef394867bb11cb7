"""Email addresses and phone numbers: check them, and normalise them for matching."""

from __future__ import annotations

import re
import unicodedata

# Local part: dot-separated atoms of letters (any script), digits and the RFC 5322 atext symbols.
_ATOM = r"[\w!#$%&'*+/=?^`{|}~-]+"
_LOCAL = re.compile(rf"^{_ATOM}(?:\.{_ATOM})*$")
_LABEL = re.compile(r"^(?!-)[\w-]{1,63}(?<!-)$")
_PHONE_JUNK = re.compile(r"(?:ext\.?|x|toestel|durchwahl|extension)\s*\d+\s*$", re.I)


def email_problem(value: str) -> str | None:
    """Return why `value` is not one email address, or None when it is (SMTPUTF8 allowed)."""
    if any(ch.isspace() for ch in value):
        return "contains a space"
    if value.count("@") != 1:
        return "needs exactly one '@'"
    local, domain = value.split("@")
    if not local:
        return "has nothing before the '@'"
    if len(local) > 64 or not _LOCAL.match(local):
        return "has a part before the '@' that is not a valid mailbox name"
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        return "has a domain that is not a valid host name (such as example.org)"
    if labels[-1].isdigit() or len(labels[-1]) < 2:
        return "has a domain without a top-level name"
    return None


def normalise_email(value: str) -> str:
    """Return the form two spellings of one address share: NFC, trimmed, lower case."""
    return unicodedata.normalize("NFC", value).strip().casefold()


def normalise_phone(value: str, default_country_code: str | None = None) -> str | None:
    """Return a phone number as `+` and digits, or None when it holds too few digits to be one.

    National numbers (leading 0) get `default_country_code` when one is given; without it they
    are kept as their digits, which still matches the same national spelling.
    """
    text = _PHONE_JUNK.sub("", unicodedata.normalize("NFKC", value).strip())
    text = text.removeprefix("tel:").strip()
    text = re.sub(r"\(0\)", "", text)
    international = text.startswith("+") or text.startswith("00")
    digits = re.sub(r"\D", "", text)
    if text.startswith("00"):
        digits = digits[2:]
    if len(digits) < 6:
        return None
    if international:
        return "+" + digits
    if default_country_code and digits.startswith("0"):
        return "+" + default_country_code + digits[1:]
    return digits
