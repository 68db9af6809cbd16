"""Driver for bench/run: runs segkit and its peers on the same file, several times each,
and prints the median time, throughput, peak memory (max RSS from /usr/bin/time) and the
ratio of each peer's time to segkit's. Timings are taken inside each process around the
read itself, so interpreter start-up is not counted against the peers."""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build", "release")
SEGKIT = os.environ.get("SEGKIT_CLI_BIN", os.path.join(BUILD, "segkit"))
BENCH = os.environ.get("SEGKIT_BENCH_BIN", os.path.join(BUILD, "segkit_bench"))


def timed(cmd, cwd=None):
    """Run cmd under /usr/bin/time; return (its JSON line, peak RSS in MB)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        out = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", tf.name] + cmd, cwd=cwd,
                             check=True, capture_output=True, text=True)
        rss_kb = int(tf.read().strip().splitlines()[-1])
    line = [l for l in out.stdout.splitlines() if l.startswith("{")][-1]
    return json.loads(line), rss_kb / 1024.0


def measure(name, cmd, repeat, cwd=None):
    runs = []
    all_res = []
    for _ in range(repeat):
        res, rss = timed(cmd, cwd)
        runs.append((res["seconds"], rss, res.get("rows")))
        all_res.append(res)
        check = res
        if "chi2" in res:
            print(f"  {name}: chi2 {res['chi2']:.6f}, median of the first group {res['median0']}",
                  file=sys.stderr)
        print(f"  {name:<22} {res['seconds']:8.3f} s  {rss:8.0f} MB  rows {res.get('rows')}",
              file=sys.stderr)
    secs = statistics.median(r[0] for r in runs)
    rss = statistics.median(r[1] for r in runs)
    return {"name": name, "seconds": secs, "rss_mb": rss, "rows": runs[0][2], "check": check,
            "runs": all_res}


def ensure_data(customers):
    d = os.path.join(ROOT, "bench", "data", f"c{customers}")
    tx = os.path.join(d, "transactions.csv")
    if not os.path.exists(tx):
        os.makedirs(d, exist_ok=True)
        print(f"generating {customers} customers into {d}", file=sys.stderr)
        subprocess.run([SEGKIT, "generate", "--customers", str(customers), "--out", d,
                        "--events-per-month", "0", "--respondents", "0", "--quiet"], check=True)
    return tx


def bench_csv(args):
    tx = ensure_data(args.customers)
    size = os.path.getsize(tx)
    print(f"file {tx}: {size / 1e6:.0f} MB; {args.repeat} runs each, medians", file=sys.stderr)
    results = [
        measure(f"segkit ({args.threads} threads)", [BENCH, "read", tx, str(args.threads)], args.repeat),
        measure("segkit (1 thread)", [BENCH, "read", tx, "1"], args.repeat),
        measure(f"duckdb ({args.threads} threads)",
                ["node", os.path.join(ROOT, "bench", "peers", "duckdb_read.mjs"), tx, str(args.threads)],
                args.repeat, cwd=os.path.join(ROOT, "bench", "peers")),
        measure("pandas", ["/usr/bin/python3", os.path.join(ROOT, "bench", "pandas_read.py"), tx],
                max(1, min(args.repeat, 3))),
    ]
    base = results[0]["seconds"]
    print()
    print(f"CSV read (parse + type + build), {tx} ({size / 1e6:.0f} MB)")
    print(f"{'tool':<24} {'median s':>9} {'MB/s':>8} {'MB/s/core':>10} {'peak MB':>8} {'time / segkit':>14}")
    for r in results:
        cores = 1 if "1 thread" in r["name"] or r["name"] == "pandas" else args.threads
        mbs = size / 1e6 / r["seconds"]
        print(f"{r['name']:<24} {r['seconds']:9.3f} {mbs:8.0f} {mbs / cores:10.0f} "
              f"{r['rss_mb']:8.0f} {r['seconds'] / base:13.2f}x")
    rows = {r["name"]: r["rows"] for r in results}
    if len(set(rows.values())) != 1:
        print(f"WARNING: row counts differ: {rows}")
    # Workspace round trip: import (read + store) and load back.
    with tempfile.TemporaryDirectory(dir=os.path.join(ROOT, "build")) as tmp:
        ws = os.path.join(tmp, "bench.db")
        imp = measure("segkit import", [BENCH, "import", tx, ws, "tx"], 1)
        load = measure("segkit load", [BENCH, "load", ws, "tx"], max(1, min(args.repeat, 3)))
        print()
        print(f"workspace: import {imp['seconds']:.2f} s (peak {imp['rss_mb']:.0f} MB), "
              f"file {os.path.getsize(ws) / 1e6:.0f} MB; load {load['seconds']:.2f} s "
              f"(peak {load['rss_mb']:.0f} MB)")


def bench_survival(args):
    d = os.path.join(ROOT, "bench", "data")
    os.makedirs(d, exist_ok=True)
    snap = os.path.join(d, f"snapshot_{args.customers}.csv")
    if not os.path.exists(snap):
        print(f"writing a {args.customers}-customer snapshot to {snap}", file=sys.stderr)
        subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "bench", "make_snapshot.py"), snap,
                        str(args.customers)], check=True)
    cols = ["tenure_days", "churned", "plan"]
    results = [
        measure("segkit KM + log-rank", [BENCH, "km", snap] + cols, args.repeat),
        measure("R survfit + survdiff", ["Rscript", os.path.join(ROOT, "bench", "survival_survfit.R"), snap] + cols,
                max(1, min(args.repeat, 3))),
    ]
    base = results[0]["seconds"]
    print()
    print(f"Kaplan-Meier by plan (4 groups) and log-rank, {args.customers} customers; file read not timed")
    print(f"{'tool':<24} {'median s':>9} {'peak MB':>8} {'time / segkit':>14}")
    for r in results:
        print(f"{r['name']:<24} {r['seconds']:9.4f} {r['rss_mb']:8.0f} {r['seconds'] / base:13.1f}x")


def wall(cmd, repeat):
    """Median wall time and peak RSS of a whole command (process start included)."""
    runs = []
    for _ in range(repeat):
        with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
            t0 = time.monotonic()
            subprocess.run(["/usr/bin/time", "-f", "%M", "-o", tf.name] + cmd, check=True,
                           capture_output=True)
            secs = time.monotonic() - t0
            rss = int(tf.read().strip().splitlines()[-1]) / 1024.0
        print(f"  {'segkit metrics (CLI)':<22} {secs:8.3f} s  {rss:8.0f} MB", file=sys.stderr)
        runs.append((secs, rss))
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def bench_metrics(args):
    ensure_data(args.customers)
    d = os.path.join(ROOT, "bench", "data", f"c{args.customers}")
    subs = os.path.join(d, "subscriptions.csv")
    frm, to = "2023-07", "2026-06"
    print(f"{subs}: {os.path.getsize(subs) / 1e6:.0f} MB; {args.repeat} runs each, medians",
          file=sys.stderr)
    results = [
        measure(f"segkit ({args.threads} threads)", [BENCH, "metrics", subs, frm, to, str(args.threads)], args.repeat),
        measure("segkit (1 thread)", [BENCH, "metrics", subs, frm, to, "1"], args.repeat),
        measure(f"duckdb ({args.threads} threads)",
                ["node", os.path.join(ROOT, "bench", "peers", "duckdb_metrics.mjs"), subs, frm, to,
                 str(args.threads)], max(1, min(args.repeat, 3)), cwd=os.path.join(ROOT, "bench", "peers")),
    ]
    # The same answer: counts exactly, money within rounding (DuckDB rounds half away from
    # zero, segkit half to even, so a few cents in a billion may differ).
    seg, duck = results[0]["check"], results[2]["check"]
    same = all(seg[k] == duck[k] for k in ("customers_start", "retained", "churn_events", "groups"))
    same = same and abs(seg["mrr_end"] - duck["mrr_end"]) <= 1e-6 * seg["mrr_end"]
    same = same and abs(seg["ltv_survival_sum"] - duck["ltv_survival_sum"]) <= 1e-6 * seg["ltv_survival_sum"]
    ws = os.path.join(d, "metrics.db")
    if not os.path.exists(ws):
        subprocess.run([SEGKIT, "import", subs, "--as", "subs", "--workspace", ws, "--quiet"], check=True)
    cli_secs, cli_rss = wall([SEGKIT, "metrics", "--dataset", "subs", "--workspace", ws, "--by",
                              "plan,billing_interval", "--from", frm, "--to", to, "--rates",
                              "USD=1,EUR=1.08,GBP=1.27", "--threads", str(args.threads),
                              "--format", "json"], args.repeat)
    base = results[0]["seconds"]
    print()
    print(f"segment metrics by plan x billing interval ({seg['groups']} segments), {frm}..{to}, "
          f"{args.customers} customers, {results[0]['rows']} subscription rows; table in memory")
    print(f"{'tool':<24} {'median s':>9} {'peak MB':>8} {'time / segkit':>14}")
    for r in results:
        print(f"{r['name']:<24} {r['seconds']:9.3f} {r['rss_mb']:8.0f} {r['seconds'] / base:13.1f}x")
    print(f"same answer: {'yes' if same else 'NO'} (customers at start {seg['customers_start']}, "
          f"retained {seg['retained']}, churn events {seg['churn_events']}, "
          f"end MRR {seg['mrr_end']:.2f} vs {duck['mrr_end']:.2f})")
    print(f"segkit metrics CLI from the workspace (load + compute + JSON, process start "
          f"included): {cli_secs:.3f} s, peak {cli_rss:.0f} MB")


RULE = ('plan == "pro" and billing_interval == "year" and seats >= 3 and mrr > 100 '
        'and country in ("DE", "FR", "NL")')


def bench_segment(args):
    d = os.path.join(ROOT, "bench", "data")
    os.makedirs(d, exist_ok=True)
    n = args.customers if args.customers != 1000000 else 10000000
    csv = os.path.join(d, f"customers_{n}.csv")
    if not os.path.exists(csv):
        print(f"writing {n} customers to {csv}", file=sys.stderr)
        subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "bench", "make_customers.py"),
                        csv, str(n)], check=True)
    results = [
        measure(f"segkit ({args.threads} threads)", [BENCH, "rule", csv, RULE, str(args.threads)],
                args.repeat),
        measure("segkit (1 thread)", [BENCH, "rule", csv, RULE, "1"], args.repeat),
        measure(f"duckdb ({args.threads} threads)",
                ["node", os.path.join(ROOT, "bench", "peers", "duckdb_rule.mjs"), csv,
                 str(args.threads), "5"], max(1, min(args.repeat, 3)),
                cwd=os.path.join(ROOT, "bench", "peers")),
    ]
    base = results[0]["seconds"]
    print()
    print(f"counting a five-predicate rule over {results[0]['rows']} customers (table in memory, "
          f"best of 5 evaluations per run, median of runs)")
    print(f"  rule: {RULE}")
    print(f"{'tool':<24} {'median s':>9} {'M pred-rows/s/core':>19} {'time / segkit':>14}")
    for r in results:
        cores = 1 if "1 thread" in r["name"] else args.threads
        rate = 5 * r["rows"] / r["seconds"] / cores / 1e6
        print(f"{r['name']:<24} {r['seconds']:9.4f} {rate:19.0f} {r['seconds'] / base:13.1f}x")
    members = {r["name"]: r["check"].get("members") for r in results}
    print(f"same members: {'yes' if len(set(members.values())) == 1 else 'NO'} {members}")


def bench_rfm(args):
    tx = ensure_data(args.customers)
    as_of = "2026-06-30"
    peers = os.path.join(ROOT, "bench", "peers")
    duck = ["node", os.path.join(peers, "duckdb_rfm.mjs"), tx, as_of, str(args.threads)]
    print(f"{tx}: {os.path.getsize(tx) / 1e6:.0f} MB; {args.repeat} runs each, medians",
          file=sys.stderr)
    seg = measure(f"segkit ({args.threads} threads)", [BENCH, "rfm", tx, as_of, str(args.threads)],
                  args.repeat)
    seg1 = measure("segkit (1 thread)", [BENCH, "rfm", tx, as_of, "1"], args.repeat)
    sc = measure(f"segkit from_csv ({args.threads} thr)", [BENCH, "rfm_csv", tx, as_of, str(args.threads)],
                 args.repeat)
    sc1 = measure("segkit from_csv (1 thread)", [BENCH, "rfm_csv", tx, as_of, "1"], args.repeat)
    dn = measure(f"duckdb NTILE ({args.threads} thr)", duck + ["ntile", "memory"], args.repeat, cwd=peers)
    dt = measure(f"duckdb same ties ({args.threads} thr)", duck + ["ties", "memory"], args.repeat, cwd=peers)
    dc = measure(f"duckdb NTILE from CSV", duck + ["ntile", "csv"], args.repeat, cwd=peers)
    dct = measure(f"duckdb same ties from CSV", duck + ["ties", "csv"], args.repeat, cwd=peers)
    # End to end for segkit: segkit_rfm_from_csv (file to scores and table, reading only the
    # fields RFM needs); also the general path, segkit_csv_read of every column + compute.
    e2e = sc["seconds"]
    gen = statistics.median(r["read_seconds"] + r["seconds"] for r in seg["runs"])
    base = seg["seconds"]
    print()
    print(f"RFM scores and segments as of {as_of}, {seg['rows']} transactions, "
          f"{seg['check']['customers']} customers")
    print("in memory (the table already loaded; result materialised as a table):")
    print(f"{'tool':<30} {'median s':>9} {'peak MB':>8} {'time / segkit':>14}")
    for r in (seg, seg1, dn, dt):
        print(f"{r['name']:<30} {r['seconds']:9.3f} {r['rss_mb']:8.0f} {r['seconds'] / base:13.1f}x")
    print("end to end from the CSV file (read + compute; process start not counted):")
    print(f"{'tool':<30} {'median s':>9} {'peak MB':>8} {'time / segkit':>14}")
    for name, secs, rss in ((sc["name"], e2e, sc["rss_mb"]), (sc1["name"], sc1["seconds"], sc1["rss_mb"]),
                            (seg["name"] + " csv_read+rfm", gen, seg["rss_mb"]),
                            (dc["name"], dc["seconds"], dc["rss_mb"]),
                            (dct["name"], dct["seconds"], dct["rss_mb"])):
        print(f"{name:<30} {secs:9.3f} {rss:8.0f} {secs / e2e:13.1f}x")
    # The same answer: DuckDB with segkit's tie rule must agree exactly (customers, score
    # sums, a key-weighted checksum of every customer's scores, customers per segment);
    # plain NTILE agrees on the customers only (ties split by row position).
    keys = ("customers", "sum_r", "sum_f", "sum_m", "check", "segments")
    a = dict(seg["check"])
    a["segments"] = {k: v for k, v in a["segments"].items() if v > 0}  # SQL lists no empty group
    same = all(a[k] == dt["check"][k] for k in keys) and all(a[k] == dct["check"][k] for k in keys)
    for r in sc["runs"] + sc1["runs"]:
        same = same and r["fast_path"] and all(r[k] == seg["check"][k] for k in keys)
    print(f"same scores and segments from segkit in memory, segkit from_csv (fast path) "
          f"and DuckDB with the same tie rule: {'yes' if same else 'NO'} "
          f"(r+f+m sums {a['sum_r']}/{a['sum_f']}/{a['sum_m']}, checksum {a['check']})")
    print(f"plain NTILE(5): same customers: {'yes' if a['customers'] == dn['check']['customers'] else 'NO'};"
          f" its r/f/m sums {dn['check']['sum_r']}/{dn['check']['sum_f']}/{dn['check']['sum_m']} "
          f"(ties split by position)")
    print("segments (segkit): " + ", ".join(f"{k} {v}" for k, v in a["segments"].items()))


def kmeans_matrix(rows, d, k):
    path = os.path.join(ROOT, "bench", "data", f"kmeans_{rows}x{d}.f64")
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        print(f"writing a {rows} x {d} matrix with {k} planted clusters to {path}", file=sys.stderr)
        subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "bench", "make_matrix.py"), path,
                        str(rows), str(d), str(k)], check=True)
    return path


def kmeans_eval(path, rows, d, centroids):
    """Inertia of centroids on the matrix, in float64, nearest centroid per row (the same
    evaluation for every tool, so float32 training is judged fairly), and the adjusted Rand
    index of those nearest-centroid labels against the planted clusters (scikit-learn's
    adjusted_rand_score, an implementation independent of segkit's)."""
    import numpy as np
    from sklearn.metrics import adjusted_rand_score
    x = np.memmap(path, dtype="<f8", mode="r", shape=(rows, d))
    c = np.fromfile(centroids, dtype="<f8").reshape(-1, d)
    truth = np.fromfile(path + ".truth", dtype="<i4")
    labels = np.empty(rows, dtype=np.int32)
    total = 0.0
    for s in range(0, rows, 500000):
        blk = np.asarray(x[s:s + 500000])
        dist = ((blk[:, None, :] - c[None, :, :]) ** 2).sum(axis=2)
        labels[s:s + len(blk)] = dist.argmin(axis=1)
        total += dist.min(axis=1).sum()
    ari = adjusted_rand_score(truth, labels) if len(truth) == rows else float("nan")
    return total, ari


def bench_kmeans(args):
    d, k = 16, args.k
    rows = args.rows
    path = kmeans_matrix(rows, d, k)
    mb = rows * d * 8 / 1e6
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), OPENBLAS_NUM_THREADS="1",
               OMP_WAIT_POLICY="PASSIVE")
    print(f"{path}: {rows} x {d} float64 ({mb:.0f} MB), k={k}, restarts {args.restarts}, "
          f"max_iter {args.max_iter}; {args.repeat} runs each, medians", file=sys.stderr)
    tmp = tempfile.mkdtemp(dir=os.path.join(ROOT, "build"))
    peers = os.path.join(ROOT, "bench", "kmeans_peers.py")
    common = [path, str(rows), str(d), str(k), str(args.restarts)]

    def seg(alg, threads):
        out = os.path.join(tmp, f"segkit_{alg}_{threads}.f64")
        cmd = [BENCH, "kmeans"] + common + [str(args.max_iter), str(threads), alg, out]
        return measure(f"segkit {alg} ({threads} thr)", cmd, args.repeat), out

    def peer(tool, name, max_iter, repeat):
        out = os.path.join(tmp, f"{tool}_{max_iter}.f64")
        cmd = ["/usr/bin/python3", peers, tool] + common + [str(max_iter), str(args.threads), out]
        return measure_env(name, cmd, repeat, env), out

    runs = [seg("auto", args.threads), seg("lloyd", args.threads), seg("hamerly", args.threads),
            seg("auto", 1)]
    if not args.segkit_only:
        pr = max(1, min(args.repeat, 3))
        runs += [peer("sklearn-lloyd", f"sklearn lloyd ({args.threads} thr)", args.max_iter, pr),
                 peer("sklearn-elkan", f"sklearn elkan ({args.threads} thr)", args.max_iter, pr),
                 peer("faiss", f"faiss f32 niter={args.faiss_iter} ({args.threads} thr)",
                      args.faiss_iter, pr)]
    base = runs[0][0]["seconds"]
    fastest_sklearn = min((r["seconds"] for r, _ in runs if r["name"].startswith("sklearn")),
                          default=None)
    print()
    print(f"k-means, {rows} x {d} float64 ({mb:.0f} MB), k = {k}, {args.restarts} restarts "
          f"(k-means++), max_iter {args.max_iter}; fit timed inside each process; inertia of "
          f"each tool's centroids evaluated in float64 on the same data")
    print(f"{'tool':<32} {'median s':>9} {'iters':>6} {'inertia':>16} {'ARI':>7} {'peak MB':>8} "
          f"{'RSS / X':>8} {'time / segkit':>14}")
    for r, out in runs:
        inertia, ari = kmeans_eval(path, rows, d, out)
        it = r["check"].get("iterations")
        print(f"{r['name']:<32} {r['seconds']:9.3f} {it!s:>6} {inertia:16.2f} {ari:7.4f} "
              f"{r['rss_mb']:8.0f} {r['rss_mb'] / mb:8.2f} {r['seconds'] / base:13.2f}x")
    print("(ARI: adjusted Rand index of each tool's nearest-centroid labels against the planted "
          "clusters)")
    if fastest_sklearn:
        print(f"fastest scikit-learn / segkit auto: {fastest_sklearn / base:.2f}x")
    shutil.rmtree(tmp, ignore_errors=True)


CLV_TRUE = {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}
CLV_CAL_END = "2025-10-01"   # day 273 of the generated log (first purchases from 2025-01-01)
CDNOW = "/work/shared/data/cdnow/cdnow_customers_summary.csv"


def clv_json(cmd, env=None):
    """Run cmd; return (its JSON line, peak RSS in MB from /usr/bin/time)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        out = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", tf.name] + cmd, check=True,
                             capture_output=True, text=True, env=env)
        rss = int(tf.read().strip().splitlines()[-1]) / 1024.0
    for line in out.stderr.splitlines():
        print("  " + line.strip(), file=sys.stderr)
    return json.loads([l for l in out.stdout.splitlines() if l.startswith("{")][-1]), rss


def rel_diff(a, b):
    return max(abs(x - y) / abs(y) for x, y in zip(a, b))


def bench_clv(args):
    n = args.customers if args.customers is not None else 10000000
    peer_n = args.peer_customers
    names = ["r", "alpha", "a", "b"]
    true = [CLV_TRUE[k] for k in names]
    print(f"BG/NBD customer value: generated from r={true[0]}, alpha={true[1]}, a={true[2]}, "
          f"b={true[3]} (weeks); {args.repeat} runs, medians", file=sys.stderr)
    env = dict(os.environ, SEGKIT_BENCH_THREADS=str(args.threads))
    env1 = dict(os.environ, SEGKIT_BENCH_THREADS="1")

    # 1. segkit on N customers generated in memory (the issue's 10 M target).
    big, big_rss = clv_json([BENCH, "clv", str(n), str(args.repeat), "1"], env)
    # 2. the same log written as CSV at the peer's size; segkit and the peer on that file.
    d = os.path.join(ROOT, "bench", "data")
    os.makedirs(d, exist_ok=True)
    csv = os.path.join(d, f"clv_{peer_n}.csv")
    if not os.path.exists(csv):
        print(f"writing {peer_n} customers' transactions to {csv}", file=sys.stderr)
        subprocess.run([BENCH, "clv_gen", str(peer_n), "1", csv], check=True, capture_output=True)
    seg, seg_rss = clv_json([BENCH, "clv_csv", csv, str(args.repeat), CLV_CAL_END], env1)
    peer_cmd = ["/usr/bin/python3", os.path.join(ROOT, "bench", "clv_peer.py"), "transactions",
                csv, CLV_CAL_END, str(max(1, min(args.repeat, 3)))]
    peer, peer_rss = clv_json(peer_cmd)
    # 3. CDNOW fit alone.
    cd5, _ = clv_json([BENCH, "clv_cdnow", CDNOW, "21", "bgnbd"])
    cd1, _ = clv_json([BENCH, "clv_cdnow", CDNOW, "21", "bgnbd", "1"])
    cdp, _ = clv_json([BENCH, "clv_cdnow", CDNOW, "5", "paretonbd"])
    cdpeer, _ = clv_json(["/usr/bin/python3", os.path.join(ROOT, "bench", "clv_peer.py"), "cdnow",
                          CDNOW, "21"])
    # 4. the CLI end to end on the CSV: clv fit (read, summarise, fit, save) + clv predict.
    with tempfile.TemporaryDirectory(dir=os.path.join(ROOT, "build")) as tmp:
        ws = os.path.join(tmp, "ws.db")
        fit_cmd = [SEGKIT, "clv", "fit", "--model", "bgnbd", csv, "--date-col", "date",
                   "--amount-col", "none", "--calibration-end", CLV_CAL_END, "--time-unit", "week",
                   "--save", "m", "--workspace", ws, "--quiet"]
        pred_cmd = [SEGKIT, "clv", "predict", "m", "--horizon", "52", "--out",
                    os.path.join(tmp, "p.csv"), "--workspace", ws, "--quiet"]
        cli = []
        for _ in range(max(1, min(args.repeat, 3))):
            if os.path.exists(ws):
                os.remove(ws)
            t0 = time.monotonic()
            subprocess.run(fit_cmd, check=True, capture_output=True)
            t1 = time.monotonic()
            subprocess.run(pred_cmd, check=True, capture_output=True)
            t2 = time.monotonic()
            cli.append((t1 - t0, t2 - t1, t2 - t0))
            print(f"  segkit CLI: fit {t1 - t0:.3f} s, predict {t2 - t1:.3f} s", file=sys.stderr)
        cli_fit = statistics.median(c[0] for c in cli)
        cli_pred = statistics.median(c[1] for c in cli)
        cli_tot = statistics.median(c[2] for c in cli)

    print()
    print(f"BG/NBD customer value: summarise (transactions -> frequency, recency, T), fit, "
          f"predict P(alive) and purchases in 52 weeks for every customer; in-process timings, "
          f"medians of {args.repeat} runs")
    print(f"segkit, {big['customers']} customers ({big['rows']} transactions) generated in memory, "
          f"predictions on {big['predict_threads']} threads:")
    print(f"  summarise {big['summarise']:.3f} s   fit {big['fit']:.3f} s   predict "
          f"{big['predict']:.3f} s   total {big['seconds']:.3f} s   peak RSS {big_rss:.0f} MB"
          f"   (target: total < 5 s)")
    print("  fitted " + ", ".join(f"{k} {v:.4f}" for k, v in zip(names, big["params"])) +
          "   generating " + ", ".join(f"{k} {v}" for k, v in zip(names, true)) +
          f"   max relative difference {rel_diff(big['params'], true):.3f}")
    ex, se = big["exact_params"], big["exact_se"]
    print(f"  recovery check (not timed): the fit on the generator's exact continuous-time "
          f"histories of the first {big['exact_customers']} customers gives " + ", ".join(f"{k} {v:.4f} ({(v - t) / s:+.1f} SE)"
                                        for k, v, t, s in zip(names, ex, true, se)) +
          f"; that fit, where every customer is a distinct triple, took {big['exact_seconds']:.1f} s")
    print("  (the day-based summary merges purchases made on the same day and rounds ages to "
          "days, as lifetimes' freq='D' does; that, not the fit, is the gap between the two)")
    print()
    print(f"Same CSV, {seg['customers']} customers ({seg['rows']} transactions), read not timed, "
          f"segkit's predictions on one thread (its fit's likelihood sums use both cores above "
          f"65 536 distinct triples), the peer single-threaded numpy:")
    print(f"{'tool':<44} {'summarise':>9} {'fit':>8} {'predict':>8} {'total':>8} {'peak MB':>8} "
          f"{'time / segkit':>14}")
    for name, r, rss in (("segkit", seg, seg_rss),
                         ("lifetimes' method (pandas+scipy, peer)", peer, peer_rss)):
        print(f"{name:<44} {r['summarise']:9.3f} {r['fit']:8.3f} {r['predict']:8.3f} "
              f"{r['seconds']:8.3f} {rss:8.0f} {r['seconds'] / seg['seconds']:13.1f}x")
    print(f"  phase ratios peer / segkit: summarise {peer['summarise'] / seg['summarise']:.1f}x, "
          f"fit {peer['fit'] / seg['fit']:.1f}x, predict {peer['predict'] / seg['predict']:.1f}x")
    agree = rel_diff(seg["params"], peer["params"])
    print("  segkit " + ", ".join(f"{v:.6f}" for v in seg["params"]) + "; peer " +
          ", ".join(f"{v:.6f}" for v in peer["params"]) +
          f"; max relative difference {agree:.1e} ({'OK' if agree < 1e-3 else 'DIFFERENT'})")
    print(f"  sum P(alive): segkit {seg['sum_p_alive']:.3f}, peer {peer['sum_p_alive']:.3f}; "
          f"sum expected purchases: segkit {seg['sum_expected_52']:.3f}, peer "
          f"{peer['sum_expected_52']:.3f}")
    print(f"segkit CLI end to end on that CSV (process start, CSV read, workspace write "
          f"included): clv fit {cli_fit:.3f} s + clv predict {cli_pred:.3f} s = {cli_tot:.3f} s")
    print()
    print("CDNOW (2357 customers) fit alone, medians of 21 runs:")
    print(f"  segkit BG/NBD, 5 starts (default) {cd5['seconds'] * 1e3:7.2f} ms   1 start "
          f"{cd1['seconds'] * 1e3:6.2f} ms   (target < 50 ms)")
    print(f"  peer BG/NBD (1 start, as lifetimes) {cdpeer['seconds'] * 1e3:6.2f} ms   peer / segkit "
          f"1 start {cdpeer['seconds'] / cd1['seconds']:.1f}x, / 5 starts "
          f"{cdpeer['seconds'] / cd5['seconds']:.1f}x")
    print(f"  segkit Pareto/NBD, 5 starts (numerical gradient) {cdp['seconds'] * 1e3:.0f} ms")
    print("  BG/NBD segkit " + ", ".join(f"{v:.6f}" for v in cd5["params"]) + "; peer " +
          ", ".join(f"{v:.6f}" for v in cdpeer["params"]) +
          f"; max relative difference {rel_diff(cd5['params'], cdpeer['params']):.1e}")
    print("(peer: lifetimes' algorithm re-implemented with pandas + scipy from Debian; lifetimes "
          "itself cannot be installed here)")


VIEWS = ["overview", "segments", "mrr_movements", "cohorts", "survival", "rfm", "clusters",
         "clv", "survey", "insights"]
RATES = "USD=1,EUR=1.08,GBP=1.27"


def views_workspace(args):
    """A workspace of the generated customers, subscriptions and transactions, with an RFM
    table, a k-means model on it, stored CLV predictions and a stored segment: what the
    report shows. Each step runs once (kept in bench/data/cN/views.db)."""
    ensure_data(args.customers)
    d = os.path.join(ROOT, "bench", "data", f"c{args.customers}")
    ws = os.path.join(d, "views.db")
    env = dict(os.environ, SEGKIT_WORKSPACE=ws)
    steps = [("customers", ["import", os.path.join(d, "customers.csv"), "--as", "customers"]),
             ("subscriptions", ["import", os.path.join(d, "subscriptions.csv"), "--as",
                                "subscriptions"]),
             ("transactions", ["import", os.path.join(d, "transactions.csv"), "--as",
                               "transactions"]),
             ("rfm", ["family", "rfm", "--dataset", "transactions", "--as-of", "2026-06-30",
                      "--currency-col", "currency", "--rates", RATES, "--as", "rfm"]),
             ("behaviour", ["cluster", "fit", "--dataset", "rfm", "--features",
                            "recency_days,frequency,monetary", "--log1p", "frequency", "--k", "4",
                            "--save", "behaviour"]),
             ("purchases", ["clv", "fit", "--model", "bgnbd", "--dataset", "transactions",
                            "--time-unit", "week", "--save", "purchases"]),
             ("purchases_pred", ["clv", "predict", "purchases", "--as", "purchases_pred"]),
             ("segment", ["segment", "add", "software", 'industry == "Software"', "--dataset",
                          "customers"])]
    if not os.path.exists(ws):
        subprocess.run([SEGKIT, "init"], check=True, env=env, stdout=subprocess.DEVNULL)
    have = subprocess.run([SEGKIT, "datasets", "--format", "json"], check=True, env=env,
                          capture_output=True, text=True).stdout
    names = {x["name"] for x in json.loads(have)} if have.strip().startswith("[") else set()
    segs = subprocess.run([SEGKIT, "segment", "list", "--format", "json"], env=env,
                          capture_output=True, text=True).stdout
    for name, s in steps:
        if name in names or (name == "segment" and "software" in segs):
            continue
        print("  segkit " + " ".join(s), file=sys.stderr)
        t0 = time.time()
        subprocess.run([SEGKIT] + s + ["--quiet"], check=True, env=env, stdout=subprocess.DEVNULL)
        print(f"    {time.time() - t0:.1f} s", file=sys.stderr)
    return ws


def bench_views(args):
    ws = views_workspace(args)
    print(f"{ws}: {os.path.getsize(ws) / 1e6:.0f} MB; each view in its own process, "
          f"{args.repeat} runs, medians", file=sys.stderr)
    rows = []
    for v in VIEWS:
        r = measure(v, [BENCH, "view", ws, v, RATES, "5"], args.repeat)
        warm = statistics.median(x["warm"] for x in r["runs"])
        rows.append((v, r["seconds"], warm, r["rss_mb"], r["check"]["bytes"],
                     r["check"]["available"]))
    rep = measure("report", [BENCH, "report", ws, RATES], max(1, min(args.repeat, 3)))
    print()
    print(f"views of a workspace of {args.customers} customers (subscriptions, 20 M "
          f"transactions, RFM table, k-means model, CLV predictions, a segment); median of "
          f"{args.repeat} processes")
    print(f"{'view':<16} {'first call s':>12} {'warm s':>9} {'peak MB':>8} {'JSON KB':>8}  "
          f"{'available':>9}  {'< 300 ms warm':>13}")
    for v, cold, warm, rss, size, avail in rows:
        print(f"{v:<16} {cold:12.3f} {warm:9.4f} {rss:8.0f} {size / 1024:8.1f}  "
              f"{'yes' if avail else 'no':>9}  {'yes' if warm < 0.3 else 'NO':>13}")
    print(f"{'whole report':<16} {rep['seconds']:12.3f} {'':>9} {rep['rss_mb']:8.0f} "
          f"{rep['check']['bytes'] / 1e6:7.1f}M")
    print("first call: a new handle (opens the workspace, loads the datasets the view needs); "
          "warm: the same view again on that handle (what a server keeping its handle answers)")
    views_http(ws, args.repeat)


def views_http(ws, repeat):
    """The views over HTTP from `segkit serve`: the time until the server's warm-up has
    computed every view, then each view's response time (curl's time_total, median)."""
    env = dict(os.environ, SEGKIT_WORKSPACE=ws)
    # the rates as the workspace's settings, so the server's warm-up computes what is asked
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([SEGKIT, "report", "--out", os.path.join(tmp, "r.html"), "--rates", RATES,
                        "--save-settings", "--quiet"], check=True, env=env)
    key = subprocess.run([SEGKIT, "key", "create", "--role", "read", "--name", "bench"],
                         check=True, env=env, capture_output=True, text=True).stdout.split()[-1]
    out = tempfile.NamedTemporaryFile("w+", suffix=".serve")
    srv = subprocess.Popen([SEGKIT, "serve", "--port", "0"], env=env, stdout=out,
                           stderr=subprocess.DEVNULL)
    try:
        port = None
        for _ in range(200):
            out.seek(0)
            text = out.read()
            if "127.0.0.1:" in text:
                port = text.split("127.0.0.1:")[1].split("/")[0]
                break
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}/api/v1/views"

        def get(path):
            r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{time_total}",
                                "-H", f"Authorization: Bearer {key}", base + path],
                               capture_output=True, text=True, check=True).stdout.split()
            return r[0], float(r[1])

        t0 = time.time()
        get("")                       # opens the server's handle and starts the warm-up
        for v in VIEWS:               # each waits for the warm-up to reach it
            get("/" + v)
        warmed = time.time() - t0
        print()
        print(f"over HTTP (segkit serve, rates from the workspace's saved settings): every view "
              f"computed {warmed:.1f} s after the first request; then, over "
              f"{max(5, repeat)} requests each:")
        print(f"{'view':<16} {'HTTP':>5} {'median ms':>10} {'max ms':>8}  {'< 300 ms':>8}")
        for v in VIEWS:
            codes, times = set(), []
            for _ in range(max(5, repeat)):
                code, t = get(f"/{v}")
                codes.add(code)
                times.append(1000 * t)
            med = statistics.median(times)
            print(f"{v:<16} {','.join(sorted(codes)):>5} {med:10.1f} {max(times):8.1f}  "
                  f"{'yes' if max(times) < 300 else 'NO':>8}")
    finally:
        srv.terminate()
        srv.wait()


def measure_env(name, cmd, repeat, env):
    """measure() with an environment (the peers' thread settings)."""
    old = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        return measure(name, cmd, repeat)
    finally:
        os.environ.clear()
        os.environ.update(old)


def main():
    p = argparse.ArgumentParser(prog="bench/run")
    p.add_argument("what", choices=["csv", "survival", "metrics", "segment", "rfm", "kmeans",
                                    "clv", "dashboard", "views"])
    p.add_argument("--customers", type=int, default=None,
                   help="customers (default 1000000; clv: 10000000)")
    p.add_argument("--peer-customers", type=int, default=1000000,
                   help="clv: customers in the CSV that segkit and the peer share")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rows", type=int, default=1000000, help="kmeans: matrix rows")
    p.add_argument("--k", type=int, default=8, help="kmeans: clusters")
    p.add_argument("--restarts", type=int, default=10, help="kmeans: starts")
    p.add_argument("--max-iter", type=int, default=300, help="kmeans: iteration cap")
    p.add_argument("--faiss-iter", type=int, default=25,
                   help="kmeans: faiss niter (faiss has no convergence test)")
    p.add_argument("--segkit-only", action="store_true", help="kmeans: no peers")
    p.add_argument("--cold", action="store_true",
                   help="dashboard: ask at once, without waiting for the server's warm-up")
    p.add_argument("--first-views", action="store_true",
                   help="dashboard: the first answer of each view, --idle s after a start")
    p.add_argument("--idle", type=float, default=15.0,
                   help="dashboard --first-views: seconds between the start and the first call")
    p.add_argument("--send-rates", action="store_true",
                   help="dashboard: send the rates with every view (a user who typed them)")
    args = p.parse_args()
    if args.customers is None and args.what != "clv":
        args.customers = 1000000
    if args.what == "csv":
        bench_csv(args)
    elif args.what == "survival":
        bench_survival(args)
    elif args.what == "metrics":
        bench_metrics(args)
    elif args.what == "rfm":
        bench_rfm(args)
    elif args.what == "segment":
        bench_segment(args)
    elif args.what == "kmeans":
        bench_kmeans(args)
    elif args.what == "clv":
        bench_clv(args)
    elif args.what == "dashboard":
        import dashboard  # bench/dashboard.py
        ensure_data(args.customers)
        data_dir = os.path.join(ROOT, "bench", "data", f"c{args.customers}")
        if args.first_views:
            dashboard.first_views(args, SEGKIT, data_dir)
        else:
            dashboard.bench_dashboard(args, SEGKIT, data_dir)
    elif args.what == "views":
        bench_views(args)


if __name__ == "__main__":
    main()
