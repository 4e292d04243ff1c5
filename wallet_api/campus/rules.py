"""The campus rules and their defaults, and the small pure functions they need."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

# A larger charge waits this long for the student's PIN on their own phone, then lapses.
CONFIRM_SECONDS = 120
# A campus admin's activation code is good for this long (and once).
ACTIVATION_DAYS = 7
# Phones that may make codes for one card at the same time.
MAX_ACTIVE_DEVICES = 3
# A new campus's PIN-free amount (50 CNY) and default daily limit (300 CNY) are the defaults of
# wallet_api.schemas.campus.CampusIn; each campus stores its own.
# Campus days are China Standard Time days (UTC+8 all year: China keeps no daylight saving).
CAMPUS_TZ = timezone(timedelta(hours=8), "CST")


def mask_name(name: str) -> str:
    """What a cashier may see of a student's name: 张小明 -> 张*明, 李雷 -> 李*, Zhang Wei -> Z*******i."""
    name = name.strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def campus_day(now: datetime) -> tuple[datetime, datetime]:
    """The start and end (UTC-aware) of the campus day containing `now`."""
    local = now.astimezone(CAMPUS_TZ)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1)
