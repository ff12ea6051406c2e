"""bench:data's Dask peer: the 3-operator pipeline of bench/data/pipeline.js as
a dask.bag over blocks of ROWS/BLOCKS rows (numpy), map, map, map, then the
sums gathered; and an actor call from inside a task (dask_actors.fanin).
LocalCluster(2 processes x 1 thread). Prints one JSON line per workload."""
import json
import sys
import time

import numpy as np
import dask.bag as db

from dask_common import local_client, median_run
from dask_actors import fanin


def make(bounds):
    start, end, _run = bounds
    return np.arange(start, end, dtype=np.float64)


def widen(ids):
    return ids, (ids % 65536) * 3 + 1


def mix(block):
    ids, x = block
    return x.astype(np.int64) ^ (ids.astype(np.int64) & 1023)


def summarize(y):
    return (len(y), float(y.sum()))


RUN = iter(range(1 << 30))


def pipeline(client, rows, blocks):
    # A fresh run number in every partition makes fresh task keys: with the same keys, a run could reuse
    # the results the scheduler still holds from the last one (runs of 40 ms, 30x the first, were seen).
    run = next(RUN)
    bounds = [(i * rows // blocks, (i + 1) * rows // blocks, run) for i in range(blocks)]
    t0 = time.perf_counter()
    out = db.from_sequence(bounds, npartitions=blocks).map(make).map(widen).map(mix).map(summarize).compute()
    ms = (time.perf_counter() - t0) * 1000
    count = sum(n for n, _ in out)
    assert count == rows, (count, rows)
    return {"rows": rows, "ms": ms, "rowsPerSec": rows * 1000 / ms, "checksum": sum(s for _, s in out)}


def main():
    rows = int(sys.argv[sys.argv.index("--rows") + 1]) if "--rows" in sys.argv else 16 * 1024 * 1024
    blocks = int(sys.argv[sys.argv.index("--blocks") + 1]) if "--blocks" in sys.argv else 16
    sys.argv = [a for i, a in enumerate(sys.argv) if a not in ("--rows", "--blocks") and (i == 0 or sys.argv[i - 1] not in ("--rows", "--blocks"))]
    with local_client() as (client, runs, meta):
        pipeline(client, rows // 8, blocks)  # warm-up
        rs = [pipeline(client, rows, blocks) for _ in range(runs)]
        m = median_run(rs, "rowsPerSec")
        print(json.dumps({"system": "dask", "workload": "pipeline", "rowsPerSec": m["rowsPerSec"], "rows": rows, "checksum": m["checksum"], "runs": [r["rowsPerSec"] for r in rs], **meta}), flush=True)
        rs = [fanin(client) for _ in range(runs)]
        m = median_run(rs, "msPerCall")
        print(json.dumps({"system": "dask", "workload": "actor-fanin", "msPerCall": m["msPerCall"], "runs": [r["msPerCall"] for r in rs], **meta}), flush=True)


if __name__ == "__main__":
    main()
