"""What an operator types: times (`2h`, an ISO date) and lists of delivery ids."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta

from .errors import UsageError


def parse_time(text: str, now: datetime | None = None) -> datetime:
    """`90s`, `30m`, `2h`, `3d` ago, or an ISO date/time (UTC unless it says otherwise)."""
    now = now or datetime.now(UTC)
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    value = text.strip()
    if value[:-1].isdigit() and value[-1:] in units:
        return now - timedelta(seconds=int(value[:-1]) * units[value[-1]])
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(f"cannot read the time {text!r}: use 90s, 30m, 2h, 3d or ISO") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def read_ids(lines: Iterable[str]) -> Iterator[tuple[str | None, str]]:
    """(source or None, id) from lines of `id` or `source/id`; blanks and # comments skipped."""
    for line in lines:
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        source, slash, identifier = text.rpartition("/")
        yield (source if slash else None), identifier
