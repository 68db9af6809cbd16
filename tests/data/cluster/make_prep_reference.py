#!/usr/bin/python3
"""Reference matrices for segkit's preprocessing tests (Debian /usr/bin/python3: numpy,
pandas, scikit-learn 1.2).

    /usr/bin/python3 tests/data/cluster/make_prep_reference.py OUT_DIR

Writes prep_customers.csv (300 customers: plan, country, seats, mrr, tenure_days, annual,
region, weight, with nulls), prep_new_customers.csv (40 more, with levels never seen), and
for each configuration below prep_expected_<name>.csv: the row kept (0-based), its weight,
then one column per output dimension named as segkit names them. Pipeline per numeric
column, all scikit-learn / numpy: log1p -> np.clip to np.quantile(values, q) (linear) ->
StandardScaler or RobustScaler fitted on the non-null values (both ignore NaN) -> nulls
imputed with the mean / median / mode of those values -> transform. Categorical columns:
OneHotEncoder with categories in first-seen order (pd.unique over the kept rows),
handle_unknown='ignore'; nulls get the most frequent level (ties: the first seen).
"""
import os
import sys

import numpy as np
import pandas as pd
from sklearn.preprocessing import OneHotEncoder, RobustScaler, StandardScaler

CONFIGS = {
    # name: (scale, missing, weight column, [(column, log1p, winsor_lower, winsor_upper, categorical)])
    "a": ("zscore", "drop", "weight",
          [("mrr", True, 0.05, 0.95, False), ("seats", False, 0.0, 0.9, False),
           ("tenure_days", False, 0, 1, False), ("annual", False, 0, 1, False),
           ("plan", False, 0, 1, True), ("region", False, 0, 1, True)]),
    "b": ("robust", "mean", None,
          [("mrr", True, 0, 1, False), ("seats", False, 0, 1, False),
           ("tenure_days", False, 0, 1, False), ("plan", False, 0, 1, True),
           ("country", False, 0, 1, True)]),
    "c": ("none", "median", None,
          [("mrr", False, 0.1, 0.9, False), ("seats", False, 0, 1, False),
           ("country", False, 0, 1, True), ("region", False, 0, 1, True)]),
    "d": ("zscore", "mode", None,
          [("seats", False, 0, 1, False), ("plan", False, 0, 1, True)]),
}


def make_customers(rng, n, new=False):
    plans = ["basic", "pro", "team", "enterprise"] + (["legacy"] if new else [])
    countries = ["US", "DE", "GB", "FR", "NL", "SE"] + (["JP"] if new else [])
    df = pd.DataFrame({
        "customer_id": np.arange(1, n + 1) + (10000 if new else 0),
        "plan": rng.choice(plans, n, p=None if new else [0.4, 0.3, 0.2, 0.1]),
        "country": rng.choice(countries, n),
        "seats": np.maximum(1, np.round(rng.lognormal(1.5, 1.0, n))).astype("int64"),
        "mrr": np.round(rng.lognormal(4.0, 1.2, n), 2),
        "tenure_days": rng.integers(0, 2000, n),
        "annual": rng.random(n) < 0.35,
        "region": rng.choice([3, 1, 4, 2, 5], n),
        "weight": np.round(rng.uniform(0.5, 2.0, n), 3),
    })
    df["mrr"] = df["mrr"].astype(object)
    df["seats"] = df["seats"].astype(object)
    df["plan"] = df["plan"].astype(object)
    df["country"] = df["country"].astype(object)
    for col, share in (("mrr", 0.08), ("seats", 0.05), ("plan", 0.04), ("country", 0.06)):
        df.loc[rng.random(n) < share, col] = None
    df.loc[0, "mrr"] = 0.0  # log1p(0) = 0, a boundary
    return df


def write_csv(df, path):
    cols = list(df.columns)
    with open(path, "w") as f:
        f.write(",".join(cols) + "\n")
        for _, r in df.iterrows():
            cells = []
            for c in cols:
                v = r[c]
                if v is None or (isinstance(v, float) and np.isnan(v)):
                    cells.append("")
                elif isinstance(v, (bool, np.bool_)):
                    cells.append("true" if v else "false")
                else:
                    cells.append(str(v))
            f.write(",".join(cells) + "\n")


def read_back(path):
    """The CSV as the C test reads it: typed columns, empty = null."""
    df = pd.read_csv(path, keep_default_na=False, na_values=[""], dtype=str)
    out = pd.DataFrame()
    for c in df.columns:
        s = df[c]
        if c in ("plan", "country"):
            out[c] = s
        elif c == "annual":
            out[c] = s.map({"true": 1.0, "false": 0.0})
        else:
            out[c] = s.astype(float)
    return out


def mode_first_seen(values):
    vals = list(values)
    order = list(pd.unique(pd.Series(vals)))
    counts = {v: vals.count(v) for v in order}
    best = max(counts.values())
    return [v for v in order if counts[v] == best][0]


def numeric_mode(v):
    u, c = np.unique(v, return_counts=True)
    return u[np.argmax(c)]  # np.unique sorts: the first maximum is the smallest value


def fit_transform(train, test, cfg):
    scale, missing, wcol, feats = cfg
    cols = [f[0] for f in feats]
    keep = train[cols].notna().all(axis=1) if missing == "drop" else pd.Series(True, index=train.index)
    tr = train[keep]
    fitted = []
    for col, log1p, lo, hi, cat in feats:
        if cat:
            levels = list(pd.unique(tr[col].dropna()))
            fill = mode_first_seen(tr[col].dropna())
            enc = OneHotEncoder(categories=[levels], handle_unknown="ignore", sparse_output=False)
            enc.fit(np.array(levels, dtype=object).reshape(-1, 1))
            fitted.append((col, True, enc, fill, levels))
            continue
        v = tr[col].to_numpy(dtype=float)
        if log1p:
            v = np.log1p(v)
        ok = v[~np.isnan(v)]
        lo_b = np.quantile(ok, lo) if lo > 0 else -np.inf
        hi_b = np.quantile(ok, hi) if hi < 1 else np.inf
        v = np.clip(v, lo_b, hi_b)
        ok = v[~np.isnan(v)]
        if scale == "zscore":
            sc = StandardScaler().fit(v.reshape(-1, 1))
        elif scale == "robust":
            sc = RobustScaler().fit(v.reshape(-1, 1))
        else:
            sc = None
        fill = {"mean": np.mean(ok), "median": np.median(ok), "mode": numeric_mode(ok)}.get(missing, 0.0)
        fitted.append((col, False, (log1p, lo_b, hi_b, sc), fill, None))

    keep_t = test[cols].notna().all(axis=1) if missing == "drop" else pd.Series(True, index=test.index)
    te = test[keep_t]
    blocks, names, unseen = [], [], 0
    for col, cat, obj, fill, levels in fitted:
        if cat:
            vals = te[col].where(te[col].notna(), fill).to_numpy(dtype=object).reshape(-1, 1)
            unseen += int(sum(1 for x in vals[:, 0] if x not in levels))
            blocks.append(obj.transform(vals))
            names += [f"{col}={lv}" if isinstance(lv, str) else f"{col}={int(lv)}" for lv in levels]
        else:
            log1p, lo_b, hi_b, sc = obj
            v = te[col].to_numpy(dtype=float)
            if log1p:
                v = np.log1p(v)
            v = np.clip(v, lo_b, hi_b)
            v = np.where(np.isnan(v), fill, v)
            if sc is not None:
                v = sc.transform(v.reshape(-1, 1))[:, 0]
            blocks.append(v.reshape(-1, 1))
            names.append(col)
    x = np.hstack(blocks)
    w = te[wcol].to_numpy(dtype=float) if wcol else np.ones(len(te))
    return np.flatnonzero(keep_t.to_numpy()), w, names, x, unseen


def write_expected(path, rows, w, names, x, unseen):
    with open(path, "w") as f:
        f.write("# unseen=%d\n" % unseen)
        f.write("row,weight," + ",".join(names) + "\n")
        for i, r in enumerate(rows):
            f.write(",".join([str(int(r)), repr(float(w[i]))] + [repr(float(v)) for v in x[i]]) + "\n")


def main():
    out = sys.argv[1]
    rng = np.random.default_rng(7)
    write_csv(make_customers(rng, 300), os.path.join(out, "prep_customers.csv"))
    write_csv(make_customers(rng, 40, new=True), os.path.join(out, "prep_new_customers.csv"))
    train = read_back(os.path.join(out, "prep_customers.csv"))
    new = read_back(os.path.join(out, "prep_new_customers.csv"))
    for name, cfg in CONFIGS.items():
        # region is int64 in the table; categories compare as numbers
        rows, w, names, x, unseen = fit_transform(train, train, cfg)
        write_expected(os.path.join(out, f"prep_expected_{name}.csv"), rows, w, names, x, unseen)
        rows, w, names, x, unseen = fit_transform(train, new, cfg)
        write_expected(os.path.join(out, f"prep_expected_{name}_new.csv"), rows, w, names, x, unseen)


if __name__ == "__main__":
    main()
