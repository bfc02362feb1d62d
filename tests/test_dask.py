"""Tests of softmaxlib.dask on a local dask.distributed cluster, against softmaxlib.core.

One module-scoped cluster of 2 worker processes (one thread each, loopback only, no
dashboard) serves every test, so the module takes a few seconds. The results are compared
with the in-memory functions of softmaxlib.core on the same numbers. Skipped when dask is
not installed (it is an optional extra of softmaxlib).
"""

import numpy as np
import pytest
from numpy.testing import assert_array_equal

pytest.importorskip("dask.array")
distributed = pytest.importorskip("dask.distributed")

import dask  # noqa: E402
import dask.array as da  # noqa: E402

from softmaxlib import core  # noqa: E402
from softmaxlib import dask as sd  # noqa: E402
from softmaxlib.accuracy import error_in_eps  # noqa: E402

from strategies import log_softmax_bound, pairwise_depth, softmax_bound  # noqa: E402


@pytest.fixture(scope="module")
def client():
    # Forked workers inherit this process's imports (numpy, softmaxlib): spawned ones would
    # import them afresh, which takes seconds. They run no numba, so forking is safe here
    # (and softmaxlib's numpy path keeps no threads between calls).
    with dask.config.set({"distributed.worker.multiprocessing-method": "fork"}), distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        host="127.0.0.1",
        silence_logs=50,  # logging.CRITICAL: workers starting and stopping are not news
    ) as cluster, distributed.Client(cluster) as c:
        yield c


def _tol(n, chunk, dtype, bound):
    """Agreement with core, in eps: core is within bound(n) of the exact value; the dask path
    sums each chunk pairwise (bound(chunk), the same steps) and merges the chunk summaries
    (merge_lse: a TwoSum-corrected exp, one product, one sum, 2 eps per merge, n / chunk
    merges in the worst tree). float16/32 are rounded once at the end by both."""
    if np.dtype(dtype) != np.float64:
        return 2 * bound(n, dtype)
    return bound(n, dtype) + bound(chunk, dtype) + 2 * (-(-n // chunk))


def _scores(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = 5.0 * rng.standard_normal(shape)
    x[0, 0, :2] += 60.0  # a dominated slice: the case where log1p(s) matters
    return x.astype(dtype)


#: A few hundred tiny tasks cost seconds on a cluster: every axis kind once in float64, the
#: last axis in float32.
CASES = [(np.float64, -1), (np.float64, 0), (np.float64, (0, 2)), (np.float64, None), (np.float32, -1)]


class TestDask:
    def test_matches_core(self, client):
        # Every case's graphs go to the cluster in one dask.compute: one round trip.
        x64 = _scores((6, 5, 40), np.float64)
        lazy, want, tols = [], [], []
        for dtype, axis in CASES:
            x = x64.astype(dtype)
            dx = da.from_array(x, chunks=(3, 5, 20))  # more than one chunk along two axes
            axes = range(x.ndim) if axis is None else np.atleast_1d(axis) % x.ndim
            n = int(np.prod([x.shape[a] for a in axes]))
            chunk = int(np.prod([dx.chunksize[a] for a in axes]))
            lazy += [sd.softmax(dx, axis=axis), sd.log_softmax(dx, axis=axis),
                     sd.logsumexp(dx, axis=axis), sd.logsumexp(dx, axis=axis, keepdims=True)]
            want += [core.softmax(x, axis=axis), core.log_softmax(x, axis=axis),
                     core.logsumexp(x, axis=axis), core.logsumexp(x, axis=axis, keepdims=True)]
            tols += [_tol(n, chunk, dtype, softmax_bound)] + 3 * [_tol(n, chunk, dtype, log_softmax_bound)]
        got = dask.compute(*lazy)
        for g, w, tol in zip(got, want, tols):
            w = np.asarray(w)
            assert g.shape == w.shape and g.dtype == w.dtype
            assert error_in_eps(g, w.astype(np.float64), w.dtype).max() <= tol

    def test_dominant_entry_keeps_its_log_probability(self, client):
        # mpmath: log_softmax([100, 60])[0] = -log1p(e^-40) = -4.2483542552915889863e-18;
        # max and log1p(s) are subtracted apart, so it is not rounded to 0. Each chunk holds
        # one entry: s is exp(-40) with exp's and merge_lse's roundings (about 3 eps), log1p
        # adds 1: 4 eps.
        dx = da.from_array(np.array([100.0, 60.0]), chunks=1)
        out = sd.log_softmax(dx).compute()
        assert error_in_eps(out[0], -4.2483542552915889863e-18) <= 4

    def test_edge_cases_match_core(self, client):
        x = np.array(
            [
                [1.0, np.nan, 3.0, 0.0],
                [np.inf, 0.0, np.inf, 1.0],
                [-np.inf] * 4,
                [0.0, -np.inf, -1.0, -np.inf],
            ]
        )
        dx = da.from_array(x, chunks=(2, 2))
        with np.errstate(all="ignore"):
            for ours, ref in ((sd.softmax, core.softmax), (sd.log_softmax, core.log_softmax)):
                got, want = ours(dx).compute(), ref(x)
                assert_array_equal(np.isnan(got), np.isnan(want))
                finite = np.isfinite(want)
                assert_array_equal(got[~finite & ~np.isnan(want)], want[~finite & ~np.isnan(want)])
                assert error_in_eps(got[finite], want[finite]).max() <= 8  # few terms: a few eps
            assert_array_equal(sd.logsumexp(dx).compute(), core.logsumexp(x))

    def test_bad_input(self):
        with pytest.raises(TypeError, match="x must"):
            sd.softmax(da.from_array(np.array([1.0 + 1.0j, 2.0])))
        with pytest.raises(np.exceptions.AxisError):
            sd.logsumexp(da.ones((2, 3)), axis=2)

    def test_softmaxlib_does_not_import_dask(self):
        # No module of softmaxlib but softmaxlib/dask.py imports dask, or softmaxlib.dask:
        # importing softmaxlib works without dask (read statically; a fresh interpreter
        # would spend seconds importing softmaxlib's other dependencies).
        import ast
        from pathlib import Path

        import softmaxlib

        for path in Path(softmaxlib.__file__).parent.glob("*.py"):
            if path.name == "dask.py":
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom):
                    names = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
                else:
                    continue
                assert not any(n == "dask" or n.startswith("dask.") or n.endswith(".dask") or n == "None.dask"
                               for n in names), (path.name, names)


def test_pairwise_depth_is_numpys_worst_case():
    # The bounds above lean on pairwise_depth: check it against a sum whose rounding is the
    # worst possible per addition is out of reach, so check its shape instead: it grows like
    # n / 8 up to 128 and by one per doubling after.
    assert pairwise_depth(7) == 6 and pairwise_depth(128) == 18
    assert pairwise_depth(256) == 19 and pairwise_depth(4096) == 23
