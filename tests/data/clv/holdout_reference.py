#!/usr/bin/python3
"""Independent reference for the calibration/holdout table (Fader, Hardie & Lee 2005,
fig. 5) on CDNOW: customers grouped by calibration frequency 0..6 and 7+, the mean actual
holdout purchases and the mean BG/NBD conditional expectation over each customer's holdout
duration, FHL 2005 eq. (10) evaluated with scipy.special.hyp2f1, at lifetimes' published
CDNOW parameters (docs/Quickstart.md: r 0.242593, alpha 4.413532, a 0.792886,
b 2.425752).

Two tables, each from a per-customer summary made with pandas by summary_reference.py
(calibration end 1997-09-30):
  holdout_cdnow_reference.csv      the paper's 39-week holdout (to 1998-06-30), for the
                                   CLI test (segkit summarises and fits itself);
  holdout_cdnow_26w_reference.csv  the 26-week holdout of the committed
                                   summary_cdnow_holdout.csv, for the unit test.
Columns frequency,customers,actual,expected; the last line is the total: customers, sum
actual, sum expected. Given a folder as argument, writes there instead.
Run: /usr/bin/python3 holdout_reference.py [folder]"""
import os
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd
from scipy.special import hyp2f1

HERE = os.path.dirname(os.path.abspath(__file__))
R, ALPHA, A, B = 0.242593, 4.413532, 0.792886, 2.425752
MAX_GROUP = 7


def table(s, dest):
    x, tx, T, t = (s[c].to_numpy(float) for c in ("frequency", "recency", "T", "duration_holdout"))
    z = t / (ALPHA + T + t)
    num = (A + B + x - 1) / (A - 1) * (
        1 - ((ALPHA + T) / (ALPHA + T + t)) ** (R + x) * hyp2f1(R + x, B + x, A + B + x - 1, z))
    den = 1 + (x > 0) * A / (B + x - 1) * ((ALPHA + T) / (ALPHA + tx)) ** (R + x)
    s = s.assign(expected=num / den, group=np.minimum(s["frequency"], MAX_GROUP).astype(int))
    g = s.groupby("group").agg(customers=("frequency", "size"),
                               actual=("frequency_holdout", "mean"),
                               expected=("expected", "mean"))
    with open(dest, "w") as out:
        out.write("frequency,customers,actual,expected\n")
        for k, row in g.iterrows():
            out.write(f"{k},{int(row.customers)},{row.actual:.17g},{row.expected:.17g}\n")
        out.write(f"total,{len(s)},{s.frequency_holdout.sum():.17g},{s.expected.sum():.17g}\n")
    print(dest)
    print(g.to_string())


folder = sys.argv[1] if len(sys.argv) > 1 else HERE
with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "summary.csv")
    subprocess.run([sys.executable, os.path.join(HERE, "summary_reference.py"), path,
                    "1998-06-30"], check=True, stdout=subprocess.DEVNULL)
    table(pd.read_csv(path), os.path.join(folder, "holdout_cdnow_reference.csv"))
table(pd.read_csv(os.path.join(HERE, "summary_cdnow_holdout.csv")),
      os.path.join(folder, "holdout_cdnow_26w_reference.csv"))
