#!/usr/bin/python3
"""A transactions-like CSV whose customer ids are strings drawn at random from 1 M
("C0256787"), the worst case for dictionary-encoded string columns (every lookup misses
the caches). Used for the reader numbers in docs/io.md; ~62 bytes a row.

    /usr/bin/python3 bench/io_random_ids_csv.py 10000000 /tmp/tx.csv
    build/release/segkit_bench read /tmp/tx.csv 2
"""
import random
import sys
import time


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    rnd = random.Random(42)
    amounts = ["49.00", "9.99", "19.00", "99.00", "249.50", "5.00", "12.34", "1000.00"]
    currencies = ["USD", "EUR", "GBP", "USD", "USD"]
    kinds = ["charge", "charge", "charge", "refund", "invoice"]
    t0 = 1672531200
    with open(out, "w") as f:
        f.write("transaction_id,customer_id,timestamp,amount,currency,kind,subscription_id\n")
        buf = []
        for i in range(1, n + 1):
            tm = time.gmtime(t0 + i * 3 + rnd.randrange(3))
            sub = "" if rnd.random() < 0.1 else str(rnd.randrange(1, 3000000))
            buf.append("%d,C%07d,%04d-%02d-%02dT%02d:%02d:%02dZ,%s,%s,%s,%s\n" % (
                i, rnd.randrange(1000000), tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, rnd.choice(amounts), rnd.choice(currencies),
                rnd.choice(kinds), sub))
            if len(buf) >= 100000:
                f.write("".join(buf))
                buf = []
        f.write("".join(buf))


if __name__ == "__main__":
    main()
