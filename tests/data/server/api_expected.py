#!/usr/bin/env python3
"""Expected values of tests/cli/test_cli_serve_api.sh, computed with pandas from the files
`segkit generate` wrote (an implementation independent of segkit), and the files the test
uploads, with their planted bad rows.

  api_expected.py files GENERATED_DIR WORK   writes WORK/leads.csv, leads.jsonl, big.csv,
                                             bigger.csv, customers_more_de.csv; prints JSON
  api_expected.py check_csv GENERATED_DIR F  exit 0 when F is the DE members export
"""
import csv
import json
import sys

import pandas as pd

N_LEADS = 12000  # past the reader's 10,000-row type sample, so a late "abc" is a bad value


def refunds_before(t, c, day):
    end = pd.Timestamp(day, tz="UTC")
    r = t[(t.kind == "refund") & (t.timestamp > end - pd.Timedelta(days=90)) & (t.timestamp <= end)]
    return set(r.customer_id) & set(c.customer_id)


def leads(work):
    """12,000 leads; rows 10500, 11000, 11500 and 11800 are bad in four ways."""
    bad = {10500: "bad_value", 11000: "too_few_fields", 11500: "duplicate_key", 11800: "too_many_fields"}
    csv_lines = ["lead_id,email,score,signup"]
    json_lines = []
    for i in range(1, N_LEADS + 1):
        lead_id, score = i, str(i * 7 % 100)
        signup = "2025-%02d-%02d" % (i % 12 + 1, i % 28 + 1)
        fields = [str(lead_id), "lead%d@example.com" % i, score, signup]
        if bad.get(i) == "bad_value":
            fields[2] = "abc"
        elif bad.get(i) == "too_few_fields":
            fields = fields[:2]
        elif bad.get(i) == "duplicate_key":
            fields[0] = "5"
        elif bad.get(i) == "too_many_fields":
            fields.append("extra")
        csv_lines.append(",".join(fields))
        obj = {"lead_id": lead_id, "email": "lead%d@example.com" % i, "score": int(score), "signup": signup}
        if i == 10500:
            obj["score"] = "abc"
        json_lines.append("{broken" if i == 11000 else json.dumps(obj))
    open(f"{work}/leads.csv", "w").write("\n".join(csv_lines) + "\n")
    open(f"{work}/leads.jsonl", "w").write("\n".join(json_lines) + "\n")
    return {
        "leads_rows": len(csv_lines) - 1,
        "leads_good": len(csv_lines) - 1 - len(bad),
        "leads_bad": len(bad),
        "leads_bad_jsonl": 2,
        "leads_good_jsonl": len(json_lines) - 2,
        "first_bad_line": min(bad) + 1,
        "first_bad_field": "score",
        "bad_lines": sorted((row + 1, reason) for row, reason in bad.items()),
        "bad_value_cols": [True],
    }


def big(path, n):
    with open(path, "w") as f:
        f.write("event_id,customer_id,amount,kind,ts\n")
        for i in range(n):
            f.write("%d,%d,%d.%02d,%s,2026-%02d-%02dT%02d:%02d:00Z\n" % (
                i, i % 5000, i % 997, i % 100, ("charge", "refund", "credit")[i % 3],
                i % 12 + 1, i % 28 + 1, i % 24, i % 60))
    return len(pd.read_csv(path, usecols=["event_id"]))


def files(g, work):
    c = pd.read_csv(f"{g}/customers.csv", keep_default_na=False)
    t = pd.read_csv(f"{g}/transactions.csv", keep_default_na=False)
    t["timestamp"] = pd.to_datetime(t.timestamp, utc=True)
    march, june = refunds_before(t, c, "2026-03-31"), refunds_before(t, c, "2026-06-30")
    out = {"refund_0331": len(march), "refund_0630": len(june),
           "entered": sorted(int(x) for x in june - march), "left": sorted(int(x) for x in march - june),
           "de": int((c.country == "DE").sum())}
    out.update(leads(work))
    out["big_rows"] = big(f"{work}/big.csv", 600000)
    big(f"{work}/bigger.csv", 900000)
    # The customers again with every tenth one moved to DE: the re-import readers race.
    with open(f"{g}/customers.csv", newline="") as src, \
            open(f"{work}/customers_more_de.csv", "w", newline="") as dst:
        r = csv.DictReader(src)
        w = csv.DictWriter(dst, fieldnames=r.fieldnames, lineterminator="\n")
        w.writeheader()
        for row in r:
            if int(row["customer_id"]) % 10 == 0:
                row["country"] = "DE"
            w.writerow(row)
    after = pd.read_csv(f"{work}/customers_more_de.csv", keep_default_na=False)
    out["de_after"] = int((after.country == "DE").sum())
    print(json.dumps(out))


def check_csv(g, path):
    c = pd.read_csv(f"{g}/customers.csv", dtype=str, keep_default_na=False)
    want = c.loc[c.country == "DE", ["customer_id", "country", "company_size", "signup_date"]]
    got = pd.read_csv(path, dtype=str, keep_default_na=False)
    if list(got.columns) != list(want.columns):
        sys.exit(f"columns {list(got.columns)}")
    if got.values.tolist() != want.values.tolist():
        sys.exit(f"{len(got)} rows, expected {len(want)}; first {got.values.tolist()[:2]} vs {want.values.tolist()[:2]}")


if __name__ == "__main__":
    {"files": files, "check_csv": check_csv}[sys.argv[1]](*sys.argv[2:])
