"""Calendar arithmetic for deadlines: whole months (Art. 12(3)) and days on the local clock (C3)."""

from __future__ import annotations

import calendar
import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import RequestError


def add_months(instant: dt.datetime, months: int) -> dt.datetime:
    """Return the same day and clock time `months` later (or earlier, when negative).

    When that month is shorter, the deadline is its last day: 31 January plus one month is
    28 or 29 February; 30 March plus one month is 30 April.
    """
    index = instant.year * 12 + instant.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return instant.replace(year=year, month=month + 1, day=min(instant.day, last))


def zone_problem(name: str) -> str | None:
    """Say why `name` is not a time zone, or None when it is one."""
    try:
        ZoneInfo(name)
        return None
    except (ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {name!r}: expected an IANA name such as Europe/Amsterdam or UTC"


def zone(name: str) -> ZoneInfo:
    """Return the time zone named `name` (IANA, e.g. Europe/Amsterdam)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise RequestError(
            "settings.unknown_timezone",
            f"unknown time zone {name!r}: expected an IANA name such as Europe/Amsterdam or UTC",
        ) from None


def add_local_days(instant: dt.datetime, days: int, zone_name: str) -> dt.datetime:
    """Return the instant `days` later at the same clock time in the zone, in UTC.

    Across a daylight-saving change the period keeps the local clock time, so it is an hour
    longer or shorter than `days` times 24 hours.
    """
    local = instant.astimezone(zone(zone_name))
    later = (local.replace(tzinfo=None) + dt.timedelta(days=days)).replace(tzinfo=local.tzinfo)
    return later.astimezone(dt.timezone.utc)


def add_local_months(instant: dt.datetime, months: int, zone_name: str) -> dt.datetime:
    """Return the instant `months` later at the same local day and clock time, in UTC."""
    local = instant.astimezone(zone(zone_name))
    later = add_months(local.replace(tzinfo=None), months).replace(tzinfo=local.tzinfo)
    return later.astimezone(dt.timezone.utc)
