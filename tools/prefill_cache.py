"""Execute the book's notebooks in parallel into the jupyter-cache, before `jupyter-book build`.

Jupyter Book 1.x executes the notebooks that the cache lacks one after another. This script
executes them first, on every core, with the same executor the build uses (jupyter-cache,
in each notebook's own folder), so the build then finds every notebook cached and executes
nothing. A notebook that fails here is left out of the cache: the build executes it again and
reports its error in full, and fails. Usage:

    python tools/prefill_cache.py CACHE_DIR TIMEOUT NOTEBOOK...
"""

import logging
import sys
import time

from jupyter_cache import get_cache
from jupyter_cache.executors import load_executor


def main(cache_dir, timeout, paths):
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
    print(f"prefill_cache: executing {len(missing)} of {len(paths)} notebooks in parallel")
    start = time.perf_counter()
    logger = logging.getLogger("prefill_cache")
    logger.setLevel(logging.WARNING)
    executor = load_executor("local-parallel", cache, logger=logger)
    result = executor.run_and_cache(filter_pks=missing, timeout=timeout, allow_errors=False)
    print(f"prefill_cache: {len(result.succeeded)} executed in {time.perf_counter() - start:.0f} s;"
          f" {len(result.excepted) + len(result.errored)} failed (the build will report why)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]), sys.argv[3:]))
