"""Dask Array on this machine: the workloads of bench/array.ts.

One LocalCluster of 2 worker processes with 1 thread each (as the Shoal side
has 2 one-slot tabs); each workload runs --runs times (default 3), median run
reported. Times cover graph building, compute and the result's return, not
cluster startup; matmul times the product of two persisted arrays.

  a      da.random.random((10000, 10000), chunks=(1000, 1000)).mean()
  b      (x + x.T).sum(axis=0)                  x as in a
  c      ((x * 2 + 1) ** 0.5).sin().abs().exp() then .std()   (5 elementwise ops)
  d-f64  (a @ b).sum() for 4000 x 4000 float64 in 1000 x 1000 blocks (OpenBLAS)
  d-f32  the same in float32

Prints one JSON line per workload on stdout. Needs Debian's python3-dask and
python3-distributed; run with /usr/bin/python3. SHOAL_BENCH_ONLY=d-f64,d-f32
(set by bench/array.ts --only) runs just those workloads.
"""
import json
import os
import time

import dask.array as da
import numpy as np
from dask.distributed import wait

from dask_common import local_client, median_run

N = 10_000
CHUNK = 1_000
MM = 4_000


def timed(fn):
    t0 = time.perf_counter()
    value = fn()
    return value, (time.perf_counter() - t0) * 1000


def workloads(client):
    def a():
        return float(da.random.random((N, N), chunks=(CHUNK, CHUNK)).mean().compute())

    def b():
        x = da.random.random((N, N), chunks=(CHUNK, CHUNK))
        return float((x + x.T).sum(axis=0).compute().sum())

    def c():
        x = da.random.random((N, N), chunks=(CHUNK, CHUNK))
        return float(np.exp(np.abs(np.sin((x * 2 + 1) ** 0.5))).std().compute())

    def matmul(dtype):
        def run():
            rs = da.random.RandomState(1)
            x = rs.random_sample((MM, MM), chunks=(CHUNK, CHUNK)).astype(dtype).persist()
            y = rs.random_sample((MM, MM), chunks=(CHUNK, CHUNK)).astype(dtype).persist()
            wait([x, y])
            value, ms = timed(lambda: float((x @ y).sum().compute()))
            return value, ms

        return run

    return {"a": a, "b": b, "c": c, "d-f64": matmul(np.float64), "d-f32": matmul(np.float32)}


def main():
    with local_client() as (client, runs, meta):
        only = [w for w in os.environ.get("SHOAL_BENCH_ONLY", "").split(",") if w]
        for name, fn in workloads(client).items():
            if only and name not in only:
                continue
            results = []
            for _ in range(runs):
                if name.startswith("d-"):
                    value, ms = fn()
                else:
                    value, ms = timed(fn)
                results.append({"ms": ms, "value": value})
            m = median_run(results, "ms")
            print(json.dumps({"system": "dask", "workload": name, "ms": m["ms"], "value": m["value"], "runs": [r["ms"] for r in results], **meta}), flush=True)


if __name__ == "__main__":
    main()
