"""What the Dask peers of the benches share: the command line, the cluster
(one LocalCluster of 2 worker processes with 1 thread each, as the Shoal side
has 2 one-slot tabs), and picking the median run."""
import argparse
import contextlib
import sys

from dask.distributed import Client, LocalCluster


def median_run(runs, key):
    """The run whose `key` is the median (the upper one for an even count)."""
    return sorted(runs, key=lambda r: r[key])[len(runs) // 2]


@contextlib.contextmanager
def local_client():
    """Yields (client, runs, meta): a client of a fresh local cluster, --runs, and versions for the JSON lines."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster)
    try:
        import dask
        import distributed

        yield client, runs, {"dask": dask.__version__, "distributed": distributed.__version__, "python": sys.version.split()[0]}
    finally:
        client.close()
        cluster.close()
