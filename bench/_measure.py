"""Measurements shared by the benchmarks: best wall time and tracemalloc peak.

Imported by the bench_*.py scripts, which `make bench` runs as `python bench/bench_x.py` (so this
folder is first on sys.path).
"""

import gc
import time
import tracemalloc

import numpy as np


def best_time(fn, x, repeats):
    """The best wall time of ``repeats`` calls of ``fn(x)``, in seconds."""
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(x)
        best = min(best, time.perf_counter() - t0)
    return best


def peak_memory(fn, x):
    """Peak bytes that Python's allocators (numpy included) hold during ``fn(x)``, and the
    result's size in bytes. Memory allocated inside numba-compiled code is not seen."""
    gc.collect()
    tracemalloc.start()
    out = fn(x)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, out.nbytes
