"""Cron dialects, intervals, time zones and trigger parsing."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from sluice.errors import InvalidScheduleError, UserInputError
from sluice.server.cron import (
    IntervalSchedule,
    normalize_trigger,
    parse_cron,
    parse_duration,
    parse_trigger,
)

UTC = timezone.utc


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def test_six_fields_are_kubeflow_seconds_first() -> None:
    hourly = parse_cron("0 0 * * * *")
    assert hourly.next_after(at(2030, 1, 1, 0, 0, 0)) == at(2030, 1, 1, 1, 0, 0)
    every_30s = parse_cron("*/30 * * * * *")
    assert every_30s.next_after(at(2030, 1, 1, 0, 0, 0)) == at(2030, 1, 1, 0, 0, 30)


def test_kubeflow_sdk_example_weekdays_at_nine() -> None:
    # 2030-01-04 is a Friday: the next weekday 9:00 is Monday the 7th.
    schedule = parse_cron("0 0 9 ? * 2-6")
    # robfig numbers weekdays 0=Sunday, so 2-6 is Tuesday..Saturday.
    assert schedule.next_after(at(2030, 1, 4, 10, 0, 0)) == at(2030, 1, 5, 9, 0, 0)
    assert schedule.next_after(at(2030, 1, 5, 10, 0, 0)) == at(2030, 1, 8, 9, 0, 0)


def test_five_fields_are_unix_minute_first() -> None:
    schedule = parse_cron("30 9 * * 1-5")
    assert schedule.next_after(at(2030, 1, 4, 10, 0, 0)) == at(2030, 1, 7, 9, 30, 0)


def test_next_after_is_strict() -> None:
    schedule = parse_cron("0 * * * *")
    assert schedule.next_after(at(2030, 1, 1, 5, 0, 0)) == at(2030, 1, 1, 6, 0, 0)
    assert schedule.latest_at_or_before(at(2030, 1, 1, 5, 0, 0)) == at(2030, 1, 1, 5, 0, 0)
    assert schedule.latest_at_or_before(at(2030, 1, 1, 5, 59, 59)) == at(2030, 1, 1, 5, 0, 0)


@pytest.mark.parametrize(
    ("text", "after", "expected"),
    [
        ("@hourly", at(2030, 1, 1, 0, 30), at(2030, 1, 1, 1, 0)),
        ("@daily", at(2030, 1, 1, 0, 30), at(2030, 1, 2, 0, 0)),
        ("@weekly", at(2030, 1, 1), at(2030, 1, 6)),  # a Sunday
        ("@monthly", at(2030, 1, 15), at(2030, 2, 1)),
        ("@yearly", at(2030, 1, 15), at(2031, 1, 1)),
    ],
)
def test_descriptors(text: str, after: datetime, expected: datetime) -> None:
    assert parse_cron(text).next_after(after) == expected


def test_every_counts_from_the_anchor() -> None:
    schedule = parse_cron("@every 1h30m", anchor=at(2030, 1, 1))
    assert isinstance(schedule, IntervalSchedule)
    assert schedule.next_after(at(2029, 6, 1)) == at(2030, 1, 1, 1, 30)
    assert schedule.next_after(at(2030, 1, 1, 1, 30)) == at(2030, 1, 1, 3, 0)
    assert schedule.latest_at_or_before(at(2030, 1, 1, 4, 0)) == at(2030, 1, 1, 3, 0)
    assert schedule.latest_at_or_before(at(2030, 1, 1, 1, 0)) is None


def test_durations() -> None:
    assert parse_duration("90s") == timedelta(seconds=90)
    assert parse_duration("1.5h") == timedelta(minutes=90)
    assert parse_duration(" 2h5m3s ") == timedelta(hours=2, minutes=5, seconds=3)
    with pytest.raises(InvalidScheduleError, match="shorter than one second"):
        parse_duration("500ms")
    with pytest.raises(InvalidScheduleError, match="bad duration"):
        parse_duration("1 hour")


def test_time_zone_prefix_follows_daylight_saving() -> None:
    # 9:00 in Paris is 8:00 UTC in winter and 7:00 UTC in summer (DST starts 2030-03-31).
    schedule = parse_cron("TZ=Europe/Paris 0 9 * * *")
    assert schedule.next_after(at(2030, 3, 30, 12)) == at(2030, 3, 31, 7, 0)
    assert schedule.next_after(at(2030, 3, 29, 12)) == at(2030, 3, 30, 8, 0)
    cron_tz = parse_cron("CRON_TZ=America/New_York 0 0 12 * * *")
    assert cron_tz.next_after(at(2030, 7, 1, 0)) == at(2030, 7, 1, 16, 0)


def test_time_zone_argument() -> None:
    schedule = parse_cron("0 9 * * *", zone="Asia/Tokyo")
    assert schedule.next_after(at(2030, 1, 1, 1, 0)) == at(2030, 1, 2, 0, 0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("* * * *", "has 4 fields"),
        ("* * * * * * *", "has 7 fields"),
        ("0 61 * * * *", "invalid cron"),
        ("0 0 25 * * *", "invalid cron"),
        ("nonsense here x y z", "invalid cron"),
        ("@fortnightly", "unknown cron descriptor"),
        ("@every soon", "bad duration"),
        ("TZ=Mars/Olympus 0 * * * *", "unknown time zone"),
    ],
)
def test_bad_expressions_are_user_errors(text: str, message: str) -> None:
    with pytest.raises(UserInputError, match=message):
        parse_cron(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # Unix order: the message names this cron's problem, not the Kubeflow field order.
        ("0 25 * * *", "'0 25 * * *': hour 25 is out of range 0-23"),
        ("0 0 25 * * *", "hour 25 is out of range 0-23"),
        ("0 0 0 32 * *", "day of month 32 is out of range 1-31"),
        ("0 0 1 13 *", "month 13 is out of range 1-12"),
        # Kubeflow's robfig/cron rejects reversed ranges; croniter alone would accept them.
        ("1-0 * * * *", "minute range '1-0' runs backwards: write the lower value first"),
        ("0 1-0 * * * *", "minute range '1-0' runs backwards"),
        ("0 0 22-2 * * *", "hour range '22-2' runs backwards"),
        ("0 0 * * sat-mon", "day of week range 'sat-mon' runs backwards"),
        ("*/0 * * * *", "minute step '/0' must be a whole number >= 1"),
        ("0 0 0 * * 7", "day of week 7 is out of range 0-6"),  # robfig: weekdays are 0-6
        ("0 0 L * *", "day of month 'L' is not a number"),
        ("0 0 * * 1#2", "day of week '1#2' is neither a number nor a name"),
        ("0 0 1,,2 * *", "has an empty item"),
    ],
)
def test_bad_fields_are_named(text: str, message: str) -> None:
    with pytest.raises(InvalidScheduleError) as caught:
        parse_cron(text)
    assert message in str(caught.value)
    assert "Kubeflow order" not in str(caught.value)


def test_field_forms_kubeflow_accepts() -> None:
    """Names, steps from a start (robfig: 'a/n' is 'a-max/n'), '?' and Unix's Sunday 7."""
    start = at(2030, 1, 1)  # a Tuesday
    every_20_from_5 = parse_cron("5/20 * * * *")
    assert every_20_from_5.next_after(start) == at(2030, 1, 1, 0, 5)
    assert every_20_from_5.next_after(at(2030, 1, 1, 0, 45)) == at(2030, 1, 1, 1, 5)
    assert parse_cron("0 0 * * 7").next_after(start) == at(2030, 1, 6)
    assert parse_cron("0 0 0 ? JAN-MAR mon-fri").next_after(start) == at(2030, 1, 2)
    assert parse_cron("0 0 0 1 * ?").next_after(start) == at(2030, 2, 1)


def test_conflicting_zones() -> None:
    with pytest.raises(InvalidScheduleError, match="give the zone once"):
        parse_cron("TZ=Europe/Paris 0 * * * *", zone="UTC")


def test_parse_trigger_cron_and_periodic() -> None:
    created = at(2030, 1, 1)
    cron = parse_trigger(
        {"cron_schedule": {"cron": "0 0 * * * *", "start_time": "2030-02-01T00:00:00Z"}},
        created_at=created,
    )
    assert cron.start_time == at(2030, 2, 1)
    assert cron.end_time is None
    periodic = parse_trigger({"periodic_schedule": {"interval_second": "60"}}, created_at=created)
    assert periodic.schedule.next_after(created) == at(2030, 1, 1, 0, 1)
    started = parse_trigger(
        {"periodic_schedule": {"interval_second": 3600, "start_time": "2030-01-05T00:00:00Z"}},
        created_at=created,
    )
    assert started.schedule.next_after(created) == at(2030, 1, 5, 1)


@pytest.mark.parametrize(
    ("trigger", "message"),
    [
        ({}, "exactly one of"),
        ({"cron_schedule": {"cron": "0 * * * *"}, "periodic_schedule": {}}, "exactly one of"),
        ({"periodic_schedule": {"interval_second": 0}}, "interval_second"),
        ({"periodic_schedule": {"interval_second": "x"}}, "interval_second"),
        ({"cron_schedule": {"cron": ""}}, "needs a 'cron'"),
        ({"cron_schedule": {"cron": "0 * * * *", "start_time": "tomorrow"}}, "RFC3339"),
        (
            {
                "cron_schedule": {
                    "cron": "0 * * * *",
                    "start_time": "2030-01-02T00:00:00Z",
                    "end_time": "2030-01-01T00:00:00Z",
                }
            },
            "end_time must be after",
        ),
    ],
)
def test_bad_triggers(trigger: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidScheduleError, match=message):
        parse_trigger(trigger, created_at=at(2030, 1, 1))


def test_normalize_trigger_is_snake_case_with_z_times() -> None:
    stored = normalize_trigger(
        {"periodicSchedule": {"intervalSecond": "90", "startTime": "2030-01-01T01:00:00+01:00"}},
        created_at=at(2030, 1, 1),
    )
    assert stored == {
        "periodic_schedule": {"interval_second": 90, "start_time": "2030-01-01T00:00:00Z"}
    }
