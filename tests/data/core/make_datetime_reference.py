#!/usr/bin/python3
"""Reference values for segkit's date/time parsers (tests/unit/test_core_datetime.c).

Writes datetime_reference.csv next to this script: one row per case,
    parser,input,expected
where parser is "timestamp" (segkit_parse_timestamp), "date" (segkit_parse_date),
"unix" (segkit_parse_unix_seconds) or "format:<pattern>" (segkit_time_format_parse),
and expected is the UTC instant in microseconds since 1970-01-01T00:00:00Z (for "date",
midnight of the date) or "invalid".

Expected values come from Python's datetime (aware datetimes with timezone offsets,
subtracted from the epoch), not from segkit. Each input goes through an independent
reference parser written here with regular expressions plus datetime's own calendar
validation, including inputs made by randomly mutating valid ones, so the rules at the
edges (which strings are accepted) are decided here too. Where Python's strptime
implements the same directive semantics, it is asked as a second opinion and must
agree. The seed is fixed: the output is reproducible.

Run with Debian's Python: /usr/bin/python3 make_datetime_reference.py
"""
import csv
import os
import random
import re
from datetime import datetime, timedelta, timezone

SEED = 20240305
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
US = timedelta(microseconds=1)
MIN_UNIX = -62135596800  # 0001-01-01T00:00:00Z
MAX_UNIX = 253402300799  # 9999-12-31T23:59:59Z
MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december"]

rng = random.Random(SEED)


def instant_us(y, mo, d, h=0, mi=0, s=0, micros=0, offset_minutes=0):
    """UTC microseconds of a civil time at an offset; raises ValueError if invalid."""
    if not 1 <= y <= 9999:
        raise ValueError("year")
    if abs(offset_minutes) > 18 * 60:
        raise ValueError("offset")
    tz = timezone(timedelta(minutes=offset_minutes))
    dt = datetime(y, mo, d, h, mi, s, micros, tzinfo=tz)
    return (dt - EPOCH) // US


def frac_to_us(frac):
    """1-9 digits of a fraction of a second, truncated to microseconds."""
    return int(frac[:6].ljust(6, "0"))


# ---- reference parsers ---------------------------------------------------------------

ISO_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"(?:[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,9}))?)?"
    r"([Zz]|[+-][0-9]{2}(?::?[0-9]{2})?)?)?", re.ASCII)


def offset_minutes(text):
    """Minutes east of UTC for Z, +HH, +HH:MM, +HHMM; ValueError past +/-18:00."""
    if text in ("Z", "z"):
        return 0
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours = int(digits[:2])
    minutes = int(digits[2:]) if len(digits) > 2 else 0
    if minutes > 59 or hours * 60 + minutes > 18 * 60:
        raise ValueError("offset")
    return sign * (hours * 60 + minutes)


def ref_timestamp(s):
    m = ISO_RE.fullmatch(s)
    if not m:
        return None
    y, mo, d, h, mi, sec, frac, off = m.groups()
    try:
        return instant_us(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(sec or 0),
                          frac_to_us(frac) if frac else 0,
                          offset_minutes(off) if off else 0)
    except ValueError:
        return None


DATE_RE = re.compile(r"([0-9]{4})([-/])([0-9]{2})\2([0-9]{2})", re.ASCII)


def ref_date(s):
    m = DATE_RE.fullmatch(s)
    if not m:
        return None
    try:
        return instant_us(int(m.group(1)), int(m.group(3)), int(m.group(4)))
    except ValueError:
        return None


UNIX_RE = re.compile(r"(-?)([0-9]{1,12})(?:\.([0-9]{1,9}))?", re.ASCII)


def ref_unix(s):
    m = UNIX_RE.fullmatch(s)
    if not m:
        return None
    us = int(m.group(2)) * 1000000 + (frac_to_us(m.group(3)) if m.group(3) else 0)
    if m.group(1):
        us = -us
    if us < MIN_UNIX * 1000000 or us > MAX_UNIX * 1000000 + 999999:
        return None
    return us


# ---- random material -------------------------------------------------------------------

def random_year():
    r = rng.random()
    if r < 0.7:
        return rng.randint(1900, 2100)
    if r < 0.8:
        return rng.choice([1, 2, 100, 400, 1582, 1600, 1900, 2000, 2100, 2400, 9999])
    return rng.randint(1, 9999)


def random_civil():
    y = random_year()
    mo = rng.randint(1, 12)
    dim = [31, 29 if (y % 4 == 0 and y % 100 != 0) or y % 400 == 0 else 28, 31, 30, 31, 30,
           31, 31, 30, 31, 30, 31][mo - 1]
    d = rng.choice([1, dim, rng.randint(1, dim)])
    return y, mo, d, rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)


def random_offset_text():
    """(text, minutes) of a random valid offset, or ("", 0) for none."""
    kind = rng.randrange(7)
    if kind == 0:
        return "", 0
    if kind == 1:
        z = rng.choice(["Z", "z"])
        return z, 0
    sign = rng.choice("+-")
    hours = rng.randint(0, 18)
    minutes = 0 if hours == 18 else rng.choice([0, 30, 45, rng.randint(0, 59)])
    total = hours * 60 + minutes
    signed = -total if sign == "-" else total
    if kind == 2:
        return "%s%02d" % (sign, hours), -hours * 60 if sign == "-" else hours * 60
    if kind == 3:
        return "%s%02d%02d" % (sign, hours, minutes), signed
    return "%s%02d:%02d" % (sign, hours, minutes), signed


def random_iso():
    """A random valid automatic-format timestamp and its instant (computed directly)."""
    y, mo, d, h, mi, s = random_civil()
    text = "%04d-%02d-%02d" % (y, mo, d)
    form = rng.randrange(5)
    if form == 0:
        return text, instant_us(y, mo, d)
    text += rng.choice(["T", "T", " ", "t"]) + "%02d:%02d" % (h, mi)
    micros = 0
    if form >= 2:
        text += ":%02d" % s
    else:
        s = 0
    if form >= 3:
        frac = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 9)))
        text += "." + frac
        micros = frac_to_us(frac)
    off_text, off = random_offset_text()
    text += off_text
    return text, instant_us(y, mo, d, h, mi, s, micros, off)


MUTATION_CHARS = "0123456789-:+TZ .x/"


def mutate(s):
    i = rng.randrange(len(s) + 1)
    op = rng.randrange(3)
    if op == 0 and i < len(s):
        return s[:i] + rng.choice(MUTATION_CHARS) + s[i + 1:]
    if op == 1 and i < len(s):
        return s[:i] + s[i + 1:]
    return s[:i] + rng.choice(MUTATION_CHARS) + s[i:]


# ---- rows ------------------------------------------------------------------------------

rows = []


def add(parser, text, expected):
    rows.append((parser, text, "invalid" if expected is None else str(expected)))


def add_checked(parser, text, ref, direct=None):
    """Add a row whose expected value comes from the reference parser; when the value is
    also known directly (from the components it was made of), both must agree."""
    value = ref(text)
    if direct is not None:
        assert value == direct, (parser, text, value, direct)
    add(parser, text, value)


def timestamp_rows():
    fixed_valid = [
        ("1970-01-01", 0),
        ("2000-02-29", 11016 * 86400 * 1000000),
        ("2024-03-05T10:11:12Z", None),
        ("2024-03-05T10:11:12+02:00", None),
        ("2024-03-05 10:11", None),
        ("2024-03-05T10:11:12.5", None),
        ("2024-03-05T10:11:12.123456789-05:30", None),
        ("0001-01-01T00:00:00Z", MIN_UNIX * 1000000),
        ("9999-12-31T23:59:59.999999Z", MAX_UNIX * 1000000 + 999999),
        ("2024-03-05T10:11:12+18:00", None),
        ("2024-03-05T10:11:12-18", None),
        ("2024-03-05T10:11:12+0530", None),
    ]
    for text, direct in fixed_valid:
        value = ref_timestamp(text)
        assert value is not None, text
        if direct is not None:
            assert value == direct, text
        add("timestamp", text, value)
    fixed_invalid = [
        "", " ", "2023-02-29", "2100-02-29", "2024-02-30", "2024-04-31", "2024-13-01",
        "2024-00-10", "2024-01-00", "0000-01-01", "2024-03-05T24:00:00", "2024-03-05T23:60",
        "2024-03-05T23:59:60", "2024-03-05T10:11:12Zx", "2024-03-05x", " 2024-03-05",
        "2024-03-05 ", "2024-1-5", "2024-01-5", "24-01-05", "2024/03/05", "2024-03-05T",
        "2024-03-05T10", "2024-03-05T10:1", "2024-03-05T10:11:1", "2024-03-05T10:11:12.",
        "2024-03-05T10:11:12.1234567890", "2024-03-05Z", "2024-03-05T10:11:12+25:00",
        "2024-03-05T10:11:12+19", "2024-03-05T10:11:12+18:01", "2024-03-05T10:11:12+05:3",
        "2024-03-05T10:11:12+053", "2024-03-05T10:11:12+05:60", "2024-03-05T10:11:12+02:00:00",
        "2024-03-05T10:11:12 Z", "2024-03-05T10:11.5", "2024-03-05_10:11",
        "\uff12\uff10\uff12\uff14-03-05", "2024-03-05T10:11:12z+01", "+2024-03-05",
        "2024-03-05T-1:11", "2024-03-05T1a:11",
    ]
    for text in fixed_invalid:
        assert ref_timestamp(text) is None, text
        add("timestamp", text, None)
    for _ in range(3000):
        text, direct = random_iso()
        add_checked("timestamp", text, ref_timestamp, direct)
    for _ in range(1500):
        text, _ = random_iso()
        add_checked("timestamp", mutate(text), ref_timestamp)
    # Invalid calendar days and clock fields on otherwise well-formed strings.
    for _ in range(300):
        y = random_year()
        mo = rng.randint(0, 13)
        d = rng.choice([0, 29, 30, 31, 32])
        h = rng.choice([0, 23, 24])
        mi = rng.choice([0, 59, 60])
        add_checked("timestamp", "%04d-%02d-%02dT%02d:%02d" % (y, mo, d, h, mi), ref_timestamp)


def date_rows():
    for text in ["1970-01-01", "2000/02/29", "2024-03-05", "0001-01-01", "9999-12-31"]:
        add_checked("date", text, ref_date)
    for text in ["2024-03/05", "2024/03-05", "2023-02-29", "2024-03-05T00:00", "20240305",
                 "", "2024-3-05", "0000-01-01", "2024.03.05"]:
        add_checked("date", text, ref_date)
    for _ in range(600):
        y, mo, d, _, _, _ = random_civil()
        sep = rng.choice("-/")
        text = "%04d%s%02d%s%02d" % (y, sep, mo, sep, d)
        if rng.random() < 0.3:
            text = mutate(text)
            add_checked("date", text, ref_date)
        else:
            add_checked("date", text, ref_date, instant_us(y, mo, d))


def unix_rows():
    fixed = ["0", "1700000000", "1700000000.25", "-1", "-1.5", "1.000000999", "000000000001",
             str(MAX_UNIX), str(MAX_UNIX + 1), str(MIN_UNIX), str(MIN_UNIX - 1),
             "-62135596800.000001", "253402300799.999999", "9999999999999", "", "-", "1.",
             ".5", "+5", "1e9", "12a", " 1", "1 ", "1.1234567890", "--1"]
    for text in fixed:
        add_checked("unix", text, ref_unix)
    for _ in range(400):
        secs = rng.randint(MIN_UNIX, MAX_UNIX)
        text = str(secs)
        direct = secs * 1000000
        if rng.random() < 0.5:
            frac = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 9)))
            text += "." + frac
            direct += -frac_to_us(frac) if secs < 0 else frac_to_us(frac)
        add_checked("unix", text, ref_unix, direct)


# ---- strptime-like formats --------------------------------------------------------------

def render(pattern, c):
    """Render civil components c (dict) with a pattern, choosing paddings at random where
    the directive accepts both."""
    out = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch != "%":
            out.append(" " * rng.randint(1, 2) if ch == " " else ch)
            i += 1
            continue
        d = pattern[i + 1]
        i += 2
        # Adjacent numeric fields ("%Y%m%d") are only unambiguous when padded.
        pad2 = rng.random() < 0.6 or pattern[i:i + 1] == "%"
        if d == "Y":
            out.append("%04d" % c["y"])
        elif d == "y":
            out.append("%02d" % (c["y"] % 100))
        elif d == "m":
            out.append("%02d" % c["mo"] if pad2 else str(c["mo"]))
        elif d == "d":
            out.append("%02d" % c["d"] if pad2 else str(c["d"]))
        elif d == "e":
            out.append("%2d" % c["d"])
        elif d == "b":
            name = MONTHS[c["mo"] - 1][:3]
            out.append(rng.choice([name, name.upper(), name.capitalize()]))
        elif d == "B":
            name = MONTHS[c["mo"] - 1]
            out.append(rng.choice([name, name.upper(), name.capitalize(), name[:3]]))
        elif d == "j":
            out.append("%03d" % c["yday"] if pad2 else str(c["yday"]))
        elif d == "H":
            out.append("%02d" % c["h"] if pad2 else str(c["h"]))
        elif d == "I":
            h12 = c["h"] % 12 or 12
            out.append("%02d" % h12 if pad2 else str(h12))
        elif d == "p":
            ampm = "PM" if c["h"] >= 12 else "AM"
            out.append(rng.choice([ampm, ampm.lower()]))
        elif d == "M":
            out.append("%02d" % c["mi"] if pad2 else str(c["mi"]))
        elif d == "S":
            out.append("%02d" % c["s"] if pad2 else str(c["s"]))
        elif d == "f":
            out.append(c["frac"])
        elif d == "z":
            out.append(c["off_text"])
        elif d == "s":
            out.append(str(c["unix"]))
        elif d == "%":
            out.append("%")
    return "".join(out)


def random_components(pattern):
    y, mo, d, h, mi, s = random_civil()
    if "%y" in pattern:
        y = rng.randint(1969, 2068)
    frac = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 9)))
    off_text, off = random_offset_text()
    if not off_text:
        off_text, off = "Z", 0
    yday = (datetime(y, mo, d) - datetime(y, 1, 1)).days + 1
    c = dict(y=y, mo=mo, d=d, h=h, mi=mi, s=s, frac=frac, off_text=off_text, off=off,
             yday=yday, unix=rng.randint(MIN_UNIX, MAX_UNIX))
    return c


def expected_for(pattern, c):
    if "%s" in pattern:
        us = c["unix"] * 1000000
        if "%f" in pattern:
            us += frac_to_us(c["frac"]) * (-1 if c["unix"] < 0 else 1)
        return us
    has = lambda d: ("%" + d) in pattern
    h = c["h"] if (has("H") or has("I")) else 0
    return instant_us(c["y"], c["mo"] if (has("m") or has("b") or has("B") or has("j")) else 1,
                      c["d"] if (has("d") or has("e") or has("j")) else 1, h,
                      c["mi"] if has("M") else 0, c["s"] if has("S") else 0,
                      frac_to_us(c["frac"]) if has("f") else 0,
                      c["off"] if has("z") else 0)


# Patterns whose semantics Python's strptime shares for the values rendered here. Left out:
# %B (Python takes full names only, segkit abbreviations too), %e, %f (Python stops at 6
# digits), %z (Python needs minutes), %s (not in Python's strptime).
STRPTIME_SAFE = {"%d/%m/%Y", "%m/%d/%y %I:%M %p", "%b %d %Y", "%Y-%j",
                 "%d.%m.%Y %H:%M", "%Y%m%d"}

FORMATS = ["%d/%m/%Y", "%m/%d/%y %I:%M %p", "%b %d %Y", "%B %d, %Y", "%s", "%s.%f",
           "%Y-%j", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S%z", "%d.%m.%Y %H:%M",
           "%e %b %Y", "%Y%m%d", "%Y-%m-%d %H:%M:%S %z", "%%%Y-%m", "%H:%M %d/%m/%Y",
           "%I:%M:%S %p %Y-%m-%d"]


def strptime_agrees(pattern, text, expected):
    if pattern not in STRPTIME_SAFE or "  " in text:
        return
    dt = datetime.strptime(text, pattern).replace(tzinfo=timezone.utc)
    assert (dt - EPOCH) // US == expected, (pattern, text)


def format_rows():
    for pattern in FORMATS:
        parser = "format:" + pattern
        for _ in range(180):
            c = random_components(pattern)
            text = render(pattern, c)
            expected = expected_for(pattern, c)
            strptime_agrees(pattern, text, expected)
            add(parser, text, expected)
    invalid = {
        "%d/%m/%Y": ["31/04/2024", "29/02/2023", "05/13/2024", "00/01/2024", "5/3/24",
                     "05/03/2024x", "", "05-03-2024", "123/03/2024", "05/03/0000"],
        "%m/%d/%y %I:%M %p": ["03/05/24 13:11 PM", "03/05/24 00:11 AM", "03/05/24 10:11 XM",
                              "03/05/24 10:60 AM", "03/05/24 10:11", "03/05/2024 10:11 AM",
                              "03/05/24 10:11PM"],
        "%b %d %Y": ["Mrz 05 2024", "Feb 30 2024", "Ma 05 2024", "March05 2024"],
        "%Y-%j": ["2023-366", "2024-000", "2024-367", "2024-1000"],
        "%Y-%m-%dT%H:%M:%S%z": ["2024-03-05T10:11:12+19:00", "2024-03-05T10:11:12",
                                "2024-03-05T10:11:60Z", "2024-03-05T24:11:12Z",
                                "2024-03-05T10:11:12+25:00"],
        "%Y-%m-%d %H:%M:%S.%f": ["2024-03-05 10:11:12.", "2024-03-05 10:11:12.1234567890"],
        "%s": ["", "-", "1.5", "9999999999999", str(MAX_UNIX + 1), str(MIN_UNIX - 1)],
    }
    for pattern, texts in invalid.items():
        for text in texts:
            add("format:" + pattern, text, None)
    # Valid edge cases with hand-known values.
    add("format:%Y-%j", "2024-366", instant_us(2024, 12, 31))
    add("format:%Y-%j", "2023-1", instant_us(2023, 1, 1))
    add("format:%m/%d/%y %I:%M %p", "3/5/24 12:00 AM", instant_us(2024, 3, 5, 0, 0))
    add("format:%m/%d/%y %I:%M %p", "3/5/24 12:30 PM", instant_us(2024, 3, 5, 12, 30))
    add("format:%m/%d/%y %I:%M %p", "3/5/68 1:00 am", instant_us(2068, 3, 5, 1, 0))
    add("format:%m/%d/%y %I:%M %p", "3/5/69 1:00 pm", instant_us(1969, 3, 5, 13, 0))
    add("format:%b %d %Y", "SEPTEMBER 9 2024", instant_us(2024, 9, 9))
    add("format:%s.%f", "-1.5", -1500000)
    add("format:%e %b %Y", " 5 Mar 2024", instant_us(2024, 3, 5))


def main():
    timestamp_rows()
    date_rows()
    unix_rows()
    format_rows()
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "datetime_reference.csv")
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["parser", "input", "expected"])
        w.writerows(rows)
    print("wrote %d rows to %s" % (len(rows), path))


if __name__ == "__main__":
    main()
