#!/usr/bin/env python3
"""Expected values of tests/cli/test_cli_serve_warm.sh, computed with pandas from the files
`segkit generate` wrote (an implementation independent of segkit), and the replacement
transaction files the test imports over the originals.

  warm_expected.py GENERATED_DIR WORK   writes WORK/tx_even.csv (the transactions of
                                        customers with an even id only) and WORK/tx_more.csv
                                        (every transaction, plus a refund for each customer
                                        whose id ends in 7); prints JSON: for each of
                                        "orig", "even", "more", the customers with at least
                                        one refund and those with at least 3 transactions
"""
import json
import sys

import pandas as pd


def counts(t, customers):
    known = t[t.customer_id.isin(customers.customer_id)]
    refunded = known[known.kind == "refund"].customer_id.nunique()
    per = known.groupby("customer_id").size()
    return {"refunded": int(refunded), "three": int((per >= 3).sum())}


def main():
    gen, work = sys.argv[1], sys.argv[2]
    c = pd.read_csv(f"{gen}/customers.csv")
    t = pd.read_csv(f"{gen}/transactions.csv", dtype=str, keep_default_na=False)
    t["customer_id"] = t.customer_id.astype("int64")
    out = {"orig": counts(t, c)}
    even = t[t.customer_id % 2 == 0]
    even.to_csv(f"{work}/tx_even.csv", index=False)
    out["even"] = counts(even, c)
    extra = t.drop_duplicates("customer_id").copy()
    extra = extra[extra.customer_id % 10 == 7]
    top = t.transaction_id.astype("int64").max()
    extra["transaction_id"] = [str(top + 1 + i) for i in range(len(extra))]
    extra["kind"] = "refund"
    more = pd.concat([t, extra], ignore_index=True)
    more.to_csv(f"{work}/tx_more.csv", index=False)
    out["more"] = counts(more, c)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
