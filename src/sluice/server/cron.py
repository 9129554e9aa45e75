"""When a recurring run fires: cron expressions and fixed intervals, computed in UTC.

Two cron dialects are accepted, told apart by their number of fields:

- **6 fields = Kubeflow Pipelines** (robfig/cron v1): ``sec min hour dom month dow``, with
  the *seconds first*. Kubeflow always reads six fields (a weekday may be left out, so
  ``0 0 9 * *`` there is "second 0, minute 0, hour 9, every day, every month"). The SDK's
  example ``0 0 9 ? * 2-6`` is 9:00:00 on weekdays.
- **5 fields = standard Unix cron** (Vertex AI schedules): ``min hour dom month dow``.

Kubeflow has no 5-field form, so a 5-field expression that Kubeflow would read with a
missing weekday is read here as Unix cron. This is the one deliberate difference: write the
weekday (``*`` or ``?``) to get Kubeflow's meaning.

Each field is checked as robfig/cron checks it: numbers, ``a-b`` ranges (low to high: a
reversed range such as ``5-1`` is an error, as in Kubeflow, although croniter would wrap
it), ``/n`` steps (``n`` >= 1; ``a/n`` means ``a-max/n``), comma lists, ``*``, and the names
``jan``-``dec`` and ``sun``-``sat``. Ranges: second and minute 0-59, hour 0-23, day of month
1-31, month 1-12, day of week 0-6 (0-7 in the Unix form, where 7 is also Sunday). Extensions
that neither Kubeflow nor Vertex reads (``L``, ``W``, ``#``) are rejected.

Also accepted: ``?`` (same as ``*``), the descriptors ``@yearly``
(``@annually``), ``@monthly``, ``@weekly``, ``@daily`` (``@midnight``), ``@hourly``, and
``@every <duration>`` (Go durations such as ``1h30m``, ``90s``, ``2.5h``; at least one
second). A time zone can prefix the expression the Vertex way, ``TZ=Europe/Paris 0 9 * * *``
or ``CRON_TZ=...``, or be passed as an argument; without one, expressions are read in UTC.
Whatever the zone, every time this module returns is timezone-aware UTC.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from sluice.errors import InvalidScheduleError

_DESCRIPTORS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
# Bounds that keep every slot computation inside datetime's range (years 1..9999): times
# before the year 9000 plus intervals of at most 100 years never overflow.
MAX_INTERVAL_SECONDS = 100 * 366 * 24 * 3600
LATEST_TIME = datetime(9000, 1, 1, tzinfo=timezone.utc)
_UNIT_SECONDS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}


@dataclass(frozen=True)
class _Field:
    """One cron field: its name in messages, its range and the names it accepts."""

    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()  # names[i] stands for low + i


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_SECOND = _Field("second", 0, 59)
_MINUTE = _Field("minute", 0, 59)
_HOUR = _Field("hour", 0, 23)
_DAY = _Field("day of month", 1, 31)
_MONTH = _Field("month", 1, 12, _MONTHS)
# robfig/cron v1 (Kubeflow) reads weekdays 0-6; Unix cron also takes 7 for Sunday.
_KFP_WEEKDAY = _Field("day of week", 0, 6, _WEEKDAYS)
_UNIX_WEEKDAY = _Field("day of week", 0, 7, _WEEKDAYS)
_KFP_FIELDS = (_SECOND, _MINUTE, _HOUR, _DAY, _MONTH, _KFP_WEEKDAY)
_UNIX_FIELDS = (_MINUTE, _HOUR, _DAY, _MONTH, _UNIX_WEEKDAY)


def _field_value(token: str, field: _Field) -> int:
    """One number or name of ``field``, range-checked; raises ValueError with the reason."""
    if token.isdigit():
        value = int(token)
    elif token.lower() in field.names:
        value = field.low + field.names.index(token.lower())
    else:
        what = f"neither a number nor a name such as '{field.names[1]}'" if field.names else ""
        raise ValueError(f"{field.name} '{token}' is {what or 'not a number'}")
    if not field.low <= value <= field.high:
        raise ValueError(f"{field.name} {value} is out of range {field.low}-{field.high}")
    return value


def _check_field(text: str, field: _Field) -> None:
    """Check one field the way robfig/cron's getRange does; raises ValueError with the reason."""
    for item in text.split(","):
        base, slash, step = item.partition("/")
        if slash and (not step.isdigit() or int(step) == 0):
            raise ValueError(f"{field.name} step '/{step}' must be a whole number >= 1")
        if base in ("*", "?"):
            continue
        if not base:
            raise ValueError(f"{field.name} field '{text}' has an empty item")
        low_text, dash, high_text = base.partition("-")
        low = _field_value(low_text, field)
        if dash:
            high = _field_value(high_text, field)
            if low > high:
                raise ValueError(
                    f"{field.name} range '{base}' runs backwards: write the lower value first"
                    f" ('{high_text}-{low_text}'), or list the values"
                )


def to_utc(value: datetime) -> datetime:
    """``value`` as aware UTC; a naive value (SQLite gives those back) is taken as UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


class Schedule(ABC):
    """A sequence of fire times ("slots")."""

    @abstractmethod
    def next_after(self, instant: datetime) -> datetime:
        """The first slot strictly after ``instant``, in UTC."""

    @abstractmethod
    def latest_at_or_before(self, instant: datetime) -> datetime | None:
        """The last slot at or before ``instant`` (None if there is none), in UTC."""


@dataclass(frozen=True)
class CronSchedule(Schedule):
    """A cron expression in croniter's form (``min hour dom month dow [sec]``) and a zone."""

    expression: str
    zone: ZoneInfo | timezone = timezone.utc

    def next_after(self, instant: datetime) -> datetime:
        """The first slot strictly after ``instant``, in UTC."""
        # croniter works in the zone of its start time, which is how DST is honoured.
        start = to_utc(instant).astimezone(self.zone)
        result: datetime = croniter(self.expression, start).get_next(datetime)
        return to_utc(result)

    def latest_at_or_before(self, instant: datetime) -> datetime | None:
        """The last slot at or before ``instant``, in UTC."""
        # Slots are whole seconds; croniter's get_prev is strict, so step just past instant.
        start = (to_utc(instant).replace(microsecond=0) + timedelta(seconds=1)).astimezone(
            self.zone
        )
        result: datetime = croniter(self.expression, start).get_prev(datetime)
        return to_utc(result)


@dataclass(frozen=True)
class IntervalSchedule(Schedule):
    """Every ``interval`` from ``anchor`` (the anchor itself is not a slot)."""

    interval: timedelta
    anchor: datetime

    def next_after(self, instant: datetime) -> datetime:
        """The first ``anchor + k * interval`` (k >= 1) strictly after ``instant``."""
        anchor = to_utc(self.anchor)
        elapsed = to_utc(instant) - anchor
        if elapsed < timedelta(0):
            return anchor + self.interval
        return anchor + self.interval * (elapsed // self.interval + 1)

    def latest_at_or_before(self, instant: datetime) -> datetime | None:
        """The last ``anchor + k * interval`` (k >= 1) at or before ``instant``."""
        anchor = to_utc(self.anchor)
        steps = (to_utc(instant) - anchor) // self.interval
        return anchor + self.interval * steps if steps >= 1 else None


def parse_zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name`` (e.g. ``Europe/Paris``)."""
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidScheduleError(
            f"unknown time zone '{name}': use an IANA name such as 'Europe/Paris' or 'UTC'"
        ) from exc


def parse_duration(text: str) -> timedelta:
    """A Go-style duration (``1h30m``, ``90s``, ``1.5h``) of at least one second."""
    compact = text.strip()
    pos = 0
    total = 0.0
    while pos < len(compact):
        match = _DURATION_PART.match(compact, pos)
        if match is None:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        pos = match.end()
    if not compact or pos != len(compact):
        raise InvalidScheduleError(
            f"bad duration '{text}' in '@every': write it like '1h30m', '90s' or '2h'"
        )
    if total < 1:
        raise InvalidScheduleError(f"'@every {text}' is shorter than one second: use at least 1s")
    if not total <= MAX_INTERVAL_SECONDS:  # also false for inf and nan
        raise InvalidScheduleError(f"'@every {text}' is longer than 100 years: use a shorter one")
    return timedelta(seconds=total)


def _split_zone(expression: str, zone: str | None) -> tuple[str, ZoneInfo | timezone]:
    text = expression.strip()
    prefix = re.match(r"(?:CRON_)?TZ=(\S+)\s+", text)
    if prefix is not None:
        if zone is not None and zone.strip() != prefix.group(1):
            raise InvalidScheduleError(
                f"cron '{expression}' names time zone '{prefix.group(1)}' but '{zone}' was "
                "also given: give the zone once"
            )
        return text[prefix.end() :], parse_zone(prefix.group(1))
    return text, parse_zone(zone) if zone else timezone.utc


def parse_cron(
    expression: str, *, zone: str | None = None, anchor: datetime | None = None
) -> Schedule:
    """The schedule of a cron expression (see the module docstring for the dialects).

    Args:
        expression: the cron text, optionally prefixed by ``TZ=<zone>`` or ``CRON_TZ=<zone>``.
        zone: an IANA zone to read the expression in, instead of a prefix (default UTC).
        anchor: where ``@every`` counts from (default: now).
    """
    text, tz = _split_zone(expression, zone)
    lowered = text.lower()
    if lowered.startswith("@every"):
        interval = parse_duration(text[len("@every") :])
        return IntervalSchedule(interval, to_utc(anchor or datetime.now(timezone.utc)))
    if lowered.startswith("@"):
        if lowered not in _DESCRIPTORS:
            raise InvalidScheduleError(
                f"unknown cron descriptor '{text}': use @yearly, @monthly, @weekly, @daily, "
                "@hourly or '@every <duration>'"
            )
        return CronSchedule(_DESCRIPTORS[lowered], tz)
    fields = text.split()
    if len(fields) not in (5, 6):
        raise InvalidScheduleError(
            f"cron '{expression}' has {len(fields)} fields: use 6 (Kubeflow: "
            "'sec min hour dom month dow', e.g. '0 0 9 ? * 2-6') or 5 (Unix: "
            "'min hour dom month dow', e.g. '0 9 * * 1-5')"
        )
    # The field count already says which order was meant, so a message names the bad field
    # ("hour 25 is out of range 0-23") rather than suggesting the other order.
    dialect = _KFP_FIELDS if len(fields) == 6 else _UNIX_FIELDS
    for value, field in zip(fields, dialect, strict=True):
        try:
            _check_field(value, field)
        except ValueError as exc:
            raise InvalidScheduleError(f"invalid cron expression '{expression}': {exc}") from None
    # '?' ("no specific value") is '*' to robfig/cron; croniter only knows '*'.
    fields = ["*" if f == "?" else f for f in fields]
    if len(fields) == 6:
        # Kubeflow's seconds-first order; croniter takes seconds as a trailing sixth field.
        fields = [*fields[1:], fields[0]]
    converted = " ".join(fields)
    if not croniter.is_valid(converted):  # a safety net: the checks above should catch all
        raise InvalidScheduleError(f"invalid cron expression '{expression}'")
    schedule = CronSchedule(converted, tz)
    try:
        schedule.next_after(datetime.now(timezone.utc))
    except Exception as exc:  # croniter raises several types for impossible dates
        raise InvalidScheduleError(
            f"cron '{expression}' never fires (e.g. February 30th): fix the day fields"
        ) from exc
    return schedule


def parse_time(value: Any, field: str) -> datetime | None:
    """An RFC3339 time from a trigger (None when unset)."""
    if value is None or value == "":
        return None
    try:
        if isinstance(value, datetime):
            parsed = to_utc(value)
        elif isinstance(value, str):
            parsed = to_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
        else:
            raise ValueError(value)
    except (ValueError, OverflowError) as exc:
        raise InvalidScheduleError(
            f"{field} {value!r} is not an RFC3339 time: write e.g. '2030-01-01T00:00:00Z'"
        ) from exc
    if parsed >= LATEST_TIME:
        raise InvalidScheduleError(f"{field} '{value}' is too far ahead: use a time before 9000")
    return parsed


def _interval_seconds(raw: Any) -> int:
    """``interval_second``: a whole number (int64 JSON may be a string) from 1 to 100 years."""
    seconds: int | None = None
    if isinstance(raw, int) and not isinstance(raw, bool):
        seconds = raw
    elif isinstance(raw, float) and raw.is_integer():
        seconds = int(raw)
    elif isinstance(raw, str) and raw.strip().isdigit():
        seconds = int(raw.strip())
    if seconds is None or not 1 <= seconds <= MAX_INTERVAL_SECONDS:
        raise InvalidScheduleError(
            "periodic_schedule.interval_second must be a whole number of seconds from 1 to "
            f"{MAX_INTERVAL_SECONDS} (100 years), got {raw!r}"
        )
    return seconds


@dataclass(frozen=True)
class Trigger:
    """A parsed KFP trigger: its schedule and the window in which it may fire."""

    schedule: Schedule
    start_time: datetime | None
    end_time: datetime | None


def parse_trigger(trigger: dict[str, Any], *, created_at: datetime) -> Trigger:
    """Parse KFP's ``trigger`` (``cron_schedule`` or ``periodic_schedule``).

    Periodic schedules (and ``@every``) fire every interval counted from ``start_time``,
    or from ``created_at`` when there is no start time.
    """
    cron = trigger.get("cron_schedule", trigger.get("cronSchedule"))
    periodic = trigger.get("periodic_schedule", trigger.get("periodicSchedule"))
    if (cron is None) == (periodic is None):
        raise InvalidScheduleError(
            "trigger must hold exactly one of 'cron_schedule' {cron} or 'periodic_schedule' "
            "{interval_second}"
        )
    body = cron if cron is not None else periodic
    if not isinstance(body, dict):
        raise InvalidScheduleError("the trigger's schedule must be a JSON object")
    start = parse_time(body.get("start_time", body.get("startTime")), "start_time")
    end = parse_time(body.get("end_time", body.get("endTime")), "end_time")
    if start is not None and end is not None and end <= start:
        raise InvalidScheduleError("trigger end_time must be after its start_time")
    anchor = start or to_utc(created_at)
    if cron is not None:
        expression = body.get("cron")
        if not isinstance(expression, str) or not expression.strip():
            raise InvalidScheduleError("cron_schedule needs a 'cron' expression")
        zone = body.get("time_zone")
        if zone is not None and not isinstance(zone, str):
            raise InvalidScheduleError(
                f"cron_schedule.time_zone must be an IANA zone name, got {zone!r}"
            )
        schedule = parse_cron(expression, zone=zone or None, anchor=anchor)
    else:
        seconds = _interval_seconds(body.get("interval_second", body.get("intervalSecond")))
        schedule = IntervalSchedule(timedelta(seconds=seconds), anchor)
    return Trigger(schedule, start, end)


def normalize_trigger(trigger: dict[str, Any], *, created_at: datetime) -> dict[str, Any]:
    """The trigger checked, as stored and echoed: snake_case keys, RFC3339 ``Z`` times."""
    parsed = parse_trigger(trigger, created_at=created_at)
    kind = "cron_schedule" if ("cron_schedule" in trigger or "cronSchedule" in trigger) else None
    kind = kind or "periodic_schedule"
    camel = "cronSchedule" if kind == "cron_schedule" else "periodicSchedule"
    body = dict(trigger.get(kind, trigger.get(camel)) or {})
    out: dict[str, Any] = {}
    for field, camel_field in (("start_time", "startTime"), ("end_time", "endTime")):
        value = parse_time(body.get(field, body.get(camel_field)), field)
        if value is not None:
            out[field] = value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if kind == "cron_schedule":
        out["cron"] = str(body["cron"]).strip()
        if body.get("time_zone"):
            out["time_zone"] = str(body["time_zone"])
    else:
        assert isinstance(parsed.schedule, IntervalSchedule)
        out["interval_second"] = int(parsed.schedule.interval.total_seconds())
    return {kind: out}
