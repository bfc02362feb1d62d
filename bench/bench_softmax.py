"""Speed and peak memory of softmaxlib on every input distribution, against scipy.special and torch.

Run with ``make bench`` (or ``.venv/bin/python bench/bench_softmax.py``; ``--shape 200000x10``
for another size). For a 4096 x 4096 array, row-wise (axis=-1), in float32 and float64, softmax and log_softmax, on each input
distribution of ``tests/strategies.py`` (``DISTRIBUTIONS``: normal scores at three scales and
sd 1000, random masks of 10% and 50% -inf, a causal mask, fully masked rows, a proxy for the
digits network's logits, and every magnitude the dtype holds), it reports

* the best wall time of interleaved runs of softmaxlib's numpy path (``softmaxlib.softmax``,
  on as many threads as numba, and on one thread: column "np 1t"), the fused numba kernel (``softmaxlib.fused_softmax``), ``scipy.special`` and, when it is
  importable, torch on the same number of threads as numba (a benchmark peer only, never a
  dependency); and the physical floor: ``np.copy`` of the input, one read and one write;
* the speed-ups over scipy (higher is faster) and of the fused kernel over torch;
* the peak memory of one call of the numpy path and of the fused kernel, measured with
  tracemalloc, in units of the output's size (numba's per-thread scratch rows come from
  Python's raw allocator, so they are counted too). A peak shown above 1.00 is reported as
  missed. For rows of 2048 entries or more, the numpy path keeps its blocks in the output's
  last rows, so its peak is the output and a few tenths of a percent.

On a loaded machine, ``--clock thread`` times the single-threaded columns (copy, scipy, the
numpy path on one thread) by the calling thread's CPU time, which leaves out the time spent
waiting for a core; the columns that run on other threads too (the numpy path on several,
the fused kernel, torch) are then not timed.

Targets (issue 13): numpy path >= 1.0x scipy, fused >= 2.0x scipy and >= 1.0x torch, peak <= 1
output. Timings depend on the machine and its load (printed before and after): they are
printed, never asserted, and never put in the book. The distributions are tested for
correctness against mpmath in tests/test_core.py (TestBenchDistributions).
"""

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import scipy.special

import softmaxlib
from _measure import best_time, peak_memory

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from strategies import DISTRIBUTIONS, bench_distribution  # noqa: E402  (one list for both)

SHAPE = (4096, 4096)
TARGETS = {"numpy": 1.0, "fused": 2.0, "fused/torch": 1.0, "peak": 1.0}


def _torch(threads):
    """torch's softmax and log_softmax on ``threads`` threads, or None if torch is missing."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    return {
        "softmax": lambda x: torch.softmax(torch.from_numpy(x), dim=-1),
        "log_softmax": lambda x: torch.log_softmax(torch.from_numpy(x), dim=-1),
    }, torch.__version__


def _one_thread(f, x):
    """``f(x)`` with softmaxlib's numpy path on the calling thread only."""
    before = softmaxlib.set_num_threads(1)
    try:
        return f(x)
    finally:
        softmaxlib.set_num_threads(before)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument("--repeats", type=int, default=1, help="calls per round (default 1)")
    parser.add_argument("--only", default=None, help="a ';'-separated subset of the distributions")
    parser.add_argument(
        "--shape",
        default="x".join(map(str, SHAPE)),
        help="ROWSxN, the array's shape (default %(default)s): held-out sizes, such as 200000x10"
        " (a classifier's logits) or 1000x1000 (one that fits in the CPU's cache)",
    )
    parser.add_argument(
        "--clock",
        choices=("wall", "thread"),
        default="wall",
        help="wall time (default), or the calling thread's CPU time: steadier on a loaded"
        " machine for the single-threaded columns (copy, scipy, numpy path on one thread);"
        " the multi-threaded ones (numpy path, fused kernel, torch) are then not timed",
    )
    args = parser.parse_args(argv)
    try:
        shape = tuple(int(v) for v in args.shape.lower().split("x"))
    except ValueError:
        parser.error(f"--shape: expected ROWSxN such as 4096x4096, got {args.shape!r}")
    if len(shape) != 2 or min(shape) < 1:
        parser.error(f"--shape: expected two positive sizes ROWSxN, got {args.shape!r}")

    import numba

    threads = numba.get_num_threads()
    softmaxlib.set_num_threads(threads)  # the numpy path on as many threads as numba
    by_thread = args.clock == "thread"
    clock = time.thread_time if by_thread else time.perf_counter
    peer = None if by_thread else _torch(threads)
    names = args.only.split(";") if args.only else list(DISTRIBUTIONS)
    print(
        f"numpy {np.__version__}, scipy {scipy.__version__}, numba {numba.__version__}"
        f" ({threads} threads, and softmaxlib's numpy path), torch {peer[1] + f' ({threads} threads)' if peer else 'not importable: column skipped'};"
        f" shape {shape}, axis=-1; best of {args.rounds} x {args.repeats}, interleaved;"
        f" {'CPU time of the calling thread (fused and torch not timed)' if by_thread else 'wall time'}"
    )
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}\n")
    for dtype in (np.float32, np.float64):  # compile or load every kernel before timing
        softmaxlib.fused_softmax(np.ones((2, 3), dtype=dtype))
        softmaxlib.fused_log_softmax(np.ones((2, 3), dtype=dtype))

    header = (
        f"{'distribution':<14} {'dtype':<8} {'function':<12} {'copy ms':>7} {'scipy ms':>8}"
        f" {'numpy':>6} {'np 1t':>6} {'fused':>6} {'torch':>6} {'fused/torch':>11} {'peak np':>7}"
        f" {'peak fused':>10}"
    )
    print(header + "\n" + "-" * len(header))
    missed = []
    for name in names:
        for dtype in (np.float32, np.float64):
            x = bench_distribution(name, shape, dtype, seed=20260501)
            for fname in ("softmax", "log_softmax"):
                impls = {
                    "copy": np.copy,
                    "scipy": lambda a, f=getattr(scipy.special, fname): f(a, axis=-1),
                    "np 1t": lambda a, f=getattr(softmaxlib, fname): _one_thread(f, a),
                }
                if not by_thread:
                    impls["numpy"] = getattr(softmaxlib, fname)
                    impls["fused"] = getattr(softmaxlib, "fused_" + fname)
                if peer:
                    impls["torch"] = peer[0][fname]
                best = dict.fromkeys(impls, np.inf)
                with np.errstate(all="ignore"):  # scipy warns on the all -inf rows
                    for _ in range(args.rounds):
                        for label, fn in impls.items():
                            best[label] = min(best[label], best_time(fn, x, args.repeats, clock))
                    peaks = {k: peak_memory(getattr(softmaxlib, p + fname), x)
                             for k, p in (("numpy", ""), ("fused", "fused_"))}
                speed = {k: best["scipy"] / best[k] for k in impls}
                fused = f"{speed['fused']:>5.2f}x" if "fused" in speed else f"{'-':>6}"
                numpy = f"{speed['numpy']:>5.2f}x" if "numpy" in speed else f"{'-':>6}"
                vs_torch = best["torch"] / best["fused"] if peer else None
                peak = {k: p / size for k, (p, size) in peaks.items()}
                print(
                    f"{name:<14} {np.dtype(dtype).name:<8} {fname:<12} {1e3 * best['copy']:>7.1f}"
                    f" {1e3 * best['scipy']:>8.1f} {numpy} {speed['np 1t']:>5.2f}x {fused}"
                    + (f" {speed['torch']:>5.2f}x {vs_torch:>10.2f}x" if peer else f" {'-':>6} {'-':>11}")
                    + f" {peak['numpy']:>7.2f} {peak['fused']:>10.2f}",
                    flush=True,
                )
                case = f"{name} {np.dtype(dtype).name} {fname}"
                for k in ("numpy", "fused"):
                    if k in speed and speed[k] < TARGETS[k]:
                        missed.append(f"{case}: {k} {speed[k]:.2f}x scipy (target {TARGETS[k]:.1f}x)")
                    if peak[k] >= TARGETS["peak"] + 0.005:  # shown above 1.00
                        missed.append(f"{case}: {k} peak {peak[k]:.2f} outputs")
                if peer and vs_torch < TARGETS["fused/torch"]:
                    missed.append(f"{case}: fused {vs_torch:.2f}x torch")
            del x
    print(f"\nload average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(
        "speed-ups over scipy.special (higher is faster); peaks in outputs (tracemalloc).\n"
        f"targets: numpy >= {TARGETS['numpy']:.1f}x, fused >= {TARGETS['fused']:.1f}x scipy and"
        f" >= {TARGETS['fused/torch']:.1f}x torch, peak <= {TARGETS['peak']:.0f} output"
    )
    if missed:
        print(f"missed ({len(missed)}; timings vary with machine load, rerun on an idle machine):")
        for m in missed:
            print("  -", m)
    else:
        print("all targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
