"""Execute the book's notebooks in parallel into the jupyter-cache, before `jupyter-book build`.

Jupyter Book 1.x executes the notebooks that the cache lacks one after another. This script
executes them first, on every core, with the same executor the build uses (jupyter-cache,
in each notebook's own folder), so the build then finds every notebook cached and executes
nothing. A notebook that fails here is left out of the cache: the build executes it again and
reports its error in full, and fails. Usage:

    python tools/prefill_cache.py [--stored] CACHE_DIR TIMEOUT NOTEBOOK...

With --stored (used by `make test`, after nbval has re-executed every notebook under every CPU
profile and found its stored outputs reproduced exactly), the stored notebooks themselves are
cached instead of being executed a fourth time.
"""

import multiprocessing
import sys
import time
from pathlib import Path

from jupyter_cache import get_cache
from jupyter_cache.executors.basic import ExecutionWorkerLocalMProc, ProcessData


def main(cache_dir, timeout, paths, stored=False):
    cache = get_cache(cache_dir)
    missing = []
    for path in paths:
        record = cache.add_nb_to_project(path)
        try:
            cache.match_cache_notebook(cache.get_project_notebook(record.pk).nb)
        except KeyError:
            missing.append(record.pk)
    if not missing:
        print(f"prefill_cache: all {len(paths)} notebooks are cached")
        return 0
    if stored:
        for pk in missing:
            record = cache.get_project_record(pk)
            cache.cache_notebook_file(record.uri, check_validity=False, overwrite=True)
        print(f"prefill_cache: cached the stored outputs of {len(missing)} notebooks"
              " (nbval has just reproduced them)")
        return 0
    print(f"prefill_cache: executing {len(missing)} of {len(paths)} notebooks in parallel")
    start = time.perf_counter()
    # The worker of jupyter-cache's own "local-parallel" executor (each notebook in its own
    # folder, outputs cached on success), handed one notebook at a time, largest first, so
    # that a long chapter does not start last.
    by_size = sorted(missing, key=lambda pk: -Path(cache.get_project_record(pk).uri).stat().st_size)
    jobs = [ProcessData(pk, cache.get_project_record(pk).uri, cache, timeout, False)
            for pk in by_size]
    with multiprocessing.Pool() as pool:
        codes = list(pool.imap_unordered(ExecutionWorkerLocalMProc(), jobs, chunksize=1))
    ok = sum(code == 0 for code, _ in codes)
    print(f"prefill_cache: {ok} executed in {time.perf_counter() - start:.0f} s;"
          f" {len(codes) - ok} failed (the build will report why)")
    return 0


if __name__ == "__main__":
    args = sys.argv[1:]
    stored = args[:1] == ["--stored"]
    args = args[1:] if stored else args
    sys.exit(main(args[0], int(args[1]), args[2:], stored=stored))
