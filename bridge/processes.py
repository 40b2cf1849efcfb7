"""Child processes (jackd, a daemon under test or benchmark) that never outlive their parent."""

from __future__ import annotations

import ctypes
import subprocess


def die_with_parent() -> None:
    """``preexec_fn`` for child processes: Linux kills the child when its parent dies.

    A private jackd (or a daemon under test) must not outlive a crashed parent.
    """
    try:
        ctypes.CDLL(None).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
    except (OSError, AttributeError):
        pass  # not Linux: the parent's own clean-up has to do


def terminate(process: subprocess.Popen, timeout_s: float = 5.0) -> int:
    """SIGTERM, then SIGKILL if it has not exited after ``timeout_s``; return its exit status."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode
