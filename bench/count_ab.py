#!/usr/bin/env python3
"""bench/count_ab.py WS N LABEL=SEGKIT...: A/B of GET /api/v1/segments/refunded/count (and
the transactions rule check) between segkit builds on the same workspace: each server is started, left idle until its warm-up is
done (health views_warm and segments_warm, or 40 s for a build that does not report it), asked once (tables
loaded), then N times; p50/p95 printed. Give the builds alternately (before=A after=B
before=A after=B) so that the shared machine's load falls on both."""
import http.client, json, statistics, subprocess, sys, time
ws, n = sys.argv[1], int(sys.argv[2])
builds = sys.argv[3:]
def ask(port, key, method, path, body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    h = {"Authorization": f"Bearer {key}"}
    if body is not None:
        h["Content-Type"] = "application/json"
    t0 = time.perf_counter(); c.request(method, path, body=body, headers=h)
    r = c.getresponse(); d = r.read(); ms = (time.perf_counter() - t0) * 1000; c.close()
    return ms, json.loads(d)
for label_bin in builds:
    label, b = label_bin.split("=", 1)
    key = subprocess.run([b, "key", "create", "--role", "read", "--quiet", "--workspace", ws],
                         check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    p = subprocess.Popen([b, "serve", "--port", "0", "--threads", "4", "--workspace", ws],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    port = int(p.stdout.readline().split("http://127.0.0.1:")[1].split("/")[0])
    t0 = time.monotonic()
    while time.monotonic() - t0 < 120:
        _, h = ask(port, key, "GET", "/api/v1/health")
        if h.get("views_warm") and h.get("segments_warm", True): break
        if "views_warm" not in h and time.monotonic() - t0 > 40: break
        time.sleep(0.2)
    res = {}
    for name, m, path, body in [("count refunded", "GET", "/api/v1/segments/refunded/count", None),
                                ("check transactions rule", "POST", "/api/v1/rules/check",
                                 json.dumps({"dataset": "customers", "rule": 'count(transactions where kind == "refund") >= 1'}))]:
        first, j = ask(port, key, m, path, body)
        ts = [ask(port, key, m, path, body)[0] for _ in range(n)]
        ts.sort()
        res[name] = (first, statistics.median(ts), ts[int(0.95 * (len(ts) - 1))], j.get("count"))
    p.terminate(); p.wait()
    for k, (f, p50, p95, c) in res.items():
        print(f"{label:<8} {k:<26} first {f:8.1f} ms  p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  count {c}", flush=True)
