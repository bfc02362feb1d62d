"""Shared pytest hooks for every test run from the project root (tests/ has its own conftest).

nbval starts a notebook's kernel in the setup of the notebook's first cell. jupyter_client
gives a new kernel free TCP ports by binding port 0 and closing the socket; the kernel binds
them a moment later. Two pytest-xdist workers that start kernels at the same moment can
therefore be handed the same ports, and the second kernel dies on startup. That is the likely
cause of "Kernel died before replying to kernel_info" for every cell of 07_activations.ipynb,
seen once in a clean-clone CI run under the avx2 profile, with no test having failed (nbval
sends the kernel's stderr to /dev/null, so the log could not confirm it). The setups of
notebook cells are serialised across workers with a lock file, so each kernel has bound its
ports before the next one is given any. Setups after the first are instant, so nothing else
waits; the lock changes no result.
"""

import fcntl
import tempfile
from pathlib import Path

import pytest

_LOCK = Path(tempfile.gettempdir()) / "softmax-book-kernel-start.lock"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    if type(item).__name__ != "IPyNbCell":  # nbval's notebook cells only
        yield
        return
    with open(_LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
