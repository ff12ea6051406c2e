"""Dask's side of bench/dataframe.ts: db-benchmark's groupby questions q1-q10,
a sort of every row by v3 and a 10M x 100k inner join, on data already loaded
into the workers' memory.

  /usr/bin/python3 bench/peers/dask_dataframe.py --x G1.csv --y J1.csv [--runs N] [--only q1,sort]

One LocalCluster of 2 worker processes with 1 thread each (as the Shoal side
has 2 one-slot tabs). As h2oai/db-benchmark `dask/groupby-dask2.py`:
  - dtypes id1-id3 `category`, id4-id6 / v1 / v2 `Int32`, v3 `float64`;
  - `dask.config.set({"optimization.fuse.ave-width": 20})`;
  - `read_csv(...).persist()` is the load (timed here, not there), with
    read_csv's default blocksize (64 MB: 8 partitions for 1e7 rows);
  - each question is its `.compute()` (the answer comes back to the client as a
    pandas DataFrame) plus `reset_index`; the check (`chk`, sums over the
    answer's columns) is not timed.
q6 is commented out in db-benchmark's Dask script (no groupby median in Dask
then, nor in Debian's 2022.12): here it is a shuffle on (id4, id5) and pandas'
`median`/`std` per partition, the way later Dask versions compute it.

Sort: `x.sort_values('v3').persist()` + `wait` (the sorted frame stays on the
workers, nothing comes home); chk: its length and the first three v3.
Join: the join table (unique id6 keys, 90 % of them present in x) loaded and
persisted beside x; `x.merge(y, on='id6')` (inner), and its row count, sum of
v1 and sum of v4 computed in one pass (`dask.compute`), so the 9M joined rows
are not shipped home.

Prints one JSON line per workload on stdout (`{"system":"dask","workload":"q1","ms":...,"runs":[...],"chk":[...],"outRows":...}`),
progress on stderr.
"""
import argparse
import gc
import json
import logging
import os
import sys
import time
import warnings

# pandas 1.5 warns (FutureWarning, once per group) about DataFrame.corr's numeric_only default inside q9;
# the worker processes inherit this through the environment.
os.environ["PYTHONWARNINGS"] = "ignore::FutureWarning"
warnings.filterwarnings("ignore", category=FutureWarning)

import dask
import dask.dataframe as dd
import distributed
import pandas as pd
from dask.distributed import Client, LocalCluster, wait

X_DTYPES = {"id1": "category", "id2": "category", "id3": "category", "id4": "Int32", "id5": "Int32", "id6": "Int32",
            "v1": "Int32", "v2": "Int32", "v3": "float64"}
Y_DTYPES = {"id6": "Int32", "v4": "float64"}


def q6(x):
    def part(d):
        g = d.groupby(["id4", "id5"], observed=True).v3
        return pd.DataFrame({"median_v3": g.median(), "sd_v3": g.std()})
    meta = pd.DataFrame({"median_v3": pd.Series(dtype="float64"), "sd_v3": pd.Series(dtype="float64")},
                        index=pd.MultiIndex.from_arrays([pd.Series(dtype="Int32"), pd.Series(dtype="Int32")], names=["id4", "id5"]))
    return x[["id4", "id5", "v3"]].shuffle(on=["id4", "id5"]).map_partitions(part, meta=meta).compute()


# name -> (question, answer, chk columns); the answers are db-benchmark's expressions verbatim (q6 aside).
QUESTIONS = {
    "q1": ("sum v1 by id1", lambda x: x.groupby("id1", dropna=False, observed=True).agg({"v1": "sum"}).compute(), ["v1"]),
    "q2": ("sum v1 by id1:id2", lambda x: x.groupby(["id1", "id2"], dropna=False, observed=True).agg({"v1": "sum"}).compute(), ["v1"]),
    "q3": ("sum v1 mean v3 by id3", lambda x: x.groupby("id3", dropna=False, observed=True).agg({"v1": "sum", "v3": "mean"}).compute(), ["v1", "v3"]),
    "q4": ("mean v1:v3 by id4", lambda x: x.groupby("id4", dropna=False, observed=True).agg({"v1": "mean", "v2": "mean", "v3": "mean"}).compute(),
           ["v1", "v2", "v3"]),
    "q5": ("sum v1:v3 by id6", lambda x: x.groupby("id6", dropna=False, observed=True).agg({"v1": "sum", "v2": "sum", "v3": "sum"}).compute(),
           ["v1", "v2", "v3"]),
    "q6": ("median v3 sd v3 by id4 id5", q6, ["median_v3", "sd_v3"]),
    "q7": ("max v1 - min v2 by id3", lambda x: x.groupby("id3", dropna=False, observed=True).agg({"v1": "max", "v2": "min"})
           .assign(range_v1_v2=lambda x: x["v1"] - x["v2"])[["range_v1_v2"]].compute(), ["range_v1_v2"]),
    "q8": ("largest two v3 by id6", lambda x: x[~x["v3"].isna()][["id6", "v3"]].groupby("id6", dropna=False, observed=True)
           .apply(lambda x: x.nlargest(2, columns="v3"), meta={"id6": "Int64", "v3": "float64"})[["v3"]].compute(), ["v3"]),
    "q9": ("regression v1 v2 by id2 id4", lambda x: x[["id2", "id4", "v1", "v2"]].groupby(["id2", "id4"], dropna=False, observed=True)
           .apply(lambda x: pd.Series({"r2": x.corr()["v1"]["v2"] ** 2}), meta={"r2": "float64"}).compute(), ["r2"]),
    "q10": ("sum v3 count by id1:id6", lambda x: x.groupby(["id1", "id2", "id3", "id4", "id5", "id6"], dropna=False, observed=True)
            .agg({"v3": "sum", "v1": "size"}).compute(), ["v3", "v1"]),
}


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def timed(fn):
    gc.collect()
    t0 = time.perf_counter()
    value = fn()
    return value, (time.perf_counter() - t0) * 1000


def load(path, dtypes):
    frame = dd.read_csv(path, dtype=dtypes).persist()
    wait(frame)
    return frame


def median(times):
    """The upper middle, as bench/common.ts's median."""
    return sorted(times)[len(times) // 2]


def as_number(v):
    return None if pd.isna(v) else float(v)


def question(x, name, runs):
    title, answer, cols = QUESTIONS[name]
    times = []
    for _ in range(runs):
        ans, ms = timed(lambda: answer(x).reset_index())
        times.append(ms)
        out_rows = ans.shape[0]
        chk = [as_number(ans[c].sum()) for c in cols]
        del ans
    return {"title": title, "ms": median(times), "runs": times, "outRows": out_rows, "chk": chk}


def sort(x, runs):
    times = []
    for _ in range(runs):
        def go():
            s = x.sort_values("v3").persist()
            wait(s)
            return s
        s, ms = timed(go)
        times.append(ms)
        chk = [float(v) for v in s.head(3, npartitions=-1)["v3"]]
        out_rows = len(s)
        del s
    return {"title": "sort all rows by v3", "ms": median(times), "runs": times, "outRows": out_rows, "chk": chk}


def join(x, y, runs):
    times = []
    for _ in range(runs):
        def go():
            j = x.merge(y, on="id6")
            return dask.compute(j.v1.count(), j.v1.sum(), j.v4.sum())
        (n, v1, v4), ms = timed(go)
        times.append(ms)
    return {"title": "inner join on id6, count and sums", "ms": median(times), "runs": times, "outRows": 1,
            "chk": [float(n), float(v1), float(v4)]}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--x", required=True, help="the G1 groupby CSV")
    parser.add_argument("--y", required=True, help="the join table CSV")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", default="", help="comma-separated workloads (q1..q10, sort, join); default all")
    args = parser.parse_args()
    only = set(filter(None, args.only.split(",")))
    wanted = lambda w: not only or w in only  # noqa: E731

    dask.config.set({"optimization.fuse.ave-width": 20})
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR)
    client = Client(cluster)
    meta = {"dask": dask.__version__, "distributed": distributed.__version__, "pandas": pd.__version__, "python": sys.version.split()[0]}
    emit = lambda workload, d: print(json.dumps({"system": "dask", "workload": workload, **d, **meta}), flush=True)  # noqa: E731
    try:
        log("dask: loading", args.x)
        x, ms = timed(lambda: load(args.x, X_DTYPES))
        emit("load", {"title": "load G1 (read_csv + persist)", "ms": ms, "runs": [ms], "outRows": len(x), "partitions": x.npartitions})
        y, ms = timed(lambda: load(args.y, Y_DTYPES))
        emit("loadJoin", {"title": "load J1 (read_csv + persist)", "ms": ms, "runs": [ms], "outRows": len(y), "partitions": y.npartitions})
        for name in QUESTIONS:
            if wanted(name):
                log("dask:", name)
                emit(name, question(x, name, args.runs))
        if wanted("sort"):
            log("dask: sort")
            emit("sort", sort(x, args.runs))
        if wanted("join"):
            log("dask: join")
            emit("join", join(x, y, args.runs))
    finally:
        client.close()
        cluster.close()


if __name__ == "__main__":
    main()
