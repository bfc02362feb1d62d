"""Speed and peak memory of softmaxlib's softmax and log_softmax against scipy.special.

Run with ``make bench`` (or ``.venv/bin/python bench/bench_softmax.py``). For a 4096 x 4096
array, row-wise (axis=-1), in float32 and float64, it reports

* the best wall time of several runs, the runs of the two libraries interleaved so that a
  busy machine slows both alike, and the speed-up over scipy (above 1 = softmaxlib faster);
* the peak extra memory during one call, measured with tracemalloc, in units of the output's
  size (1.0 = the output itself; the targets are at most 2);
* the worst relative error, in eps of the dtype, on the first 64 rows against a reference
  computed in extended precision (np.longdouble), to show that the speed was not bought
  with accuracy.

Timings are machine-dependent: they are printed, never asserted, and never put in the book.
"""

import argparse
import sys

import numpy as np
import scipy.special

import softmaxlib
from _measure import best_time, peak_memory

SHAPE = (4096, 4096)
TARGET_SPEEDUP = 1.0
TARGET_PEAK = 2.0




def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds (default 7)")
    parser.add_argument("--repeats", type=int, default=3, help="calls per round (default 3)")
    args = parser.parse_args(argv)

    rng = np.random.default_rng(20260501)
    cases = {
        "softmax": (softmaxlib.softmax, lambda x: scipy.special.softmax(x, axis=-1)),
        "log_softmax": (softmaxlib.log_softmax, lambda x: scipy.special.log_softmax(x, axis=-1)),
    }
    print(f"numpy {np.__version__}, scipy {scipy.__version__}, shape {SHAPE}, axis=-1")
    print(f"best of {args.rounds} x {args.repeats} calls, interleaved\n")
    header = (
        f"{'function':<12} {'dtype':<8} {'softmaxlib ms':>13} {'scipy ms':>9} {'speed-up':>8}"
        f" {'peak (ours)':>11} {'peak (scipy)':>12} {'max rel err ours/scipy (eps)':>29}"
    )
    print(header)
    print("-" * len(header))
    failures = []
    for dtype in (np.float32, np.float64):
        x = (3.0 * rng.standard_normal(SHAPE)).astype(dtype)
        eps = np.finfo(dtype).eps
        # Reference in x86 extended precision (64-bit significand), far beyond float64's 53.
        ref_rows = x[:64].astype(np.longdouble)
        for name, (ours, theirs) in cases.items():
            t_ours = t_theirs = np.inf
            for _ in range(args.rounds):
                t_ours = min(t_ours, best_time(ours, x, args.repeats))
                t_theirs = min(t_theirs, best_time(theirs, x, args.repeats))
            peak_ours, size = peak_memory(ours, x)
            peak_theirs, _ = peak_memory(theirs, x)
            shifted = ref_rows - ref_rows.max(axis=1, keepdims=True)
            lse = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            ref = shifted - lse if name == "log_softmax" else np.exp(shifted - lse)
            errs = []
            for fn in (ours, theirs):
                got = fn(x[:64]).astype(np.longdouble)
                errs.append(float(np.max(np.abs(got - ref) / np.abs(ref))) / eps)
            speedup = t_theirs / t_ours
            ratio_ours, ratio_theirs = peak_ours / size, peak_theirs / size
            print(
                f"{name:<12} {np.dtype(dtype).name:<8} {1e3 * t_ours:>13.1f} {1e3 * t_theirs:>9.1f}"
                f" {speedup:>7.2f}x {ratio_ours:>10.2f}x {ratio_theirs:>11.2f}x"
                f" {errs[0]:>14.2f} / {errs[1]:<12.2f}"
            )
            if speedup < TARGET_SPEEDUP:
                failures.append(f"{name} {np.dtype(dtype).name}: {speedup:.2f}x scipy's speed")
            if ratio_ours > TARGET_PEAK:
                failures.append(f"{name} {np.dtype(dtype).name}: peak {ratio_ours:.2f} outputs")
        del x
    print()
    print(f"targets: speed-up >= {TARGET_SPEEDUP:.1f}x, peak <= {TARGET_PEAK:.1f} outputs")
    if failures:
        print("missed (timings vary with machine load; rerun on an idle machine):")
        for f in failures:
            print("  -", f)
    else:
        print("all targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
