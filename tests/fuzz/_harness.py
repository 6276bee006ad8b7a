"""The fuzz suites' one rule: a reader given any bytes raises only the library's own errors,
returns within 10 s and stays under 2 GB more memory than it started with.

Each case runs in this process (a subprocess per case would cost 1,000 interpreter starts per
format) under a wall-clock alarm (``setitimer``) and an address-space limit (``RLIMIT_AS``)
set to what the process has mapped now plus 2 GiB, so a reader that tries to allocate more
fails with MemoryError, which the harness reports as a finding, not as a pass.
"""

from __future__ import annotations

import contextlib
import resource
import signal
from collections.abc import Callable, Iterable

from cpted_sim.errors import CptedError

CASE_SECONDS = 10.0
CASE_EXTRA_BYTES = 2 * 2**30


class CaseTimeout(BaseException):
    """Raised by the alarm: derives from BaseException so no reader's ``except`` swallows it."""


def _mapped_bytes() -> int:
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[0])
    return pages * resource.getpagesize()


@contextlib.contextmanager
def bounded(seconds: float = CASE_SECONDS, extra_bytes: int = CASE_EXTRA_BYTES):
    """Run the body under a wall-clock limit and an address-space limit; restore both after."""
    def on_alarm(signum, frame):
        raise CaseTimeout(f"case ran past {seconds} s")

    old_handler = signal.signal(signal.SIGALRM, on_alarm)
    old_limit = resource.getrlimit(resource.RLIMIT_AS)
    limit = _mapped_bytes() + extra_bytes
    if old_limit[1] != resource.RLIM_INFINITY:
        limit = min(limit, old_limit[1])
    resource.setrlimit(resource.RLIMIT_AS, (limit, old_limit[1]))
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old_handler)
        resource.setrlimit(resource.RLIMIT_AS, old_limit)


def assert_only_library_errors(read: Callable[[object], object], cases: Iterable[object], *,
                               allowed: tuple[type[BaseException], ...] = (CptedError,),
                               label: str = "case") -> dict[str, int]:
    """Call ``read(case)`` for every case; fail listing the first findings if any case raised
    something other than ``allowed``, ran past the alarm, or ran out of the memory allowance.

    Returns counts of outcomes (``ok`` and one entry per allowed error class) so a test can
    also assert that the cases exercised both paths.
    """
    counts: dict[str, int] = {}
    findings: list[str] = []
    n = 0
    for n, case in enumerate(cases, start=1):
        try:
            with bounded():
                read(case)
        except allowed as exc:
            key = type(exc).__name__
        except CaseTimeout as exc:
            findings.append(f"{label} {n}: {exc}")
            continue
        except Exception as exc:  # noqa: BLE001 - the finding is the foreign exception itself
            findings.append(f"{label} {n}: {type(exc).__name__}: {str(exc)[:200]}")
            continue
        else:
            key = "ok"
        counts[key] = counts.get(key, 0) + 1
    assert not findings, f"{len(findings)} of {n} {label}s broke the rule:\n" + "\n".join(
        findings[:10])
    return counts
