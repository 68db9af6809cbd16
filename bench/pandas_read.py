"""pandas' CSV reader on the same file, with the timestamp column parsed, timed in-process."""
import json
import sys
import time

import pandas as pd

path = sys.argv[1]
t0 = time.perf_counter()
df = pd.read_csv(path)
for col in df.columns:
    if col in ("timestamp", "ts", "created_at"):
        df[col] = pd.to_datetime(df[col], utc=True)
secs = time.perf_counter() - t0
print(json.dumps({"op": "read", "rows": len(df), "seconds": secs}))
