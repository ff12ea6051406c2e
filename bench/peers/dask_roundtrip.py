"""Dask distributed on this machine: cold start and one-task round trip.

Same shape as bench/foundation.ts: a local cluster of 2 worker processes with
1 thread each; cold start is interpreter start to first task result.
Prints one JSON line. Needs Debian's python3-distributed.
"""
import json
import sys
import time

t_start = time.perf_counter()
from dask.distributed import Client, LocalCluster  # noqa: E402


def inc(x):
    return x + 1


def main():
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster)
    first = client.submit(inc, 41, pure=False).result()
    cold_ms = (time.perf_counter() - t_start) * 1000
    assert first == 42
    times = []
    for i in range(330):
        t0 = time.perf_counter()
        client.submit(inc, i, pure=False).result()
        if i >= 30:
            times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    at = lambda q: times[min(len(times) - 1, int(q * len(times)))]
    print(json.dumps({"coldStartMs": cold_ms, "medianMs": at(0.5), "p95Ms": at(0.95), "minMs": times[0]}))
    client.close()
    cluster.close()


if __name__ == "__main__":
    main()
    sys.stdout.flush()
