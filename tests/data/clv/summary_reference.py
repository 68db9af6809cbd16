#!/usr/bin/python3
"""Independent reference for tests/unit/test_clv_summary.c: lifetimes' rules for
calibration_and_holdout_data / summary_data_from_transaction_data (freq='D',
freq_multiplier = days per unit), written afresh with pandas (lifetimes is not installed):
purchases count by day (a day's amounts summed); frequency = distinct calibration days after
the first; recency / T = days from the first purchase to the last calibration day / to the
calibration end, divided by days_per_unit; monetary = mean of the repeat days' sums (0
without); frequency_holdout = distinct days in (calibration end, observation end].
Customers first seen after the calibration end are left out.

Writes summary_cdnow_holdout.csv: CDNOW_sample.txt, calibration end 1997-09-30, observation
end 1998-03-31, weeks (days_per_unit 7), or to the path given as the first argument.
Run: /usr/bin/python3 summary_reference.py [output.csv [observation-end]]"""
import os
import sys

import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "../../../../shared/data/cdnow/CDNOW_sample.txt")
CAL_END = pd.Timestamp("1997-09-30")
OBS_END = pd.Timestamp(sys.argv[2] if len(sys.argv) > 2 else "1998-03-31")
DAYS_PER_UNIT = 7.0

tx = pd.read_csv(SRC, sep=r"\s+", header=None,
                 names=["master_id", "sample_id", "date", "cds", "amount"],
                 dtype={"date": str})
tx["date"] = pd.to_datetime(tx["date"], format="%Y%m%d")
tx = tx[tx.date <= OBS_END]
days = tx.groupby(["sample_id", "date"], as_index=False)["amount"].sum()
first = days.groupby("sample_id")["date"].min().rename("first")
days = days.join(first, on="sample_id")
days = days[days["first"] <= CAL_END]
cal = days[days.date <= CAL_END]
hold = days[days.date > CAL_END]
rep = cal[cal.date > cal["first"]]

out = pd.DataFrame(index=first[first <= CAL_END].index)
out["frequency"] = rep.groupby("sample_id").size().reindex(out.index, fill_value=0)
last = cal.groupby("sample_id")["date"].max()
out["recency"] = (last - first[out.index]).dt.days / DAYS_PER_UNIT
out["T"] = (CAL_END - first[out.index]).dt.days / DAYS_PER_UNIT
out["monetary"] = rep.groupby("sample_id")["amount"].mean().reindex(out.index, fill_value=0.0)
out["frequency_holdout"] = hold.groupby("sample_id").size().reindex(out.index, fill_value=0)
out["duration_holdout"] = (OBS_END - CAL_END).days / DAYS_PER_UNIT
out.index.name = "customer"
dest = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "summary_cdnow_holdout.csv")
out.to_csv(dest, float_format="%.17g")
print(f"{len(out)} customers, {len(tx)} transactions up to {OBS_END.date()}, "
      f"sum frequency {out.frequency.sum()}, sum frequency_holdout {out.frequency_holdout.sum()}")
