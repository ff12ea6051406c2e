"""Dask distributed on this machine: the actor workloads of bench/actors.ts.

Same shape as the Shoal side: one LocalCluster of 2 worker processes with 1
thread each, started once; each workload runs --runs times (default 3), each
run on a fresh counter actor (`client.submit(Counter, actor=True)`).

  1. actor-roundtrip: 30 warm-up, then 300 sequential `counter.add(1).result()`;
     median and p90 ms.
  2. actor-pipelined: 5,000 `counter.add(1)` calls submitted without waiting,
     then `[f.result() for f in futures]`; calls/s = 5,000 / (first call ->
     last result). 100 calls warm up first; the final counter value is checked.
  3. actor-fanin: one task (pure=False) takes the actor handle and makes 100
     sequential `handle.add(1).result()` calls from its worker; ms per call =
     the task's own timing of those calls / 100, and the end-to-end wall time
     (submit -> result) is reported beside it. A 10-call task warms up first.

Prints one JSON line per workload on stdout (logs go to stderr). Needs
Debian's python3-distributed; run with /usr/bin/python3.
"""
import json
import statistics
import sys
import time

from dask_common import local_client, median_run


class Counter:
    def __init__(self, start=0):
        self.n = start

    def add(self, k):
        self.n += k
        return self.n

    def value(self):
        return self.n


def new_counter(client):
    return client.submit(Counter, 0, actor=True, pure=False).result()


def roundtrip(client, warmup=30, samples=300):
    counter = new_counter(client)
    times = []
    for i in range(warmup + samples):
        t0 = time.perf_counter()
        value = counter.add(1).result()
        dt = (time.perf_counter() - t0) * 1000
        assert value == i + 1, (value, i + 1)
        if i >= warmup:
            times.append(dt)
    times.sort()
    at = lambda q: times[min(len(times) - 1, int(q * len(times)))]  # noqa: E731
    return {"samples": samples, "medianMs": at(0.5), "p90Ms": at(0.9), "minMs": times[0], "maxMs": times[-1]}


def pipelined(client, n=5_000, warmup=100):
    counter = new_counter(client)
    warm = [counter.add(1) for _ in range(warmup)]
    assert sorted(f.result() for f in warm) == list(range(1, warmup + 1))
    t0 = time.perf_counter()
    futures = [counter.add(1) for _ in range(n)]
    submit_ms = (time.perf_counter() - t0) * 1000
    values = [f.result() for f in futures]
    wall_ms = (time.perf_counter() - t0) * 1000
    final = counter.value().result()
    assert final == warmup + n, (final, warmup + n)
    # Dask does not promise that calls from one caller run in order; count it.
    in_order = values == list(range(warmup + 1, warmup + n + 1))
    assert sorted(values) == list(range(warmup + 1, warmup + n + 1))
    return {"calls": n, "wallMs": wall_ms, "submitMs": submit_ms, "callsPerSec": n * 1000 / wall_ms,
            "finalValue": final, "inOrder": in_order}


def fan_in_task(handle, calls):
    t0 = time.perf_counter()
    last = None
    for _ in range(calls):
        last = handle.add(1).result()
    return {"last": last, "innerMs": (time.perf_counter() - t0) * 1000}


def fanin(client, calls=100, warmup=10):
    counter = new_counter(client)
    assert client.submit(fan_in_task, counter, warmup, pure=False).result()["last"] == warmup
    t0 = time.perf_counter()
    out = client.submit(fan_in_task, counter, calls, pure=False).result()
    wall_ms = (time.perf_counter() - t0) * 1000
    assert out["last"] == warmup + calls, (out["last"], warmup + calls)
    return {"calls": calls, "wallMs": wall_ms, "innerMs": out["innerMs"], "msPerCall": out["innerMs"] / calls,
            "finalValue": out["last"]}


def main():
    with local_client() as (client, runs, meta):

        rs = [roundtrip(client) for _ in range(runs)]
        print(json.dumps({"system": "dask", "workload": "actor-roundtrip",
                          "medianMs": statistics.median(r["medianMs"] for r in rs),
                          "p90Ms": statistics.median(r["p90Ms"] for r in rs),
                          "runs": [{"medianMs": r["medianMs"], "p90Ms": r["p90Ms"], "minMs": r["minMs"], "maxMs": r["maxMs"]}
                                   for r in rs], **meta}), flush=True)

        rs = [pipelined(client) for _ in range(runs)]
        m = median_run(rs, "callsPerSec")
        print(json.dumps({"system": "dask", "workload": "actor-pipelined", "callsPerSec": m["callsPerSec"],
                          "method": "[counter.add(1) for ...] then [f.result() for f in futures]",
                          "runs": [r["callsPerSec"] for r in rs], "median": m, **meta}), flush=True)

        rs = [fanin(client) for _ in range(runs)]
        m = median_run(rs, "msPerCall")
        print(json.dumps({"system": "dask", "workload": "actor-fanin", "msPerCall": m["msPerCall"],
                          "runs": [r["msPerCall"] for r in rs], "median": m, **meta}), flush=True)


if __name__ == "__main__":
    main()
