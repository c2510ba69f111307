"""One clock: times are stored in UTC and shown in the server's local time.

Every record the product writes (ingest reports, evaluation runs, the audit trail, the
store's owner note) carries an aware UTC time in ISO 8601; only the screens and the
command line turn it into local time, to the minute. A stamp written before this rule
(local time with an offset) still reads correctly, because it carries its offset.
"""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def stamp(at: datetime | None = None) -> str:
    """``at`` (default: now) as the stored form: ISO 8601 in UTC to the second."""
    return (at or now()).astimezone(UTC).isoformat(timespec="seconds")


def shown(at: datetime | str | None, empty: str = "–") -> str:
    """A stored time as people read it: local time, to the minute.

    A string that is not an ISO time is shown as it is; a time without an offset is
    taken as UTC (the stored form)."""
    if at is None or at == "":
        return empty
    when = at
    if isinstance(at, str):
        try:
            when = datetime.fromisoformat(at)
        except ValueError:
            return at
    assert isinstance(when, datetime)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return f"{when.astimezone():%Y-%m-%d %H:%M}"
