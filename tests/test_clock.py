"""One clock: stored in UTC, shown in local time."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest

from assistant import clock


@pytest.fixture
def stockholm_winter() -> Iterator[None]:
    """The process's local time zone is UTC+1 while the test runs."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "UTC-01:00"  # POSIX: the sign says what to add to reach UTC
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


def test_stamps_are_utc_whatever_the_local_zone(stockholm_winter: None) -> None:
    written = clock.stamp()
    assert written.endswith("+00:00")
    assert abs(datetime.fromisoformat(written) - datetime.now(UTC)) < timedelta(seconds=5)
    assert clock.stamp(datetime(2026, 1, 2, 13, 0, tzinfo=timezone(timedelta(hours=1)))) == (
        "2026-01-02T12:00:00+00:00"
    )


def test_shown_in_local_time_to_the_minute(stockholm_winter: None) -> None:
    assert clock.shown("2026-01-02T12:00:00+00:00") == "2026-01-02 13:00"
    assert clock.shown(datetime(2026, 1, 2, 12, 0, 59, tzinfo=UTC)) == "2026-01-02 13:00"
    # a stamp without an offset is the stored form, UTC
    assert clock.shown("2026-01-02T12:00:00") == "2026-01-02 13:00"
    # an older report, written in local time with its offset, still reads right
    assert clock.shown("2026-01-02T13:00:00+0100") == "2026-01-02 13:00"


def test_what_is_not_a_time_is_shown_as_it_is() -> None:
    assert clock.shown(None) == "–"
    assert clock.shown("") == "–"
    assert clock.shown("igår") == "igår"


def test_ingest_reports_are_stamped_in_utc(stockholm_winter: None) -> None:
    from ingest.report import RunReport

    report = RunReport(roots=[], store={})
    assert report.started_at.endswith("+00:00")
