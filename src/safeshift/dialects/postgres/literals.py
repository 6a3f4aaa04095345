"""Constants as PostgreSQL stores them: the text its output function prints for a literal default.

A model says ``server_default='0'`` on an ``interval`` column; the catalog holds ``'00:00:00'::interval``.
Both are the same stored value, so comparing their spelling would report a difference that is not one
(seen on real applications' models).  PostgreSQL turns a literal default into a constant of the column's
type when the default is created, and prints that constant with the type's output function; this module
does the same in Python for the types whose literals real schemas use as defaults (intervals, json and
jsonb, dates, times and timestamps), assuming the output settings safeshift's catalog session pins
(``IntervalStyle=postgres``, ``DateStyle=ISO``, ``TimeZone=UTC``).

A literal this module cannot read with certainty is returned unchanged (``None``): a spelling difference
then stays visible as a difference, never hidden.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = ["canonical_literal"]

_USEC_PER_SEC = 1_000_000
_UNIT_USEC = {
    "microsecond": 1, "us": 1, "usec": 1,
    "millisecond": 1_000, "ms": 1_000, "msec": 1_000,
    "second": _USEC_PER_SEC, "s": _USEC_PER_SEC, "sec": _USEC_PER_SEC,
    "minute": 60 * _USEC_PER_SEC, "m": 60 * _USEC_PER_SEC, "min": 60 * _USEC_PER_SEC,
    "hour": 3600 * _USEC_PER_SEC, "h": 3600 * _USEC_PER_SEC, "hr": 3600 * _USEC_PER_SEC,
}
_UNIT_DAYS = {"day": 1, "d": 1, "week": 7, "w": 7}
_UNIT_MONTHS = {"month": 1, "mon": 1, "year": 12, "y": 12, "yr": 12, "decade": 120, "century": 1200,
                "centurie": 1200, "millennium": 12000, "millennia": 12000}
_NUMBER_UNIT = re.compile(r"([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*([a-z]+)")
_CLOCK = re.compile(r"([+-]?)(\d+):(\d+)(?::(\d+(?:\.\d*)?))?")
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d*)?")
_ISO = re.compile(r"P(?:([\d.]+)Y)?(?:([\d.]+)M)?(?:([\d.]+)W)?(?:([\d.]+)D)?"
                  r"(?:T(?:([\d.]+)H)?(?:([\d.]+)M)?(?:([\d.]+)S)?)?", re.IGNORECASE)


def canonical_literal(text: str, column_type: str) -> str | None:
    """The output-function text of the literal ``text`` (unquoted) stored into a column of
    ``column_type`` (a canonical type name), or None when it is not one this module reads."""
    if column_type.endswith("[]"):
        return None
    if column_type in ("json", "jsonb"):
        return _json(text)
    if column_type == "interval":  # a precision or a field restriction rounds: leave those alone
        return _interval(text)
    if column_type == "date":
        return _date(text)
    if column_type == "time without time zone":
        return _time(text)
    if column_type == "timestamp without time zone":
        return _timestamp(text)
    if column_type == "timestamp with time zone":
        return _timestamptz(text)
    return None


# -- json ------------------------------------------------------------------------------------

def _json(text: str) -> str | None:
    """json and jsonb alike, compared as values: jsonb's own output (keys ordered by length then bytes,
    the last of duplicate keys kept, ``", "`` and ``": "`` separators, numbers as numeric prints them)."""
    try:
        value = json.loads(text, parse_float=Decimal, parse_int=Decimal)
    except ValueError:
        return None
    return _json_text(value)


def _json_text(value: Any) -> str:
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: (len(k.encode()), k.encode()))
        return "{" + ", ".join(f"{_json_string(k)}: {_json_text(value[k])}" for k in keys) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_json_text(v) for v in value) + "]"
    if isinstance(value, Decimal):
        return _numeric_text(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return _json_string(str(value))


def _json_string(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def _numeric_text(d: Decimal) -> str:
    """numeric's output: no exponent, the scale the input gave (``1.50`` stays, ``1e3`` is ``1000``)."""
    exponent = d.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0:
        d = d.quantize(Decimal(1))
    return format(d, "f")


# -- interval --------------------------------------------------------------------------------

def _interval(text: str) -> str | None:
    parsed = _parse_interval(text.strip().lower())
    if parsed is None:
        return None
    months, days, usec = parsed
    return _interval_text(months, days, usec)


def _parse_interval(s: str) -> tuple[int, int, int] | None:
    """(months, days, microseconds) as interval_in reads the common spellings: ``N unit`` pairs,
    ``[D ]HH:MM[:SS]``, a bare number of seconds, ``@``, ``ago`` and ISO 8601 ``P...``."""
    if s.startswith("p"):
        return _parse_iso_interval(s)
    s = s.removeprefix("@").strip()
    ago = s.endswith(" ago")
    s = s.removesuffix(" ago").strip()
    if not s:
        return None
    months = Decimal(0)
    days = Decimal(0)
    usec = Decimal(0)
    pos = 0
    seen_clock = False
    while pos < len(s):
        while pos < len(s) and s[pos] in " ,":
            pos += 1
        if pos >= len(s):
            break
        clock = _CLOCK.match(s, pos)
        if clock and not seen_clock:
            sign = -1 if clock.group(1) == "-" else 1
            hours, minutes = int(clock.group(2)), int(clock.group(3))
            seconds = Decimal(clock.group(4) or 0)
            usec += sign * ((hours * 3600 + minutes * 60) * _USEC_PER_SEC + seconds * _USEC_PER_SEC)
            seen_clock = True
            pos = clock.end()
            continue
        pair = _NUMBER_UNIT.match(s, pos)
        if pair:
            value, unit = Decimal(pair.group(1)), _unit(pair.group(2))
            if unit is None:
                return None
            kind, scale = unit
            if kind == "months":
                whole = value * scale
                months += int(whole)
                frac_days = (whole - int(whole)) * 30
                days += int(frac_days)
                usec += (frac_days - int(frac_days)) * 86400 * _USEC_PER_SEC
            elif kind == "days":
                whole = value * scale
                days += int(whole)
                usec += (whole - int(whole)) * 86400 * _USEC_PER_SEC
            else:
                usec += value * scale
            pos = pair.end()
            continue
        number = _NUMBER.match(s, pos)
        if number and number.end() == len(s) and pos == 0:
            usec += Decimal(number.group(0)) * _USEC_PER_SEC  # a bare number counts seconds
            pos = number.end()
            continue
        if number and not seen_clock and s[number.end():].strip() and _CLOCK.match(s[number.end():].strip()):
            days += int(Decimal(number.group(0)))  # "1 02:00:00": days before the clock
            pos = number.end()
            continue
        return None
    sign = -1 if ago else 1
    return sign * int(months), sign * int(days), sign * int(usec.to_integral_value())


def _unit(word: str) -> tuple[str, int] | None:
    for table, kind in ((_UNIT_USEC, "usec"), (_UNIT_DAYS, "days"), (_UNIT_MONTHS, "months")):
        for candidate in (word, word.removesuffix("s")):
            if candidate in table:
                return kind, table[candidate]
    return None


def _parse_iso_interval(s: str) -> tuple[int, int, int] | None:
    m = _ISO.fullmatch(s)
    if not m or not any(m.groups()):
        return None
    try:
        y, mo, w, d, h, mi, sec = (Decimal(g) if g else Decimal(0) for g in m.groups())
    except InvalidOperation:
        return None
    total_months = y * 12 + mo
    months = int(total_months)
    total_days = w * 7 + d + (total_months - months) * 30
    day_count = int(total_days)
    usec = ((total_days - day_count) * 86400 + h * 3600 + mi * 60 + sec) * _USEC_PER_SEC
    return months, day_count, int(usec.to_integral_value())


def _interval_text(months: int, days: int, usec: int) -> str:
    """interval_out with IntervalStyle ``postgres``: ``1 year 2 mons -3 days +04:05:06``."""
    parts: list[str] = []
    before_negative = False

    def add(value: int, unit: str) -> None:
        nonlocal before_negative
        if value == 0:
            return
        plus = "+" if before_negative and value > 0 else ""
        parts.append(f"{plus}{value} {unit}{'' if value == 1 else 's'}")
        before_negative = value < 0

    years = int(months / 12)
    add(years, "year")
    add(months - years * 12, "mon")
    add(days, "day")
    if not parts or usec != 0:
        minus = usec < 0
        total = abs(usec)
        hours, rest = divmod(total, 3600 * _USEC_PER_SEC)
        minutes, rest = divmod(rest, 60 * _USEC_PER_SEC)
        seconds, micro = divmod(rest, _USEC_PER_SEC)
        sign = "-" if minus else ("+" if before_negative else "")
        clock = f"{sign}{hours:02d}:{minutes:02d}:{seconds:02d}{_fraction(micro)}"
        parts.append(clock)
    return " ".join(parts)


def _fraction(micro: int) -> str:
    return f".{micro:06d}".rstrip("0") if micro else ""


# -- dates and times (DateStyle ISO, TimeZone UTC) --------------------------------------------

_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_TIME = re.compile(r"(\d{1,2}):(\d{1,2})(?::(\d{2})(?:\.(\d{1,6}))?)?")
_OFFSET = re.compile(r"(?:z|utc|([+-])(\d{2})(?::?(\d{2}))?)")
_SPECIAL = {"infinity", "-infinity"}


def _date(text: str) -> str | None:
    s = text.strip().lower()
    if s in _SPECIAL:
        return s
    m = _DATE.fullmatch(s)
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
    except ValueError:
        return None


def _clock(s: str) -> time | None:
    m = _TIME.fullmatch(s)
    if not m:
        return None
    try:
        return time(int(m.group(1)), int(m.group(2)), int(m.group(3) or 0), int((m.group(4) or "0").ljust(6, "0")))
    except ValueError:
        return None


def _time_text(t: time) -> str:
    return f"{t.hour:02d}:{t.minute:02d}:{t.second:02d}{_fraction(t.microsecond)}"


def _time(text: str) -> str | None:
    t = _clock(text.strip().lower())
    return None if t is None else _time_text(t)


def _split_timestamp(s: str) -> tuple[date, time, str] | None:
    """``YYYY-MM-DD[( |T)HH:MM[:SS[.f]]][offset]`` -> (date, time, offset text)."""
    m = _DATE.match(s)
    if not m:
        return None
    try:
        day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None
    rest = s[m.end():]
    if not rest or _OFFSET.fullmatch(rest.strip()):
        return day, time(), rest.strip()
    if rest[0] not in " t":
        return None
    rest = rest[1:].strip()
    clock = _TIME.match(rest)
    if not clock:
        return None
    t = _clock(clock.group(0))
    if t is None:
        return None
    return day, t, rest[clock.end():].strip()


def _timestamp_parts(text: str, zone: str) -> str | tuple[date, time, str] | None:
    """The words both timestamp types print as themselves (``epoch`` with ``zone`` appended), or the parts."""
    s = text.strip().lower()
    if s in _SPECIAL:
        return s
    if s == "epoch":
        return "1970-01-01 00:00:00" + zone
    return _split_timestamp(s)


def _timestamp(text: str) -> str | None:
    parts = _timestamp_parts(text, "")
    if parts is None or isinstance(parts, str):
        return parts
    if parts[2]:
        return None  # an offset on a timestamp without time zone is ignored by PostgreSQL: leave it visible
    day, t, _ = parts
    return f"{day.isoformat()} {_time_text(t)}"


def _timestamptz(text: str) -> str | None:
    """Only a literal that names its offset: one without is read in the session's zone of whoever ran
    the DDL, which the model cannot know."""
    parts = _timestamp_parts(text, "+00")
    if parts is None or isinstance(parts, str):
        return parts
    if not parts[2]:
        return None
    day, t, offset_text = parts
    m = _OFFSET.fullmatch(offset_text)
    if not m:
        return None
    seconds = 0
    if m.group(1):
        seconds = (int(m.group(2)) * 3600 + int(m.group(3) or 0) * 60) * (-1 if m.group(1) == "-" else 1)
    moment = datetime.combine(day, t, tzinfo=timezone(timedelta(seconds=seconds))).astimezone(UTC)
    return f"{moment.date().isoformat()} {_time_text(moment.time())}+00"
