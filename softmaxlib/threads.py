"""The threads of softmaxlib's numpy path: independent chunks of rows, spread over threads.

numpy releases the GIL inside its ufuncs and reductions, so chunks of rows whose results do
not depend on each other (every row of softmax, log_softmax and logsumexp depends on that row
only) can be worked on by several threads at once. The calling thread works too; the others
are started for the call and end with it.
"""

import contextvars
import os
import threading

from ._validation import check_positive_int

__all__ = ["get_num_threads", "set_num_threads"]


def _default_threads():
    # The CPUs this process may run on (a container or taskset may allow fewer than the
    # machine has), overridden by SOFTMAXLIB_NUM_THREADS.
    env = os.environ.get("SOFTMAXLIB_NUM_THREADS", "").strip()
    if env:
        if not env.isdigit() or int(env) < 1:
            raise ValueError(f"SOFTMAXLIB_NUM_THREADS must be a positive int, got {env!r}")
        return int(env)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


_threads = _default_threads()


def get_num_threads():
    """Return the number of threads that softmaxlib's numpy path uses for large inputs.

    The default is the number of CPUs the process may run on, or ``SOFTMAXLIB_NUM_THREADS``
    if that environment variable is set when softmaxlib is imported. The fused kernels
    follow ``numba.set_num_threads`` instead.

    Returns
    -------
    int
        At least 1. Each thread gets at least ``core._THREAD_MIN_ELEMENTS`` elements
        (2 Mi), so an input of fewer than 4 Mi elements runs on the calling thread alone.

    Examples
    --------
    >>> import softmaxlib
    >>> softmaxlib.get_num_threads() >= 1
    True
    """
    return _threads


def set_num_threads(n):
    """Use ``n`` threads for large inputs of softmaxlib's numpy path.

    Every row is computed the same way whichever thread takes it, so the results do not
    change by a single bit; only the time does, and the scratch memory: each thread holds
    its own cache-sized blocks, about 0.5 to 2 MiB, which rows of 2048 entries or more take
    from the memory of the output's last rows (computed last) when the output is large
    enough, so that they add nothing to the peak.

    Parameters
    ----------
    n : int
        A positive number of threads, the calling one included.

    Returns
    -------
    int
        The number used before, so that it can be restored.

    Raises
    ------
    TypeError
        If ``n`` is not an int (a bool or a float is refused).
    ValueError
        If ``n`` is less than 1.

    Examples
    --------
    >>> import numpy as np, softmaxlib
    >>> x = np.random.default_rng(0).normal(size=(4096, 1024))
    >>> before = softmaxlib.set_num_threads(1)
    >>> one = softmaxlib.softmax(x)
    >>> _ = softmaxlib.set_num_threads(2)
    >>> bool((softmaxlib.softmax(x) == one).all())
    True
    >>> _ = softmaxlib.set_num_threads(before)
    >>> softmaxlib.set_num_threads(0)
    Traceback (most recent call last):
        ...
    ValueError: n must be a positive int, got 0
    """
    global _threads
    previous, _threads = _threads, check_positive_int(n, "n")
    return previous


def for_each_chunk(n_rows, chunk, threads, body):
    """Call ``body(r0, r1, worker)`` for the runs of ``chunk`` rows that make up ``n_rows``.

    ``worker`` is 0 in the calling thread and 1, 2, ... in the helpers, below ``threads``:
    a body can keep per-thread scratch in a list indexed by it.

    With more than one thread (``threads``, at most), the runs are handed out one at a time
    to the calling thread and ``threads - 1`` helper threads started for this call (so a
    helper the OS delays holds up one run, not a fixed share). Starting a thread takes tens of
    microseconds, nothing beside the milliseconds of work it is started for, and no thread
    outlives the call: a process that forks later (a dask worker, say) has none to lose.
    Each helper runs in a copy of the caller's context, so numpy's error state and buffer
    size are the caller's. The first exception raised by ``body`` is re-raised once every
    run has ended.
    """
    starts = range(0, n_rows, chunk)
    helpers = min(threads, len(starts)) - 1
    if helpers <= 0:
        for r0 in starts:
            body(r0, min(n_rows, r0 + chunk), 0)
        return
    runs = iter(starts)
    lock = threading.Lock()
    errors = []

    def work(worker):
        try:
            while True:
                with lock:
                    r0 = next(runs, None)
                if r0 is None:
                    return
                body(r0, min(n_rows, r0 + chunk), worker)
        except BaseException as error:  # re-raised in the calling thread
            errors.append(error)

    pool = [
        threading.Thread(target=contextvars.copy_context().run, args=(work, w), daemon=True)
        for w in range(1, helpers + 1)
    ]
    for t in pool:
        t.start()
    work(0)
    for t in pool:
        t.join()
    if errors:
        raise errors[0]
