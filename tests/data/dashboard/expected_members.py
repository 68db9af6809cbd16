#!/usr/bin/python3
"""Expected values for tests/browser/test_dashboard.sh, from the generated customers.csv with
pandas (an implementation independent of segkit's import and rule engine).

    expected_members.py CUSTOMERS_CSV IDS_OUT EDITED_IDS_OUT

The demo's customers file has deliberately bad rows; segkit's import drops a row whose
signup_date is not a date and keeps the first row of a repeated customer_id, and so does
this script. Prints one line: customers, customers in DE, customers in DE with 1-10
employees, customers in DE, AT or CH with 1-10 or 11-50 employees; writes the ids of the
third group (the segment the browser test saves) to IDS_OUT and of the fourth (the rule it
then edits the segment to) to EDITED_IDS_OUT, one a line, in file order."""
import sys

import pandas as pd

path, ids_out, edited_out = sys.argv[1], sys.argv[2], sys.argv[3]
c = pd.read_csv(path, keep_default_na=False, dtype=str)
valid_date = pd.to_datetime(c.signup_date, format="%Y-%m-%d", errors="coerce").notna()
c = c[valid_date | (c.signup_date == "")].drop_duplicates("customer_id", keep="first")
de = c.country == "DE"
small_de = c[de & (c.company_size == "1-10")]
with open(ids_out, "w") as f:
    for cid in small_de.customer_id:
        f.write(f"{int(cid)}\n")
edited = c[c.country.isin(["DE", "AT", "CH"]) & c.company_size.isin(["1-10", "11-50"])]
with open(edited_out, "w") as f:
    for cid in edited.customer_id:
        f.write(f"{int(cid)}\n")
print(len(c), int(de.sum()), len(small_de), len(edited))
