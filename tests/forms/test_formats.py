"""Formats are always checked, and email properly: international local parts yes, broken addresses no (FC8)."""

from __future__ import annotations

import pytest

from forms import format_checker, is_email

VALID = [
    "a@example.com",
    "first.last+tag@sub.example.org",
    "işıl@example.com",
    "王芳@example.org",
    "o'brien@example.net",
    "x@müller.example",
]
INVALID = [
    "not-an-email",
    "a@@b",
    "a@example",
    "@example.com",
    "a@",
    "a.@example.com",
    ".a@example.com",
    "a..b@example.com",
    "a b@example.com",
    "a@example.com.",
    "a@-x.example.com",
    '"a"@example.com',
    "a(at)example.com",
    "mailto:a@example.com",
    "a@example.com>",
    "a@example.com, b@example.com",
    "a\u00a0b@example.com",
    "a@b.123",
]


@pytest.mark.parametrize("address", VALID)
def test_valid_addresses(address):
    assert is_email(address) and format_checker().conforms(address, "email")


@pytest.mark.parametrize("address", INVALID)
def test_invalid_addresses(address):
    assert not is_email(address) and not format_checker().conforms(address, "email")


def test_other_formats_are_checked_too():
    checker = format_checker()
    assert not checker.conforms("2025-02-30", "date") and checker.conforms("2025-02-28", "date")
    assert not checker.conforms("www.example.com", "uri") and checker.conforms("https://www.example.com/a", "uri")
