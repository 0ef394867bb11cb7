"""How long or large a value any CRM field keeps: the same limit on every path in (API, form, import)."""

from __future__ import annotations

from typing import Any

# The longest text any field keeps: a CRM's long text areas hold some 32,000 characters.
MAX_TEXT = 32_000


def size_problem(value: Any) -> str | None:
    """What makes a value of the right kind too long or too large for a CRM to keep, or None."""
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**63:
        return "expected a whole number that fits in 64 bits"
    for text in value if isinstance(value, list) else [value]:
        if isinstance(text, str) and len(text) > MAX_TEXT:
            return f"expected at most {MAX_TEXT:,} characters, found {len(text):,}"
    return None
