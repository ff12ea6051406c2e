"""Dask distributed on this machine: the three task workloads of bench/tasks.ts.

Same shape as the Shoal side: one LocalCluster of 2 worker processes with 1
thread each, started once; each workload runs --runs times (default 3).

  1. trivial-10k: 10,000 `inc` tasks via `client.map(..., pure=False)` then
     `client.gather` (Dask's fastest idiom here: one update_graph message for
     all tasks; a `client.submit` loop was ~10 % slower). A 500-task warm-up
     runs first, untimed. tasks/s = 10,000 / (first submit -> last result).
  2. roundtrip: 30 warm-up, then 300 sequential `client.submit(...).result()`.
  3. chain-1000: `client.submit(inc, prev)` 1,000 times, then the last
     `.result()`; ms per link = wall / 1,000. A 50-link chain runs first.

Prints one JSON line per workload on stdout (logs go to stderr). Needs
Debian's python3-distributed; run with /usr/bin/python3.
"""
import json
import statistics
import sys
import time

from dask_common import local_client, median_run


def inc(x):
    return x + 1


def trivial(client, n=10_000, warmup=500):
    assert client.gather(client.map(inc, range(warmup), pure=False)) == list(range(1, warmup + 1))
    t0 = time.perf_counter()
    futures = client.map(inc, range(n), pure=False)
    submit_ms = (time.perf_counter() - t0) * 1000
    values = client.gather(futures)
    wall_ms = (time.perf_counter() - t0) * 1000
    assert values == list(range(1, n + 1))
    del futures
    return {"tasks": n, "wallMs": wall_ms, "submitMs": submit_ms, "tasksPerSec": n * 1000 / wall_ms}


def roundtrip(client, warmup=30, samples=300):
    times = []
    for i in range(warmup + samples):
        t0 = time.perf_counter()
        value = client.submit(inc, i, pure=False).result()
        dt = (time.perf_counter() - t0) * 1000
        assert value == i + 1
        if i >= warmup:
            times.append(dt)
    times.sort()
    at = lambda q: times[min(len(times) - 1, int(q * len(times)))]  # noqa: E731
    return {"samples": samples, "medianMs": at(0.5), "p90Ms": at(0.9), "minMs": times[0], "maxMs": times[-1]}


def chain(client, links=1_000, warmup=50):
    ref = client.submit(inc, 0, pure=False)
    for _ in range(1, warmup):
        ref = client.submit(inc, ref, pure=False)
    assert ref.result() == warmup
    t0 = time.perf_counter()
    ref = client.submit(inc, 0, pure=False)
    for _ in range(1, links):
        ref = client.submit(inc, ref, pure=False)
    submit_ms = (time.perf_counter() - t0) * 1000
    last = ref.result()
    wall_ms = (time.perf_counter() - t0) * 1000
    assert last == links
    return {"links": links, "wallMs": wall_ms, "submitMs": submit_ms, "msPerLink": wall_ms / links}


def main():
    with local_client() as (client, runs, meta):

        rs = [trivial(client) for _ in range(runs)]
        m = median_run(rs, "tasksPerSec")
        print(json.dumps({"system": "dask", "workload": "trivial-10k", "tasksPerSec": m["tasksPerSec"],
                          "method": "client.map(pure=False) + client.gather", "runs": [r["tasksPerSec"] for r in rs],
                          "median": m, **meta}), flush=True)

        rs = [roundtrip(client) for _ in range(runs)]
        print(json.dumps({"system": "dask", "workload": "roundtrip",
                          "medianMs": statistics.median(r["medianMs"] for r in rs),
                          "p90Ms": statistics.median(r["p90Ms"] for r in rs),
                          "runs": [{"medianMs": r["medianMs"], "p90Ms": r["p90Ms"]} for r in rs], **meta}), flush=True)

        rs = [chain(client) for _ in range(runs)]
        m = median_run(rs, "msPerLink")
        print(json.dumps({"system": "dask", "workload": "chain-1000", "msPerLink": m["msPerLink"],
                          "runs": [r["msPerLink"] for r in rs], "median": m, **meta}), flush=True)


if __name__ == "__main__":
    main()
