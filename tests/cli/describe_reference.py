#!/usr/bin/env python3
"""Independent check of `segkit describe FILE --format json` with pandas.

usage: describe_reference.py FILE.csv SEGKIT_DESCRIBE.json

For every column pandas computes the same statistics from the raw CSV (nulls, distinct
values, min, max, mean, sample standard deviation, quartiles by linear interpolation,
most frequent value counts) and they are compared with what segkit reported. Exits 1 and
lists every difference when anything disagrees."""
import json
import math
import sys

import pandas as pd

NULLS = ["", "NA", "N/A", "NULL", "null"]


def close(a, b, rel=1e-9, abs_=1e-9):
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=rel, abs_tol=abs_)


def main():
    path, report_path = sys.argv[1], sys.argv[2]
    df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=NULLS)
    with open(report_path) as f:
        rep = json.load(f)
    problems = []
    if rep["rows"] != len(df):
        problems.append(f"rows: segkit {rep['rows']} pandas {len(df)}")
    for col in rep["columns"]:
        name, typ = col["name"], col["type"]
        s = df[name]
        nulls = int(s.isna().sum())
        vals = s.dropna()
        if col["nulls"] != nulls:
            problems.append(f"{name}: nulls segkit {col['nulls']} pandas {nulls}")
        if typ in ("int64", "float64"):
            x = pd.to_numeric(vals)
            checks = {
                "distinct": x.nunique(),
                "mean": x.mean(),
                "stddev": x.std(ddof=1) if len(x) > 1 else 0.0,
                "q1": x.quantile(0.25),
                "median": x.quantile(0.5),
                "q3": x.quantile(0.75),
                "min": x.min(),
                "max": x.max(),
            }
            for k, v in checks.items():
                got = col[k]
                if k in ("min", "max"):
                    got = float(got)
                if not close(got, v, rel=1e-9):
                    problems.append(f"{name}.{k}: segkit {col[k]} pandas {v}")
            counts = x.value_counts()
        elif typ in ("date", "timestamp"):
            t = pd.to_datetime(vals, utc=True)
            fmt = "%Y-%m-%d" if typ == "date" else "%Y-%m-%dT%H:%M:%SZ"
            if t.min().strftime(fmt) != col["min"] or t.max().strftime(fmt) != col["max"]:
                problems.append(f"{name}: range segkit {col['min']}..{col['max']} pandas "
                                f"{t.min().strftime(fmt)}..{t.max().strftime(fmt)}")
            if col["distinct"] != t.nunique():
                problems.append(f"{name}.distinct: segkit {col['distinct']} pandas {t.nunique()}")
            counts = t.value_counts()
        else:
            if typ == "bool":
                vals = vals.str.lower()
            if col["distinct"] != vals.nunique():
                problems.append(f"{name}.distinct: segkit {col['distinct']} pandas {vals.nunique()}")
            counts = vals.value_counts()
        # Top values: the counts must be the largest counts, in order.
        top_counts = [t["count"] for t in col["top"]]
        expected = sorted(counts.tolist(), reverse=True)[: len(top_counts)]
        if top_counts != expected:
            problems.append(f"{name}.top counts: segkit {top_counts} pandas {expected}")
        if typ == "string":
            for t in col["top"]:
                if int(counts.get(t["value"], -1)) != t["count"]:
                    problems.append(f"{name}.top {t['value']!r}: segkit {t['count']} pandas "
                                    f"{counts.get(t['value'])}")
    for p in problems:
        print("MISMATCH", p)
    print(f"{path}: {len(rep['columns'])} columns compared, {len(problems)} mismatches")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
