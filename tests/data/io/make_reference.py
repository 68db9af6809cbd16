#!/usr/bin/python3
"""Reference data for tests/unit/test_io_reference.c, from implementations independent
of segkit: Python's csv module (tokenizing) and float() (correctly rounded decimals), and
pandas (column types). Run with Debian's python3 (it has pandas):

    /usr/bin/python3 tests/data/io/make_reference.py

It rewrites the fixtures next to it (rfc_*.csv, numbers.csv, types.csv) and
reference.json. Everything is seeded, so the output only changes when this script does.
"""
import csv
import io
import json
import os
import random

import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
PIECES = ["a", "b", "z", "1", " ", "\u00e9", "\u20ac", "\U0001F600", ";", "|", "\t", ",",
          '"', "\r\n", "\n", "x y", "0", "-", "''"]


def rand_field(rnd):
    return "".join(rnd.choice(PIECES) for _ in range(rnd.randrange(0, 8)))


def write_rfc(rnd, index):
    delim = rnd.choice([",", ";", "\t", "|"])
    quoting = rnd.choice([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_MINIMAL])
    eol = rnd.choice(["\n", "\r\n"])
    ncols = rnd.randrange(1, 6)
    header = ["col%d" % i for i in range(ncols)]
    rows = []
    for _ in range(rnd.randrange(5, 60)):
        row = [rand_field(rnd) for _ in range(ncols)]
        if ncols == 1 and row[0] == "":
            row[0] = "v"   # a lone empty field is a blank line to both readers
        rows.append(row)
    buf = io.StringIO(newline="")
    w = csv.writer(buf, delimiter=delim, quoting=quoting, lineterminator=eol)
    w.writerow(header)
    w.writerows(rows)
    text = buf.getvalue()
    if rnd.random() < 0.3:
        text = text[:-len(eol)]   # no final line terminator
    name = "rfc_%d.csv" % index
    with open(os.path.join(HERE, name), "w", encoding="utf-8", newline="") as f:
        f.write(text)
    # The reference: what Python's csv module reads back.
    with open(os.path.join(HERE, name), encoding="utf-8", newline="") as f:
        back = [r for r in csv.reader(f, delimiter=delim) if r != []]
    return {"name": name, "delimiter": delim, "header": back[0], "rows": back[1:]}


def random_decimal(rnd):
    kind = rnd.randrange(6)
    if kind == 0:
        return "%d.%02d" % (rnd.randrange(0, 100000), rnd.randrange(100))
    if kind == 1:
        return repr(rnd.uniform(-1e6, 1e6))
    if kind == 2:
        return repr(rnd.random() * 10 ** rnd.randrange(-300, 300))
    if kind == 3:
        digits = "".join(rnd.choice("0123456789") for _ in range(rnd.randrange(1, 30)))
        point = rnd.randrange(0, len(digits) + 1)
        return (rnd.choice(["", "-"]) + digits[:point] + "." + digits[point:]).rstrip(".") or "0"
    if kind == 4:
        return "%de%d" % (rnd.randrange(1, 10 ** rnd.randrange(1, 18)), rnd.randrange(-330, 300))
    return "%.17g" % rnd.uniform(-1, 1)


def write_numbers(rnd):
    values = []
    while len(values) < 400:
        v = random_decimal(rnd)
        f = float(v)
        if f != f or f in (float("inf"), float("-inf")):
            continue
        if v.lstrip("-").startswith("0") and len(v.lstrip("-")) > 1 and v.lstrip("-")[1].isdigit():
            continue   # "007" is a code to segkit's inference; keep the column numeric
        values.append(v)
    with open(os.path.join(HERE, "numbers.csv"), "w", newline="") as f:
        f.write("id,value\n")
        for i, v in enumerate(values):
            f.write("%d,%s\n" % (i, v))
    # repr(float(v)) reads back to exactly float(v): the C test compares strtod of it.
    return {"name": "numbers.csv", "values": [repr(float(v)) for v in values]}


def write_types(rnd):
    n = 50
    data = {
        "count": [str(rnd.randrange(-1000, 1000)) for _ in range(n)],
        "price": ["%.2f" % rnd.uniform(0, 100) for _ in range(n)],
        "active": [rnd.choice(["True", "False", "true", "false", "TRUE"]) for _ in range(n)],
        "label": [rnd.choice(["alpha", "beta", "gamma, delta", "x\"y"]) for _ in range(n)],
        "day": ["2024-%02d-%02d" % (rnd.randrange(1, 13), rnd.randrange(1, 29)) for _ in range(n)],
        "at": ["2024-03-%02dT%02d:%02d:%02dZ" % (rnd.randrange(1, 29), rnd.randrange(24),
                                                 rnd.randrange(60), rnd.randrange(60))
               for _ in range(n)],
    }
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(list(data))
    for i in range(n):
        w.writerow([data[k][i] for k in data])
    with open(os.path.join(HERE, "types.csv"), "w", newline="") as f:
        f.write(buf.getvalue())
    df = pd.read_csv(os.path.join(HERE, "types.csv"), parse_dates=["day", "at"])
    names = {"int64": "int64", "float64": "float64", "bool": "bool", "object": "string"}
    types = {}
    for col in df.columns:
        kind = str(df[col].dtype)
        if kind.startswith("datetime64"):
            # pandas parses both; segkit keeps a date column for values without a time.
            types[col] = "timestamp" if any("T" in v for v in data[col]) else "date"
        else:
            types[col] = names[kind]
    return {"name": "types.csv", "types": types,
            "count": [int(v) for v in df["count"]],
            "price": [repr(float(v)) for v in df["price"]],
            "active": [bool(v) for v in df["active"]],
            "days": [str(d.date()) for d in df["day"]],
            "at": [d.strftime("%Y-%m-%dT%H:%M:%SZ") for d in df["at"]]}


def main():
    rnd = random.Random(20240531)
    ref = {"rfc": [write_rfc(rnd, i) for i in range(12)],
           "numbers": write_numbers(rnd),
           "types": write_types(rnd)}
    with open(os.path.join(HERE, "reference.json"), "w", encoding="utf-8") as f:
        json.dump(ref, f, ensure_ascii=True, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
