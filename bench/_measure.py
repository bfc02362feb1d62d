"""Measurements shared by the benchmarks: best wall time and tracemalloc peak.

Imported by the bench_*.py scripts, which `make bench` runs as `python bench/bench_x.py` (so this
folder is first on sys.path).
"""

import gc
import time
import tracemalloc

import numpy as np


def best_time(fn, x, repeats, clock=time.perf_counter):
    """The best time of ``repeats`` calls of ``fn(x)``, in seconds, by ``clock``.

    The default is wall time. ``time.thread_time`` counts only the CPU time of the calling
    thread: on a loaded machine it leaves out the time the thread waited for a core, so it
    measures single-threaded code (numpy, scipy) far more steadily, and multi-threaded code
    (numba's workers, torch) not at all.
    """
    best = np.inf
    for _ in range(repeats):
        t0 = clock()
        fn(x)
        best = min(best, clock() - t0)
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
